// The 8254 programmable interval timer at 0x40-0x43, clocked at 1.193182 MHz from
// the host monotonic clock. Counters are computed from elapsed time, not ticked:
// reading a counter, OUT levels and the IRQ0 edges of channel 0 all follow from
// when the count was loaded. All six modes, binary and BCD, LSB/MSB/both access,
// counter latch and read-back commands. Channel 2's gate and output are wired to
// port 0x61 (see port61.h).
#pragma once
#include <cstdint>
#include <string>

#include "devices/device.h"

namespace rs {

class Pit8254 : public Device {
 public:
  static constexpr uint64_t kHz = 1193182;
  // now() returns monotonic nanoseconds; injectable for tests.
  using Clock = uint64_t (*)();
  // irq0: channel 0's output (IRQ 0 of the PIC).
  Pit8254(IrqLine irq0, Clock now);
  const char* name() const override { return "i8254"; }
  std::vector<PortRange> ports() const override { return {{0x40, 4}}; }
  uint32_t in(uint16_t port, int size) override;
  void out(uint16_t port, int size, uint32_t value) override;
  void reset() override;
  std::string dump() const override;

  // Raises IRQ0 for the channel 0 edges that are due. Edges that came while IRQ0 was
  // still requested are lost as on hardware; edges that pile up only because the host
  // ran ringshift late are delivered one by one, so no tick is lost to host load, but
  // at least kBacklogGap apart, so that the guest runs between them.
  bool timed() const override { return true; }
  void update() override;
  // Edges already due that update() still has to deliver (IRQ 0 was busy).
  bool overdue() const override { return backlog_ > 0; }
  // Monotonic ns of the next IRQ0 edge still to come, or UINT64_MAX when channel 0 will not fire.
  uint64_t next_deadline() const override;
  void set_gate(int channel, bool level);
  bool gate(int channel) const { return ch_[channel].gate; }
  bool output(int channel);

 private:
  struct Channel {
    uint8_t mode = 0, access = 3;  // access: 1 LSB, 2 MSB, 3 LSB then MSB
    uint8_t mode_bits = 0;         // the mode as written (6 and 7 read back as such)
    bool bcd = false;
    bool gate = true;
    bool armed = false;     // a count has been loaded since the control word
    bool running = false;   // counting (gate and trigger permitting)
    uint32_t reload = 0x10000;
    uint64_t elapsed_base = 0;  // ticks counted before the current running stretch
    uint64_t run_start = 0;     // tick at which the current stretch began
    bool write_msb = false;     // next data write is the MSB (access 3)
    uint8_t write_lsb = 0;
    bool read_msb = false;
    bool latched = false;
    uint16_t latch = 0;
    bool latch_msb = false;
    bool status_latched = false;
    uint8_t status = 0;
    uint8_t null_count = 1;
    uint64_t edges_seen = 0;  // channel 0: IRQ edges already accounted for
    uint64_t edges_before = 0;  // edges of earlier stretches (before a mode 2/3 count change)
    // Modes 2 and 3: a count written while counting takes over at the end of the period.
    bool reload_pending = false;
    uint32_t next_reload = 0;
    uint64_t switch_tick = 0;
  };
  void settle(Channel& c, uint64_t t);
  uint64_t ticks() const;
  uint64_t elapsed(const Channel& c, uint64_t t) const;
  uint16_t count_at(const Channel& c, uint64_t t) const;
  bool out_at(const Channel& c, uint64_t t) const;
  uint64_t edges_at(const Channel& c, uint64_t t) const;
  void load(Channel& c, uint32_t value);
  void latch_count(Channel& c);
  uint64_t next_edge(const Channel& c) const;
  uint8_t read_counter(Channel& c);

  IrqLine irq0_;
  Clock now_;
  uint64_t epoch_;
  Channel ch_[3];
  uint64_t backlog_ = 0;
  uint64_t last_pulse_ = 0;  // monotonic ns of the last IRQ0 edge delivered
};

}  // namespace rs
