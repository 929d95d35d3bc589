#include "host/timer.h"

#include <cerrno>
#include <csignal>
#include <cstring>

#include <spdlog/spdlog.h>

namespace rs {

HostTimer::HostTimer() {
  sigevent sev{};
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGALRM;
  ok_ = timer_create(CLOCK_MONOTONIC, &sev, &timer_) == 0;
  if (!ok_) spdlog::warn("timer_create failed ({}): timer interrupts arrive only at block exits", strerror(errno));
}

HostTimer::~HostTimer() {
  if (ok_) timer_delete(timer_);
}

void HostTimer::arm(uint64_t deadline) {
  if (deadline == 0) deadline = 1;  // already due: fire at once
  if (!ok_ || deadline == armed_) return;
  itimerspec its{};
  if (deadline != UINT64_MAX) {
    its.it_value.tv_sec = time_t(deadline / 1000000000u);
    its.it_value.tv_nsec = long(deadline % 1000000000u);
  }
  timer_settime(timer_, TIMER_ABSTIME, &its, nullptr);
  armed_ = deadline;
}

}  // namespace rs
