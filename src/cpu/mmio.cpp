// The C++ side of the device-memory path (src/translator/emit_mmio.cpp): before the
// instruction, translate and check its access as the CPU would (#PF first, nothing
// changed) and read the device into the bounce buffer; after it, write the buffer
// back. The address may have become RAM since (the guest remapped the page): then the
// buffer is filled from and written back to RAM, which is just as correct.
#include <cstring>

#include "cpu/emulate.h"
#include "cpu/guest_env.h"
#include "cpu/helpers.h"

namespace rs {

namespace {

bool reads_memory(const ZydisDecodedOperand& m) { return m.actions & ZYDIS_OPERAND_ACTION_MASK_READ; }
bool writes_memory(const ZydisDecodedOperand& m) { return m.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE; }

}  // namespace

uint32_t helper_mmio_load(CpuState* cpu, uint32_t ea, const void* data) {
  GuestEnv& env = *cpu->env;
  const Insn& in = *static_cast<const Insn*>(data);
  Ctx c{env, *cpu, in, ea};
  const ZydisDecodedOperand& op = *in.mem_operand();
  const uint32_t size = op.size / 8;
  const uint32_t lin = linear(*cpu, op.mem.segment, ea);
  if ((lin & 0xFFFu) + size > 0x1000u)
    return unsupported_insn(c, in, "a device-memory access across a page boundary");
  const bool w = writes_memory(op);
  uint32_t phys = 0, error = 0;
  if (!env.translate(lin, w, cpu->cpl == 3, phys, error)) {
    cpu->cr2 = lin;
    return raise(c, kPF, error, "page fault");
  }
  cpu->mmio_phys = phys;
  cpu->mmio_size = size;
  std::memset(cpu->mmio_buf, 0, sizeof cpu->mmio_buf);
  if (reads_memory(op)) env.phys_access(phys, cpu->mmio_buf, size, false);
  return 0;
}

uint32_t helper_mmio_store(CpuState* cpu, uint32_t, const void*) {
  cpu->env->phys_access(cpu->mmio_phys, cpu->mmio_buf, cpu->mmio_size, true);
  return 0;
}

}  // namespace rs
