// The BIOS (src/bios) against a fake machine: real guest RAM (PhysMem), recorded port
// writes, a fake CMOS, port 60h and port 92h, and disk images in memory. Each call goes
// in as a ROM stub makes it: the INT's FLAGS, CS, IP on the guest stack, then the
// service number the stub for that vector pushes (read from the ROM through the IVT
// POST filled), then Bios::trap. Results are checked against the interfaces' specs
// (IBM PC/AT Technical Reference, Phoenix EDD 3.0, El Torito 1.0, ACPI E820, Ralf
// Brown's interrupt list).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "bios/bios.h"
#include "bios/call.h"
#include "bios/drives.h"
#include "bios/rom.h"
#include "cpu/cpu_state.h"
#include "cpu/guest_env.h"
#include "error.h"
#include "mmu/phys_mem.h"
#include "profile.h"

namespace {

using rs::EAX, rs::EBX, rs::ECX, rs::EDX, rs::ESI, rs::EDI, rs::EBP, rs::ESP;

struct FakeEnv : rs::GuestEnv {
  explicit FakeEnv(rs::PhysMem& m) : mem(m) {}
  rs::PhysMem& mem;
  struct Out {
    uint16_t port;
    uint8_t value;
  };
  std::vector<Out> outs;
  uint8_t cmos[128] = {};
  uint8_t cmos_index = 0;
  std::deque<uint8_t> kbd;  // port 60h
  uint8_t port92 = 0x00;
  int stop_status = -1;
  std::string stop_why;
  int segment_changes = 0;
  std::unique_ptr<rs::Profile> prof = std::make_unique<rs::Profile>();

  bool read_linear(uint32_t a, void* d, uint32_t n, bool) override { return mem.read(a, d, n); }
  bool write_linear(uint32_t a, const void* s, uint32_t n, bool) override { return mem.write(a, s, n); }
  bool take_page_fault(uint32_t&) override { return false; }
  void clear_page_fault() override {}
  bool translate(uint32_t lin, bool, bool, uint32_t& phys, uint32_t&) override {
    phys = lin;
    return true;
  }
  void phys_access(uint32_t phys, void* buf, uint32_t len, bool write) override {
    REQUIRE(mem.contains(phys, len));
    if (write) mem.write(phys, buf, len);
    else mem.read(phys, buf, len);
  }
  const void* ram_pointer(uint32_t, uint32_t) override { return nullptr; }
  void paging_changed(uint32_t, uint32_t) override {}
  void invlpg(uint32_t) override {}
  void segments_changed() override { segment_changes++; }
  uint32_t mode() const override { return 0; }
  uint32_t raise_event(int, rs::EventKind, uint32_t, uint32_t, const std::string&) override {
    FAIL("the BIOS raised a guest event");
    return 0;
  }
  void request_stop(int status, const std::string& why) override {
    stop_status = status;
    stop_why = why;
  }
  void unsupported(const std::string& what) override { FAIL("unsupported: " << what); }
  void triple_fault(const std::string& why) override { FAIL("triple fault: " << why); }
  bool must_leave() const override { return stop_status >= 0; }
  uint32_t port_in(uint16_t port, int) override {
    switch (port) {
      case 0x71: return cmos[cmos_index];
      case 0x92: return port92;
      case 0x64: return kbd.empty() ? 0x00 : 0x01;  // i8042 status: output buffer full
      case 0x60: {
        if (kbd.empty()) return 0;
        const uint8_t v = kbd.front();
        kbd.pop_front();
        return v;
      }
      default: return 0xFF;
    }
  }
  void port_out(uint16_t port, int, uint32_t value) override {
    outs.push_back({port, uint8_t(value)});
    if (port == 0x70) cmos_index = value & 0x7F;
    if (port == 0x71) cmos[cmos_index] = uint8_t(value);
    if (port == 0x92) port92 = uint8_t(value);
  }
  bool ports_settled() override { return false; }
  void ferr_irq() override {}
  void after_iret() override {}
  uint32_t continue_after_helper() override { return uint32_t(rs::Exit::Dispatch); }
  rs::Profile& profile() override { return *prof; }

  // The values written to `port`, in order.
  std::vector<uint8_t> written(uint16_t port) const {
    std::vector<uint8_t> v;
    for (const Out& o : outs)
      if (o.port == port) v.push_back(o.value);
    return v;
  }
};

// A disk image in memory (the test double of the raw image backend).
struct MemImage : rs::BlockImage {
  std::vector<uint8_t> data;
  MemImage(uint64_t bytes, bool ro) : data(bytes) {
    size_ = bytes;
    readonly_ = ro;
    path_ = "mem";
  }
  bool read(uint64_t off, void* buf, size_t len) override {
    if (off > size_ || len > size_ - off) return false;
    std::memcpy(buf, data.data() + off, len);
    return true;
  }
  bool write(uint64_t off, const void* buf, size_t len) override {
    if (readonly_ || off > size_ || len > size_ - off) return false;
    std::memcpy(data.data() + off, buf, len);
    return true;
  }
  bool flush() override { return true; }
};

// Sector n of a patterned image: every byte names its sector and offset.
uint8_t pattern(uint64_t sector, uint32_t i) { return uint8_t(sector * 7 + i * 3 + (i >> 8)); }

std::unique_ptr<MemImage> patterned_disk(uint64_t bytes, bool ro = false, uint32_t sector = 512) {
  auto img = std::make_unique<MemImage>(bytes, ro);
  for (uint64_t s = 0; s < bytes / sector; s++)
    for (uint32_t i = 0; i < sector; i++) img->data[s * sector + i] = pattern(s, i);
  return img;
}

constexpr uint16_t kCallerCs = 0x1234, kCallerIp = 0x5678, kStackTop = 0x7000;

struct Rig {
  rs::PhysMem mem{64ull << 20};
  FakeEnv env{mem};
  std::unique_ptr<rs::CpuState> cpu = std::make_unique<rs::CpuState>();
  std::unique_ptr<rs::Bios> bios;
  std::string console;

  explicit Rig(rs::BiosConfig cfg = {}) {
    cfg.ram_bytes = mem.size();
    cfg.console_copy = [this](uint8_t ch) { console += char(ch); };
    // The RTC as the BIOS finds it: BCD, 24-hour, 12:34:56 on 2026-06-15, no update.
    env.cmos[0x00] = 0x56, env.cmos[0x02] = 0x34, env.cmos[0x04] = 0x12;
    env.cmos[0x07] = 0x15, env.cmos[0x08] = 0x06, env.cmos[0x09] = 0x26, env.cmos[0x32] = 0x20;
    env.cmos[0x0B] = 0x02;
    bios = std::make_unique<rs::Bios>(std::move(cfg), mem, env);
    bios->install();
    cpu->env = &env;
    for (int s = 0; s < 6; s++) set_seg(s, 0);
    set_seg(rs::CS, rs::bios::kRomSeg);
    post();
  }

  void set_seg(int s, uint16_t sel) {
    cpu->seg[s].sel = sel;
    cpu->seg[s].base = uint32_t(sel) << 4;
    cpu->seg[s].limit = 0xFFFF;
  }
  uint8_t rd8(uint32_t a) {
    uint8_t v = 0;
    mem.read(a, &v, 1);
    return v;
  }
  uint16_t rd16(uint32_t a) { return uint16_t(rd8(a) | rd8(a + 1) << 8); }
  uint32_t rd32(uint32_t a) { return rd16(a) | uint32_t(rd16(a + 2)) << 16; }
  uint64_t rd64(uint32_t a) { return rd32(a) | uint64_t(rd32(a + 4)) << 32; }
  void wr8(uint32_t a, uint8_t v) { mem.write(a, &v, 1); }
  void wr16(uint32_t a, uint16_t v) { mem.write(a, &v, 2); }
  void wr32(uint32_t a, uint32_t v) { mem.write(a, &v, 4); }
  void wr64(uint32_t a, uint64_t v) { mem.write(a, &v, 8); }
  void push(uint16_t v) {
    const uint16_t sp = uint16_t(cpu->regs[ESP] - 2);
    cpu->regs[ESP] = sp;
    wr16(cpu->seg[rs::SS].base + sp, v);
  }

