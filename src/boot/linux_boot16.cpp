#include "boot/linux_boot16.h"

#include <algorithm>

#include "boot/boot_common.h"
#include "boot/linux_boot.h"
#include "boot/linux_header.h"
#include "error.h"

namespace rs {

namespace {

using namespace linux_header;

template <typename T>
void put(PhysMem& mem, uint64_t at, T v) {
  mem.write(at, &v, sizeof v);
}

}  // namespace

uint16_t linux_protocol(const std::vector<uint8_t>& img) {
  if (!is_bzimage(img) || img.size() < 0x208) return 0;
  return load_le<uint16_t>(img, kVersion);
}

Linux16Entry place_linux16(const std::vector<uint8_t>& img, const std::string& name, const std::string& cmdline,
                           const std::vector<uint8_t>* initrd, const std::string& initrd_name, PhysMem& mem) {
  const uint16_t protocol = linux_protocol(img);
  if (protocol < 0x0200) bad_image(name, "not a Linux kernel with a boot protocol of 2.00 or later (no \"HdrS\" header)");
  if (load_le<uint16_t>(img, kBootFlag) != 0xAA55) bad_image(name, "boot flag is not 0xAA55");
  const bool high = img[kLoadFlags] & kLoadedHigh;
  const size_t setup_bytes = size_t((img[kSetupSects] ? img[kSetupSects] : 4) + 1) * 512;
  if (img.size() <= setup_bytes) bad_image(name, "truncated: the file ends inside its setup sectors");
  // Where the real-mode part goes, and where its heap ends (boot.rst's loader example).
  const uint32_t base = protocol >= 0x0202 && high ? 0x10000 : 0x90000;
  const uint32_t heap_end = protocol >= 0x0202 && high ? 0xE000 : 0x9800;
  if (setup_bytes > heap_end - 0x200) bad_image(name, "setup code larger than the room below its heap");
  const uint32_t kernel_at = high ? 0x100000 : 0x10000;
  const size_t pm = img.size() - setup_bytes;
  if (uint64_t(kernel_at) + pm > mem.size() || (!high && kernel_at + pm > base))
    bad_image(name, "the protected-mode kernel does not fit in guest RAM below its setup code");
  const size_t max_cmd = protocol >= 0x0206 ? load_le<uint32_t>(img, kCmdlineSize) : 255;
  if (cmdline.size() > max_cmd) bad_image(name, "command line longer than the kernel's " + std::to_string(max_cmd));
  mem.write(base, img.data(), setup_bytes);
  mem.write(kernel_at, img.data() + setup_bytes, pm);
  put<uint8_t>(mem, base + kTypeOfLoader, 0xFF);  // an unregistered boot loader
  const uint32_t cmd_at = base + heap_end;
  mem.write(cmd_at, cmdline.c_str(), cmdline.size() + 1);
  if (protocol >= 0x0201) {
    put<uint16_t>(mem, base + kHeapEndPtr, uint16_t(heap_end - 0x200));
    put<uint8_t>(mem, base + kLoadFlags, uint8_t(img[kLoadFlags] | kCanUseHeap));
  }
  if (protocol >= 0x0202) {
    put<uint32_t>(mem, base + kCmdLinePtr, cmd_at);
  } else {
    put<uint16_t>(mem, base + kCmdLineMagic, 0xA33F);
    put<uint16_t>(mem, base + kCmdLineOffset, uint16_t(heap_end));
    put<uint16_t>(mem, base + kSetupMoveSize, uint16_t(heap_end + cmdline.size() + 1));
  }
  if (initrd && !initrd->empty()) {
    const uint64_t max = protocol >= 0x0203 ? load_le<uint32_t>(img, kInitrdAddrMax) : 0x37FFFFFF;
    // The top of RAM below max, page aligned, above the kernel.
    const uint64_t top = std::min<uint64_t>(mem.size(), max + 1);
    const uint64_t at = (top - initrd->size()) & ~0xFFFull;
    if (initrd->size() > top || at < kernel_at + pm)
      bad_image(initrd_name, "the initrd does not fit in guest RAM below the kernel's limit");
    mem.write(at, initrd->data(), initrd->size());
    put<uint32_t>(mem, base + kRamdiskImage, uint32_t(at));
    put<uint32_t>(mem, base + kRamdiskSize, uint32_t(initrd->size()));
  }
  return {protocol, uint16_t(base >> 4), uint16_t(heap_end)};
}

}  // namespace rs
