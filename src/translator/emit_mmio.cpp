// Instructions that touch device memory (adaptive translation): the first access
// faults in the window (device pages are never mapped) and the run loop marks the
// instruction; its next translation calls the device directly. The instruction
// itself still runs natively, against a bounce buffer: a helper fills the buffer from
// the device before it (when it reads memory), GS points at the buffer so the operand
// becomes gs:[0], and a second helper writes the buffer back (when it writes memory).
// Flags and registers are the host instruction's own, so nothing is emulated.
#include "error.h"
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

}  // namespace

bool emit_mmio(Emitter& e, const Insn& in) {
  const ZydisDecodedOperand* m = in.mem_operand();
  const bool plain = !is_string(in) && !is_stack(in) && !is_control(in) && !is_legacy(in) && !is_system(in);
  if (!m || !plain || !single_modrm_memory(in) || m->size == 0 || m->size > 8 * sizeof(CpuState::mmio_buf))
    throw GuestError("device memory accessed by " + in.text() + ", which ringshift cannot do yet");
  const bool writes = m->actions & (ZYDIS_OPERAND_ACTION_MASK_WRITE);
  e.call_helper(in, &helper_mmio_load, true, &in);
  e.a.lea(x86::r10, x86::ptr(x86::r15, int32_t(offsetof(CpuState, mmio_buf))));
  e.a.wrgsbase(x86::r10);
  e.ident_gs0(in);
  e.gs_restore();
  if (writes) e.call_helper(in, &helper_mmio_store, false, &in);
  return false;
}

}  // namespace rs
