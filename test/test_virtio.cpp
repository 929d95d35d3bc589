// virtio-blk over the virtio PCI transport, driven as a driver would: configuration
// space (identity, capabilities, BAR sizing), the common configuration in BAR 0
// (feature negotiation, status, queue set-up), rings and requests in guest RAM (a
// PhysMem), notifications and the ISR status, against a temporary raw image.
//
// Expected values: the OASIS virtio 1.1 specification (4.1 PCI transport, 2.6 split
// virtqueues, 5.2 block device) and what Linux 6.1's virtio_pci and virtio_blk need.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "block/block_image.h"
#include "devices/dma.h"
#include "devices/virtio_blk.h"
#include "mmu/phys_mem.h"

using rs::VirtioBlk;
using rs::VirtioPci;

namespace {

constexpr uint64_t kRam = 4ull << 20;
constexpr uint32_t kImageBytes = 64 * 1024;  // 128 sectors
constexpr uint64_t kDesc = 0x10000, kAvail = 0x11000, kUsed = 0x12000, kBuf = 0x20000;
constexpr uint64_t kAllFeatures = VirtioPci::kFVersion1 | VirtioPci::kFIndirectDesc | VirtioPci::kFEventIdx |
                                  VirtioBlk::kFSegMax | VirtioBlk::kFBlkSize | VirtioBlk::kFFlush;

// A raw image in a fresh directory, bytes i * 7 + 1, removed at the end.
struct TempImage {
  std::string dir, path;
  explicit TempImage(uint32_t size = kImageBytes) {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/rs_virtio_XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
    path = dir + "/disk.img";
    std::vector<uint8_t> data(size);
    for (uint32_t i = 0; i < size; ++i) data[i] = uint8_t(i * 7 + 1);
    const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, data.data(), size) == ssize_t(size));
    ::close(fd);
  }
  ~TempImage() { std::filesystem::remove_all(dir); }
  std::vector<uint8_t> bytes(uint64_t offset, size_t n) const {
    std::vector<uint8_t> out(n);
    const int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(::pread(fd, out.data(), n, off_t(offset)) == ssize_t(n));
    ::close(fd);
    return out;
  }
};

struct Seg {
  uint64_t addr;
  uint32_t len;
  bool write;
};

// The guest: RAM, the device, and a minimal split-ring driver.
struct Rig {
  TempImage file;
  rs::PhysMem mem{kRam};
  rs::DmaSpace dma{mem};
  std::unique_ptr<rs::BlockImage> image;
  std::unique_ptr<VirtioBlk> dev;
  uint16_t avail_idx = 0, next_desc = 0;

