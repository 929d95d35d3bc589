// The Linux boot protocol loader against synthetic bzImages: the zero page it builds,
// where the kernel and initrd land, the entry state, and the errors for bad images.
#include <catch2/catch.hpp>

#include <cstring>

#include "boot/linux_boot.h"
#include "error.h"

namespace {

struct Loaded {
  rs::PhysMem mem{64ull << 20};
  rs::CpuState cpu{};
};

// A bzImage-shaped file: 4 setup sectors (setup_sects = 0 means 4), then `pm_bytes`
// of protected-mode kernel filled with a recognisable pattern.
std::vector<uint8_t> bzimage(uint16_t version = 0x020F, uint32_t pm_bytes = 0x3000) {
  std::vector<uint8_t> img(5 * 512 + pm_bytes, 0);
  auto put16 = [&](size_t o, uint16_t v) { std::memcpy(&img[o], &v, 2); };
  auto put32 = [&](size_t o, uint32_t v) { std::memcpy(&img[o], &v, 4); };
  img[0x1F1] = 0;
  put32(0x1F4, pm_bytes / 16);
  put16(0x1FE, 0xAA55);
  img[0x200] = 0xEB;
  img[0x201] = 0x66;  // header runs to 0x268
  std::memcpy(&img[0x202], "HdrS", 4);
  put16(0x206, version);
  img[0x211] = 0x01;               // LOADED_HIGH
  put32(0x214, 0x100000);
  put32(0x22C, 0x37FFFFFF);        // initrd_addr_max
  put32(0x230, 0x1000000);         // kernel_alignment 16 MiB
  img[0x234] = 1;                  // relocatable
  put32(0x238, 2047);              // cmdline_size
  uint64_t pref = 0x1000000;
  std::memcpy(&img[0x258], &pref, 8);
  put32(0x260, 0x800000);          // init_size 8 MiB
  for (uint32_t i = 0; i < pm_bytes; ++i) img[5 * 512 + i] = uint8_t(i * 7 + 1);
  return img;
}

template <typename T>
T rd(rs::PhysMem& m, uint32_t a) {
  T v{};
  REQUIRE(m.read(a, &v, sizeof v));
  return v;
}

}  // namespace

TEST_CASE("bzImage loader builds the zero page and the 32-bit entry state", "[linux_boot]") {
  Loaded l;
  auto img = bzimage();
  std::vector<uint8_t> initrd(10000, 0x5A);
  auto out = rs::load_bzimage(img, "bz", "console=ttyS0 quiet", &initrd, "rd", l.mem, l.cpu);
  CHECK(out.protocol == 0x020F);

  // The protected-mode kernel is at 1 MiB, byte for byte.
  CHECK(std::memcmp(l.mem.ptr(0x100000, 0x3000), img.data() + 5 * 512, 0x3000) == 0);
  // Entry: flat __BOOT_CS/__BOOT_DS, IF clear, paging off, ESI -> boot_params.
  CHECK(l.cpu.eip == 0x100000);
  const uint32_t bp = l.cpu.reg(rs::ESI);
  CHECK(bp == out.boot_params);
  CHECK(l.cpu.seg[rs::CS].sel == 0x10);
  CHECK(l.cpu.seg[rs::DS].sel == 0x18);
  CHECK(l.cpu.seg[rs::SS].sel == 0x18);
  CHECK(l.cpu.seg[rs::CS].limit == 0xFFFFFFFF);
  CHECK((l.cpu.eflags() & rs::FL_IF) == 0);
  CHECK((l.cpu.cr0 & 0x80000001u) == 1);
  CHECK(l.cpu.reg(rs::EBX) == 0);
  CHECK(l.cpu.reg(rs::EDI) == 0);
  CHECK(l.cpu.reg(rs::EBP) == 0);

  // The setup header is copied, with the loader's fields filled in.
  CHECK(std::memcmp(l.mem.ptr(bp + 0x202, 4), "HdrS", 4) == 0);
  CHECK(rd<uint8_t>(l.mem, bp + 0x210) == 0xFF);          // type_of_loader: unregistered
  CHECK((rd<uint8_t>(l.mem, bp + 0x211) & 0x81) == 0x81);  // LOADED_HIGH | CAN_USE_HEAP
  const uint32_t cmd = rd<uint32_t>(l.mem, bp + 0x228);
  CHECK(std::string(reinterpret_cast<const char*>(l.mem.ptr(cmd, 20))) == "console=ttyS0 quiet");

  // e820 from the RAM size: low RAM, EBDA reserved, BIOS area reserved, RAM above 1 MiB.
  REQUIRE(rd<uint8_t>(l.mem, bp + 0x1E8) == 4);
  struct __attribute__((packed)) E820 {
    uint64_t base, len;
    uint32_t type;
  };
  E820 last = rd<E820>(l.mem, bp + 0x2D0 + 3 * 20);
  CHECK(last.base == 0x100000);
  CHECK(last.base + last.len == (64ull << 20));
  CHECK(last.type == 1);
  E820 ebda = rd<E820>(l.mem, bp + 0x2D0 + 20);
  CHECK(ebda.type == 2);

  // The initrd: page aligned, at the top of RAM, above the decompressed kernel.
  const uint32_t rd_at = rd<uint32_t>(l.mem, bp + 0x218), rd_len = rd<uint32_t>(l.mem, bp + 0x21C);
  CHECK(rd_len == initrd.size());
  CHECK(rd_at % 4096 == 0);
  CHECK(rd_at + rd_len <= (64u << 20));
  CHECK(rd_at + rd_len > (64u << 20) - 4096);
  CHECK(rd_at >= 0x1000000 + 0x800000);
  CHECK(l.mem.host()[rd_at + 9999] == 0x5A);
}

