// The Linux/x86 setup header (Documentation/x86/boot.rst, "The real-mode kernel
// header"): field offsets in the image file and in boot_params alike, shared by the
// 32-bit (linux_boot.cpp) and the 16-bit (linux_boot16.cpp) loaders.
#pragma once
#include <cstddef>
#include <cstdint>

namespace rs::linux_header {

enum : size_t {
  kCmdLineMagic = 0x020,   // before protocol 2.02: 0A33Fh, then the command line's offset
  kCmdLineOffset = 0x022,
  kSetupSects = 0x1F1,
  kSysSize = 0x1F4,
  kBootFlag = 0x1FE,
  kJump = 0x200,
  kHeaderMagic = 0x202,
  kVersion = 0x206,
  kTypeOfLoader = 0x210,
  kLoadFlags = 0x211,
  kSetupMoveSize = 0x212,
  kCode32Start = 0x214,
  kRamdiskImage = 0x218,
  kRamdiskSize = 0x21C,
  kHeapEndPtr = 0x224,
  kCmdLinePtr = 0x228,
  kInitrdAddrMax = 0x22C,
  kKernelAlignment = 0x230,
  kRelocatable = 0x234,
  kCmdlineSize = 0x238,
  kPrefAddress = 0x258,
  kInitSize = 0x260,
};
inline constexpr uint8_t kLoadedHigh = 0x01, kCanUseHeap = 0x80;

}  // namespace rs::linux_header
