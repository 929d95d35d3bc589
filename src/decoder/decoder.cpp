#include "decoder/decoder.h"

#include <cstring>

namespace rs {

Decoder::Decoder() {
  ZydisDecoderInit(&d32_, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
  ZydisDecoderInit(&d16_, ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16);
}

bool Decoder::decode(const uint8_t* p, size_t avail, uint32_t eip, bool code32, Insn& out) const {
  size_t n = avail < ZYDIS_MAX_INSTRUCTION_LENGTH ? avail : ZYDIS_MAX_INSTRUCTION_LENGTH;
  if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(code32 ? &d32_ : &d16_, p, n, &out.z, out.ops))) return false;
  out.eip = eip;
  out.code16 = !code32;
  std::memset(out.bytes, 0, sizeof out.bytes);
  std::memcpy(out.bytes, p, out.z.length);
  return true;
}

const ZydisDecodedOperand* Insn::mem_operand() const {
  for (int i = 0; i < z.operand_count; ++i)
    if (ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && ops[i].visibility == ZYDIS_OPERAND_VISIBILITY_EXPLICIT)
      return &ops[i];
  return nullptr;
}

int gpr_index(ZydisRegister r) {
  if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI) return r - ZYDIS_REGISTER_EAX;
  if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI) return r - ZYDIS_REGISTER_AX;
  if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_BL) return r - ZYDIS_REGISTER_AL;
  return -1;
}

int seg_index(ZydisRegister r) {
  switch (r) {
    case ZYDIS_REGISTER_ES: return 0;
    case ZYDIS_REGISTER_CS: return 1;
    case ZYDIS_REGISTER_SS: return 2;
    case ZYDIS_REGISTER_DS: return 3;
    case ZYDIS_REGISTER_FS: return 4;
    case ZYDIS_REGISTER_GS: return 5;
    default: return -1;
  }
}

int Insn::gpr(int i) const {
  if (i >= z.operand_count || ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER) return -1;
  return gpr_index(ops[i].reg.value);
}

Insn::FpuUse Insn::fpu_use() const {
  switch (z.mnemonic) {
    case ZYDIS_MNEMONIC_FWAIT: case ZYDIS_MNEMONIC_FXSAVE: case ZYDIS_MNEMONIC_FXRSTOR:
      return kX87;
    case ZYDIS_MNEMONIC_EMMS:
      return kMmx;
    default:
      break;
  }
  int use = kNoFpu;
  for (int i = 0; i < z.operand_count; ++i) {
    if (ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER) continue;
    ZydisRegister r = ops[i].reg.value;
    switch (ZydisRegisterGetClass(r)) {
      case ZYDIS_REGCLASS_X87: use |= kX87; break;
      case ZYDIS_REGCLASS_MMX: use |= kMmx; break;
      case ZYDIS_REGCLASS_XMM: use |= kXmm; break;
      default:
        if (r == ZYDIS_REGISTER_X87CONTROL || r == ZYDIS_REGISTER_X87STATUS || r == ZYDIS_REGISTER_X87TAG) use |= kX87;
        if (r == ZYDIS_REGISTER_MXCSR) use |= kXmm;
        break;
    }
  }
  if (use & kXmm) return kXmm;
  if (use & kMmx) return kMmx;  // MMX aliases the x87 registers but faults like SSE under CR0.EM
  return FpuUse(use);
}

std::string Insn::text() const {
  ZydisFormatter f;
  ZydisFormatterInit(&f, ZYDIS_FORMATTER_STYLE_INTEL);
  char buf[256];
  if (!ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&f, &z, ops, z.operand_count_visible, buf, sizeof buf, eip,
                                                    nullptr)))
    return "(unformattable)";
  return buf;
}

}  // namespace rs
