#include "boot/linux_boot.h"
#include "boot/linux_header.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "boot/boot_common.h"
#include "boot/memory_map.h"
#include "error.h"

namespace rs {

namespace {

// Low-memory layout (below the EBDA; Linux reserves the first 64 KiB and copies the
// zero page and command line early).
constexpr uint32_t kGdtAddr = 0x6000;
constexpr uint32_t kStackTop = 0x9000;
constexpr uint32_t kBootParams = 0x10000;
constexpr uint32_t kCmdlineAddr = 0x20000;
constexpr uint32_t kKernelAddr = 0x100000;
constexpr uint16_t kMinProtocol = 0x0206;  // cmdline_size, initrd_addr_max, a 32-bit entry
constexpr size_t kMaxE820 = 128;

using namespace linux_header;

// Zero-page fields outside the setup header.
constexpr size_t kAltMemK = 0x1E0, kE820Entries = 0x1E8, kE820Table = 0x2D0;

template <typename T>
void put(std::vector<uint8_t>& b, size_t off, T v) {
  std::memcpy(b.data() + off, &v, sizeof v);
}

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB"; }

// The checks on the setup header; returns the boot protocol version.
uint16_t check_setup_header(const std::vector<uint8_t>& img, const std::string& name) {
  if (!is_bzimage(img)) bad_image(name, "not a Linux bzImage (no \"HdrS\" setup header at offset 0x202)");
  if (img.size() < 0x264) bad_image(name, "truncated: the file ends inside the setup header");
  if (load_le<uint16_t>(img, kBootFlag) != 0xAA55) bad_image(name, "not a Linux bzImage (boot flag is not 0xAA55)");
  uint16_t protocol = load_le<uint16_t>(img, kVersion);
  char ver[16];
  std::snprintf(ver, sizeof ver, "%u.%02u", protocol >> 8, protocol & 0xFF);
  if (protocol < kMinProtocol)
    bad_image(name, std::string("boot protocol ") + ver + " is too old (ringshift needs 2.06 or later, Linux 2.6.22+)");
  if (!(img[kLoadFlags] & kLoadedHigh)) bad_image(name, "a zImage (loaded low): the 32-bit protocol loads bzImages only");
  return protocol;
}

// Where the kernel will end up once it has decompressed itself: a relocatable kernel
// moves to its preferred address (aligned up), and needs init_size bytes from there.
uint64_t decompressed_end(const std::vector<uint8_t>& img, uint16_t protocol, uint64_t pm_size) {
  uint64_t align = load_le<uint32_t>(img, kKernelAlignment);
  uint64_t run_at = kKernelAddr;
  if (img[kRelocatable] && align && (align & (align - 1)) == 0) {
    run_at = (run_at + align - 1) & ~(align - 1);
    if (protocol >= 0x020A) run_at = std::max<uint64_t>(run_at, load_le<uint64_t>(img, kPrefAddress));
  } else if (protocol >= 0x020A) {
    run_at = load_le<uint64_t>(img, kPrefAddress);
  }
  uint64_t init_size = protocol >= 0x020A ? load_le<uint32_t>(img, kInitSize) : pm_size * 4;
  return std::max<uint64_t>(kKernelAddr + pm_size, run_at + init_size);
}

// The protected-mode kernel: its bytes in the file, and the end of what it uses in RAM.
struct Kernel {
  uint64_t offset, size, end;
};

Kernel locate_kernel(const std::vector<uint8_t>& img, const std::string& name, uint16_t protocol, uint64_t ram) {
  uint32_t setup_sects = img[kSetupSects] ? img[kSetupSects] : 4;
  uint64_t pm_offset = uint64_t(setup_sects + 1) * 512;
  const uint64_t pm_size = uint64_t(load_le<uint32_t>(img, kSysSize)) * 16;
  if (pm_size == 0) bad_image(name, "the setup header gives an empty protected-mode kernel (syssize 0)");
  if (pm_offset >= img.size())
    bad_image(name, "truncated: the file (" + std::to_string(img.size()) + " bytes) ends inside its " +
                  std::to_string(setup_sects) + " setup sectors");
  // GRUB and QEMU load every byte of the file past the setup code, whatever syssize says
  // (it counts 16-byte paragraphs, rounded up, so a file may be a few bytes shorter than
  // it promises): so does ringshift. Much less than promised is worth a warning only.
  const uint64_t in_file = img.size() - pm_offset;
  if (in_file + 16 <= pm_size)
    spdlog::warn("{}: the setup header promises {} bytes of kernel, the file has {}; loading what is there",
                 name, pm_size, in_file);
  uint64_t kernel_end = decompressed_end(img, protocol, std::max(pm_size, in_file));
  if (kernel_end > ram)
    bad_image(name, "needs at least " + mib(kernel_end) + " of guest RAM to decompress itself (-m is " + mib(ram) + ")");
  return {pm_offset, in_file, kernel_end};
}

// The e820 map and the memory size above 1 MiB in KiB.
void put_memory_map(std::vector<uint8_t>& bp, uint64_t ram) {
  auto ranges = pc_memory_map(ram);
  if (ranges.size() > kMaxE820) throw std::logic_error("e820 map too long");
  bp[kE820Entries] = uint8_t(ranges.size());
  for (size_t i = 0; i < ranges.size(); ++i) {
    put<uint64_t>(bp, kE820Table + 20 * i, ranges[i].base);
    put<uint64_t>(bp, kE820Table + 20 * i + 8, ranges[i].len);
    put<uint32_t>(bp, kE820Table + 20 * i + 16, ranges[i].type);
  }
  put<uint32_t>(bp, kAltMemK, uint32_t(std::min<uint64_t>(ram - 0x100000, 0xFFFFFFFFull) >> 10));
}

// screen_info, what the real-mode setup code would have found out from int 10h: the
// VGA in mode 03h (80x25 colour text), cursor at the top left, so that vgacon drives it.
void put_screen_info(std::vector<uint8_t>& bp) {
  bp[0x06] = 0x03;                 // orig_video_mode
  bp[0x07] = 80;                   // orig_video_cols
  put<uint16_t>(bp, 0x0A, 0x0003); // orig_video_ega_bx: colour, 256 KiB (int 10h AH=12h BL=10h)
  bp[0x0E] = 25;                   // orig_video_lines
  bp[0x0F] = 0x22;                 // orig_video_isVGA: VIDEO_TYPE_VGAC
  put<uint16_t>(bp, 0x10, 16);     // orig_video_points: character height
}

// The zero page (boot_params), without the initrd fields.
std::vector<uint8_t> zero_page(const std::vector<uint8_t>& img, const std::string& cmdline, uint64_t ram) {
  // It starts as zeros plus a copy of the setup header.
  std::vector<uint8_t> bp(4096, 0);
  size_t hdr_end = std::min<size_t>(kJump + 2 + img[kJump + 1], 0x280);
  std::memcpy(bp.data() + kSetupSects, img.data() + kSetupSects, hdr_end - kSetupSects);
  bp[kTypeOfLoader] = 0xFF;  // an unregistered boot loader
  bp[kLoadFlags] = uint8_t((bp[kLoadFlags] | kCanUseHeap) & ~0x20);  // heap pointer valid; keep early messages
  put<uint16_t>(bp, kHeapEndPtr, 0xFE00);
  put<uint32_t>(bp, kCode32Start, kKernelAddr);

  uint32_t cmdline_max = load_le<uint32_t>(img, kCmdlineSize);
  if (cmdline.size() > cmdline_max || cmdline.size() >= 0x10000)
    throw UsageError("kernel command line is " + std::to_string(cmdline.size()) + " bytes; this kernel accepts " +
                     std::to_string(std::min<uint32_t>(cmdline_max, 0xFFFF)));
  put<uint32_t>(bp, kCmdLinePtr, kCmdlineAddr);
  put_memory_map(bp, ram);
  put_screen_info(bp);
  return bp;
}

// As high as the kernel allows, page aligned, above everything the kernel uses.
void place_initrd(const std::vector<uint8_t>& img, const std::vector<uint8_t>& initrd, const std::string& initrd_name,
                  uint64_t kernel_end, PhysMem& mem, std::vector<uint8_t>& bp, LinuxImage& out) {
  uint64_t top = std::min<uint64_t>(mem.size(), uint64_t(load_le<uint32_t>(img, kInitrdAddrMax)) + 1);
  uint64_t at = top >= initrd.size() ? (top - initrd.size()) & ~0xFFFull : 0;
  if (top < initrd.size() || at < kernel_end)
    throw UsageError("initrd '" + initrd_name + "' (" + mib(initrd.size()) + ") does not fit in guest RAM above the kernel; " +
                     "use at least -m " + mib(kernel_end + initrd.size() + 0x1000 + (mem.size() - top)));
  mem.write(at, initrd.data(), initrd.size());
  put<uint32_t>(bp, kRamdiskImage, uint32_t(at));
  put<uint32_t>(bp, kRamdiskSize, uint32_t(initrd.size()));
  out.initrd_start = uint32_t(at);
  out.initrd_size = uint32_t(initrd.size());
}

// The 32-bit boot protocol: flat __BOOT_CS (0x10) and __BOOT_DS (0x18), interrupts
// off, ESI -> boot_params, EBP/EDI/EBX zero.
void enter_kernel(PhysMem& mem, CpuState& cpu) {
  enter_flat_protected_mode(mem, cpu, kGdtAddr, 0x10, 0x18);
  cpu.set_reg(ESI, kBootParams);
  cpu.set_reg(ESP, kStackTop);
  cpu.eip = kKernelAddr;
}

}  // namespace

bool is_bzimage(const std::vector<uint8_t>& image) {
  return image.size() >= kHeaderMagic + 4 && std::memcmp(image.data() + kHeaderMagic, "HdrS", 4) == 0;
}

LinuxImage load_bzimage(const std::vector<uint8_t>& img, const std::string& name, const std::string& cmdline,
                        const std::vector<uint8_t>* initrd, const std::string& initrd_name, PhysMem& mem,
                        CpuState& cpu) {
  LinuxImage out;
  out.protocol = check_setup_header(img, name);
  const Kernel k = locate_kernel(img, name, out.protocol, mem.size());
  std::vector<uint8_t> bp = zero_page(img, cmdline, mem.size());
  if (initrd && !initrd->empty()) place_initrd(img, *initrd, initrd_name, k.end, mem, bp, out);

  mem.write(kKernelAddr, img.data() + k.offset, k.size);
  mem.write(kCmdlineAddr, cmdline.c_str(), cmdline.size() + 1);
  mem.write(kBootParams, bp.data(), bp.size());
  enter_kernel(mem, cpu);

  out.kernel_start = kKernelAddr;
  out.kernel_size = uint32_t(k.size);
  out.boot_params = kBootParams;
  return out;
}

}  // namespace rs