  // The service number the ROM code at F000:off pushes (`push word imm`, which nasm
  // encodes 6Ah ib or 68h iw, then `out 0xEB, al`), following a near JMP at the entry.
  uint16_t service_at(uint16_t off) {
    const uint8_t* rom = mem.ptr(rs::bios::kRomBase, rs::bios::kRomSize);
    if (rom[off] == 0xE9) off = uint16_t(off + 3 + (rom[off + 1] | rom[off + 2] << 8));
    for (uint16_t at = off; at < off + 64; at++) {
      if (rom[at] == 0x6A && rom[at + 2] == 0xE6 && rom[at + 3] == rs::kBiosTrapPort) return uint16_t(int8_t(rom[at + 1]));
      if (rom[at] == 0x68 && rom[at + 3] == 0xE6 && rom[at + 4] == rs::kBiosTrapPort) return uint16_t(rom[at + 1] | rom[at + 2] << 8);
    }
    FAIL("no trap stub at F000:" << std::hex << off);
    return 0;
  }
  uint16_t service_of(uint8_t vector) {
    REQUIRE(rd16(vector * 4 + 2) == rs::bios::kRomSeg);
    return service_at(rd16(vector * 4));
  }

  void post() {
    cpu->regs[ESP] = 0x7C00;
    push(service_at(rs::bios::kRomPost));
    bios->trap(*cpu);
    CHECK(cpu->regs[ESP] == 0x7C00);
  }

  // int n as the stub sees it; flags are the caller's (IF on, CF/ZF set so that a
  // service that clears them shows it).
  void call(uint8_t vector, uint16_t flags = 0x0243) {
    cpu->regs[ESP] = kStackTop;
    push(flags);
    push(kCallerCs);
    push(kCallerIp);
    push(service_of(vector));
    bios->trap(*cpu);
    REQUIRE(cpu->regs[ESP] == kStackTop - 6);
  }
  uint16_t frame(int i) { return rd16(kStackTop - 6 + 2 * i); }  // IP, CS, FLAGS
  bool cf() { return frame(2) & rs::FL_CF; }
  bool zf() { return frame(2) & rs::FL_ZF; }

  uint16_t r16(int r) { return uint16_t(cpu->regs[r]); }
  uint8_t ah() { return uint8_t(cpu->regs[EAX] >> 8); }
  uint8_t al() { return uint8_t(cpu->regs[EAX]); }
  uint8_t lo8(int r) { return uint8_t(cpu->regs[r]); }
  void set(int r, uint32_t v) { cpu->regs[r] = v; }
};

rs::BiosConfig with_hd(rs::BlockImage* hd0, rs::BlockImage* hd1 = nullptr) {
  rs::BiosConfig cfg;
  cfg.hd[0] = hd0;
  cfg.hd[1] = hd1;
  return cfg;
}

bool sector_at(Rig& r, uint32_t addr, uint64_t sector, uint32_t size = 512) {
  for (uint32_t i = 0; i < size; i++)
    if (r.rd8(addr + i) != pattern(sector, i)) return false;
  return true;
}

}  // namespace

// ---------------------------------------------------------------- ROM and POST

TEST_CASE("BIOS ROM: IBM PC/AT entry points, model byte, checksum, and stubs that match the services", "[bios]") {
  Rig r;
  const uint32_t rom = rs::bios::kRomBase;
  // Reset vector: JMP FAR F000:E05B.
  CHECK(r.rd8(rom + 0xFFF0) == 0xEA);
  CHECK(r.rd16(rom + 0xFFF1) == 0xE05B);
  CHECK(r.rd16(rom + 0xFFF3) == 0xF000);
  CHECK(r.rd8(rom + 0xFFFE) == 0xFC);
  CHECK(r.rd8(rom + 0xFFF7) == '/');
  CHECK(r.rd8(rom + rs::bios::kRomDummyIret) == 0xCF);
  uint8_t sum = 0;
  for (uint32_t i = 0; i < rs::bios::kRomSize; i++) sum = uint8_t(sum + r.rd8(rom + i));
  CHECK(sum == 0);
  // rom.asm's SVC_* and the C++ services agree, through the vectors POST set.
  using namespace rs::bios;
  CHECK(r.service_at(kRomPost) == kPost);
  CHECK(r.service_of(0x08) == kInt08);
  CHECK(r.service_of(0x09) == kInt09);
  CHECK(r.service_of(0x10) == kInt10);
  CHECK(r.service_of(0x11) == kInt11);
  CHECK(r.service_of(0x12) == kInt12);
  CHECK(r.service_of(0x13) == kInt13);
  CHECK(r.service_of(0x40) == kInt13);
  CHECK(r.service_of(0x15) == kInt15);
  CHECK(r.service_of(0x16) == kInt16);
  CHECK(r.service_of(0x18) == kInt18);
  CHECK(r.service_of(0x19) == kInt19);
  CHECK(r.service_of(0x1A) == kInt1A);
}

TEST_CASE("POST: the IVT at the PC/AT addresses, BDA and EBDA, PIC, PIT, A20 and a blank screen", "[bios]") {
  auto hd = patterned_disk(8 << 20);
  Rig r(with_hd(hd.get()));
  auto vec = [&](int v) { return r.rd32(v * 4); };
  CHECK(vec(0x13) == 0xF000E3FE);
  CHECK(vec(0x19) == 0xF000E6F2);
  CHECK(vec(0x16) == 0xF000E82E);
  CHECK(vec(0x09) == 0xF000E987);
  CHECK(vec(0x10) == 0xF000F065);
  CHECK(vec(0x12) == 0xF000F841);
  CHECK(vec(0x11) == 0xF000F84D);
  CHECK(vec(0x15) == 0xF000F859);
  CHECK(vec(0x1A) == 0xF000FE6E);
  CHECK(vec(0x08) == 0xF000FEA5);
  CHECK(vec(0x1E) == 0xF000EFC7);
  CHECK(vec(0x1D) == 0xF000F0A4);
  CHECK(vec(0x1C) == 0xF000FF53);  // the user tick hook: a dummy IRET
  CHECK(vec(0x50) == 0xF000FF53);
  CHECK(vec(0x60) == 0);            // user vectors free
  CHECK(vec(0x46) == 0);            // no second hard disk
  // int 41h: the first disk's parameter table in the EBDA: 8 MiB = 16 cylinders x 16 heads x 63.
  const uint32_t fdpt = (vec(0x41) >> 16) * 16 + (vec(0x41) & 0xFFFF);
  CHECK(fdpt >= 0x9FC00);
  CHECK(r.rd16(fdpt) == 16);
  CHECK(r.rd8(fdpt + 2) == 16);
  CHECK(r.rd8(fdpt + 14) == 63);
  // BDA.
  CHECK(r.rd16(0x400) == 0x3F8);
  CHECK(r.rd16(0x40E) == 0x9FC0);
  CHECK(r.rd16(0x413) == 639);
  CHECK(r.rd8(0x9FC00) == 1);  // EBDA size in KiB
  const uint16_t equip = r.rd16(0x410);
  CHECK((equip & 1) == 0);               // no floppy
  CHECK((equip & 0x30) == 0x20);         // 80x25 colour
  CHECK(((equip >> 9) & 7) == 1);        // one serial port
  CHECK(r.rd8(0x475) == 1);
  CHECK(r.rd16(0x41A) == 0x1E);
  CHECK(r.rd16(0x41C) == 0x1E);
  CHECK(r.rd16(0x480) == 0x1E);
  CHECK(r.rd16(0x482) == 0x3E);
  CHECK(r.rd8(0x449) == 3);
  CHECK(r.rd16(0x44A) == 80);
  CHECK(r.rd8(0x484) == 24);
  // The tick count starts at the RTC's time of day, 12:34:56.
  CHECK(r.rd32(0x46C) == uint32_t(uint64_t(12 * 3600 + 34 * 60 + 56) * 1193182 / 65536));
  // 8259A pair: ICW1-4 with vector bases 08h and 70h, then masks (IRQ 0, 1, 2 open).
  CHECK(r.env.written(0x20) == std::vector<uint8_t>{0x11});
  CHECK(r.env.written(0x21) == std::vector<uint8_t>{0x08, 0x04, 0x01, 0xF8});
  CHECK(r.env.written(0xA0) == std::vector<uint8_t>{0x11});
  CHECK(r.env.written(0xA1) == std::vector<uint8_t>{0x70, 0x02, 0x01, 0xFF});
  // 8254 channel 0, lobyte/hibyte, mode 3, divisor 0.
  CHECK(r.env.written(0x43) == std::vector<uint8_t>{0x36});
  CHECK(r.env.written(0x40) == std::vector<uint8_t>{0x00, 0x00});
  CHECK((r.env.port92 & 0x03) == 0x02);
  CHECK(r.rd16(0xB8000) == 0x0720);
  CHECK(r.rd16(0xB8000 + 2 * 80 * 25 - 2) == 0x0720);
}

TEST_CASE("int 11h and int 12h report the equipment word and 639 KiB", "[bios]") {
  auto fd = patterned_disk(1440 * 1024);
  rs::BiosConfig cfg;
  cfg.fd = fd.get();
  Rig r(cfg);
  r.call(0x12);
  CHECK(r.r16(EAX) == 639);
  r.set(EAX, 0xABCD0000);
  r.call(0x11);
  CHECK(r.cpu->regs[EAX] == (0xABCD0000 | r.rd16(0x410)));  // the high half is kept
  CHECK((r.r16(EAX) & 1) == 1);                              // a floppy drive
}

