// Port 0x61, the PC's system control port B: bit 0 drives the gate of PIT channel 2,
// bit 1 enables the speaker, bit 4 toggles with DRAM refresh (every 15.09 us, which
// old delay loops count) and bit 5 reads channel 2's output.
#pragma once
#include <cstdint>

#include "devices/device.h"
#include "devices/pit8254.h"

namespace rs {

class Port61 : public Device {
 public:
  Port61(Pit8254& pit, Pit8254::Clock now) : pit_(pit), now_(now) {}
  const char* name() const override { return "port61"; }
  std::vector<PortRange> ports() const override { return {{0x61, 1}}; }
  uint32_t in(uint16_t port, int size) override;
  void out(uint16_t port, int size, uint32_t value) override;
  void reset() override;

 private:
  Pit8254& pit_;
  Pit8254::Clock now_;
  bool speaker_ = false;
};

}  // namespace rs
