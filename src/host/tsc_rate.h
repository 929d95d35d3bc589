// The host TSC's rate, which is the guest's too: RDTSC runs natively in ring 3 and reads
// the host TSC (plus the guest's offset) in C++ elsewhere. Told to the guest through the
// VMware timing interfaces (cpu/backdoor.cpp, cpuid.cpp) so that it need not calibrate
// against the PIT, which fails when the host preempts the VMM mid-calibration.
#pragma once
#include <cstdint>

namespace rs {

// Ticks per second: the host hypervisor's timing leaf (CPUID 40000010h) when it has one,
// otherwise measured against CLOCK_MONOTONIC_RAW from the process's start (over at
// least 50 ms: the first call may sleep for the rest). Computed once.
uint64_t host_tsc_hz();

}  // namespace rs
