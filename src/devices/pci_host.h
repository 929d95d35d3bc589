// PCI configuration mechanism #1 with one device: an Intel 82441FX (i440FX) host
// bridge at bus 0, device 0, function 0.
//
// Ports 0xCF8-0xCFB (CONFIG_ADDRESS) and 0xCFC-0xCFF (CONFIG_DATA); no IRQ.
//
// As Intel's host bridges document it, CONFIG_ADDRESS is latched only by a 32-bit
// access to 0xCF8; a byte or word access anywhere in 0xCF8-0xCFB passes through to PCI
// as an ordinary I/O cycle, which nothing claims here: writes are dropped and reads
// return all ones. So Linux's probe (pci_check_type1: outb(0x01, 0xCFB), which on old
// 82434 chipsets selected mechanism #1, then outl(0x80000000, 0xCF8) and inl(0xCF8))
// reads back 0x80000000, and the mechanism #2 probe that would follow a failure reads
// 0xFF where it expects 0x00. Reserved address bits 30:24 and 1:0 read back as 0.
// CONFIG_DATA accesses of 1, 2 or 4 bytes reach register (address & 0xFC) + (port & 3);
// with the enable bit (31) clear, or for any function but 00:00.0, reads return all
// ones and writes are dropped (a master abort). The PIIX's reset control register at
// 0xCF9 is not emulated.
//
// The bridge's header follows the 82441FX data sheet defaults: vendor 0x8086, device
// 0x1237, revision 0x02, class 0x060000, header type 0. Command reads 0x0006 (memory
// and bus master always on), with SERR# enable and parity error response writable;
// the status error bits are write-1-to-clear (nothing ever sets them); the latency
// timer's bits 7:3 are writable. Device-specific registers 0x40-0xFF (PAM, DRAM rows,
// SMRAM on the real chip) are plain storage: the features they control do not exist.
#pragma once
#include <cstdint>
#include <string>

#include "devices/device.h"

namespace rs {

class PciHost : public Device {
 public:
  PciHost();
  const char* name() const override { return "pci-host"; }
  std::vector<PortRange> ports() const override { return {{0xCF8, 8}}; }
  uint32_t in(uint16_t port, int size) override;
  void out(uint16_t port, int size, uint32_t value) override;
  void reset() override;
  std::string dump() const override;

  uint32_t address() const { return address_; }
  // A configuration read or write of 1, 2 or 4 bytes as a type 0/1 cycle would do it
  // (all ones from an absent function), without touching CONFIG_ADDRESS.
  uint32_t config_read(int bus, int dev, int fn, int reg, int size) const;
  void config_write(int bus, int dev, int fn, int reg, int size, uint32_t value);

 private:
  void write_byte(int reg, uint8_t v);

  uint32_t address_ = 0;
  uint8_t cfg_[256] = {};  // 00:00.0
};

}  // namespace rs
