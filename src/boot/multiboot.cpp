#include "boot/multiboot.h"

#include <array>
#include <cstring>

#include "boot/boot_common.h"
#include "boot/memory_map.h"
#include "error.h"

namespace rs {

namespace {

constexpr uint32_t kSearchLimit = 8192;
// Fixed low-memory layout for what the loader builds (below the 640 KiB hole).
constexpr uint32_t kGdtAddr = 0x6000;
constexpr uint32_t kInfoAddr = 0x7000;
constexpr uint32_t kCmdlineAddr = 0x7200;
constexpr uint32_t kCmdlineMax = 0x0C00;
constexpr uint32_t kMmapAddr = 0x7E00;
constexpr uint32_t kModAddr = 0x7F00;
constexpr uint32_t kLowEnd = kConventionalEnd;

struct Header {
  size_t offset;
  uint32_t flags;
  uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

bool find_header(const std::vector<uint8_t>& img, Header& h) {
  size_t limit = std::min<size_t>(img.size(), kSearchLimit);
  for (size_t off = 0; off + 12 <= limit; off += 4) {
    if (load_le<uint32_t>(img, off) != kMultibootMagic) continue;
    uint32_t flags = load_le<uint32_t>(img, off + 4), sum = load_le<uint32_t>(img, off + 8);
    if (uint32_t(kMultibootMagic + flags + sum) != 0) continue;
    h = {off, flags, 0, 0, 0, 0, 0};
    if (flags & 0x10000) {
      if (off + 32 > img.size()) return false;
      h.header_addr = load_le<uint32_t>(img, off + 12);
      h.load_addr = load_le<uint32_t>(img, off + 16);
      h.load_end_addr = load_le<uint32_t>(img, off + 20);
      h.bss_end_addr = load_le<uint32_t>(img, off + 24);
      h.entry_addr = load_le<uint32_t>(img, off + 28);
    }
    return true;
  }
  return false;
}

void place(PhysMem& mem, const std::string& name, uint64_t addr, const uint8_t* src, uint64_t len, uint64_t zero_len) {
  if (addr < 0x100000 && addr + len + zero_len > kLowEnd - 0x1000 && addr < kLowEnd)
    bad_image(name, "a segment overlaps low memory used for boot information");
  if (!mem.contains(addr, len + zero_len))
    bad_image(name, "a segment at physical address 0x" + std::to_string(addr) + " does not fit in guest RAM");
  mem.write(addr, src, len);
  std::memset(mem.ptr(addr + len, zero_len), 0, zero_len);
}

// A multiboot v1 header this loader can honour.
Header parse_header(const std::vector<uint8_t>& img, const std::string& name) {
  Header h;
  if (!find_header(img, h)) bad_image(name, "no multiboot v1 header in the first 8 KiB");
  if (h.flags & 0x0000FFFC) bad_image(name, "the multiboot header requests unsupported features (video mode or unknown bits)");
  return h;
}

// a.out kludge: the header says where the file goes.
MultibootImage load_aout_kludge(const std::vector<uint8_t>& img, const std::string& name, const Header& h,
                                PhysMem& mem) {
  if (h.load_addr > h.header_addr) bad_image(name, "multiboot load_addr is above header_addr");
  uint64_t file_off = h.offset - (h.header_addr - h.load_addr);
  if (file_off > h.offset) bad_image(name, "multiboot header addresses are inconsistent");
  uint64_t len = h.load_end_addr ? uint64_t(h.load_end_addr) - h.load_addr : img.size() - file_off;
  if (h.load_end_addr && h.load_end_addr < h.load_addr) bad_image(name, "multiboot load_end_addr is below load_addr");
  if (file_off + len > img.size()) bad_image(name, "the file is shorter than the multiboot header says");
  uint64_t end = h.load_addr + len;
  uint64_t bss = h.bss_end_addr > end ? h.bss_end_addr - end : 0;
  place(mem, name, h.load_addr, img.data() + file_off, len, bss);
  return {h.entry_addr, h.load_addr, uint32_t(end + bss)};
}

// An i386 ELF executable: its PT_LOAD segments go to their physical addresses.
MultibootImage load_elf(const std::vector<uint8_t>& img, const std::string& name, PhysMem& mem) {
  if (img.size() < 52 || std::memcmp(img.data(), "\x7f" "ELF", 4) != 0) bad_image(name, "not an ELF file");
  if (img[4] != 1 || img[5] != 1) bad_image(name, "not a 32-bit little-endian ELF file");
  if (load_le<uint16_t>(img, 16) != 2) bad_image(name, "not an executable ELF file");
  if (load_le<uint16_t>(img, 18) != 3) bad_image(name, "not an i386 ELF file");
  uint32_t phoff = load_le<uint32_t>(img, 28);
  uint16_t phentsize = load_le<uint16_t>(img, 42), phnum = load_le<uint16_t>(img, 44);
  if (phentsize < 32 || uint64_t(phoff) + uint64_t(phentsize) * phnum > img.size())
    bad_image(name, "program headers lie outside the file");
  MultibootImage out;
  out.entry = load_le<uint32_t>(img, 24);
  out.load_start = 0xFFFFFFFF;
  bool any = false;
  for (unsigned i = 0; i < phnum; ++i) {
    size_t ph = phoff + size_t(i) * phentsize;
    if (load_le<uint32_t>(img, ph) != 1) continue;  // PT_LOAD
    uint32_t off = load_le<uint32_t>(img, ph + 4), paddr = load_le<uint32_t>(img, ph + 12);
    uint32_t filesz = load_le<uint32_t>(img, ph + 16), memsz = load_le<uint32_t>(img, ph + 20);
    if (memsz == 0) continue;
    if (filesz > memsz) bad_image(name, "a segment's file size exceeds its memory size");
    if (uint64_t(off) + filesz > img.size()) bad_image(name, "a segment lies outside the file");
    place(mem, name, paddr, img.data() + off, filesz, memsz - filesz);
    out.load_start = std::min(out.load_start, paddr);
    out.load_end = std::max<uint32_t>(out.load_end, paddr + memsz);
    any = true;
  }
  if (!any) bad_image(name, "no loadable segments");
  return out;
}

// The multiboot information structure, by 32-bit field.
using BootInfo = std::array<uint32_t, 22>;

// The command line and the boot loader's name, in the low area kept for them.
void write_strings(PhysMem& mem, const std::string& cmdline, BootInfo& info) {
  if (cmdline.size() + 1 > kCmdlineMax - 32) throw UsageError("kernel command line is too long");
  mem.write(kCmdlineAddr, cmdline.c_str(), cmdline.size() + 1);
  info[4] = kCmdlineAddr;
  const char loader_name[] = "ringshift";
  uint32_t name_addr = kCmdlineAddr + kCmdlineMax - 16;
  mem.write(name_addr, loader_name, sizeof loader_name);
  info[16] = name_addr;
}

// The one module, on the first page boundary after the kernel.
void place_module(PhysMem& mem, const std::vector<uint8_t>& module, const std::string& module_name, uint32_t load_end,
                  size_t cmdline_len, BootInfo& info) {
  uint64_t at = (uint64_t(load_end) + 0xFFF) & ~0xFFFull;
  if (!mem.contains(at, module.size())) throw UsageError("initrd '" + module_name + "' does not fit in guest RAM");
  mem.write(at, module.data(), module.size());
  uint32_t mod[4] = {uint32_t(at), uint32_t(at + module.size()), kCmdlineAddr + uint32_t(cmdline_len), 0};
  // The module's string is the empty string at the end of the kernel command line.
  mem.write(kModAddr, mod, sizeof mod);
  info[0] |= 8u;
  info[5] = 1;
  info[6] = kModAddr;
}

// The PC memory map, in multiboot's mmap entries.
void write_memory_map(PhysMem& mem, BootInfo& info) {
  struct __attribute__((packed)) MmapEntry {
    uint32_t size;
    uint64_t base, len;
    uint32_t type;
  };
  MmapEntry map[4];
  auto ranges = pc_memory_map(mem.size());
  static_assert(sizeof map / sizeof map[0] == 4);
  for (size_t i = 0; i < 4; ++i) map[i] = {20, ranges.at(i).base, ranges.at(i).len, ranges.at(i).type};
  mem.write(kMmapAddr, map, sizeof map);
  info[11] = sizeof map;
  info[12] = kMmapAddr;
}

// The boot information at kInfoAddr and everything it points to.
void write_boot_info(PhysMem& mem, const std::string& cmdline, const std::vector<uint8_t>* module,
                     const std::string& module_name, uint32_t load_end) {
  BootInfo info{};
  info[0] = 1u | 4u | 64u | 512u;  // mem_*, cmdline, mmap, boot_loader_name
  info[1] = 640;
  info[2] = uint32_t(std::min<uint64_t>(mem.size() - 0x100000, 0xFFFFFFFFull - 0x100000) / 1024);
  write_strings(mem, cmdline, info);
  if (module) place_module(mem, *module, module_name, load_end, cmdline.size(), info);
  write_memory_map(mem, info);
  mem.write(kInfoAddr, info.data(), sizeof(uint32_t) * info.size());
}

// The state the specification promises: EAX the magic, EBX -> the boot information.
void enter_kernel(PhysMem& mem, CpuState& cpu, uint32_t entry) {
  // A flat GDT like a boot loader's: null, code 0x08, data 0x10.
  enter_flat_protected_mode(mem, cpu, kGdtAddr, 0x08, 0x10);
  cpu.set_reg(EAX, kMultibootBootloaderMagic);
  cpu.set_reg(EBX, kInfoAddr);
  cpu.set_reg(ESP, kGdtAddr - 0x10);
  cpu.eip = entry;
}

}  // namespace

bool has_multiboot_header(const std::vector<uint8_t>& image) {
  Header h;
  return find_header(image, h);
}

MultibootImage load_multiboot(const std::vector<uint8_t>& img, const std::string& name, const std::string& cmdline,
                              const std::vector<uint8_t>* module, const std::string& module_name, PhysMem& mem,
                              CpuState& cpu) {
  Header h = parse_header(img, name);
  MultibootImage out = (h.flags & 0x10000) ? load_aout_kludge(img, name, h, mem) : load_elf(img, name, mem);
  if (!mem.contains(out.entry, 1)) bad_image(name, "the entry point is outside guest RAM");
  write_boot_info(mem, cmdline, module, module_name, out.load_end);
  enter_kernel(mem, cpu, out.entry);
  return out;
}

}  // namespace rs