TEST_CASE("BIOS trap: the INT frame through SP (wrapping at 64 KiB) or, with a big SS, ESP", "[bios]") {
  Rig r;
  r.set_seg(rs::SS, 0x3000);
  SECTION("16-bit stack: the frame wraps around the segment") {
    r.cpu->regs[ESP] = 0x1234FFFE;  // the service word at 3000:FFFE, the frame at 3000:0000..
    r.wr16(0x3FFFE, r.service_of(0x15));
    r.wr16(0x30000, 0x1111), r.wr16(0x30002, 0x2222), r.wr16(0x30004, 0x0203);  // CF set
    r.set(EAX, 0x8800);
    r.bios->trap(*r.cpu);
    CHECK(r.cpu->regs[ESP] == 0x12340000);
    CHECK((r.rd16(0x30004) & rs::FL_CF) == 0);
    CHECK(r.r16(EAX) == 63 * 1024);
  }
  SECTION("big stack: ESP addresses the frame") {
    r.cpu->seg[rs::SS].attr = 0x4093;
    r.cpu->regs[ESP] = 0x20000;
    const uint32_t at = 0x30000 + 0x20000;
    r.wr16(at, r.service_of(0x15));
    r.wr16(at + 2, 0x1111), r.wr16(at + 4, 0x2222), r.wr16(at + 6, 0x0203);  // CF set
    r.set(EAX, 0x8800);
    r.bios->trap(*r.cpu);
    CHECK(r.cpu->regs[ESP] == 0x20002);
    CHECK((r.rd16(at + 6) & rs::FL_CF) == 0);
    CHECK(r.r16(EAX) == 63 * 1024);
  }
}

// ---------------------------------------------------------------- int 13h

TEST_CASE("int 13h 02h: a CHS read lands the sector's bytes at ES:BX and clears CF", "[bios][disk]") {
  auto hd = patterned_disk(8 << 20);  // 16 cylinders, 16 heads, 63 sectors
  Rig r(with_hd(hd.get()));
  r.set_seg(rs::ES, 0x2000);
  r.set(EBX, 0x0010);
  r.set(EAX, 0x0202);            // read 2 sectors
  r.set(ECX, 0x0103);            // cylinder 1, sector 3
  r.set(EDX, 0x0280);            // head 2, drive 80h
  r.call(0x13);
  CHECK_FALSE(r.cf());
  CHECK(r.ah() == 0);
  CHECK(r.al() == 2);
  const uint64_t lba = (1 * 16 + 2) * 63 + 3 - 1;
  CHECK(sector_at(r, 0x20010, lba));
  CHECK(sector_at(r, 0x20210, lba + 1));
}

TEST_CASE("int 13h: CHS errors are AH = 04h with CF set, kept for 01h", "[bios][disk]") {
  auto hd = patterned_disk(8 << 20);
  Rig r(with_hd(hd.get()));
  SECTION("sector 0 does not exist") {
    r.set(EAX, 0x0201), r.set(ECX, 0x0000), r.set(EDX, 0x0080);
    r.call(0x13);
  }
  SECTION("past the last cylinder") {
    r.set(EAX, 0x0201), r.set(ECX, 0x2001), r.set(EDX, 0x0080);  // cylinder 32
    r.call(0x13);
  }
  SECTION("a head the disk does not have") {
    r.set(EAX, 0x0201), r.set(ECX, 0x0001), r.set(EDX, 0x1080);
    r.call(0x13);
  }
  CHECK(r.cf());
  CHECK(r.ah() == 0x04);
  CHECK(r.al() == 0);
  r.set(EAX, 0x0100), r.set(EDX, 0x0080);
  r.call(0x13);  // status of the last operation
  CHECK(r.ah() == 0x04);
  CHECK(r.cf());
}

TEST_CASE("int 13h: a missing drive and an unknown function are errors", "[bios][disk]") {
  auto hd = patterned_disk(1 << 20);
  Rig r(with_hd(hd.get()));
  r.set(EAX, 0x0201), r.set(ECX, 0x0001), r.set(EDX, 0x0081);
  r.call(0x13);
  CHECK(r.cf());
  CHECK(r.ah() == 0x01);
  r.set(EAX, 0x0201), r.set(EDX, 0x0000);  // no floppy: time-out
  r.call(0x13);
  CHECK(r.cf());
  CHECK(r.ah() == 0x80);
  r.set(EAX, 0x7700), r.set(EDX, 0x0080);
  r.call(0x13);
  CHECK(r.cf());
  CHECK(r.ah() == 0x01);
  r.set(EAX, 0x1500), r.set(EDX, 0x0081);  // type: no such drive
  r.call(0x13);
  CHECK_FALSE(r.cf());
  CHECK(r.ah() == 0x00);
}

TEST_CASE("int 13h 03h: a read-only image is write protected (AH = 03h), a writable one takes the data", "[bios][disk]") {
  auto ro = patterned_disk(1 << 20, true);
  auto rw = patterned_disk(1 << 20, false);
  Rig r(with_hd(ro.get(), rw.get()));
  for (uint32_t i = 0; i < 512; i++) r.wr8(0x30000 + i, uint8_t(0xA5 ^ i));
  r.set_seg(rs::ES, 0x3000);
  r.set(EBX, 0);
  r.set(EAX, 0x0301), r.set(ECX, 0x0005), r.set(EDX, 0x0080);
  r.call(0x13);
  CHECK(r.cf());
  CHECK(r.ah() == 0x03);
  CHECK(ro->data[4 * 512] == pattern(4, 0));
  r.set(EAX, 0x0301), r.set(ECX, 0x0005), r.set(EDX, 0x0081);
  r.call(0x13);
  CHECK_FALSE(r.cf());
  CHECK(r.al() == 1);
  for (uint32_t i = 0; i < 512; i++) REQUIRE(rw->data[4 * 512 + i] == uint8_t(0xA5 ^ i));
  CHECK(rw->data[5 * 512] == pattern(5, 0));
  // 04h verify reads nothing into memory and succeeds inside the disk.
  r.set(EAX, 0x0401), r.set(ECX, 0x0001), r.set(EDX, 0x0081);
  r.call(0x13);
  CHECK_FALSE(r.cf());
}

TEST_CASE("int 13h 08h and 15h: hard disk and floppy parameters", "[bios][disk]") {
  auto hd = patterned_disk(8 << 20);
  auto fd = patterned_disk(1440 * 1024);
  rs::BiosConfig cfg = with_hd(hd.get());
  cfg.fd = fd.get();
  Rig r(cfg);
  r.set(EAX, 0x0800), r.set(EDX, 0x0080);
  r.call(0x13);
  CHECK_FALSE(r.cf());
  CHECK(r.ah() == 0);
  // 16 cylinders, the last one kept back as the diagnostic cylinder: last = 14.
  CHECK(r.r16(ECX) == (14 << 8 | 63));
  CHECK(r.r16(EDX) == (15 << 8 | 1));  // last head 15, one hard disk
  r.set(EAX, 0x0800), r.set(EDX, 0x0000);
  r.call(0x13);
  CHECK_FALSE(r.cf());
  CHECK(r.lo8(EBX) == 4);                 // 1.44 MB drive
  CHECK(r.r16(ECX) == (79 << 8 | 18));
  CHECK(r.r16(EDX) == (1 << 8 | 1));
  CHECK(r.cpu->seg[rs::ES].sel == 0xF000);
  CHECK(r.cpu->seg[rs::ES].base == 0xF0000);
  CHECK(r.r16(EDI) == 0xEFC7);
  CHECK(r.env.segment_changes > 0);
  CHECK(r.rd8(0xFEFC7 + 4) == 18);       // the table's sectors per track
  r.set(EAX, 0x1500), r.set(EDX, 0x0080);
  r.call(0x13);
  CHECK_FALSE(r.cf());
  CHECK(r.ah() == 0x03);
  CHECK((uint32_t(r.r16(ECX)) << 16 | r.r16(EDX)) == 16384);
  r.set(EAX, 0x1500), r.set(EDX, 0x0000);
  r.call(0x13);
  CHECK(r.ah() == 0x01);
}

