// System control port A at 0x92 (PS/2 and PIIX "fast A20 and init"). No IRQ.
//
// Bit 1 (fast A20 gate) drives the A20 line (BoardControl::set_a20) and reads back.
// Bit 0 (fast reset): a 0-to-1 transition resets
// the system (BoardControl::request_reset); it reads back as written until reset() clears it.
// The other bits (security lock, disk LED) are stored and have no effect.
#pragma once
#include <cstdint>
#include <string>

#include "devices/device.h"

namespace rs {

class Port92 : public Device {
 public:
  explicit Port92(BoardControl& board) : board_(board) {}
  const char* name() const override { return "port92"; }
  std::vector<PortRange> ports() const override { return {{0x92, 1}}; }
  uint32_t in(uint16_t port, int size) override;
  void out(uint16_t port, int size, uint32_t value) override;
  void reset() override;
  std::string dump() const override;
  bool a20() const { return value_ & 2; }

 private:
  BoardControl& board_;
  uint8_t value_ = 0x02;  // A20 enabled, as the firmware leaves it
};

}  // namespace rs
