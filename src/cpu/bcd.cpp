// BCD adjust instructions (invalid in 64-bit mode), per the Intel SDM pseudocode.
// Flags the SDM calls undefined are computed as current Intel parts do for the
// common cases (SF/ZF/PF from AL); OF is left cleared.
#include "cpu/emulate.h"

namespace rs {

namespace {

uint32_t szp(uint8_t v) {
  uint32_t f = 0;
  if (v == 0) f |= FL_ZF;
  if (v & 0x80) f |= FL_SF;
  if (!(__builtin_popcount(v) & 1)) f |= FL_PF;
  return f;
}

}  // namespace

uint32_t emulate_bcd(Ctx& c) {
  CpuState& cpu = c.cpu;
  uint32_t eax = cpu.reg(EAX);
  uint8_t al = uint8_t(eax), ah = uint8_t(eax >> 8);
  uint32_t fl = uint32_t(cpu.rflags);
  bool cf = fl & FL_CF, af = fl & FL_AF;
  uint32_t out = 0;
  switch (c.in.mn()) {
    case ZYDIS_MNEMONIC_DAA: case ZYDIS_MNEMONIC_DAS: {
      bool sub = c.in.mn() == ZYDIS_MNEMONIC_DAS;
      uint8_t old_al = al;
      bool ncf = false;
      if ((al & 0x0F) > 9 || af) {
        ncf = cf || (sub ? old_al < 6 : old_al > 0xF9);
        al = uint8_t(sub ? al - 6 : al + 6);
        out |= FL_AF;
      }
      if (old_al > 0x99 || cf) {
        al = uint8_t(sub ? al - 0x60 : al + 0x60);
        ncf = true;
      }
      if (ncf) out |= FL_CF;
      out |= szp(al);
      eax = (eax & ~0xFFu) | al;
      break;
    }
    case ZYDIS_MNEMONIC_AAA: case ZYDIS_MNEMONIC_AAS: {
      bool sub = c.in.mn() == ZYDIS_MNEMONIC_AAS;
      uint16_t ax = uint16_t(eax);
      if ((al & 0x0F) > 9 || af) {
        ax = sub ? uint16_t(ax - 6) : uint16_t(ax + 0x106);
        if (sub) ax = uint16_t(ax - 0x100);
        out |= FL_AF | FL_CF;
      }
      ax &= 0xFF0F;
      out |= szp(uint8_t(ax));
      eax = (eax & ~0xFFFFu) | ax;
      break;
    }
    case ZYDIS_MNEMONIC_AAM: {
      uint8_t base = uint8_t(c.in.ops[0].imm.value.u);
      if (base == 0) return raise(c, kDE);
      ah = uint8_t(al / base);
      al = uint8_t(al % base);
      out |= szp(al);
      eax = (eax & ~0xFFFFu) | (uint32_t(ah) << 8) | al;
      break;
    }
    case ZYDIS_MNEMONIC_AAD: {
      uint8_t base = uint8_t(c.in.ops[0].imm.value.u);
      al = uint8_t(al + ah * base);
      out |= szp(al);
      eax = (eax & ~0xFFFFu) | al;
      break;
    }
    default:
      return raise(c, kUD);
  }
  cpu.set_reg(EAX, eax);
  cpu.rflags = (cpu.rflags & ~uint64_t(FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)) | out;
  return 0;
}

}  // namespace rs
