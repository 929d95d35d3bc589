// Linux by the 16-bit boot protocol (Documentation/x86/boot.rst), as GRUB's linux16 and
// QEMU's -kernel boot it: the kernel's own real-mode setup code runs on ringshift's
// BIOS (it asks int 15h for the memory map, int 10h for the screen, turns A20 on and
// switches to protected mode itself). Works for every protocol from 2.00 on, zImage and
// bzImage; `--kernel` takes this path for kernels older than the 32-bit protocol (2.06)
// and with --boot16 for any.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "mmu/phys_mem.h"

namespace rs {

struct Linux16Entry {
  uint16_t protocol = 0;
  uint16_t seg = 0;     // DS = ES = FS = GS = SS; the setup code runs at seg + 20h : 0
  uint16_t sp = 0;      // the stack top (the heap's end)
};

// Checks the setup header and places the image in RAM: boot sector and setup code at
// 90000h (10000h for a 2.02+ bzImage), the protected-mode kernel at 1 MiB (bzImage) or
// 10000h (zImage), the command line after the heap, the initrd high in RAM; fills the
// loader's header fields. Throws UsageError naming what is wrong.
Linux16Entry place_linux16(const std::vector<uint8_t>& image, const std::string& name, const std::string& cmdline,
                           const std::vector<uint8_t>* initrd, const std::string& initrd_name, PhysMem& mem);

// The protocol version of a bzImage's setup header (0 when it has none).
uint16_t linux_protocol(const std::vector<uint8_t>& image);

}  // namespace rs
