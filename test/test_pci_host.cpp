// Unit tests of PCI configuration mechanism #1 and the i440FX host bridge.
//
// Expected values: the PCI Local Bus specification (CONFIG_ADDRESS layout, all ones
// from an absent function), Intel's host bridge data sheets (CONFIG_ADDRESS latched by
// 32-bit accesses only, 82441FX IDs and defaults) and what Linux's pci_check_type1 and
// pci_sanity_check need.
#include <catch2/catch.hpp>

#include <cstdint>

#include "devices/pci_host.h"

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
