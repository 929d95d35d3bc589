// Instructions that 64-bit mode lacks or reads differently: the one-byte INC/DEC
// (REX prefixes there), SALC, and the ones emulated in C++ (BCD adjusts, BOUND,
// ARPL, LDS/LES/LFS/LGS/LSS).
#include "translator/emitter.h"

namespace rs {

using namespace asmjit;

bool is_legacy(const Insn& in) {
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_INC:
    case ZYDIS_MNEMONIC_DEC:
      return !in.has(ZYDIS_ATTRIB_HAS_MODRM);
    case ZYDIS_MNEMONIC_SALC:
    case ZYDIS_MNEMONIC_DAA: case ZYDIS_MNEMONIC_DAS: case ZYDIS_MNEMONIC_AAA: case ZYDIS_MNEMONIC_AAS:
    case ZYDIS_MNEMONIC_AAM: case ZYDIS_MNEMONIC_AAD:
    case ZYDIS_MNEMONIC_BOUND: case ZYDIS_MNEMONIC_ARPL:
    case ZYDIS_MNEMONIC_LDS: case ZYDIS_MNEMONIC_LES: case ZYDIS_MNEMONIC_LFS: case ZYDIS_MNEMONIC_LGS:
    case ZYDIS_MNEMONIC_LSS:
      return true;
    default:
      return false;
  }
}

bool emit_legacy(Emitter& e, const Insn& in) {
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_INC:
    case ZYDIS_MNEMONIC_DEC: {
      // 40+r / 48+r become FF /0 and FF /1 on the register: the same result and flags.
      uint8_t r = uint8_t(gpr_index(in.ops[0].reg.value));
      uint8_t modrm = uint8_t(0xC0 | (in.mn() == ZYDIS_MNEMONIC_DEC ? 8 : 0) | r);
      if (in.z.operand_width == 16) {
        const uint8_t b[] = {0x66, 0xFF, modrm};
        e.a.embed(b, sizeof b);
      } else {
        const uint8_t b[] = {0xFF, modrm};
        e.a.embed(b, sizeof b);
      }
      return false;
    }
    case ZYDIS_MNEMONIC_SALC:
      // AL = CF ? 0xFF : 0, flags untouched: SETC, then 1 -> 0xFF.. and 0 -> 0 with LEA/NOT.
      e.a.setc(x86::r9b);
      e.a.movzx(x86::r9d, x86::r9b);
      e.a.lea(x86::r9d, x86::ptr(x86::r9, -1));
      e.a.not_(x86::r9d);
      e.a.mov(x86::al, x86::r9b);
      return false;
    default: {
      bool ea = in.mem_operand() != nullptr;
      e.call_helper(in, &helper_emulate, ea, &in);
      if (in.mn() == ZYDIS_MNEMONIC_DAA || in.mn() == ZYDIS_MNEMONIC_DAS || in.mn() == ZYDIS_MNEMONIC_AAA ||
          in.mn() == ZYDIS_MNEMONIC_AAS || in.mn() == ZYDIS_MNEMONIC_AAM || in.mn() == ZYDIS_MNEMONIC_AAD ||
          in.mn() == ZYDIS_MNEMONIC_ARPL)
        return false;
      e.exit_direct(in.next());  // segment loads may change the translation mode; BOUND may fault
      return true;
    }
  }
}

}  // namespace rs
