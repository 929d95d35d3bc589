// The physical address space outside RAM: regions claimed by memory-mapped devices.
// Their pages are never mapped into a window, so every access traps; the translator
// then gives the instruction a direct call to the device (emit_mmio.cpp).
#pragma once
#include <cstdint>
#include <vector>

#include "devices/device.h"

namespace rs {

class MmioBus {
 public:
  void attach(uint32_t base, uint32_t size, Device* dev);
  // Removes every region of dev (a PCI memory BAR that moves or stops decoding).
  void detach(Device* dev);
  bool claimed(uint32_t addr) const { return find(addr) != nullptr; }
  // Accesses must not cross a region's end. Unclaimed addresses read as all ones
  // and ignore writes, as on a PC.
  uint64_t read(uint32_t addr, int size);
  void write(uint32_t addr, int size, uint64_t value);

 private:
  struct Region {
    uint32_t base, size;
    Device* dev;
  };
  const Region* find(uint32_t addr) const;
  std::vector<Region> regions_;
};

}  // namespace rs
