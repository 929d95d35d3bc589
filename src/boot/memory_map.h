// The PC physical memory map every boot path reports (multiboot mmap, Linux e820):
// conventional memory up to the EBDA, the EBDA and the VGA/ROM hole reserved, the
// BIOS area reserved, and RAM from 1 MiB to the end of guest RAM.
#pragma once
#include <cstdint>
#include <vector>

namespace rs {

inline constexpr uint32_t kConventionalEnd = 0x9FC00;  // start of the EBDA

struct MemRange {
  uint64_t base, len;
  uint32_t type;  // 1 = usable RAM, 2 = reserved (e820 and multiboot agree on these)
};

inline std::vector<MemRange> pc_memory_map(uint64_t ram_bytes) {
  return {
      {0, kConventionalEnd, 1},
      {kConventionalEnd, 0xA0000 - kConventionalEnd, 2},
      {0xF0000, 0x10000, 2},
      {0x100000, ram_bytes - 0x100000, 1},
  };
}

}  // namespace rs