  explicit Rig(bool readonly = false) {
    image = rs::BlockImage::open(file.path, readonly, 512);
    dev = std::make_unique<VirtioBlk>(*image, dma, nullptr, "rs-serial-0001");
    dev->config_write(0x04, 2, 0x0006);  // memory decode, bus master
  }
  uint64_t common(uint32_t off, int size) { return dev->bar_read(0, VirtioPci::kCommonAt + off, size); }
  void common(uint32_t off, int size, uint64_t v) { dev->bar_write(0, VirtioPci::kCommonAt + off, size, v); }
  uint8_t status() { return uint8_t(common(0x14, 1)); }
  uint64_t device_features() {
    common(0x00, 4, 0);
    uint64_t f = common(0x04, 4);
    common(0x00, 4, 1);
    return f | common(0x04, 4) << 32;
  }
  void driver_features(uint64_t f) {
    common(0x08, 4, 0);
    common(0x0C, 4, f & 0xFFFFFFFF);
    common(0x08, 4, 1);
    common(0x0C, 4, f >> 32);
  }
  // The initialization of 3.1.1, ending in DRIVER_OK; false if FEATURES_OK is refused.
  bool init(uint64_t features = kAllFeatures, uint16_t qsize = 256) {
    common(0x14, 1, 0);
    common(0x14, 1, VirtioPci::kAcknowledge);
    common(0x14, 1, VirtioPci::kAcknowledge | VirtioPci::kDriver);
    driver_features(features);
    common(0x14, 1, VirtioPci::kAcknowledge | VirtioPci::kDriver | VirtioPci::kFeaturesOk);
    if (!(status() & VirtioPci::kFeaturesOk)) return false;
    const std::vector<uint8_t> zeros(kBuf - kDesc);  // fresh rings, as a driver allocates them
    REQUIRE(mem.write(kDesc, zeros.data(), zeros.size()));
    common(0x16, 2, 0);
    common(0x18, 2, qsize);
    common(0x20, 4, kDesc), common(0x24, 4, 0);
    common(0x28, 8, kAvail);
    common(0x30, 4, kUsed), common(0x34, 4, 0);
    common(0x1C, 2, 1);
    common(0x14, 1, VirtioPci::kAcknowledge | VirtioPci::kDriver | VirtioPci::kFeaturesOk | VirtioPci::kDriverOk);
    avail_idx = next_desc = 0;
    return true;
  }
  template <class T>
  void put(uint64_t a, T v) {
    REQUIRE(mem.write(a, &v, sizeof v));
  }
  template <class T>
  T get(uint64_t a) {
    T v{};
    REQUIRE(mem.read(a, &v, sizeof v));
    return v;
  }
  void put_desc(uint64_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next) {
    put(table + 16u * i, addr);
    put(table + 16u * i + 8, len);
    put(table + 16u * i + 12, flags);
    put(table + 16u * i + 14, next);
  }
  // A chain of segments in the ring's table; returns its head, made available.
  uint16_t add(const std::vector<Seg>& segs) {
    const uint16_t head = next_desc;
    for (size_t i = 0; i < segs.size(); ++i) {
      const uint16_t d = uint16_t((next_desc + i) % 256);
      const bool last = i + 1 == segs.size();
      put_desc(kDesc, d, segs[i].addr, segs[i].len, uint16_t((segs[i].write ? 2 : 0) | (last ? 0 : 1)),
               uint16_t((d + 1) % 256));
    }
    next_desc = uint16_t((next_desc + segs.size()) % 256);
    make_available(head);
    return head;
  }
  void make_available(uint16_t head) {
    put(kAvail + 4 + 2u * (avail_idx % 256), head);
    put(kAvail + 2, ++avail_idx);
  }
  void kick() { dev->bar_write(0, VirtioPci::kNotifyAt, 2, 0); }
  uint16_t used_idx() { return get<uint16_t>(kUsed + 2); }
  uint32_t used_id(uint16_t n) { return get<uint32_t>(kUsed + 4 + 8u * (n % 256)); }
  uint32_t used_len(uint16_t n) { return get<uint32_t>(kUsed + 8 + 8u * (n % 256)); }
  // Runs completions until the used ring reaches `idx` (the machine's poll, by hand).
  void wait_used(uint16_t idx) {
    for (int i = 0; i < 5000 && used_idx() != idx; ++i) {
      dev->update();
      if (used_idx() != idx) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    REQUIRE(used_idx() == idx);
  }
  // A header (type, sector) at `at`; the status byte at at + 16.
  void header(uint64_t at, uint32_t type, uint64_t sector) {
    put(at, type);
    put(at + 4, uint32_t(0));
    put(at + 8, sector);
    put(at + 16, uint8_t(0xEE));
  }
  // One request: header, data, status; waits for it and returns the status byte.
  uint8_t request(uint32_t type, uint64_t sector, std::vector<Seg> data) {
    header(kBuf, type, sector);
    std::vector<Seg> segs{{kBuf, 16, false}};
    segs.insert(segs.end(), data.begin(), data.end());
    segs.push_back({kBuf + 16, 1, true});
    add(segs);
    kick();
    wait_used(avail_idx);
    return get<uint8_t>(kBuf + 16);
  }
};

}  // namespace

