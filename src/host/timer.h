// The machine's host timer: a POSIX timer on CLOCK_MONOTONIC that raises SIGALRM at the
// next device deadline (host/signals.cpp then closes the poll page, so translated code
// leaves at the next block head and the run loop raises the interrupt).
#pragma once
#include <time.h>

#include <cstdint>

namespace rs {

class HostTimer {
 public:
  HostTimer();
  ~HostTimer();
  HostTimer(const HostTimer&) = delete;
  HostTimer& operator=(const HostTimer&) = delete;
  // Fires at monotonic ns deadline (0: at once); UINT64_MAX disarms. Re-arming for the
  // same deadline costs nothing.
  void arm(uint64_t deadline);

 private:
  timer_t timer_{};
  bool ok_ = false;
  uint64_t armed_ = UINT64_MAX;
};

}  // namespace rs
