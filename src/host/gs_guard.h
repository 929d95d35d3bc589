// GS base across host context switches. Translated code reaches guest memory as
// gs:[addr32] and moves GS with WRGSBASE. A Linux kernel that does not announce FSGSBASE
// (AT_HWCAP2 bit 1) may still let WRGSBASE run (its hypervisor set CR4.FSGSBASE, as on
// the PVM guests this project's CI runs in), but then it neither saves nor restores that
// base at a context switch: a task switched back in gets the base of arch_prctl(ARCH_SET_GS),
// or on AMD whatever the previous task left (another ringshift's window: two guests on
// one CPU ran in each other's memory). So the guest thread's arch_prctl base is a guard,
// a reserved window never mapped: after a switch the next guest access faults in it,
// and the fault handler (translator/fault.cpp) puts back CpuState::gs_base, what
// translated code last wrote with WRGSBASE (Emitter::set_gs_base). On a kernel that
// saves the base, the guard is never reached.
#pragma once
#include <cstdint>

namespace rs {

// Makes the guard the calling thread's arch_prctl GS base (it reserves the guard on its
// first call). The thread that runs translated code calls it before entering it.
void gs_guard_install();

// Whether host_addr is a GS-relative access through the guard.
bool gs_guard_hit(uint64_t host_addr);

// The guard's base (tests put it in GS to act out a context switch).
uint64_t gs_guard_base();

// The base translated code expects, back in GS (from the SIGSEGV handler).
void gs_restore_base(uint64_t base);

}  // namespace rs
