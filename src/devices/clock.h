// Host monotonic time for the timer devices, in nanoseconds.
#pragma once
#include <cstdint>
#include <ctime>

namespace rs {

inline uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

}  // namespace rs
