// Unit tests of PCI configuration mechanism #1 and the i440FX host bridge.
//
// Expected values: the PCI Local Bus specification (CONFIG_ADDRESS layout, all ones
// from an absent function), Intel's host bridge data sheets (CONFIG_ADDRESS latched by
// 32-bit accesses only, 82441FX IDs and defaults) and what Linux's pci_check_type1 and
// pci_sanity_check need.
#include <catch2/catch.hpp>

#include <cstdint>

#include <tuple>

#include "device_rig.h"
#include "devices/io_bus.h"
#include "devices/mmio_bus.h"
#include "devices/pci_host.h"
#include "devices/piix3.h"

namespace {

uint32_t addr(int bus, int dev, int fn, int reg) {
  return 0x80000000u | uint32_t(bus) << 16 | uint32_t(dev) << 11 | uint32_t(fn) << 8 | uint32_t(reg & 0xFC);
}

uint32_t cfg_read(rs::PciHost& p, int bus, int dev, int fn, int reg, int size) {
  p.out(0xCF8, 4, addr(bus, dev, fn, reg));
  return p.in(uint16_t(0xCFC + (reg & 3)), size);
}

void cfg_write(rs::PciHost& p, int bus, int dev, int fn, int reg, int size, uint32_t v) {
  p.out(0xCF8, 4, addr(bus, dev, fn, reg));
  p.out(uint16_t(0xCFC + (reg & 3)), size, v);
}

}  // namespace

TEST_CASE("PCI: host bridge identity with 8, 16 and 32-bit reads", "[pci]") {
  rs::PciHost p;
  CHECK(cfg_read(p, 0, 0, 0, 0x00, 4) == 0x12378086);
  CHECK(cfg_read(p, 0, 0, 0, 0x00, 2) == 0x8086);
  CHECK(cfg_read(p, 0, 0, 0, 0x02, 2) == 0x1237);
  CHECK(cfg_read(p, 0, 0, 0, 0x01, 1) == 0x80);
  CHECK(cfg_read(p, 0, 0, 0, 0x03, 1) == 0x12);
  CHECK(cfg_read(p, 0, 0, 0, 0x08, 4) == 0x06000002);  // class 0x060000, revision 2
  CHECK(cfg_read(p, 0, 0, 0, 0x0A, 2) == 0x0600);
  CHECK(cfg_read(p, 0, 0, 0, 0x0E, 1) == 0x00);  // header type 0, single function
  CHECK(cfg_read(p, 0, 0, 0, 0x04, 4) == 0x02800006);
}

TEST_CASE("PCI: absent functions and buses read all ones", "[pci]") {
  rs::PciHost p;
  CHECK(cfg_read(p, 0, 1, 0, 0x00, 4) == 0xFFFFFFFF);
  CHECK(cfg_read(p, 0, 0, 1, 0x00, 4) == 0xFFFFFFFF);
  CHECK(cfg_read(p, 0, 31, 7, 0x00, 2) == 0xFFFF);
  CHECK(cfg_read(p, 1, 0, 0, 0x00, 4) == 0xFFFFFFFF);
  CHECK(cfg_read(p, 255, 0, 0, 0x0A, 1) == 0xFF);
  cfg_write(p, 1, 0, 0, 0x40, 4, 0x12345678);  // dropped; must not land on 00:00.0
  CHECK(cfg_read(p, 0, 0, 0, 0x40, 4) == 0);
}

TEST_CASE("PCI: enable bit", "[pci]") {
  rs::PciHost p;
  p.out(0xCF8, 4, 0x00000000);  // 00:00.0 register 0, but disabled
  CHECK(p.in(0xCFC, 4) == 0xFFFFFFFF);
  CHECK(p.in(0xCFC, 2) == 0xFFFF);
  CHECK(p.in(0xCFC, 1) == 0xFF);
  p.out(0xCF8, 4, 0x00000040);
  p.out(0xCFC, 4, 0xAABBCCDD);  // dropped
  p.out(0xCF8, 4, 0x80000040);
  CHECK(p.in(0xCFC, 4) == 0);
  p.out(0xCFC, 4, 0xAABBCCDD);
  CHECK(p.in(0xCFC, 4) == 0xAABBCCDD);
  CHECK(p.in(0xCFE, 2) == 0xAABB);
  CHECK(p.in(0xCFD, 1) == 0xCC);
}

