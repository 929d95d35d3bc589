// 16550A UART at 0x3F8 (COM1). The transmit path writes to an output fd; the
// registers a driver probes (LCR, MCR, scratch, divisor latch, LSR) behave as on
// the real part. Receive and interrupts arrive with the PIC step.
#pragma once
#include <cstdint>
#include <string>

#include "devices/device.h"

namespace rs {

class Uart16550 : public PortDevice {
 public:
  static constexpr uint16_t kCom1 = 0x3F8;
  explicit Uart16550(int out_fd) : out_fd_(out_fd) {}
  ~Uart16550() override { flush(); }
  const char* name() const override { return "uart16550"; }
  uint32_t in(uint16_t port, int size) override;
  void out(uint16_t port, int size, uint32_t value) override;
  void reset() override;
  std::string dump() const override;
  void flush();

 private:
  int out_fd_;
  uint8_t ier_ = 0, lcr_ = 0, mcr_ = 0, scr_ = 0, dll_ = 0x0C, dlm_ = 0;
  std::string pending_;
};

}  // namespace rs
