// Multiboot v1 loader: ELF32 kernels with a multiboot header (and the a.out-kludge
// address fields), one optional module (--initrd), boot information with a memory
// map and the command line. Leaves the CPU as the specification requires.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cpu/cpu_state.h"
#include "mmu/phys_mem.h"

namespace rs {

inline constexpr uint32_t kMultibootMagic = 0x1BADB002;
inline constexpr uint32_t kMultibootBootloaderMagic = 0x2BADB002;

struct MultibootImage {
  uint32_t entry = 0;
  uint32_t load_start = 0, load_end = 0;  // physical extent of the loaded kernel
};

// Validates and loads `image` (bytes of the file named `name`) into `mem`, fills the
// boot information and sets `cpu` to the multiboot entry state. Throws UsageError.
MultibootImage load_multiboot(const std::vector<uint8_t>& image, const std::string& name, const std::string& cmdline,
                              const std::vector<uint8_t>* module, const std::string& module_name, PhysMem& mem,
                              CpuState& cpu);

// True when the file looks like a multiboot v1 kernel (header in the first 8 KiB).
bool has_multiboot_header(const std::vector<uint8_t>& image);

}  // namespace rs
