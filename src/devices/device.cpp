#include "devices/device.h"

namespace rs {

uint32_t Device::in(uint16_t, int size) { return uint32_t(floating_bus(size)); }
void Device::out(uint16_t, int, uint32_t) {}
uint64_t Device::read(uint32_t, int size) { return floating_bus(size); }
void Device::write(uint32_t, int, uint64_t) {}

}  // namespace rs