TEST_CASE("virtio-blk: PCI identity, capabilities and BAR 0", "[virtio]") {
  Rig r;
  auto& d = *r.dev;
  CHECK(d.config_read(0x00, 4) == 0x10421AF4);
  CHECK(d.config_read(0x08, 1) == 1);  // revision 1: modern only
  CHECK(d.config_read(0x2C, 4) == 0x10421AF4);
  CHECK(d.config_read(0x3D, 1) == 1);  // INTA#
  CHECK((d.config_read(0x06, 2) & 0x10) != 0);  // capability list
  // The vendor capabilities: common, ISR, device, notify, each pointing into BAR 0.
  std::vector<int> types;
  for (int at = int(d.config_read(0x34, 1)); at; at = int(d.config_read(at + 1, 1))) {
    REQUIRE(d.config_read(at, 1) == 0x09);
    types.push_back(int(d.config_read(at + 3, 1)));
    CHECK(d.config_read(at + 4, 1) == 0);
    const uint32_t off = d.config_read(at + 8, 4), len = d.config_read(at + 12, 4);
    CHECK(off + len <= VirtioPci::kBarSize);
    if (types.back() == 2) CHECK(d.config_read(at + 16, 4) == VirtioPci::kNotifyMultiplier);
  }
  CHECK(types == std::vector<int>{1, 3, 4, 2});
  d.config_write(0x10, 4, 0xFFFFFFFF);
  CHECK(d.config_read(0x10, 4) == ~(VirtioPci::kBarSize - 1));  // 16 KiB, 32-bit memory
  // Capability bodies are read-only.
  d.config_write(0x48, 4, 0);
  CHECK(d.config_read(0x48, 4) == VirtioPci::kCommonAt);
}

TEST_CASE("virtio-blk: feature negotiation and the device configuration", "[virtio]") {
  Rig r;
  const uint64_t f = r.device_features();
  CHECK(f == kAllFeatures);  // no RO: the image is writable
  CHECK(r.common(0x12, 2) == 1);  // num_queues
  CHECK(r.common(0x10, 2) == 0xFFFF);  // no MSI-X
  const auto cfg = [&](uint32_t off, int size) { return r.dev->bar_read(0, VirtioPci::kDeviceAt + off, size); };
  CHECK(cfg(0x00, 8) == kImageBytes / 512);  // capacity
  CHECK(cfg(0x00, 4) == kImageBytes / 512);
  CHECK(cfg(0x04, 4) == 0);
  CHECK(cfg(0x0C, 4) == 254);  // seg_max
  CHECK(cfg(0x14, 4) == 512);  // blk_size

  SECTION("a driver without VERSION_1 is refused") { CHECK_FALSE(r.init(kAllFeatures & ~VirtioPci::kFVersion1)); }
  SECTION("a feature the device did not offer is refused") { CHECK_FALSE(r.init(kAllFeatures | 1ull << 12)); }
  SECTION("the accepted set is fixed at FEATURES_OK, and status 0 resets") {
    REQUIRE(r.init(VirtioPci::kFVersion1 | VirtioBlk::kFFlush));
    CHECK(r.status() == 0x0F);
    r.driver_features(kAllFeatures);
    CHECK(r.dev->driver_features() == (VirtioPci::kFVersion1 | VirtioBlk::kFFlush));
    CHECK(r.common(0x1C, 2) == 1);  // queue enabled
    CHECK(r.common(0x20, 8) == kDesc);
    r.common(0x14, 1, 0);
    CHECK(r.status() == 0);
    CHECK(r.common(0x1C, 2) == 0);
    CHECK(r.common(0x18, 2) == 256);
    CHECK(r.dev->driver_features() == 0);
  }
  SECTION("a queue that does not exist has size 0") {
    r.common(0x16, 2, 1);
    CHECK(r.common(0x18, 2) == 0);
  }
}

TEST_CASE("virtio-blk: write and read back through the image, with the ISR and INTx", "[virtio]") {
  Rig r;
  REQUIRE(r.init());
  std::vector<uint8_t> data(1024);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(0xA5 ^ i);
  REQUIRE(r.mem.write(kBuf + 0x1000, data.data(), data.size()));
  CHECK(r.request(VirtioBlk::kTOut, 3, {{kBuf + 0x1000, 1024, false}}) == VirtioBlk::kSOk);
  CHECK(r.used_len(0) == 1);
  CHECK(r.file.bytes(3 * 512, 1024) == data);
  CHECK(r.file.bytes(2 * 512, 1)[0] == uint8_t(2 * 512 * 7 + 1));  // neighbours untouched
  CHECK(r.dev->intx_asserted());
  CHECK(r.dev->bar_read(0, VirtioPci::kIsrAt, 1) == VirtioPci::kIsrQueue);
  CHECK_FALSE(r.dev->intx_asserted());
  CHECK(r.dev->bar_read(0, VirtioPci::kIsrAt, 1) == 0);  // read-to-clear

  // Read it back into two buffers that split a sector.
  CHECK(r.request(VirtioBlk::kTIn, 3, {{kBuf + 0x3000, 700, true}, {kBuf + 0x5000, 324, true}}) == VirtioBlk::kSOk);
  CHECK(r.used_len(1) == 1025);
  std::vector<uint8_t> back(1024);
  REQUIRE(r.mem.read(kBuf + 0x3000, back.data(), 700));
  REQUIRE(r.mem.read(kBuf + 0x5000, back.data() + 700, 324));
  CHECK(back == data);
  CHECK(r.used_id(1) == 3);  // the second chain's head: descriptors 3..5

  CHECK(r.request(VirtioBlk::kTFlush, 0, {}) == VirtioBlk::kSOk);
  CHECK(r.request(VirtioBlk::kTGetId, 0, {{kBuf + 0x100, 20, true}}) == VirtioBlk::kSOk);
  char id[21] = {};
  REQUIRE(r.mem.read(kBuf + 0x100, id, 20));
  CHECK(std::string(id) == "rs-serial-0001");
  CHECK(r.request(11, 0, {}) == VirtioBlk::kSUnsupp);  // DISCARD: not offered
}

