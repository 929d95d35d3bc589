// The C++ helpers that translated code calls through the helper stub (HelperFn in
// translator/translator.h), defined in src/cpu. Each gets the guest state in CpuState
// and reaches the machine only through cpu->env (cpu/guest_env.h). Each returns 0 to
// resume translated code at cpu->ret_addr, or an Exit code (cpu.eip says where to go on).
#pragma once
#include <cstdint>

#include "cpu/cpu_state.h"

namespace rs {

// Every sensitive or privileged instruction the translator does not run natively
// (system.cpp): insn is the decoded instruction, ea its memory operand's offset.
uint32_t helper_emulate(CpuState* cpu, uint32_t ea, const void* insn);
// An x87/MMX/SSE instruction while CR0.TS or CR0.EM is set: #NM or #UD (system.cpp).
uint32_t helper_fpu_unavailable(CpuState* cpu, uint32_t, const void* insn);
// STI or POPF set IF while an interrupt waits: back to the run loop (after the next
// instruction for STI). arg = EIP to resume at, sti = non-null for STI's interrupt shadow.
uint32_t helper_irq_window(CpuState* cpu, uint32_t next_eip, const void* sti);
// The device-memory path (mmio.cpp): load runs before the instruction (checks the
// access, reads the device into cpu->mmio_buf), store after it (writes mmio_buf back).
uint32_t helper_mmio_load(CpuState* cpu, uint32_t ea, const void* insn);
uint32_t helper_mmio_store(CpuState* cpu, uint32_t, const void* insn);

}  // namespace rs
