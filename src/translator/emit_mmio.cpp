// Instructions that touch device memory (adaptive translation): the first access
// faults in the window (device pages are never mapped) and the run loop marks the
// instruction; its next translation calls the device directly. The instruction
// itself still runs natively, against a bounce buffer: a helper fills the buffer from
// the device before it (when it reads memory), GS points at the buffer so the operand
// becomes gs:[0], and a second helper writes the buffer back (when it writes memory).
// Flags and registers are the host instruction's own, so nothing is emulated.
#include "error.h"
#include "cpu/emulate.h"
#include "translator/emitter.h"

namespace rs {

namespace {

bool single_modrm_memory(const Insn& in) {
  int n = 0;
  for (int i = 0; i < in.z.operand_count; ++i) {
    const auto& op = in.ops[i];
    if (op.type != ZYDIS_OPERAND_TYPE_MEMORY) continue;
    if (op.mem.type != ZYDIS_MEMOP_TYPE_MEM || op.visibility != ZYDIS_OPERAND_VISIBILITY_EXPLICIT) return false;
    ++n;
  }
  return n == 1 && in.has(ZYDIS_ATTRIB_HAS_MODRM) && in.z.address_width == 32;
}

// The device path around the instruction's own bytes (`body`, operand at gs:[0]).
// R9d holds the effective address for the load helper when ea_in_r9.
template <typename Body>
void bounce(Emitter& e, const Insn& in, bool ea_in_r9, bool writes, Body body) {
  e.call_helper(in, &helper_mmio_load, !ea_in_r9, &in);
  e.a.lea(x86::r10, x86::ptr(x86::r15, int32_t(offsetof(CpuState, mmio_buf))));
  set_gs_base(e.a, x86::r10);
  body();
  e.gs_restore();
  if (writes) e.call_helper(in, &helper_mmio_store, false, &in);
}

// MOV AL/AX/EAX <-> [moffs32] (A0-A3) has no ModRM byte: run it as the equivalent
// 8A/8B/88/89 with the operand at gs:[0].
bool emit_mmio_moffs(Emitter& e, const Insn& in) {
  const uint8_t opcode = in.bytes[in.z.raw.prefix_count];
  const ZydisDecodedOperand* m = in.mem_operand();
  if (in.z.address_width != 32 || !m) throw GuestError("device memory accessed by " + in.text() + " (16-bit address)");
  e.a.mov(x86::r9d, asmjit::Imm(uint32_t(m->mem.disp.value)));
  bounce(e, in, true, opcode >= 0xA2, [&] {
    uint8_t out[8];
    unsigned n = 0;
    out[n++] = 0x65;
    if (in.z.operand_width == 16) out[n++] = 0x66;
    static const uint8_t kModrmForm[4] = {0x8A, 0x8B, 0x88, 0x89};
    out[n++] = kModrmForm[opcode - 0xA0];
    out[n++] = 0x04;  // reg = AL/AX/EAX, SIB follows
    out[n++] = 0x25;  // no base, no index: [disp32]
    for (int i = 0; i < 4; ++i) out[n++] = 0;
    e.a.embed(out, n);
  });
  return false;
}

}  // namespace

bool emit_mmio(Emitter& e, const Insn& in) {
  const ZydisDecodedOperand* m = in.mem_operand();
  // String instructions go through C++ (cpu/strings.cpp), element by element.
  if (is_string_insn(in)) {
    e.call_helper(in, &helper_emulate, false, &in);
    return false;
  }
  if (in.z.encoding == ZYDIS_INSTRUCTION_ENCODING_LEGACY && in.z.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
      in.z.opcode >= 0xA0 && in.z.opcode <= 0xA3)
    return emit_mmio_moffs(e, in);
  const bool plain = !is_string(in) && !is_stack(in) && !is_control(in) && !is_legacy(in) && !is_system(in);
  if (!m || !plain || !single_modrm_memory(in) || m->size == 0 || m->size > 8 * sizeof(CpuState::mmio_buf))
    throw GuestError("device memory accessed by " + in.text() + ", which ringshift cannot do yet");
  bounce(e, in, false, m->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE, [&] { e.ident_gs0(in); });
  return false;
}

}  // namespace rs
