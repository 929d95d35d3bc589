// The PIIX IDE controller (devices/piix_ide.cpp) driven as a driver drives it, with
// real guest RAM and a real image file: IDENTIFY, PIO and bus-master DMA transfers
// checked against the image's bytes, and bad programming (PRD entries or tables outside
// RAM, LBAs past the end, writes to a read-only disk) ending in an error status for the
// guest with RAM and the image untouched. Expected values: ATA/ATAPI-6 (status bits,
// IDENTIFY words, signatures), the PIIX data sheet (bus-master registers), MMC/SPC
// (ATAPI replies).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "block/block_image.h"
#include "device_rig.h"
#include "devices/dma.h"
#include "devices/piix_ide.h"
#include "mmu/phys_mem.h"

namespace {

constexpr uint32_t kRam = 4u << 20;

// A temporary image whose byte i is (i * 7 + i / 512) & 0xFF.
struct TempImage {
  std::string path;
  explicit TempImage(size_t size) {
    char tmpl[] = "/tmp/rs-ide-XXXXXX";
    const int fd = mkstemp(tmpl);
    path = tmpl;
    std::vector<uint8_t> b(size);
    for (size_t i = 0; i < size; ++i) b[i] = uint8_t(i * 7 + i / 512);
    REQUIRE(::write(fd, b.data(), b.size()) == ssize_t(b.size()));
    ::close(fd);
  }
  ~TempImage() { ::unlink(path.c_str()); }
  static uint8_t byte(uint64_t i) { return uint8_t(i * 7 + i / 512); }
};

struct Rig {
  rs::PhysMem mem{kRam};
  rs::DmaSpace dma{mem};
  test::IrqRecorder pic;
  rs::PiixIde ide{pic.line(14), pic.line(15), &dma, [] {}};
  std::unique_ptr<rs::BlockImage> img;

  Rig(const std::string& path, bool readonly, bool cdrom) {
    img = rs::BlockImage::open(path, readonly, cdrom ? 2048 : 512);
    ide.attach(cdrom ? 2 : 0, img.get(), cdrom);
    ide.config_write(0x40, 4, 0x80008000u);  // IDETIM: both channels decode
    ide.config_write(0x20, 4, 0xC001);       // BAR 4 at C000h
    ide.config_write(0x04, 2, 0x0005);       // I/O and bus master
  }
  int base(bool secondary) const { return secondary ? 0x170 : 0x1F0; }
  uint8_t status(bool sec = false) { return uint8_t(ide.in(uint16_t(base(sec) + 7), 1)); }
  // Waits for the I/O thread while a channel is busy, running the completions as the
  // machine's poll does (a read the host had cached has completed already).
  void settle() {
    auto busy = [this] { return (ide.in(0x3F6, 1) | ide.in(0x376, 1)) & rs::IdeChannel::kBsy; };
    for (int i = 0; i < 4000 && busy(); ++i) {
      if (ide.overdue()) ide.update();
      else usleep(250);
    }
  }
  void lba_command(uint8_t cmd, uint32_t lba, uint8_t count) {
    ide.out(0x1F2, 1, count);
    ide.out(0x1F3, 1, lba & 0xFF);
    ide.out(0x1F4, 1, (lba >> 8) & 0xFF);
    ide.out(0x1F5, 1, (lba >> 16) & 0xFF);
    ide.out(0x1F6, 1, 0xE0 | ((lba >> 24) & 0x0F));
    ide.out(0x1F7, 1, cmd);
  }
  // One PRD entry per (address, bytes); the last one ends the table.
  void prd(uint32_t table, std::vector<std::pair<uint32_t, uint32_t>> entries) {
    for (size_t i = 0; i < entries.size(); ++i) {
      uint32_t e[2] = {entries[i].first, (entries[i].second & 0xFFFF) | (i + 1 == entries.size() ? 0x80000000u : 0)};
      mem.write(table + 8 * i, e, 8);
    }
    ide.bar_write(4, 4, 4, table);
  }
  uint8_t bm_status() { return uint8_t(ide.bar_read(4, 2, 1)); }
};

}  // namespace