TEST_CASE("virtio-blk: a read-only image offers RO and refuses writes", "[virtio]") {
  Rig r(true);
  CHECK((r.device_features() & VirtioBlk::kFRo) != 0);
  REQUIRE(r.init(kAllFeatures | VirtioBlk::kFRo));
  CHECK(r.request(VirtioBlk::kTOut, 0, {{kBuf + 0x1000, 512, false}}) == VirtioBlk::kSIoErr);
  CHECK(r.file.bytes(0, 1)[0] == 1);
  CHECK(r.request(VirtioBlk::kTIn, 1, {{kBuf + 0x1000, 512, true}}) == VirtioBlk::kSOk);
  CHECK(r.get<uint8_t>(kBuf + 0x1000) == uint8_t(512 * 7 + 1));
}

TEST_CASE("virtio-blk: requests out of range or outside RAM get IOERR", "[virtio]") {
  Rig r;
  REQUIRE(r.init());
  const uint64_t sectors = kImageBytes / 512;
  CHECK(r.request(VirtioBlk::kTIn, sectors, {{kBuf + 0x1000, 512, true}}) == VirtioBlk::kSIoErr);
  CHECK(r.request(VirtioBlk::kTIn, sectors - 1, {{kBuf + 0x1000, 1024, true}}) == VirtioBlk::kSIoErr);
  CHECK(r.request(VirtioBlk::kTOut, ~0ull / 512, {{kBuf + 0x1000, 1024, false}}) == VirtioBlk::kSIoErr);
  CHECK(r.request(VirtioBlk::kTIn, sectors, {}) == VirtioBlk::kSOk);  // nothing, at the very end
  CHECK(r.request(VirtioBlk::kTIn, 0, {{kBuf + 0x1000, 100, true}}) == VirtioBlk::kSIoErr);  // not whole sectors
  // Data that runs past the end of RAM, or far outside it.
  CHECK(r.request(VirtioBlk::kTIn, 0, {{kRam - 256, 512, true}}) == VirtioBlk::kSIoErr);
  CHECK(r.request(VirtioBlk::kTOut, 0, {{0xFFFFFFFFFFFFF000ull, 512, false}}) == VirtioBlk::kSIoErr);
  CHECK(r.request(VirtioBlk::kTIn, 0, {{kBuf + 0x1000, 512, true}, {~0ull - 100, 512, true}}) == VirtioBlk::kSIoErr);
  CHECK(r.file.bytes(0, 1)[0] == 1);
  // A header outside RAM.
  r.put(kBuf + 0x200, uint8_t(0xEE));
  r.add({{kRam + 0x1000, 16, false}, {kBuf + 0x200, 1, true}});
  r.kick();
  r.wait_used(r.avail_idx);
  CHECK(r.get<uint8_t>(kBuf + 0x200) == VirtioBlk::kSIoErr);
  // A status byte outside RAM: the chain comes back with nothing written.
  r.header(kBuf, VirtioBlk::kTIn, 0);
  r.add({{kBuf, 16, false}, {kBuf + 0x1000, 512, true}, {kRam, 1, true}});
  r.kick();
  r.wait_used(r.avail_idx);
  CHECK(r.used_len(uint16_t(r.avail_idx - 1)) == 0);
  CHECK((r.status() & VirtioPci::kNeedsReset) == 0);  // the device goes on
  CHECK(r.request(VirtioBlk::kTIn, 0, {{kBuf + 0x1000, 512, true}}) == VirtioBlk::kSOk);
}