TEST_CASE("int 13h: floppy CHS follows the image's format", "[bios][disk]") {
  auto fd = patterned_disk(720 * 1024);  // 80 x 2 x 9
  rs::BiosConfig cfg;
  cfg.fd = fd.get();
  Rig r(cfg);
  r.set_seg(rs::ES, 0x1000), r.set(EBX, 0);
  r.set(EAX, 0x0201), r.set(ECX, 0x0209), r.set(EDX, 0x0100);  // cylinder 2, head 1, sector 9
  r.call(0x13);
  CHECK_FALSE(r.cf());
  CHECK(sector_at(r, 0x10000, (2 * 2 + 1) * 9 + 8));
  r.set(EAX, 0x0201), r.set(ECX, 0x020A), r.set(EDX, 0x0100);  // sector 10 of 9
  r.call(0x13);
  CHECK(r.cf());
  CHECK(r.ah() == 0x04);
  CHECK(r.rd8(0x441) == 0x04);  // the floppy's status byte
  CHECK(r.rd8(0xFEFC7 + 4) == 9);  // int 1Eh's table: 9 sectors per track
}

TEST_CASE("int 13h 41h: the EDD 3.0 extensions are announced", "[bios][disk]") {
  auto hd = patterned_disk(1 << 20);
  Rig r(with_hd(hd.get()));
  r.set(EAX, 0x4100), r.set(EBX, 0x55AA), r.set(EDX, 0x0080);
  r.call(0x13);
  CHECK_FALSE(r.cf());
  CHECK(r.r16(EBX) == 0xAA55);
  CHECK(r.ah() == 0x30);
  CHECK((r.r16(ECX) & 0x0001) != 0);  // 42h-44h, 47h, 48h
  r.set(EAX, 0x4100), r.set(EBX, 0x1234), r.set(EDX, 0x0080);
  r.call(0x13);
  CHECK(r.cf());
}

TEST_CASE("int 13h 42h/43h: LBA transfers through the disk address packet", "[bios][disk]") {
  auto hd = patterned_disk(1 << 20);  // 2048 sectors
  Rig r(with_hd(hd.get()));
  const uint32_t dap = 0x600;
  auto packet = [&](uint8_t size, uint16_t count, uint16_t seg, uint16_t off, uint64_t lba) {
    r.wr8(dap, size), r.wr8(dap + 1, 0), r.wr16(dap + 2, count);
    r.wr16(dap + 4, off), r.wr16(dap + 6, seg), r.wr64(dap + 8, lba);
    r.set_seg(rs::DS, 0), r.set(ESI, dap), r.set(EDX, 0x0080);
  };
  SECTION("read to seg:off") {
    packet(0x10, 3, 0x4000, 0x0100, 1000);
    r.set(EAX, 0x4200);
    r.call(0x13);
    CHECK_FALSE(r.cf());
    CHECK(r.ah() == 0);
    CHECK(r.rd16(dap + 2) == 3);
    for (int i = 0; i < 3; i++) CHECK(sector_at(r, 0x40100 + 512 * i, 1000 + i));
  }
  SECTION("read to a 64-bit flat address above 1 MiB") {
    packet(0x18, 1, 0xFFFF, 0xFFFF, 7);
    r.wr64(dap + 0x10, 0x00200000);
    r.set(EAX, 0x4200);
    r.call(0x13);
    CHECK_FALSE(r.cf());
    CHECK(sector_at(r, 0x200000, 7));
  }
  SECTION("past the end: AH = 04h, the count says what was done") {
    packet(0x10, 4, 0x4000, 0, 2046);
    r.set(EAX, 0x4200);
    r.call(0x13);
    CHECK(r.cf());
    CHECK(r.ah() == 0x04);
    CHECK(r.rd16(dap + 2) == 2);
    CHECK(sector_at(r, 0x40000, 2046));
    CHECK(sector_at(r, 0x40200, 2047));
  }
  SECTION("a packet shorter than 10h is a bad command") {
    packet(0x08, 1, 0x4000, 0, 0);
    r.set(EAX, 0x4200);
    r.call(0x13);
    CHECK(r.cf());
    CHECK(r.ah() == 0x01);
  }
  SECTION("write then read back") {
    for (uint32_t i = 0; i < 1024; i++) r.wr8(0x50000 + i, uint8_t(i * 13));
    packet(0x10, 2, 0x5000, 0, 100);
    r.set(EAX, 0x4300);
    r.call(0x13);
    CHECK_FALSE(r.cf());
    for (uint32_t i = 0; i < 1024; i++) REQUIRE(hd->data[100 * 512 + i] == uint8_t(i * 13));
    packet(0x10, 2, 0x6000, 0, 100);
    r.set(EAX, 0x4200);
    r.call(0x13);
    CHECK_FALSE(r.cf());
    for (uint32_t i = 0; i < 1024; i++) REQUIRE(r.rd8(0x60000 + i) == uint8_t(i * 13));
  }
}

TEST_CASE("int 13h 48h: drive parameters in the 1Ah and 1Eh buffer forms", "[bios][disk]") {
  auto hd = patterned_disk(8 << 20);
  Rig r(with_hd(hd.get()));
  const uint32_t buf = 0x700;
  for (uint16_t size : {0x1A, 0x1E, 0x42}) {
    for (uint32_t i = 0; i < 0x42; i++) r.wr8(buf + i, 0xEE);
    r.wr16(buf, size);
    r.set_seg(rs::DS, 0), r.set(ESI, buf);
    r.set(EAX, 0x4800), r.set(EDX, 0x0080);
    r.call(0x13);
    CHECK_FALSE(r.cf());
    const uint16_t got = r.rd16(buf);
    CHECK(got == (size == 0x1A ? 0x1A : 0x1E));
    CHECK((r.rd16(buf + 2) & 0x0002) != 0);  // CHS information valid
    CHECK(r.rd32(buf + 4) == 16);
    CHECK(r.rd32(buf + 8) == 16);
    CHECK(r.rd32(buf + 0x0C) == 63);
    CHECK(r.rd64(buf + 0x10) == 16384);
    CHECK(r.rd16(buf + 0x18) == 512);
    if (got == 0x1E) CHECK(r.rd32(buf + 0x1A) == 0xFFFFFFFF);
    CHECK(r.rd8(buf + got) == 0xEE);  // nothing written past the size returned
  }
  r.wr16(buf, 0x10);
  r.set(EAX, 0x4800), r.set(EDX, 0x0080);
  r.call(0x13);
  CHECK(r.cf());
}

TEST_CASE("int 13h geometry: LBA-assisted translation and the floppy formats", "[bios][disk]") {
  using rs::bios::disk_geometry;
  using rs::bios::floppy_geometry;
  auto same = [](rs::bios::Chs a, uint32_t c, uint32_t h, uint32_t s) { return a.cyls == c && a.heads == h && a.spt == s; };
  CHECK(same(disk_geometry(16384), 16, 16, 63));
  CHECK(same(disk_geometry(1032192), 1024, 16, 63));     // 504 MiB: the last 16-head size
  CHECK(same(disk_geometry(2 * 1032192), 1024, 32, 63));
  CHECK(same(disk_geometry(8ull << 21), 1024, 255, 63));  // 8 GiB
  CHECK(same(disk_geometry(64ull << 21), 1024, 255, 63)); // bigger: CHS stops at 1024 cylinders
  uint8_t type = 0;
  CHECK(same(floppy_geometry(360 * 1024, &type), 40, 2, 9));
  CHECK(type == 1);
  CHECK(same(floppy_geometry(1200 * 1024, &type), 80, 2, 15));
  CHECK(type == 2);
  CHECK(same(floppy_geometry(2880 * 1024, &type), 80, 2, 36));
}

namespace {

// A partition entry (MBR offset 1BEh + 16 i) for sectors [first, last] under the geometry heads x spt.
void partition(MemImage& img, int i, uint32_t first, uint32_t last, uint32_t heads, uint32_t spt) {
  if (i == 0) std::fill(img.data.begin() + 0x1BE, img.data.begin() + 0x1FE, 0);  // no other entries
  uint8_t* e = img.data.data() + 0x1BE + 16 * i;
  auto chs = [&](uint8_t* p, uint32_t lba) {
    const uint32_t c = std::min<uint32_t>(lba / (heads * spt), 1023), h = lba / spt % heads, s = lba % spt + 1;
    p[0] = uint8_t(h), p[1] = uint8_t(s | (c >> 8) << 6), p[2] = uint8_t(c);
  };
  e[4] = 0x83;
  chs(e + 1, first);
  chs(e + 5, last);
  for (int k = 0; k < 4; k++) e[8 + k] = uint8_t(first >> (8 * k)), e[12 + k] = uint8_t((last - first + 1) >> (8 * k));
  img.data[510] = 0x55, img.data[511] = 0xAA;
}

}  // namespace

