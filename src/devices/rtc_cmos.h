// The MC146818 real-time clock and its 128 bytes of CMOS RAM.
//
// Ports 0x70 (index; bit 7 is the PC's NMI mask, which is ignored) and 0x71 (data);
// interrupt line IRQ 8, and the timed part of the device contract (periodic, alarm and
// update-ended interrupts).
//
// The time is never stored: every read of a time register computes it from the host's
// wall clock (UTC) plus an offset in whole seconds, which the guest changes by setting
// the clock (SET bit of register B, or writing a time register while the clock runs).
// Seconds roll over exactly on the host's second boundaries, and UIP (register A bit 7)
// is set for the last 244 us before each one, so a guest that reads after UIP falls
// sees a consistent time. Register B's DM bit (binary/BCD) and 24/12-hour bit apply
// to every read and write. The periodic (register A rate, PIE), alarm (AIE) and
// update-ended (UIE) flags in register C are computed lazily from the clocks; IRQ 8
// follows IRQF until register C is read.
//
// Not emulated: the divider bits of register A (stored only; the time base is always
// 32.768 kHz and running), daylight saving (DSE stored only), square-wave output, and
// any day of week the guest writes (it is computed from the date).
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "devices/device.h"

namespace rs {

class RtcCmos : public Device {
 public:
  static constexpr int kIrq = 8;
  // Nanoseconds; monotonic for the periodic interrupt and the deadlines it hands out,
  // wall clock (since the Unix epoch, UTC) for the time of day. Injectable for tests.
  using Clock = std::function<uint64_t()>;

  // ram_bytes fills the CMOS memory-size fields.
  RtcCmos(uint64_t ram_bytes, IrqLine irq8, Clock monotonic = {}, Clock wall = {});
  const char* name() const override { return "mc146818"; }
  std::vector<PortRange> ports() const override { return {{0x70, 2}}; }
  uint32_t in(uint16_t port, int size) override;
  void out(uint16_t port, int size, uint32_t value) override;
  // The RESET pin: clears PIE, AIE, UIE, SQWE and the interrupt flags. The CMOS RAM,
  // the time and the other register bits survive (they are battery-backed).
  void reset() override;
  std::string dump() const override;

  // Sets the interrupt flags that are due and drives IRQ 8.
  bool timed() const override { return true; }
  void update() override;
  // Monotonic ns at which update() may next raise IRQ 8, or UINT64_MAX when no enabled
  // interrupt can come (none enabled, or IRQ 8 is still asserted until register C is read).
  uint64_t next_deadline() const override;

 private:
  uint8_t read_reg(uint8_t idx);
  void write_reg(uint8_t idx, uint8_t v);
  bool set_mode() const { return reg_[0x0B] & 0x80; }
  // Guest seconds since the Unix epoch at host wall time wall_ns.
  int64_t guest_seconds(uint64_t wall_ns) const;
  // The time registers (0, 2, 4, 6, 7, 8, 9, 0x32) for guest time t, in the current format.
  void encode_time(int64_t t, uint8_t* out) const;
  void freeze_time();         // copies the running time into reg_, for SET or a write
  void thaw_time(uint64_t wall_ns);  // reg_'s time becomes the running time from wall_ns on
  bool alarm_matches(int64_t t) const;
  uint64_t periodic_edges(uint64_t mono_ns) const;
  int periodic_shift() const;  // log2 of the period in 32.768 kHz ticks, or -1 when off
  void catch_up();
  void drive_irq();

  IrqLine irq_;
  Clock mono_, wall_;
  uint64_t epoch_;          // monotonic origin of the divider chain (periodic edges)
  uint8_t reg_[128] = {};   // registers 0x00-0x0D and CMOS RAM; time bytes only while frozen
  uint8_t index_ = 0;
  int64_t offset_ = 0;      // guest time minus host time, in seconds
  uint64_t last_second_;    // host second whose update cycle has been accounted for
  uint64_t periodic_seen_ = 0;
  bool line_ = false;
};

}  // namespace rs
