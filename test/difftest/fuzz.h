// The robustness fuzzer: random bytes (and corrupted valid sequences) run as guest code
// at CPL 0 and CPL 3 under an IDT that takes every vector and skips a byte. ringshift
// must end every run with a defined status (never an internal error or a crash), leave
// canary pages next to the guest window intact, not keep memory from one machine to the
// next, and never pass a system call to the host (the guest code tries int 0x80, SYSCALL
// and SYSENTER with exit() arguments: the process would end).
#pragma once
#include <cstdint>

namespace difftest {

// Runs cases until `seconds` have passed. Returns the process exit status (0: clean).
int fuzz(uint64_t seed, double seconds);

}  // namespace difftest
