// Small helpers shared by the shadow page table's files (shadow*.cpp) only.
#pragma once
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace rs::shadow_detail {

inline constexpr uint32_t kCr0PG = 0x80000000u, kCr0WP = 0x10000u, kCr4PSE = 0x10u, kCr4PGE = 0x80u;

inline int host_prot(uint8_t p) { return p == 3 ? PROT_READ | PROT_WRITE : p == 1 ? PROT_READ : PROT_NONE; }

// Removes one occurrence of r, not keeping the order.
inline void erase_ref(std::vector<uint32_t>& v, uint32_t r) {
  auto it = std::find(v.begin(), v.end(), r);
  if (it != v.end()) {
    *it = v.back();
    v.pop_back();
  }
}

}  // namespace rs::shadow_detail