TEST_CASE("virtio-blk: malformed chains break the queue until a reset", "[virtio]") {
  Rig r;
  REQUIRE(r.init());
  r.header(kBuf, VirtioBlk::kTIn, 0);
  SECTION("a descriptor loop") {
    r.put_desc(kDesc, 0, kBuf, 16, 1, 1);
    r.put_desc(kDesc, 1, kBuf + 0x1000, 512, 1, 0);
    r.make_available(0);
  }
  SECTION("a loop of writable descriptors through the whole table") {
    for (uint16_t i = 0; i < 256; ++i) r.put_desc(kDesc, i, kBuf + 16, 1, 3, uint16_t((i + 1) % 256));
    r.make_available(7);
  }
  SECTION("next past the table") { r.put_desc(kDesc, 0, kBuf, 16, 1, 300), r.make_available(0); }
  SECTION("a head past the table") { r.make_available(256); }
  SECTION("readable after writable") {
    r.put_desc(kDesc, 0, kBuf + 16, 1, 3, 1);
    r.put_desc(kDesc, 1, kBuf, 16, 0, 0);
    r.make_available(0);
  }
  SECTION("an indirect table that loops") {
    r.put_desc(kDesc, 0, kBuf + 0x800, 32, 4, 0);
    r.put_desc(kBuf + 0x800, 0, kBuf, 16, 1, 1);
    r.put_desc(kBuf + 0x800, 1, kBuf + 16, 1, 3, 0);
    r.make_available(0);
  }
  SECTION("an indirect table outside RAM") { r.put_desc(kDesc, 0, kRam - 8, 64, 4, 0), r.make_available(0); }
  SECTION("the available index runs ahead") { r.put(kAvail + 2, uint16_t(300)); }
  r.kick();
  CHECK((r.status() & VirtioPci::kNeedsReset) != 0);
  CHECK(r.dev->bar_read(0, VirtioPci::kIsrAt, 1) == VirtioPci::kIsrConfig);
  CHECK(r.used_idx() == 0);
  r.kick();  // still broken, nothing taken
  CHECK(r.used_idx() == 0);
  // A reset and a new set-up bring it back.
  REQUIRE(r.init());
  CHECK(r.request(VirtioBlk::kTIn, 0, {{kBuf + 0x1000, 512, true}}) == VirtioBlk::kSOk);
}

TEST_CASE("virtio-blk: queue set-up with rings outside RAM is an error", "[virtio]") {
  Rig r;
  REQUIRE(r.init());
  r.common(0x14, 1, 0);
  r.common(0x14, 1, VirtioPci::kAcknowledge | VirtioPci::kDriver);
  r.driver_features(kAllFeatures);
  r.common(0x14, 1, VirtioPci::kAcknowledge | VirtioPci::kDriver | VirtioPci::kFeaturesOk);
  r.common(0x20, 8, kRam - 0x800);  // 256 descriptors need 4 KiB
  r.common(0x28, 8, kAvail);
  r.common(0x30, 8, kUsed);
  r.common(0x1C, 2, 1);
  CHECK(r.common(0x1C, 2) == 0);
  CHECK((r.status() & VirtioPci::kNeedsReset) != 0);
}