TEST_CASE("IDE: IDENTIFY DEVICE through PIO", "[ide]") {
  TempImage t(1 << 20);
  Rig r(t.path, false, false);
  CHECK(r.status() == (rs::IdeChannel::kDrdy | rs::IdeChannel::kDsc));
  CHECK(r.ide.in(0x1F4, 1) == 0x00);  // ATA signature: LBA mid/high 0
  r.ide.out(0x1F6, 1, 0xA0);
  r.ide.out(0x1F7, 1, 0xEC);
  CHECK(r.pic.level[14]);
  CHECK((r.status() & rs::IdeChannel::kDrq));
  CHECK(!r.pic.level[14]);  // reading status acknowledged it
  uint16_t w[256];
  for (auto& x : w) x = uint16_t(r.ide.in(0x1F0, 2));
  CHECK(w[0] == 0x0040);
  CHECK(w[60] == 2048);           // LBA28 sectors of 1 MiB
  CHECK(w[100] == 2048);          // LBA48 sectors
  CHECK((w[83] & 0x0400));        // 48-bit addresses
  CHECK(w[27] == ('r' << 8 | 'i'));
  CHECK(r.status() == (rs::IdeChannel::kDrdy | rs::IdeChannel::kDsc));
  // The absent slave reads status 0.
  r.ide.out(0x1F6, 1, 0xB0);
  CHECK(r.status() == 0);
}

TEST_CASE("IDE: PIO read and write round trip", "[ide]") {
  TempImage t(1 << 20);
  Rig r(t.path, false, false);
  r.lba_command(0x20, 5, 2);  // READ SECTORS
  r.settle();
  for (int s = 0; s < 2; ++s) {
    REQUIRE((r.status() & rs::IdeChannel::kDrq));
    bool same = true;
    for (int i = 0; i < 256; ++i) {
      const uint16_t v = uint16_t(r.ide.in(0x1F0, 2));
      const uint64_t at = (5 + s) * 512ull + 2 * i;
      same &= v == (TempImage::byte(at) | TempImage::byte(at + 1) << 8);
    }
    CHECK(same);
  }
  CHECK(!(r.status() & rs::IdeChannel::kDrq));
  r.lba_command(0x30, 9, 1);  // WRITE SECTORS: the first block is asked for at once
  REQUIRE((r.status() & rs::IdeChannel::kDrq));
  for (int i = 0; i < 128; ++i) r.ide.out(0x1F0, 4, 0xA5A5A5A5u);
  r.settle();
  CHECK(r.status() == (rs::IdeChannel::kDrdy | rs::IdeChannel::kDsc));
  uint8_t b[512];
  REQUIRE(r.img->read(9 * 512, b, 512));
  CHECK(std::all_of(b, b + 512, [](uint8_t x) { return x == 0xA5; }));
}

TEST_CASE("IDE: bus-master DMA read into RAM across PRD entries", "[ide]") {
  TempImage t(1 << 20);
  Rig r(t.path, false, false);
  r.prd(0x1000, {{0x20000, 512}, {0x30000, 1024}});
  r.ide.bar_write(4, 0, 1, 0x08);  // direction: to memory
  r.lba_command(0xC8, 3, 3);       // READ DMA
  r.ide.bar_write(4, 0, 1, 0x09);  // start
  r.settle();
  CHECK(r.bm_status() & rs::IdeChannel::kBmIntr);
  CHECK(!(r.bm_status() & (rs::IdeChannel::kBmActive | rs::IdeChannel::kBmError)));
  CHECK(r.status() == (rs::IdeChannel::kDrdy | rs::IdeChannel::kDsc));
  std::vector<uint8_t> a(512), b(1024);
  r.mem.read(0x20000, a.data(), 512);
  r.mem.read(0x30000, b.data(), 1024);
  CHECK(a[0] == TempImage::byte(3 * 512));
  CHECK(a[511] == TempImage::byte(3 * 512 + 511));
  CHECK(b[0] == TempImage::byte(4 * 512));
  CHECK(b[1023] == TempImage::byte(5 * 512 + 511));
}

