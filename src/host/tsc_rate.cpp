#include "host/tsc_rate.h"

#include <cpuid.h>
#include <time.h>
#include <x86intrin.h>

#include <string_view>

namespace rs {

namespace {

struct Stamp {
  uint64_t tsc = 0, ns = 0;
};

// A (TSC, clock) pair taken close together: of a few tries, the one whose two TSC reads
// are nearest, so that a preemption between the reads does not skew the rate.
Stamp stamp() {
  Stamp best;
  uint64_t best_gap = UINT64_MAX;
  for (int i = 0; i < 5; ++i) {
    timespec ts{};
    const uint64_t t0 = __rdtsc();
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    const uint64_t t1 = __rdtsc();
    if (t1 - t0 < best_gap) {
      best_gap = t1 - t0;
      best = {t0 + (t1 - t0) / 2, uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec)};
    }
  }
  return best;
}

// Taken at static initialization: by the time a guest asks (its kernel, after the BIOS
// or the decompressor), the interval is long and the rate exact to a few ppm.
const Stamp g_start = stamp();

uint64_t hypervisor_leaf_hz() {
  unsigned a, b, c, d;
  __cpuid(1, a, b, c, d);
  if (!(c & (1u << 31))) return 0;  // no hypervisor: leaf 40000000h means nothing
  __cpuid(0x40000000u, a, b, c, d);
  // Leaf 40000010h is a timing leaf only for VMware and KVM (QEMU's vmware-cpuid-freq).
  char sig[13] = {};
  __builtin_memcpy(sig, &b, 4), __builtin_memcpy(sig + 4, &c, 4), __builtin_memcpy(sig + 8, &d, 4);
  const std::string_view name(sig, 12);
  if (a < 0x40000010u || (name != "VMwareVMware" && name != std::string_view("KVMKVMKVM\0\0\0", 12))) return 0;
  __cpuid(0x40000010u, a, b, c, d);
  return uint64_t(a) * 1000;  // kHz
}

uint64_t measure() {
  constexpr uint64_t kMinNs = 50'000'000;
  Stamp now = stamp();
  if (now.ns - g_start.ns < kMinNs) {
    const uint64_t left = kMinNs - (now.ns - g_start.ns);
    timespec ts{time_t(left / 1000000000ull), long(left % 1000000000ull)};
    while (nanosleep(&ts, &ts) != 0) {
    }
    now = stamp();
  }
  const uint64_t dt = now.ns - g_start.ns;
  return dt ? uint64_t((unsigned __int128)(now.tsc - g_start.tsc) * 1000000000ull / dt) : 0;
}

}  // namespace

uint64_t host_tsc_hz() {
  static const uint64_t hz = [] {
    const uint64_t leaf = hypervisor_leaf_hz();
    return leaf ? leaf : measure();
  }();
  return hz;
}

}  // namespace rs
