#include <catch2/catch.hpp>

#include "boot/multiboot.h"
#include "error.h"
#include "guest_image.h"

using test::multiboot_elf;

namespace {

struct Loaded {
  rs::PhysMem mem{8ull << 20};
  rs::CpuState cpu{};
};

uint32_t rd32(rs::PhysMem& m, uint32_t a) {
  uint32_t v = 0;
  REQUIRE(m.read(a, &v, 4));
  return v;
}

}  // namespace

TEST_CASE("multiboot loader places segments and fills boot information", "[multiboot]") {
  std::vector<uint8_t> code = {0x90, 0x90, 0xF4};
  auto img = multiboot_elf(code, 0x2000);
  Loaded l;
  std::memset(l.mem.ptr(test::kLoad, 0x3000), 0xAA, 0x3000);  // bss must come out zeroed
  auto out = rs::load_multiboot(img, "k", "k console=ttyS0", nullptr, "", l.mem, l.cpu);
  CHECK(out.entry == test::kLoad + test::kCodeOffset);
  CHECK(l.cpu.eip == out.entry);
  CHECK(l.cpu.reg(rs::EAX) == 0x2BADB002);
  CHECK((l.cpu.cr0 & 0x80000001u) == 1);         // protected mode, paging off
  CHECK((l.cpu.eflags() & rs::FL_IF) == 0);
  CHECK(l.cpu.seg[rs::CS].base == 0);
  CHECK(l.cpu.seg[rs::CS].limit == 0xFFFFFFFF);
  CHECK(l.mem.host()[test::kLoad + test::kCodeOffset + 2] == 0xF4);
  CHECK(l.mem.host()[test::kLoad + img.size() + 0x1FFF] == 0);  // bss zeroed

  uint32_t info = l.cpu.reg(rs::EBX);
  uint32_t flags = rd32(l.mem, info);
  CHECK((flags & 0x45) == 0x45);  // mem_*, cmdline, mmap
  CHECK(rd32(l.mem, info + 4) == 640);
  CHECK(rd32(l.mem, info + 8) == (8u << 10) - 1024);
  std::string cmd(reinterpret_cast<const char*>(l.mem.host() + rd32(l.mem, info + 16)));
  CHECK(cmd == "k console=ttyS0");
  // The memory map covers RAM above 1 MiB as available (type 1).
  uint32_t mmap_len = rd32(l.mem, info + 44), mmap_addr = rd32(l.mem, info + 48);
  bool high_ram = false;
  for (uint32_t p = mmap_addr; p < mmap_addr + mmap_len; p += 24) {
    uint64_t base, len;
    std::memcpy(&base, l.mem.host() + p + 4, 8);
    std::memcpy(&len, l.mem.host() + p + 12, 8);
    if (base == 0x100000 && base + len == (8ull << 20) && rd32(l.mem, p + 20) == 1) high_ram = true;
  }
  CHECK(high_ram);
}

TEST_CASE("multiboot loader loads a module after the kernel", "[multiboot]") {
  auto img = multiboot_elf({0xF4});
  std::vector<uint8_t> mod(5000, 0x5A);
  Loaded l;
  rs::load_multiboot(img, "k", "k", &mod, "initrd", l.mem, l.cpu);
  uint32_t info = l.cpu.reg(rs::EBX);
  REQUIRE((rd32(l.mem, info) & 8) != 0);
  CHECK(rd32(l.mem, info + 20) == 1);
  uint32_t m = rd32(l.mem, info + 24);
  uint32_t start = rd32(l.mem, m), end = rd32(l.mem, m + 4);
  CHECK(end - start == 5000);
  CHECK(start % 4096 == 0);
  CHECK(start >= test::kLoad + img.size());
  CHECK(l.mem.host()[start + 4999] == 0x5A);
}

TEST_CASE("malformed multiboot images are rejected with a usage error", "[multiboot]") {
  Loaded l;
  auto good = multiboot_elf({0xF4});
  auto load = [&](const std::vector<uint8_t>& img) { rs::load_multiboot(img, "k", "k", nullptr, "", l.mem, l.cpu); };

  auto bad_sum = good;
  test::put<uint32_t>(bad_sum, 92, 0);
  CHECK_THROWS_AS(load(bad_sum), rs::UsageError);
  CHECK_FALSE(rs::has_multiboot_header(bad_sum));

  auto truncated = std::vector<uint8_t>(good.begin(), good.begin() + 60);
  CHECK_THROWS_AS(load(truncated), rs::UsageError);

  auto outside = good;
  test::put<uint32_t>(outside, 60, 0x7F000000);  // p_vaddr
  test::put<uint32_t>(outside, 64, 0x7F000000);  // p_paddr beyond 8 MiB of RAM
  CHECK_THROWS_AS(load(outside), rs::UsageError);

  auto big_filesz = good;
  test::put<uint32_t>(big_filesz, 68, 0x10000000);
  CHECK_THROWS_AS(load(big_filesz), rs::UsageError);

  auto not_i386 = good;
  test::put<uint16_t>(not_i386, 18, 62);  // EM_X86_64
  CHECK_THROWS_AS(load(not_i386), rs::UsageError);

  auto video = good;  // flag bit 2 (video mode) is not supported: header must still checksum
  test::put<uint32_t>(video, 88, 4);
  test::put<uint32_t>(video, 92, uint32_t(-(0x1BADB002 + 4)));
  CHECK_THROWS_AS(load(video), rs::UsageError);
}