TEST_CASE("IDE: DMA outside RAM, garbage PRD tables and bad LBAs are guest-visible errors", "[ide]") {
  TempImage t(1 << 20);
  Rig r(t.path, false, false);
  std::vector<uint8_t> before(kRam), after(kRam);
  SECTION("a PRD entry past the end of RAM") {
    r.prd(0x1000, {{kRam - 512, 1024}});
    r.ide.bar_write(4, 0, 1, 0x08);
    r.mem.read(0, before.data(), kRam);
    r.lba_command(0xC8, 0, 2);
    r.ide.bar_write(4, 0, 1, 0x09);
    r.settle();
    CHECK(r.bm_status() & rs::IdeChannel::kBmError);
    CHECK((r.status() & rs::IdeChannel::kErr));
    r.mem.read(0, after.data(), kRam);
    CHECK(before == after);
  }
  SECTION("the PRD table itself outside RAM") {
    r.ide.bar_write(4, 4, 4, 0xFFFFF000u);
    r.lba_command(0xCA, 0, 1);  // WRITE DMA
    r.ide.bar_write(4, 0, 1, 0x01);
    r.settle();
    CHECK((r.status() & rs::IdeChannel::kErr));
    uint8_t b[512];
    REQUIRE(r.img->read(0, b, 512));
    CHECK(b[1] == TempImage::byte(1));
  }
  SECTION("a table of garbage without an end") {
    std::vector<uint8_t> junk(64 * 1024);
    for (size_t i = 0; i < junk.size(); ++i) junk[i] = uint8_t(std::rand());
    r.mem.write(0x1000, junk.data(), junk.size());
    r.ide.bar_write(4, 4, 4, 0x1000);
    r.ide.bar_write(4, 0, 1, 0x08);
    r.lba_command(0xC8, 0, 0);  // 256 sectors
    r.ide.bar_write(4, 0, 1, 0x09);
    r.settle();
    CHECK(!(r.bm_status() & rs::IdeChannel::kBmActive));
    CHECK(r.pic.level[14]);
  }
  SECTION("an LBA past the end") {
    r.lba_command(0x20, 2047, 2);
    CHECK((r.status() & rs::IdeChannel::kErr));
    CHECK(r.ide.in(0x1F1, 1) == rs::IdeChannel::kIdnf);
  }
}

TEST_CASE("IDE: a read-only disk refuses writes", "[ide]") {
  TempImage t(1 << 20);
  Rig r(t.path, true, false);
  r.lba_command(0x30, 0, 1);
  for (int i = 0; i < 256; ++i) r.ide.out(0x1F0, 2, 0);
  r.settle();
  CHECK((r.status() & rs::IdeChannel::kErr));
  uint8_t b[512];
  REQUIRE(r.img->read(0, b, 512));
  CHECK(b[1] == TempImage::byte(1));
}

TEST_CASE("IDE: ATAPI CD-ROM signature, INQUIRY, READ(10) and sense", "[ide]") {
  TempImage t(64 * 2048);
  Rig r(t.path, true, true);
  CHECK(r.ide.in(0x174, 1) == 0x14);  // ATAPI signature
  CHECK(r.ide.in(0x175, 1) == 0xEB);
  auto packet = [&r](std::vector<uint8_t> cdb) {
    cdb.resize(12);
    r.ide.out(0x171, 1, 0);     // PIO
    r.ide.out(0x174, 1, 0x00);  // byte count limit 0x800
    r.ide.out(0x175, 1, 0x08);
    r.ide.out(0x177, 1, 0xA0);
    REQUIRE((r.status(true) & rs::IdeChannel::kDrq));
    for (int i = 0; i < 12; i += 2) r.ide.out(0x170, 2, uint32_t(cdb[i] | cdb[i + 1] << 8));
    r.settle();
  };
  auto take = [&r](size_t n) {
    std::vector<uint8_t> out;
    while (out.size() < n && (r.status(true) & rs::IdeChannel::kDrq)) {
      const uint16_t v = uint16_t(r.ide.in(0x170, 2));
      out.push_back(uint8_t(v)), out.push_back(uint8_t(v >> 8));
      if (!(r.status(true) & rs::IdeChannel::kDrq)) r.settle();
    }
    return out;
  };
  packet({0x12, 0, 0, 0, 36});
  auto inq = take(36);
  REQUIRE(inq.size() == 36);
  CHECK(inq[0] == 0x05);  // CD-ROM
  CHECK(inq[1] == 0x80);  // removable
  packet({0x28, 0, 0, 0, 0, 3, 0, 0, 2});  // READ(10) LBA 3, 2 sectors
  auto data = take(4096);
  REQUIRE(data.size() == 4096);
  CHECK(data[0] == TempImage::byte(3 * 2048));
  CHECK(data[4095] == TempImage::byte(5 * 2048 - 1));
  CHECK(r.ide.in(0x172, 1) == 0x03);  // interrupt reason: command complete, to host
  packet({0x28, 0, 0, 0, 0, 63, 0, 0, 2});  // past the end
  CHECK((r.status(true) & rs::IdeChannel::kErr));
  CHECK(r.ide.in(0x171, 1) >> 4 == 0x05);  // ILLEGAL REQUEST
  packet({0x03, 0, 0, 0, 18});
  auto sense = take(18);
  REQUIRE(sense.size() == 18);
  CHECK(sense[2] == 0x05);
  CHECK(sense[12] == 0x21);  // logical block address out of range
}