TEST_CASE("int 13h geometry: a disk keeps the geometry its partition table was written with", "[bios][disk]") {
  SECTION("255 heads, 63 sectors: 08h and 48h report it, CHS reads follow it") {
    auto hd = patterned_disk(3 * 255 * 63 * 512);
    partition(*hd, 0, 63, 3 * 255 * 63 - 1, 255, 63);
    Rig r(with_hd(hd.get()));
    r.set(EAX, 0x0800), r.set(EDX, 0x0080);
    r.call(0x13);
    CHECK(r.r16(ECX) == (1 << 8 | 63));   // 3 cylinders, the last kept back
    CHECK(r.r16(EDX) == (254 << 8 | 1));
    r.set_seg(rs::ES, 0x2000), r.set(EBX, 0);
    r.set(EAX, 0x0201), r.set(ECX, 0x0101), r.set(EDX, 0x0380);  // cylinder 1, head 3, sector 1
    r.call(0x13);
    CHECK_FALSE(r.cf());
    CHECK(sector_at(r, 0x20000, (1 * 255 + 3) * 63));
  }
  SECTION("a table that does not add up: the translated geometry") {
    auto hd = patterned_disk(8 << 20);
    partition(*hd, 0, 63, 16000, 255, 63);
    hd->data[0x1BE + 12] ^= 0x10;  // the size no longer matches the end address
    Rig r(with_hd(hd.get()));
    r.set(EAX, 0x0800), r.set(EDX, 0x0080);
    r.call(0x13);
    CHECK(r.r16(EDX) == (15 << 8 | 1));  // 16 heads
  }
}

// ---------------------------------------------------------------- int 15h

TEST_CASE("int 15h E820h: the PC memory map in order, 'SMAP', EBX continuation", "[bios][memory]") {
  Rig r;
  struct Entry {
    uint64_t base, len;
    uint32_t type;
  };
  std::vector<Entry> got;
  uint32_t ebx = 0;
  do {
    r.set(EAX, 0xE820), r.set(EDX, 0x534D4150), r.set(ECX, 20), r.set(EBX, ebx);
    r.set_seg(rs::ES, 0x0080), r.set(EDI, 0x10);
    r.call(0x15);
    REQUIRE_FALSE(r.cf());
    CHECK(r.cpu->regs[EAX] == 0x534D4150);
    CHECK(r.cpu->regs[ECX] == 20);
    got.push_back({r.rd64(0x810), r.rd64(0x818), r.rd32(0x820)});
    ebx = uint32_t(r.cpu->regs[EBX]);
  } while (ebx != 0 && got.size() < 16);
  REQUIRE(got.size() == 4);
  CHECK((got[0].base == 0 && got[0].len == 0x9FC00 && got[0].type == 1));
  CHECK((got[1].base == 0x9FC00 && got[1].type == 2));
  CHECK((got[2].base <= 0xF0000 && got[2].base + got[2].len >= 0x100000 && got[2].type == 2));
  CHECK((got[3].base == 0x100000 && got[3].len == (64u << 20) - 0x100000 && got[3].type == 1));
  for (size_t i = 1; i < got.size(); i++) CHECK(got[i].base >= got[i - 1].base + got[i - 1].len);
  // 24 bytes asked: the ACPI 3.0 extended attributes (bit 0: enabled).
  r.set(EAX, 0xE820), r.set(EDX, 0x534D4150), r.set(ECX, 24), r.set(EBX, 0);
  r.call(0x15);
  CHECK(r.cpu->regs[ECX] == 24);
  CHECK(r.rd32(0x824) == 1);
  // Without 'SMAP' in EDX, or past the last entry: CF.
  r.set(EAX, 0xE820), r.set(EDX, 0), r.set(ECX, 20), r.set(EBX, 0);
  r.call(0x15);
  CHECK(r.cf());
  r.set(EAX, 0xE820), r.set(EDX, 0x534D4150), r.set(ECX, 20), r.set(EBX, 9);
  r.call(0x15);
  CHECK(r.cf());
}

TEST_CASE("int 15h E801h and 88h: memory above 1 MiB and 16 MiB", "[bios][memory]") {
  Rig r;  // 64 MiB
  r.set(EAX, 0xE801);
  r.call(0x15);
  CHECK_FALSE(r.cf());
  CHECK(r.r16(EAX) == 15 * 1024);
  CHECK(r.r16(ECX) == 15 * 1024);
  CHECK(r.r16(EBX) == (48 << 20) >> 16);
  CHECK(r.r16(EDX) == (48 << 20) >> 16);
  r.set(EAX, 0x8800);
  r.call(0x15);
  CHECK_FALSE(r.cf());
  CHECK(r.r16(EAX) == 63 * 1024);
}

TEST_CASE("int 15h 87h: block move by the GDT at ES:SI", "[bios][memory]") {
  Rig r;
  for (uint32_t i = 0; i < 256; i++) r.wr8(0x300000 + i, uint8_t(i ^ 0x5A));
  const uint32_t gdt = 0x900;
  for (uint32_t i = 0; i < 48; i++) r.wr8(gdt + i, 0);
  auto desc = [&](uint32_t at, uint32_t base) {
    r.wr16(at, 0xFFFF), r.wr16(at + 2, uint16_t(base)), r.wr8(at + 4, uint8_t(base >> 16));
    r.wr8(at + 5, 0x93), r.wr8(at + 7, uint8_t(base >> 24));
  };
  desc(gdt + 0x10, 0x300000);
  desc(gdt + 0x18, 0x8000);
  r.set_seg(rs::ES, 0), r.set(ESI, gdt), r.set(ECX, 128), r.set(EAX, 0x8700);
  r.call(0x15);
  CHECK_FALSE(r.cf());
  CHECK(r.ah() == 0);
  for (uint32_t i = 0; i < 256; i++) REQUIRE(r.rd8(0x8000 + i) == uint8_t(i ^ 0x5A));
  CHECK(r.rd8(0x8100) == 0);
}

TEST_CASE("int 15h 2400h-2403h: the A20 gate through port 92h", "[bios][memory]") {
  Rig r;
  r.set(EAX, 0x2400);
  r.call(0x15);
  CHECK_FALSE(r.cf());
  CHECK((r.env.port92 & 0x03) == 0);
  r.set(EAX, 0x2402);
  r.call(0x15);
  CHECK(r.r16(EAX) == 0x0000);
  r.set(EAX, 0x2401);
  r.call(0x15);
  CHECK((r.env.port92 & 0x03) == 0x02);
  r.set(EAX, 0x2402);
  r.call(0x15);
  CHECK_FALSE(r.cf());
  CHECK(r.r16(EAX) == 0x0001);
  r.set(EAX, 0x2403);
  r.call(0x15);
  CHECK((r.r16(EBX) & 0x0002) != 0);
}

TEST_CASE("int 15h: configuration table, APM absent, unknown functions, 4Fh intercept", "[bios][memory]") {
  Rig r;
  r.set(EAX, 0xC000);
  r.call(0x15);
  CHECK_FALSE(r.cf());
  const uint32_t table = r.cpu->seg[rs::ES].base + r.r16(EBX);
  CHECK(r.rd16(table) >= 8);
  CHECK(r.rd8(table + 2) == 0xFC);
  r.set(EAX, 0x5300), r.set(EBX, 0);
  r.call(0x15);
  CHECK(r.cf());
  CHECK(r.ah() == 0x86);
  r.set(EAX, 0xEC00);
  r.call(0x15);
  CHECK(r.cf());
  CHECK(r.ah() == 0x86);
  r.set(EAX, 0x4F1E);
  r.call(0x15, 0x0202);
  CHECK(r.cf());
  CHECK(r.al() == 0x1E);
}

// ---------------------------------------------------------------- int 10h

TEST_CASE("int 10h 0Eh: teletype writes character and attribute, moves the cursor (BDA and CRTC)", "[bios][video]") {
  Rig r;
  r.env.outs.clear();
  for (char ch : std::string("AB")) {
    r.set(EAX, 0x0E00 | uint8_t(ch)), r.set(EBX, 0);
    r.call(0x10);
  }
  CHECK(r.rd16(0xB8000) == 0x0741);
  CHECK(r.rd16(0xB8002) == 0x0742);
  CHECK(r.rd16(0x450) == 0x0002);  // row 0, column 2
  CHECK(r.console == "AB");
  // The CRTC's cursor location registers 0Eh/0Fh hold character 2.
  const auto& o = r.env.outs;
  REQUIRE(o.size() >= 4);
  const size_t n = o.size();
  CHECK((o[n - 4].port == 0x3D4 && o[n - 4].value == 0x0E && o[n - 3].port == 0x3D5 && o[n - 3].value == 0));
  CHECK((o[n - 2].port == 0x3D4 && o[n - 2].value == 0x0F && o[n - 1].port == 0x3D5 && o[n - 1].value == 2));
  // CR LF: column 0 of row 1; BS at column 0 stays; BEL writes nothing.
  for (uint8_t ch : {0x0D, 0x0A, 0x08, 0x07}) {
    r.set(EAX, 0x0E00 | ch);
    r.call(0x10);
  }
  CHECK(r.rd16(0x450) == 0x0100);
  CHECK(r.rd16(0xB8000 + 160) == 0x0720);
  CHECK(r.console == "AB\r\n\b\a");
}

