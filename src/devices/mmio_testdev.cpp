#include "devices/mmio_testdev.h"

#include <cstring>

namespace rs {

uint64_t MmioTestDev::read(uint32_t offset, int size) {
  uint64_t v = 0;
  if (offset + uint32_t(size) <= sizeof store_) {
    ++reads_;
    std::memcpy(&v, store_ + offset, size_t(size));
    return v;
  }
  const uint32_t regs[2] = {writes_, reads_};
  for (int i = 0; i < size; ++i) {
    uint32_t o = offset + uint32_t(i);
    if (o >= 0x800 && o < 0x808) v |= uint64_t((regs[(o - 0x800) / 4] >> (8 * (o % 4))) & 0xFF) << (8 * i);
  }
  return v;
}

void MmioTestDev::write(uint32_t offset, int size, uint64_t value) {
  ++writes_;
  if (offset + uint32_t(size) <= sizeof store_) std::memcpy(store_ + offset, &value, size_t(size));
}

void MmioTestDev::reset() {
  std::memset(store_, 0, sizeof store_);
  writes_ = reads_ = 0;
}

}  // namespace rs
