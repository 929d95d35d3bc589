// Exception and interrupt delivery through the guest IDT (Intel SDM vol. 3, ch. 6):
// gate checks, the ring-0 stack from the TSS, the frame pushed, flags cleared, and
// double/triple fault escalation.
#pragma once
#include <cstdint>
#include <string>

#include "cpu/cpu_state.h"

namespace rs {

class GuestEnv;

enum class EventKind : uint8_t {
  Fault,     // exception; cpu.eip is the faulting instruction
  Trap,      // exception reported after the instruction (INT1, single step); cpu.eip is the next one
  Software,  // INT n, INT3, INTO: gate DPL checked against CPL, EXT = 0
  External,  // hardware interrupt: EXT = 1 in nested error codes
};

// Whether the SDM has the CPU push an error code for this exception vector.
bool vector_has_error_code(int vector);
const char* vector_name(int vector);

// Delivers one event with cpu.eip as the return address. Faults raised while doing so
// are handled as the SDM says (serially, as #DF, or as a triple fault); for a
// software interrupt or trap they report insn_eip, the instruction that raised it.
// Returns false on a triple fault (nothing delivered) or when the guest uses an
// unsupported gate (a stop with a message has been requested).
bool deliver_event(GuestEnv& env, CpuState& cpu, int vector, EventKind kind, uint32_t error_code, uint32_t insn_eip);

}  // namespace rs
