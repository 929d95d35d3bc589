// Port-I/O bus: routes IN/OUT to the device that claimed the port.
#pragma once
#include <array>
#include <cstdint>

#include "devices/device.h"

namespace rs {

class IoBus {
 public:
  IoBus() { ports_.fill(nullptr); }
  void attach(uint16_t first, uint16_t count, Device* dev);
  // Unclaimed ports read as all ones and ignore writes, as on a PC.
  uint32_t in(uint16_t port, int size);
  void out(uint16_t port, int size, uint32_t value);
  Device* at(uint16_t port) const { return ports_[port]; }

 private:
  std::array<Device*, 65536> ports_;
};

}  // namespace rs
