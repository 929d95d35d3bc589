// Debug-exit port with the convention of QEMU's isa-debug-exit: writing V ends
// the run with exit status (V << 1) | 1, so test guests written for QEMU run unchanged.
#pragma once
#include "devices/device.h"

namespace rs {

class DebugExit : public Device {
 public:
  static constexpr uint16_t kPort = 0xF4;
  explicit DebugExit(BoardControl& board) : board_(board) {}
  const char* name() const override { return "debug-exit"; }
  std::vector<PortRange> ports() const override { return {{kPort, 4}}; }
  void out(uint16_t port, int size, uint32_t value) override;

 private:
  BoardControl& board_;
};

}  // namespace rs