TEST_CASE("int 10h 0Eh: a line feed on line 25 scrolls the screen up", "[bios][video]") {
  Rig r;
  for (int row = 0; row < 25; row++) {
    r.set(EAX, 0x0E00 | uint8_t('a' + row));
    r.call(0x10);
    if (row < 24) {
      for (uint8_t ch : {0x0D, 0x0A}) {
        r.set(EAX, 0x0E00 | ch);
        r.call(0x10);
      }
    }
  }
  CHECK(r.rd16(0x450) == (24 << 8 | 1));
  CHECK(r.rd8(0xB8000) == 'a');
  r.set(EAX, 0x0E0A);
  r.call(0x10);
  CHECK(r.rd16(0x450) == (24 << 8 | 1));  // still on the last line
  CHECK(r.rd8(0xB8000) == 'b');
  CHECK(r.rd8(0xB8000 + 23 * 160) == 'y');
  CHECK(r.rd16(0xB8000 + 24 * 160) == 0x0720);
  // Writing past column 80 of the last line wraps and scrolls too.
  r.set(EAX, 0x0200), r.set(EBX, 0), r.set(EDX, 24 << 8 | 79);
  r.call(0x10);
  r.set(EAX, 0x0E5A);
  r.call(0x10);
  CHECK(r.rd8(0xB8000 + 23 * 160 + 158) == 'Z');
  CHECK(r.rd16(0x450) == (24 << 8 | 0));
}

TEST_CASE("int 10h: cursor, characters and attributes, scroll window, mode, string, fonts, DCC, VBE", "[bios][video]") {
  Rig r;
  // 02h/03h: cursor position of page 0.
  r.set(EAX, 0x0200), r.set(EBX, 0), r.set(EDX, 0x050A);
  r.call(0x10);
  r.set(EAX, 0x0300), r.set(EBX, 0);
  r.call(0x10);
  CHECK(r.r16(EDX) == 0x050A);
  CHECK(r.r16(ECX) == 0x0607);
  // 09h: three copies of 'x' in attribute 1Eh, the cursor stays; 08h reads one back.
  r.set(EAX, 0x0978), r.set(EBX, 0x001E), r.set(ECX, 3);
  r.call(0x10);
  const uint32_t at = 0xB8000 + (5 * 80 + 10) * 2;
  CHECK(r.rd16(at) == 0x1E78);
  CHECK(r.rd16(at + 4) == 0x1E78);
  CHECK(r.rd16(at + 6) == 0x0720);
  CHECK(r.rd16(0x450) == 0x050A);
  r.set(EAX, 0x0800), r.set(EBX, 0);
  r.call(0x10);
  CHECK(r.r16(EAX) == 0x1E78);
  // 0Ah: the character only.
  r.set(EAX, 0x0A79), r.set(ECX, 1);
  r.call(0x10);
  CHECK(r.rd16(at) == 0x1E79);
  // 06h: scroll the window rows 5-6, columns 10-12 up by one with attribute 70h.
  r.set(EAX, 0x0601), r.set(EBX, 0x7000), r.set(ECX, 0x050A), r.set(EDX, 0x060C);
  r.call(0x10);
  CHECK(r.rd16(at) == 0x0720);                       // row 6 came up (blank)
  CHECK(r.rd16(at + 160) == 0x7020);                 // the new row
  CHECK(r.rd16(at + 6) == 0x0720);                   // column 13: outside the window
  // 07h with AL = 0 blanks the window.
  r.set(EAX, 0x0700), r.set(EBX, 0x1F00), r.set(ECX, 0x0000), r.set(EDX, 0x0101);
  r.call(0x10);
  CHECK(r.rd16(0xB8000) == 0x1F20);
  CHECK(r.rd16(0xB8000 + 162) == 0x1F20);
  // 0Fh.
  r.set(EAX, 0x0F00), r.set(EBX, 0xFFFF);
  r.call(0x10);
  CHECK(r.r16(EAX) == (80 << 8 | 3));
  CHECK(r.r16(EBX) == 0x00FF);  // BH = page 0, BL kept
  // 13h, AL = 1: the string at ES:BP with attribute BL from (2, 3), the cursor follows.
  const char* s = "Hi\r\n!";
  for (int i = 0; i < 5; i++) r.wr8(0x800 + i, uint8_t(s[i]));
  r.console.clear();
  r.set_seg(rs::ES, 0x0080), r.set(EBP, 0), r.set(EAX, 0x1301), r.set(EBX, 0x002F), r.set(ECX, 5), r.set(EDX, 0x0203);
  r.call(0x10);
  CHECK(r.rd16(0xB8000 + (2 * 80 + 3) * 2) == 0x2F48);
  CHECK(r.rd16(0xB8000 + (3 * 80 + 0) * 2) == 0x2F21);
  CHECK(r.rd16(0x450) == 0x0301);
  CHECK(r.console == "Hi\r\n!");
  // 1130h: ES:BP a font in the ROM, CX the character height, DL the last row.
  r.set(EAX, 0x1130), r.set(EBX, 0x0600), r.set(ECX, 0), r.set(EDX, 0);
  r.call(0x10);
  CHECK(r.cpu->seg[rs::ES].sel == 0xF000);
  CHECK(r.r16(ECX) == 16);
  CHECK(r.lo8(EDX) == 24);
  // 1A00h: one colour VGA.
  r.set(EAX, 0x1A00), r.set(EBX, 0);
  r.call(0x10);
  CHECK(r.al() == 0x1A);
  CHECK(r.lo8(EBX) == 0x08);
  // 12h BL = 10h: EGA information (colour, 256 KiB).
  r.set(EAX, 0x1200), r.set(EBX, 0x0010);
  r.call(0x10);
  CHECK(r.r16(EBX) == 0x0003);
  // VBE 4F00h: not 004Fh, so loaders fall back to text.
  r.set(EAX, 0x4F00);
  r.call(0x10);
  CHECK(r.r16(EAX) != 0x004F);
}

TEST_CASE("int 10h 00h: setting mode 03h clears the screen and homes the cursor", "[bios][video]") {
  Rig r;
  r.wr16(0xB8000 + 500, 0x4141);
  r.wr16(0x450, 0x0A0A);
  r.set(EAX, 0x0003);
  r.call(0x10);
  CHECK(r.rd16(0xB8000 + 500) == 0x0720);
  CHECK(r.rd16(0x450) == 0);
  CHECK(r.rd8(0x449) == 3);
  r.wr16(0xB8000 + 500, 0x4141);
  r.set(EAX, 0x0083);  // bit 7: keep the contents
  r.call(0x10);
  CHECK(r.rd16(0xB8000 + 500) == 0x4141);
}

// ---------------------------------------------------------------- keyboard

TEST_CASE("int 16h: keys from the BDA buffer, peek with ZF, 05h store, shift flags", "[bios][keyboard]") {
  Rig r;
  r.set(EAX, 0x0100);
  r.call(0x16);
  CHECK(r.zf());  // empty
  r.set(EAX, 0x0500), r.set(ECX, 0x1E61);
  r.call(0x16);
  CHECK(r.al() == 0);
  r.set(EAX, 0x0500), r.set(ECX, 0x3062);
  r.call(0x16);
  r.set(EAX, 0x0100);
  r.call(0x16);
  CHECK_FALSE(r.zf());
  CHECK(r.r16(EAX) == 0x1E61);
  r.set(EAX, 0x0000);
  r.call(0x16);
  CHECK(r.r16(EAX) == 0x1E61);  // peek did not take it
  r.set(EAX, 0x1000);
  r.call(0x16);
  CHECK(r.r16(EAX) == 0x3062);
  r.set(EAX, 0x1100);
  r.call(0x16);
  CHECK(r.zf());
  // The buffer holds 15 keys: the 16th is refused.
  for (int i = 0; i < 15; i++) {
    r.set(EAX, 0x0500), r.set(ECX, 0x0200 + i);
    r.call(0x16);
    REQUIRE(r.al() == 0);
  }
  r.set(EAX, 0x0500), r.set(ECX, 0x0300);
  r.call(0x16);
  CHECK(r.al() == 1);
  r.wr8(0x417, 0x43);
  r.set(EAX, 0x0200);
  r.call(0x16);
  CHECK(r.al() == 0x43);
}