TEST_CASE("PCI: CONFIG_ADDRESS latches 32-bit writes only (Linux's type 1 probe)", "[pci]") {
  rs::PciHost p;
  // pci_check_type1: outb(0x01, 0xCFB); tmp = inl(0xCF8); outl(0x80000000, 0xCF8); inl(0xCF8)
  p.out(0xCFB, 1, 0x01);
  CHECK(p.in(0xCF8, 4) == 0);
  p.out(0xCF8, 4, 0x80000000);
  CHECK(p.in(0xCF8, 4) == 0x80000000);
  // pci_sanity_check: the class and vendor of device 0 on bus 0 as 16-bit reads.
  p.out(0xCF8, 4, 0x80000008);
  CHECK(p.in(0xCFE, 2) == 0x0600);
  p.out(0xCF8, 4, 0x80000000);
  CHECK(p.in(0xCFC, 2) == 0x8086);
  // Byte and word cycles do not touch the latch and read all ones.
  p.out(0xCF8, 4, 0x80001234);
  p.out(0xCF8, 1, 0x00);
  p.out(0xCFA, 2, 0x0000);
  p.out(0xCFB, 1, 0x00);
  CHECK(p.address() == 0x80001234);
  CHECK(p.in(0xCF8, 1) == 0xFF);  // so the mechanism #2 probe (expects 0x00) fails
  CHECK(p.in(0xCFA, 1) == 0xFF);
  CHECK(p.in(0xCF8, 2) == 0xFFFF);
  // Reserved bits 30:24 and 1:0 read as zero.
  p.out(0xCF8, 4, 0xFFFFFFFF);
  CHECK(p.in(0xCF8, 4) == 0x80FFFFFC);
}

TEST_CASE("PCI: read-only header, writable command bits and device registers", "[pci]") {
  rs::PciHost p;
  cfg_write(p, 0, 0, 0, 0x00, 4, 0);
  CHECK(cfg_read(p, 0, 0, 0, 0x00, 4) == 0x12378086);
  cfg_write(p, 0, 0, 0, 0x08, 4, 0);
  CHECK(cfg_read(p, 0, 0, 0, 0x08, 4) == 0x06000002);
  cfg_write(p, 0, 0, 0, 0x04, 2, 0x0000);  // memory and bus master stay on
  CHECK(cfg_read(p, 0, 0, 0, 0x04, 2) == 0x0006);
  cfg_write(p, 0, 0, 0, 0x04, 2, 0xFFFF);
  CHECK(cfg_read(p, 0, 0, 0, 0x04, 2) == 0x0146);  // + parity response, SERR#
  cfg_write(p, 0, 0, 0, 0x06, 2, 0xFFFF);  // status: write-1-to-clear, nothing set
  CHECK(cfg_read(p, 0, 0, 0, 0x06, 2) == 0x0280);
  cfg_write(p, 0, 0, 0, 0x0D, 1, 0xFF);
  CHECK(cfg_read(p, 0, 0, 0, 0x0D, 1) == 0xF8);
  cfg_write(p, 0, 0, 0, 0x10, 4, 0xFFFFFFFF);  // no BARs
  CHECK(cfg_read(p, 0, 0, 0, 0x10, 4) == 0);
  cfg_write(p, 0, 0, 0, 0x59, 1, 0x30);  // PAM0
  CHECK(cfg_read(p, 0, 0, 0, 0x58, 4) == 0x00003000);
  cfg_write(p, 0, 0, 0, 0xFE, 2, 0xBEEF);
  CHECK(cfg_read(p, 0, 0, 0, 0xFC, 4) == 0xBEEF0000);
  p.reset();
  CHECK(p.address() == 0);
  CHECK(cfg_read(p, 0, 0, 0, 0x58, 4) == 0);
  CHECK(!p.dump().empty());
}

namespace {

// A function with an I/O BAR of 16 ports, a memory BAR of 4 KiB and INTA#, recording
// the BAR accesses it answers.
struct TestFunction : rs::PciDevice {
  TestFunction() : rs::PciDevice(rs::PciIdentity{0x1234, 0x5678, 1, 0x018000, 0, 0, 1}) {
    declare_bar(0, 16, true);
    declare_bar(1, 4096, false);
  }
  const char* name() const override { return "test-function"; }
  uint64_t bar_read(int bar, uint32_t offset, int) override { return uint64_t(bar) << 16 | offset; }
  void bar_write(int bar, uint32_t offset, int, uint64_t v) override { last = {bar, offset, v}; }
  void raise(bool on) { set_intx(on); }
  std::tuple<int, uint32_t, uint64_t> last{-1, 0, 0};
};

struct FixedPort : rs::Device {
  const char* name() const override { return "fixed"; }
  uint32_t in(uint16_t, int) override { return 0x42; }
};

}  // namespace

