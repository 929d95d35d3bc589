#include "devices/io_bus.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

namespace rs {

void IoBus::attach(uint16_t first, uint16_t count, Device* dev) {
  for (uint32_t p = first; p < uint32_t(first) + count; ++p) {
    if (p > 0xFFFF || ports_[p]) throw std::logic_error("I/O port conflict");
    ports_[p] = fixed_[p] = dev;
  }
}

void IoBus::map(uint16_t first, uint32_t count, Device* dev) {
  for (uint32_t p = first; p < uint32_t(first) + count && p <= 0xFFFF; ++p) ports_[p] = dev;
}

void IoBus::unmap(uint16_t first, uint32_t count) {
  for (uint32_t p = first; p < uint32_t(first) + count && p <= 0xFFFF; ++p) ports_[p] = fixed_[p];
}

uint32_t IoBus::in(uint16_t port, int size) {
  if (Device* d = ports_[port]) return d->in(port, size);
  spdlog::debug("in{} from unclaimed port {:#x}", size * 8, port);
  return uint32_t(floating_bus(size));
}

void IoBus::out(uint16_t port, int size, uint32_t value) {
  if (Device* d = ports_[port]) return d->out(port, size, value);
  spdlog::debug("out{} {:#x} to unclaimed port {:#x}", size * 8, value, port);
}

}  // namespace rs
