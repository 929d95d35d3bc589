// Guest physical memory as a bus-master device (IDE bus-master DMA, virtio rings) sees
// it: RAM only. An address outside RAM is a master abort, which the device turns into
// an error the guest sees; a device never reaches host memory outside the guest's RAM.
#pragma once
#include <cstdint>

namespace rs {

class PhysMem;

class DmaSpace {
 public:
  explicit DmaSpace(PhysMem& mem) : mem_(mem) {}
  // The host address of [phys, phys + len) when all of it is guest RAM, else nullptr.
  uint8_t* ram(uint64_t phys, uint64_t len) const;
  // Call before a device's bytes land in [phys, phys + len) through ram(), and again
  // once they have (an I/O thread may write in between): translated code and shadow
  // page-table entries that depend on those bytes are dropped.
  void written(uint64_t phys, uint64_t len);
  // Copies; false (nothing copied) when the range is not all RAM.
  bool read(uint64_t phys, void* dst, uint64_t len) const;
  bool write(uint64_t phys, const void* src, uint64_t len);

 private:
  PhysMem& mem_;
};

}  // namespace rs
