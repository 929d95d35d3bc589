#include "devices/mmio_bus.h"

#include <vector>

namespace rs {

void MmioBus::attach(uint32_t base, uint32_t size, Device* dev) { regions_.push_back({base, size, dev}); }

void MmioBus::detach(Device* dev) {
  std::erase_if(regions_, [dev](const Region& r) { return r.dev == dev; });
}

const MmioBus::Region* MmioBus::find(uint32_t addr) const {
  for (const auto& r : regions_)
    if (addr - r.base < r.size) return &r;
  return nullptr;
}

uint64_t MmioBus::read(uint32_t addr, int size) {
  if (const Region* r = find(addr)) return r->dev->read(addr - r->base, size);
  return floating_bus(size);
}

void MmioBus::write(uint32_t addr, int size, uint64_t value) {
  if (const Region* r = find(addr)) r->dev->write(addr - r->base, size, value);
}

}  // namespace rs