TEST_CASE("int 09h: scan codes from port 60h become key words, with Shift, Caps Lock, E0 keys; EOI each time", "[bios][keyboard]") {
  Rig r;
  auto feed = [&](std::initializer_list<uint8_t> codes) {
    for (uint8_t code : codes) {
      r.env.kbd.push_back(code);
      r.env.outs.clear();
      r.call(0x09);
      REQUIRE(r.env.written(0x20) == std::vector<uint8_t>{0x20});
    }
  };
  auto next_key = [&](uint8_t fn) {
    r.set(EAX, uint32_t(fn) << 8);
    r.call(0x16);
    return r.r16(EAX);
  };
  feed({0x2A, 0x1E, 0x9E, 0xAA});  // Shift down, a, a up, Shift up
  CHECK(r.rd8(0x417) == 0);
  feed({0x1E, 0x9E});              // a
  feed({0x1C, 0x9C});              // Enter
  feed({0x3A, 0xBA, 0x1E, 0x9E});  // Caps Lock, a
  CHECK(r.rd8(0x417) == 0x40);
  feed({0x2A, 0x1E, 0x9E, 0xAA});  // Shift + a with Caps Lock: a
  feed({0x1D, 0x2E, 0xAE, 0x9D});  // Ctrl + c
  feed({0xE0, 0x48, 0xE0, 0xC8});  // gray Up
  feed({0xE0, 0x48, 0xE0, 0xC8});
  feed({0x3B, 0xBB});              // F1
  CHECK(next_key(0x00) == 0x1E41);
  CHECK(next_key(0x00) == 0x1E61);
  CHECK(next_key(0x00) == 0x1C0D);
  CHECK(next_key(0x00) == 0x1E41);
  CHECK(next_key(0x00) == 0x1E61);
  CHECK(next_key(0x00) == 0x2E03);
  CHECK(next_key(0x10) == 0x48E0);  // enhanced read keeps the gray mark
  CHECK(next_key(0x00) == 0x4800);  // the PC/AT read hides it
  CHECK(next_key(0x00) == 0x3B00);
  r.set(EAX, 0x0100);
  r.call(0x16);
  CHECK(r.zf());
  // A spurious IRQ 1 (nothing in the i8042) reads no byte and stores no key, but ends the interrupt.
  r.env.outs.clear();
  r.call(0x09);
  CHECK(r.env.written(0x20) == std::vector<uint8_t>{0x20});
  r.set(EAX, 0x0100);
  r.call(0x16);
  CHECK(r.zf());
}

TEST_CASE("int 09h: Num Lock keypad digits and Alt + keypad character codes", "[bios][keyboard]") {
  Rig r;
  auto feed = [&](std::initializer_list<uint8_t> codes) {
    for (uint8_t code : codes) {
      r.env.kbd.push_back(code);
      r.call(0x09);
    }
  };
  feed({0x4B, 0xCB});                          // keypad 4 without Num Lock: Left
  feed({0x45, 0xC5, 0x4B, 0xCB});              // Num Lock, keypad 4
  feed({0x38, 0x4F, 0xCF, 0x4C, 0xCC, 0xB8});  // Alt + 1 5 = character 15
  r.set(EAX, 0x1000);
  r.call(0x16);
  CHECK(r.r16(EAX) == 0x4B00);
  r.set(EAX, 0x1000);
  r.call(0x16);
  CHECK(r.r16(EAX) == 0x4B34);
  r.set(EAX, 0x1000);
  r.call(0x16);
  CHECK(r.r16(EAX) == 0x000F);
}

// ---------------------------------------------------------------- time

TEST_CASE("int 1Ah: RTC time and date in BCD from the CMOS, in either RTC format", "[bios][time]") {
  Rig r;
  r.set(EAX, 0x0200);
  r.call(0x1A);
  CHECK_FALSE(r.cf());
  CHECK(r.r16(ECX) == 0x1234);
  CHECK(r.r16(EDX) == 0x5600);
  r.set(EAX, 0x0400);
  r.call(0x1A);
  CHECK_FALSE(r.cf());
  CHECK(r.r16(ECX) == 0x2026);
  CHECK(r.r16(EDX) == 0x0615);
  // Binary, 12-hour: 1:02:03 PM reads as 13:02:03 BCD.
  r.env.cmos[0x0B] = 0x04;
  r.env.cmos[0x04] = 0x81, r.env.cmos[0x02] = 2, r.env.cmos[0x00] = 3;
  r.set(EAX, 0x0200);
  r.call(0x1A);
  CHECK(r.r16(ECX) == 0x1302);
  CHECK(r.r16(EDX) == 0x0300);
}

TEST_CASE("int 1Ah 03h/05h set the RTC in BCD with SET held while writing", "[bios][time]") {
  Rig r;
  r.env.outs.clear();
  r.set(EAX, 0x0300), r.set(ECX, 0x2359), r.set(EDX, 0x5800);
  r.call(0x1A);
  CHECK(r.env.cmos[0x04] == 0x23);
  CHECK(r.env.cmos[0x02] == 0x59);
  CHECK(r.env.cmos[0x00] == 0x58);
  CHECK((r.env.cmos[0x0B] & 0x86) == 0x02);  // running, BCD, 24-hour
  const auto b = r.env.written(0x71);
  REQUIRE(b.size() == 5);
  CHECK((b.front() & 0x80) != 0);
  r.set(EAX, 0x0500), r.set(ECX, 0x2027), r.set(EDX, 0x1231);
  r.call(0x1A);
  CHECK(r.env.cmos[0x32] == 0x20);
  CHECK(r.env.cmos[0x09] == 0x27);
  CHECK(r.env.cmos[0x08] == 0x12);
  CHECK(r.env.cmos[0x07] == 0x31);
}

TEST_CASE("int 08h counts ticks, rolls over at midnight; int 1Ah 00h/01h read and set them", "[bios][time]") {
  Rig r;
  r.wr32(0x46C, 0x1800AF);
  r.env.outs.clear();
  r.call(0x08);
  CHECK(r.rd32(0x46C) == 0);
  CHECK(r.rd8(0x470) != 0);
  CHECK(r.env.written(0x20) == std::vector<uint8_t>{0x20});
  r.call(0x08);
  r.set(EAX, 0x0000);
  r.call(0x1A);
  CHECK(r.r16(ECX) == 0);
  CHECK(r.r16(EDX) == 1);
  CHECK(r.al() != 0);
  CHECK(r.rd8(0x470) == 0);  // read once
  r.set(EAX, 0x0100), r.set(ECX, 0x0012), r.set(EDX, 0x3456);
  r.call(0x1A);
  CHECK(r.rd32(0x46C) == 0x123456);
  r.set(EAX, 0xB101);
  r.call(0x1A);
  CHECK(r.cf());
}

// ---------------------------------------------------------------- boot

namespace {

std::unique_ptr<MemImage> boot_disk(uint64_t bytes, bool signature, uint8_t tag) {
  auto img = std::make_unique<MemImage>(bytes, false);
  for (int i = 0; i < 510; i++) img->data[i] = uint8_t(tag + i);
  if (signature) img->data[510] = 0x55, img->data[511] = 0xAA;
  return img;
}

// An ISO 9660 image with an El Torito boot catalog: volume descriptors at 16 (primary),
// 17 (boot record) and 18 (terminator), the catalog at 20, the boot image at 21.
std::unique_ptr<MemImage> el_torito_cd(uint8_t media, uint16_t load_seg, uint16_t count) {
  auto cd = std::make_unique<MemImage>(64 * 2048, true);
  uint8_t* d = cd->data.data();
  auto sector = [&](int n) { return d + n * 2048; };
  uint8_t* pvd = sector(16);
  pvd[0] = 1, std::memcpy(pvd + 1, "CD001", 5), pvd[6] = 1;
  uint8_t* brvd = sector(17);
  brvd[0] = 0, std::memcpy(brvd + 1, "CD001", 5), brvd[6] = 1;
  std::memcpy(brvd + 7, "EL TORITO SPECIFICATION", 23);
  brvd[0x47] = 20;
  uint8_t* term = sector(18);
  term[0] = 255, std::memcpy(term + 1, "CD001", 5), term[6] = 1;
  uint8_t* cat = sector(20);
  cat[0] = 1;     // validation entry
  cat[1] = 0;     // 80x86
  std::memcpy(cat + 4, "ringshift test", 14);
  cat[0x1E] = 0x55, cat[0x1F] = 0xAA;
  uint16_t sum = 0;
  for (int i = 0; i < 32; i += 2) sum = uint16_t(sum + (cat[i] | cat[i + 1] << 8));
  const uint16_t fix = uint16_t(-sum);
  cat[0x1C] = uint8_t(fix), cat[0x1D] = uint8_t(fix >> 8);
  uint8_t* entry = cat + 32;
  entry[0] = 0x88, entry[1] = media;
  entry[2] = uint8_t(load_seg), entry[3] = uint8_t(load_seg >> 8);
  entry[6] = uint8_t(count), entry[7] = uint8_t(count >> 8);
  entry[8] = 21;
  for (int s = 21; s < 64; s++)
    for (uint32_t i = 0; i < 2048; i++) sector(s)[i] = pattern(uint64_t(s), i);
  return cd;
}

}  // namespace

