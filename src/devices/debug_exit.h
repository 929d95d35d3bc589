// Debug-exit port with the convention of QEMU's isa-debug-exit: writing V ends
// the run with exit status (V << 1) | 1, so test guests written for QEMU run unchanged.
#pragma once
#include "devices/device.h"

namespace rs {

class DebugExit : public PortDevice {
 public:
  static constexpr uint16_t kPort = 0xF4;
  explicit DebugExit(MachineControl& m) : machine_(m) {}
  const char* name() const override { return "debug-exit"; }
  uint32_t in(uint16_t, int size) override { return size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu; }
  void out(uint16_t port, int size, uint32_t value) override;

 private:
  MachineControl& machine_;
};

}  // namespace rs