TEST_CASE("PCI: BARs are sized, mapped while decoded, and give the ports back", "[pci]") {
  rs::IoBus io;
  rs::MmioBus mmio;
  FixedPort fixed;
  io.attach(0xC004, 1, &fixed);
  rs::PciHost p(&io, &mmio);
  TestFunction f;
  p.plug(3, 0, f);
  cfg_write(p, 0, 3, 0, 0x10, 4, 0xFFFFFFFF);
  CHECK(cfg_read(p, 0, 3, 0, 0x10, 4) == 0xFFFFFFF1);  // 16 ports, I/O space
  cfg_write(p, 0, 3, 0, 0x14, 4, 0xFFFFFFFF);
  CHECK(cfg_read(p, 0, 3, 0, 0x14, 4) == 0xFFFFF000);  // 4 KiB, 32-bit memory
  cfg_write(p, 0, 3, 0, 0x10, 4, 0xC001);
  cfg_write(p, 0, 3, 0, 0x14, 4, 0xFEB00000);
  CHECK(io.in(0xC004, 4) == 0x42);                     // not decoded yet
  CHECK(mmio.read(0xFEB00010, 4) == 0xFFFFFFFF);
  cfg_write(p, 0, 3, 0, 0x04, 2, 0x0003);
  CHECK(io.in(0xC004, 4) == 0x00004);                  // BAR 0, offset 4
  CHECK(mmio.read(0xFEB00010, 4) == 0x10010);          // BAR 1, offset 0x10
  mmio.write(0xFEB00020, 4, 7);
  CHECK(f.last == std::make_tuple(1, 0x20u, uint64_t(7)));
  cfg_write(p, 0, 3, 0, 0x10, 4, 0xD001);              // moved: the old ports go back
  CHECK(io.in(0xC004, 4) == 0x42);
  CHECK(io.in(0xD00C, 4) == 0x0000C);
  cfg_write(p, 0, 3, 0, 0x04, 2, 0x0000);
  CHECK(io.in(0xD00C, 4) == 0xFFFFFFFF);
  CHECK(mmio.read(0xFEB00010, 4) == 0xFFFFFFFF);
}

TEST_CASE("PCI: INTx through the PIIX3's PIRQ routing, shared and maskable", "[pci]") {
  test::IrqRecorder pic;
  rs::PciHost p;
  rs::Piix3 isa(&pic);
  p.plug(1, 0, isa);
  p.set_router(&isa);
  TestFunction a, b;
  p.plug(3, 0, a);  // INTA# of slot 3: PIRQC
  p.plug(5, 0, b);  // INTA# of slot 5: PIRQA
  CHECK(rs::PciHost::pirq_of(3, 1) == 2);
  CHECK(rs::PciHost::pirq_of(5, 1) == 0);
  a.raise(true);
  CHECK(!pic.level[11]);  // routing disabled at reset (PIRQRC bit 7)
  CHECK(cfg_read(p, 0, 3, 0, 0x06, 2) & 0x08);  // the status register shows it anyway
  cfg_write(p, 0, 1, 0, 0x62, 1, 11);  // PIRQC -> IRQ 11
  CHECK(pic.level[11]);
  cfg_write(p, 0, 1, 0, 0x60, 1, 11);  // PIRQA -> IRQ 11 too: shared
  b.raise(true);
  a.raise(false);
  CHECK(pic.level[11]);  // b still holds it
  cfg_write(p, 0, 5, 0, 0x04, 2, 0x0400);  // b's interrupt disable
  CHECK(!pic.level[11]);
  cfg_write(p, 0, 5, 0, 0x04, 2, 0x0000);
  CHECK(pic.level[11]);
  cfg_write(p, 0, 1, 0, 0x60, 1, 0x0A);  // moved to IRQ 10
  CHECK(!pic.level[11]);
  CHECK(pic.level[10]);
  cfg_write(p, 0, 1, 0, 0x60, 1, 0x02);  // IRQ 2 is not routable
  CHECK(!pic.level[10]);
  CHECK(!pic.level[2]);
  CHECK((cfg_read(p, 0, 1, 0, 0x0C, 4) >> 16 & 0x80) == 0);  // single function so far
  TestFunction c;
  p.plug(1, 1, c);
  CHECK((cfg_read(p, 0, 1, 0, 0x0C, 4) >> 16 & 0x80) == 0x80);
}