TEST_CASE("int 19h: a hard disk with 55AAh boots at 0000:7C00 with DL = 80h", "[bios][boot]") {
  auto hd = boot_disk(1 << 20, true, 0x30);
  Rig r(with_hd(hd.get()));
  r.console.clear();
  r.set(EDX, 0x12345678);
  r.call(0x19);
  CHECK(r.frame(0) == 0x7C00);
  CHECK(r.frame(1) == 0x0000);
  CHECK(r.cpu->regs[EDX] == 0x12345680);
  for (int i = 0; i < 512; i++) REQUIRE(r.rd8(0x7C00 + i) == hd->data[i]);
  CHECK(r.console == "Booting from Hard Disk...\r\n");
  CHECK(r.rd8(0xB8000) == 'B');  // on the screen too
  CHECK(r.env.stop_status == -1);
}

TEST_CASE("int 19h: no 55AAh, the BIOS says so and tries the next device, then stops with kExitNoBoot", "[bios][boot]") {
  auto hd = boot_disk(1 << 20, false, 0x30);
  auto fd = boot_disk(1440 * 1024, true, 0x40);
  SECTION("then the floppy boots with DL = 00h") {
    rs::BiosConfig cfg = with_hd(hd.get());
    cfg.fd = fd.get();
    cfg.boot_order = "ca";
    Rig r(cfg);
    r.console.clear();
    r.call(0x19);
    CHECK(r.console.find("Boot failed: not a bootable disk") != std::string::npos);
    CHECK(r.console.find("Booting from Floppy...") != std::string::npos);
    CHECK(r.frame(0) == 0x7C00);
    CHECK(r.lo8(EDX) == 0x00);
    CHECK(r.rd8(0x7C00) == 0x40);
    CHECK(r.env.stop_status == -1);
  }
  SECTION("nothing else: No bootable device") {
    Rig r(with_hd(hd.get()));
    r.console.clear();
    r.call(0x19);
    CHECK(r.console ==
          "Booting from Hard Disk...\r\nBoot failed: not a bootable disk\r\n\r\nNo bootable device.\r\n");
    CHECK(r.env.stop_status == rs::kExitNoBoot);
    CHECK(r.env.stop_why.find("not a bootable disk") != std::string::npos);
  }
  SECTION("no drives at all") {
    Rig r;
    r.call(0x19);
    CHECK(r.env.stop_status == rs::kExitNoBoot);
    CHECK(r.env.stop_why.find("-hda") != std::string::npos);
  }
}

TEST_CASE("int 18h: the boot sector gives up, the next device of the order boots", "[bios][boot]") {
  auto hd = boot_disk(1 << 20, true, 0x30);
  auto fd = boot_disk(1440 * 1024, true, 0x40);
  rs::BiosConfig cfg = with_hd(hd.get());
  cfg.fd = fd.get();
  cfg.boot_order = "ca";
  Rig r(cfg);
  r.call(0x19);
  CHECK(r.lo8(EDX) == 0x80);
  r.call(0x18);
  CHECK(r.lo8(EDX) == 0x00);
  CHECK(r.rd8(0x7C00) == 0x40);
  r.call(0x18);
  CHECK(r.env.stop_status == rs::kExitNoBoot);
}

TEST_CASE("El Torito: a no-emulation CD boots its image at the load segment with DL = E0h", "[bios][boot]") {
  auto cd = el_torito_cd(0, 0, 4);  // default segment 07C0h, 4 x 512 bytes
  rs::BiosConfig cfg;
  cfg.cd = cd.get();
  cfg.boot_order = std::string("d");  // not = "d": a false -Wrestrict of g++ 12 at -O3 (GCC bug 105651)
  Rig r(cfg);
  r.console.clear();
  r.call(0x19);
  REQUIRE(r.env.stop_status == -1);
  CHECK(r.console == "Booting from DVD/CD...\r\n");
  CHECK(r.frame(1) == 0x07C0);
  CHECK(r.frame(0) == 0x0000);
  CHECK(r.lo8(EDX) == 0xE0);
  CHECK(sector_at(r, 0x7C00, 21, 2048));
  // 4B01h: the specification packet.
  for (int i = 0; i < 0x13; i++) r.wr8(0x500 + i, 0xEE);
  r.set_seg(rs::DS, 0), r.set(ESI, 0x500), r.set(EAX, 0x4B01), r.set(EDX, 0xE0);
  r.call(0x13);
  CHECK_FALSE(r.cf());
  CHECK(r.rd8(0x500) == 0x13);
  CHECK(r.rd8(0x501) == 0x00);   // no emulation
  CHECK(r.rd8(0x502) == 0xE0);
  CHECK(r.rd32(0x504) == 21);    // the image's LBA
  CHECK(r.rd16(0x50E) == 4);     // sectors loaded
  // 42h reads 2048-byte sectors; 48h says so.
  r.wr8(0x600, 0x10), r.wr8(0x601, 0), r.wr16(0x602, 2), r.wr16(0x604, 0), r.wr16(0x606, 0x3000), r.wr64(0x608, 30);
  r.set(ESI, 0x600), r.set(EAX, 0x4200), r.set(EDX, 0xE0);
  r.call(0x13);
  CHECK_FALSE(r.cf());
  CHECK(sector_at(r, 0x30000, 30, 2048));
  CHECK(sector_at(r, 0x30800, 31, 2048));
  r.wr16(0x700, 0x1E);
  r.set(ESI, 0x700), r.set(EAX, 0x4800), r.set(EDX, 0xE0);
  r.call(0x13);
  CHECK_FALSE(r.cf());
  CHECK(r.rd16(0x718) == 2048);
  CHECK(r.rd64(0x710) == 64);
  // A CD is read-only: 43h is write protected.
  r.set(ESI, 0x600), r.set(EAX, 0x4300), r.set(EDX, 0xE0);
  r.call(0x13);
  CHECK(r.cf());
  CHECK(r.ah() == 0x03);
}

TEST_CASE("El Torito: an explicit load segment and sector count are honoured", "[bios][boot]") {
  auto cd = el_torito_cd(0, 0x2000, 9);  // 4.5 KiB: not a whole number of CD sectors
  rs::BiosConfig cfg;
  cfg.cd = cd.get();
  cfg.boot_order = std::string("d");  // as above (GCC bug 105651)
  Rig r(cfg);
  r.call(0x19);
  CHECK(r.frame(1) == 0x2000);
  CHECK(r.frame(0) == 0x0000);
  CHECK(sector_at(r, 0x20000, 21, 2048));
  CHECK(sector_at(r, 0x20800, 22, 2048));
  for (uint32_t i = 0; i < 512; i++) REQUIRE(r.rd8(0x21000 + i) == pattern(23, i));
  CHECK(r.rd8(0x21200) == 0);  // nothing past 9 x 512 bytes
}

TEST_CASE("El Torito: an emulation CD is refused and the next device boots", "[bios][boot]") {
  auto cd = el_torito_cd(4, 0, 4);  // hard disk emulation
  auto hd = boot_disk(1 << 20, true, 0x30);
  rs::BiosConfig cfg = with_hd(hd.get());
  cfg.cd = cd.get();
  cfg.boot_order = "dc";
  Rig r(cfg);
  r.console.clear();
  r.call(0x19);
  CHECK(r.console.find("Boot failed: floppy and hard disk emulation CDs are not supported") != std::string::npos);
  CHECK(r.lo8(EDX) == 0x80);
  CHECK(r.frame(0) == 0x7C00);
  // Not booted from the CD: 4B01h has nothing to report.
  r.set_seg(rs::DS, 0), r.set(ESI, 0x500), r.set(EAX, 0x4B01), r.set(EDX, 0xE0);
  r.call(0x13);
  CHECK(r.cf());
}

TEST_CASE("El Torito: a CD without a boot record is not bootable", "[bios][boot]") {
  auto cd = el_torito_cd(0, 0, 4);
  cd->data[17 * 2048 + 7] = 'X';
  rs::BiosConfig cfg;
  cfg.cd = cd.get();
  cfg.boot_order = "d";
  Rig r(cfg);
  r.call(0x19);
  CHECK(r.env.stop_status == rs::kExitNoBoot);
  CHECK(r.env.stop_why.find("El Torito") != std::string::npos);
}