TEST_CASE("virtio-blk: indirect tables, many requests in flight, event indexes", "[virtio]") {
  Rig r;
  REQUIRE(r.init());
  // 32 one-sector requests, each a 3-entry indirect table, made available before one
  // kick: writes of sector i's own pattern, then reads of it back.
  constexpr int kN = 32;
  auto queue_all = [&r](uint32_t type, uint64_t data) {
    for (int i = 0; i < kN; ++i) {
      const uint64_t hdr = kBuf + 0x40000 + 32u * i, table = kBuf + 0x42000 + 48u * i;
      r.header(hdr, type, uint64_t(i));
      r.put_desc(table, 0, hdr, 16, 1, 1);
      r.put_desc(table, 1, data + 512u * i, 512, uint16_t(type == VirtioBlk::kTIn ? 3 : 1), 2);
      r.put_desc(table, 2, hdr + 16, 1, 2, 0);
      r.put_desc(kDesc, uint16_t(r.avail_idx % 256), table, 48, 4, 0);
      r.make_available(uint16_t(r.avail_idx % 256));
    }
  };
  for (uint32_t i = 0; i < kN * 512; ++i) r.put(kBuf + 0x50000 + i, uint8_t(i * 13 + 5));
  queue_all(VirtioBlk::kTOut, kBuf + 0x50000);
  // Event index: interrupt only once the used index passes 31.
  r.put(kAvail + 4 + 2 * 256, uint16_t(kN - 1));
  r.kick();
  CHECK(r.dev->in_flight() == kN);  // completions run only when the machine polls
  CHECK(r.get<uint16_t>(kUsed + 4 + 8 * 256) == kN);  // avail_event: notify at the next one
  r.wait_used(kN);
  CHECK(r.dev->in_flight() == 0);
  for (int i = 0; i < kN; ++i) CHECK(r.get<uint8_t>(kBuf + 0x40000 + 32u * i + 16) == VirtioBlk::kSOk);
  CHECK(r.file.bytes(0, 1)[0] == 5);
  CHECK(r.file.bytes(kN * 512 - 1, 1)[0] == uint8_t((kN * 512 - 1) * 13 + 5));
  CHECK(r.dev->bar_read(0, VirtioPci::kIsrAt, 1) == VirtioPci::kIsrQueue);

  r.put(kAvail + 4 + 2 * 256, uint16_t(2 * kN - 1));
  queue_all(VirtioBlk::kTIn, kBuf + 0x60000);
  r.kick();
  r.wait_used(2 * kN);
  for (int i = 0; i < kN; ++i) CHECK(r.get<uint8_t>(kBuf + 0x40000 + 32u * i + 16) == VirtioBlk::kSOk);
  std::vector<uint8_t> a(kN * 512), b(kN * 512);
  REQUIRE(r.mem.read(kBuf + 0x50000, a.data(), a.size()));
  REQUIRE(r.mem.read(kBuf + 0x60000, b.data(), b.size()));
  CHECK(a == b);
  CHECK(r.used_len(uint16_t(2 * kN - 1)) == 513);
  CHECK(r.dev->bar_read(0, VirtioPci::kIsrAt, 1) == VirtioPci::kIsrQueue);

  // used_event in the future: no interrupt for the next request.
  r.put(kAvail + 4 + 2 * 256, uint16_t(2 * kN + 5));
  CHECK(r.request(VirtioBlk::kTFlush, 0, {}) == VirtioBlk::kSOk);
  CHECK_FALSE(r.dev->intx_asserted());
}

TEST_CASE("virtio-blk: no DMA without bus mastering, and a reset drops requests in flight", "[virtio]") {
  Rig r;
  REQUIRE(r.init());
  r.dev->config_write(0x04, 2, 0x0002);  // memory only
  r.header(kBuf, VirtioBlk::kTIn, 0);
  r.add({{kBuf, 16, false}, {kBuf + 0x1000, 512, true}, {kBuf + 16, 1, true}});
  r.kick();
  CHECK(r.dev->in_flight() == 0);
  r.dev->config_write(0x04, 2, 0x0006);  // on again: the waiting request is taken
  r.wait_used(1);
  CHECK(r.get<uint8_t>(kBuf + 16) == VirtioBlk::kSOk);

  // Writes always go through the I/O thread: they are in flight until the next poll.
  r.header(kBuf + 0x100, VirtioBlk::kTOut, 5);
  r.put(kBuf + 0x2000, uint8_t(0x5A));
  for (int i = 0; i < 8; ++i) r.add({{kBuf + 0x100, 16, false}, {kBuf + 0x2000, 512, false}, {kBuf + 0x110, 1, true}});
  r.kick();
  CHECK(r.dev->in_flight() == 8);
  r.common(0x14, 1, 0);  // reset: waits for the image, completes nothing
  CHECK(r.dev->in_flight() == 0);
  CHECK(r.file.bytes(5 * 512, 1)[0] == 0x5A);
  CHECK(r.get<uint8_t>(kBuf + 0x110) == 0xEE);  // no status written
  CHECK(r.used_idx() == 1);
  CHECK_FALSE(r.dev->intx_asserted());
  r.dev->update();
  CHECK(r.used_idx() == 1);
}
