// Port-I/O bus: routes IN/OUT to the device that claimed the port. Fixed devices
// attach once; a PCI I/O BAR is mapped over ports while it is decoded and unmapped
// when it moves, which gives the ports back to whatever was attached there.
#pragma once
#include <array>
#include <cstdint>

#include "devices/device.h"

namespace rs {

class IoBus {
 public:
  IoBus() {
    ports_.fill(nullptr);
    fixed_.fill(nullptr);
  }
  void attach(uint16_t first, uint16_t count, Device* dev);
  // A movable window (a PCI I/O BAR): takes the ports while it is mapped.
  void map(uint16_t first, uint32_t count, Device* dev);
  void unmap(uint16_t first, uint32_t count);
  // Unclaimed ports read as all ones and ignore writes, as on a PC.
  uint32_t in(uint16_t port, int size);
  void out(uint16_t port, int size, uint32_t value);
  Device* at(uint16_t port) const { return ports_[port]; }

 private:
  std::array<Device*, 65536> ports_;  // who answers now
  std::array<Device*, 65536> fixed_;  // who was attached (what unmap restores)
};

}  // namespace rs
