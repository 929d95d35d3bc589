// String instructions (MOVS, STOS, LODS, CMPS, SCAS, with REP/REPE/REPNE) in C++, for
// 16-bit addressing: SI, DI and CX wrap at 64 KiB, which the native 64-bit string
// instructions of translated code (translator/emit_string.cpp) cannot do. Real-mode
// code uses them for short copies (a boot sector moving itself), so one element per
// iteration is fast enough.
#include "cpu/emulate.h"

namespace rs {

namespace {

// The arithmetic flags of a - b at `bytes` width (CMP semantics).
uint32_t sub_flags(uint32_t a, uint32_t b, int bytes) {
  const int bits = bytes * 8;
  const uint32_t mask = bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1;
  a &= mask, b &= mask;
  const uint32_t r = (a - b) & mask;
  const uint32_t sign = 1u << (bits - 1);
  uint32_t f = 0;
  if (a < b) f |= FL_CF;
  if (r == 0) f |= FL_ZF;
  if (r & sign) f |= FL_SF;
  if (((a ^ b) & (a ^ r)) & sign) f |= FL_OF;
  if ((a ^ b ^ r) & 0x10) f |= FL_AF;
  if (!(__builtin_popcount(r & 0xFF) & 1)) f |= FL_PF;
  return f;
}

int element_size(const Insn& in) {
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_LODSB:
    case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_SCASB:
      return 1;
    default:
      return in.z.operand_width / 8;
  }
}

}  // namespace

bool is_string_insn(const Insn& in) {
  if (in.has(ZYDIS_ATTRIB_HAS_MODRM)) return false;  // SSE MOVSD/CMPSD share mnemonics
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW: case ZYDIS_MNEMONIC_MOVSD:
    case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW: case ZYDIS_MNEMONIC_STOSD:
    case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW: case ZYDIS_MNEMONIC_LODSD:
    case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW: case ZYDIS_MNEMONIC_CMPSD:
    case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW: case ZYDIS_MNEMONIC_SCASD:
      return true;
    default:
      return false;
  }
}

uint32_t emulate_string(Ctx& c) {
  CpuState& cpu = c.cpu;
  const Insn& in = c.in;
  const ZydisMnemonic mn = in.mn();
  const int size = element_size(in);
  const bool a16 = in.z.address_width == 16;
  const uint32_t amask = a16 ? 0xFFFFu : 0xFFFFFFFFu;
  const bool rep = in.has(ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE);
  const bool repe = in.has(ZYDIS_ATTRIB_HAS_REPE), repne = in.has(ZYDIS_ATTRIB_HAS_REPNE);
  const bool moves = mn == ZYDIS_MNEMONIC_MOVSB || mn == ZYDIS_MNEMONIC_MOVSW || mn == ZYDIS_MNEMONIC_MOVSD;
  const bool stores = mn == ZYDIS_MNEMONIC_STOSB || mn == ZYDIS_MNEMONIC_STOSW || mn == ZYDIS_MNEMONIC_STOSD;
  const bool loads = mn == ZYDIS_MNEMONIC_LODSB || mn == ZYDIS_MNEMONIC_LODSW || mn == ZYDIS_MNEMONIC_LODSD;
  const bool cmps = mn == ZYDIS_MNEMONIC_CMPSB || mn == ZYDIS_MNEMONIC_CMPSW || mn == ZYDIS_MNEMONIC_CMPSD;
  const bool uses_si = moves || loads || cmps, uses_di = !loads;
  ZydisRegister src_seg = ZYDIS_REGISTER_DS;  // DS:SI may be overridden; ES:DI may not
  for (int i = 0; i < in.z.operand_count; ++i)
    if (in.ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && in.ops[i].mem.segment != ZYDIS_REGISTER_ES)
      src_seg = in.ops[i].mem.segment;
  const int32_t step = (cpu.rflags & FL_DF) ? -size : size;
  auto index = [&](int r) { return cpu.reg(r) & amask; };
  auto advance = [&](int r) {
    const uint32_t v = cpu.reg(r);
    cpu.set_reg(r, (v & ~amask) | ((v + uint32_t(step)) & amask));
  };
  const uint32_t vmask = size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
  for (;;) {
    if (rep && (cpu.reg(ECX) & amask) == 0) break;
    uint32_t s = 0, d = 0;
    if (uses_si && !c.env.read_linear(linear(cpu, src_seg, index(ESI)), &s, uint32_t(size))) return outside_ram(c);
    if (cmps || mn == ZYDIS_MNEMONIC_SCASB || mn == ZYDIS_MNEMONIC_SCASW || mn == ZYDIS_MNEMONIC_SCASD) {
      if (!c.env.read_linear(linear(cpu, ZYDIS_REGISTER_ES, index(EDI)), &d, uint32_t(size))) return outside_ram(c);
    }
    if (moves && !c.env.write_linear(linear(cpu, ZYDIS_REGISTER_ES, index(EDI)), &s, uint32_t(size)))
      return outside_ram(c);
    if (stores) {
      const uint32_t v = cpu.reg(EAX) & vmask;
      if (!c.env.write_linear(linear(cpu, ZYDIS_REGISTER_ES, index(EDI)), &v, uint32_t(size))) return outside_ram(c);
    }
    if (loads) cpu.set_reg(EAX, (cpu.reg(EAX) & ~vmask) | (s & vmask));
    bool stop = false;
    if (cmps || (!moves && !stores && !loads)) {
      const uint32_t f = cmps ? sub_flags(s, d, size) : sub_flags(cpu.reg(EAX), d, size);
      cpu.rflags = (cpu.rflags & ~uint64_t(FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)) | f;
      stop = (repe && !(f & FL_ZF)) || (repne && (f & FL_ZF));
    }
    if (uses_si) advance(ESI);
    if (uses_di) advance(EDI);
    if (!rep) break;
    const uint32_t cx = cpu.reg(ECX);
    cpu.set_reg(ECX, (cx & ~amask) | ((cx - 1) & amask));
    if (stop) break;
    // A long REP leaves for the run loop when something asks for it (a stop, a signal, a
    // due timer), restarting where it was, as an interrupt would find it.
    if ((c.env.must_leave() || cpu.exit_request) && (cpu.reg(ECX) & amask) != 0) {
      cpu.eip = in.eip;
      return uint32_t(Exit::Dispatch);
    }
  }
  return 0;
}

}  // namespace rs
