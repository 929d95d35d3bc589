// int 08h, the timer tick (IRQ 0, 18.2 Hz after POST): the tick count at 40:6C rolls
// over after a day (1800B0h ticks) and sets the midnight flag 40:70; the diskette
// motor count at 40:40 runs down; the interrupt is ended at the 8259A. The ROM stub
// then calls int 1Ch, the user's tick hook (IBM PC/AT Technical Reference, TIMER_INT).
#include "bios/call.h"

namespace rs::bios {

namespace {
constexpr uint32_t kTicks = kBda + 0x6C, kMidnight = kBda + 0x70, kMotorCount = kBda + 0x40,
                   kMotorStatus = kBda + 0x3F;
constexpr uint32_t kTicksPerDay = 0x1800B0;
}  // namespace

void int08_timer(Call& c) {
  uint32_t t = c.rd32(kTicks) + 1;
  if (t >= kTicksPerDay) {
    t = 0;
    c.wr8(kMidnight, 1);
  }
  c.wr32(kTicks, t);
  if (const uint8_t m = c.rd8(kMotorCount)) {
    c.wr8(kMotorCount, uint8_t(m - 1));
    if (m == 1) c.wr8(kMotorStatus, c.rd8(kMotorStatus) & 0xF0);  // motors off
  }
  c.out8(0x20, 0x20);  // non-specific EOI
}

}  // namespace rs::bios
