#include "devices/dma.h"

#include <cstring>

#include "mmu/phys_mem.h"

namespace rs {

uint8_t* DmaSpace::ram(uint64_t phys, uint64_t len) const { return mem_.ptr(phys, len); }

void DmaSpace::written(uint64_t phys, uint64_t len) { mem_.will_write(phys, len); }

bool DmaSpace::read(uint64_t phys, void* dst, uint64_t len) const { return mem_.read(phys, dst, len); }

bool DmaSpace::write(uint64_t phys, const void* src, uint64_t len) { return mem_.write(phys, src, len); }

}  // namespace rs