TEST_CASE("bzImage loader takes the file's bytes past the setup code, as GRUB and QEMU do", "[linux_boot]") {
  // syssize counts 16-byte paragraphs rounded up: a real kernel may be a few bytes
  // shorter than its header says (found with a distribution's image), or, truncated,
  // much shorter; GRUB and QEMU load what the file has either way.
  for (size_t short_by : {size_t(7), size_t(100)}) {
    Loaded l;
    auto img = bzimage();
    const size_t pm_offset = 5 * 512;  // setup_sects 0 means 4, plus the boot sector
    img.resize(img.size() - short_by);
    rs::load_bzimage(img, "bz", "", nullptr, "", l.mem, l.cpu);
    CHECK(std::memcmp(l.mem.host() + 0x100000, img.data() + pm_offset, img.size() - pm_offset) == 0);
  }
}

TEST_CASE("bzImage loader rejects bad images with a message that says why", "[linux_boot]") {
  Loaded l;
  auto load = [&](const std::vector<uint8_t>& img, const std::string& cmdline = "") {
    rs::load_bzimage(img, "bz", cmdline, nullptr, "", l.mem, l.cpu);
  };
  using Catch::Matchers::Contains;
  std::vector<uint8_t> junk(4096, 0x41);
  CHECK_FALSE(rs::is_bzimage(junk));
  CHECK_THROWS_WITH(load(junk), Contains("not a Linux bzImage"));
  CHECK_THROWS_WITH(load(bzimage(0x0204)), Contains("boot protocol 2.04 is too old"));
  auto zimage = bzimage();
  zimage[0x211] = 0;
  CHECK_THROWS_WITH(load(zimage), Contains("zImage"));
  auto tiny = bzimage();
  tiny.resize(0x240);
  CHECK_THROWS_WITH(load(tiny), Contains("truncated"));
  auto setup_only = bzimage();
  setup_only.resize(5 * 512);  // the boot sector and 4 setup sectors, not one byte more
  CHECK_THROWS_WITH(load(setup_only), Contains("ends inside its"));
  auto noflag = bzimage();
  noflag[0x1FE] = 0;
  CHECK_THROWS_WITH(load(noflag), Contains("boot flag"));
  CHECK_THROWS_WITH(load(bzimage(), std::string(3000, 'x')), Contains("command line"));
  // The kernel decompresses to 16 MiB + 8 MiB: 16 MiB of RAM is not enough.
  rs::PhysMem small{16ull << 20};
  CHECK_THROWS_WITH(rs::load_bzimage(bzimage(), "bz", "", nullptr, "", small, l.cpu), Contains("at least 24 MiB"));
  // An initrd that cannot fit above the kernel.
  std::vector<uint8_t> big(50u << 20, 1);
  CHECK_THROWS_WITH(rs::load_bzimage(bzimage(), "bz", "", &big, "rd", l.mem, l.cpu), Contains("does not fit"));
}
