// Direct boot of a Linux bzImage by the x86 boot protocol (Documentation/x86/boot.rst):
// the setup header is checked, the protected-mode kernel is loaded at 1 MiB, a
// boot_params "zero page" is built (e820 map from the guest RAM size, command line,
// initrd), and the CPU is left at the 32-bit entry point with ESI -> boot_params, as a
// boot loader that skipped the real-mode setup code would leave it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cpu/cpu_state.h"
#include "mmu/phys_mem.h"

namespace rs {

struct LinuxImage {
  uint16_t protocol = 0;          // boot protocol version, e.g. 0x020F
  uint32_t kernel_start = 0, kernel_size = 0;
  uint32_t initrd_start = 0, initrd_size = 0;
  uint32_t boot_params = 0;
};

// True when the file carries a Linux setup header ("HdrS" at 0x202).
bool is_bzimage(const std::vector<uint8_t>& image);

// Validates and loads `image` (bytes of the file named `name`), places `initrd` (may
// be null) and sets `cpu` to the 32-bit entry state. Throws UsageError with a message
// naming what is wrong with the image.
LinuxImage load_bzimage(const std::vector<uint8_t>& image, const std::string& name, const std::string& cmdline,
                        const std::vector<uint8_t>* initrd, const std::string& initrd_name, PhysMem& mem, CpuState& cpu);

}  // namespace rs
