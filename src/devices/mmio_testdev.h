// A memory-mapped test device, in the spirit of QEMU's pc-testdev: one 4 KiB page at
// physical 0xFEB00000 that guest tests use to check the MMIO path.
//   0x000-0x7FF  2 KiB of storage: reads return what was written (any size)
//   0x800        (read-only) number of write accesses so far (one per instruction)
//   0x804        (read-only) number of read accesses so far, not counting 0x800-0x807
#pragma once
#include <cstdint>

#include "devices/device.h"

namespace rs {

class MmioTestDev : public Device {
 public:
  static constexpr uint32_t kBase = 0xFEB00000u, kSize = 0x1000;
  const char* name() const override { return "mmio-testdev"; }
  std::vector<MmioRange> regions() const override { return {{kBase, kSize}}; }
  uint64_t read(uint32_t offset, int size) override;
  void write(uint32_t offset, int size, uint64_t value) override;
  void reset() override;

 private:
  uint8_t store_[0x800] = {};
  uint32_t writes_ = 0, reads_ = 0;
};

}  // namespace rs
