// PCI configuration mechanism #1 and bus 0, with the Intel 82441FX (i440FX) host
// bridge (i440fx.h) at device 0, function 0.
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
// with the enable bit (31) clear, another bus or an empty slot, reads return all
// ones and writes are dropped (a master abort). The PIIX's reset control register at
// 0xCF9 is not emulated.
//
// Bus 0 beyond the bridge: functions plugged in at 00:dev.fn (PCI devices owned by
// the board), their BARs mapped onto the I/O and memory buses while decoded, and their
// INTx# pins wired to the four PIRQ# lines the way QEMU's PC wires them (pirq_of),
// which the PIIX's router (piix3.h) steers to ISA IRQs.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "devices/device.h"
#include "devices/i440fx.h"

namespace rs {

class IoBus;
class MmioBus;

// Where the four PIRQ# lines go (the PIIX3's routing registers).
class PirqRouter {
 public:
  virtual ~PirqRouter() = default;
  // Bit n: PIRQ n (A..D) is asserted by some function.
  virtual void pirq_levels(uint8_t levels) = 0;
};

class PciHost : public Device {
 public:
  // Without buses (unit tests), BARs are never mapped.
  explicit PciHost(IoBus* io = nullptr, MmioBus* mmio = nullptr);
  ~PciHost() override;
  const char* name() const override { return "pci-host"; }
  std::vector<PortRange> ports() const override { return {{0xCF8, 8}}; }
  uint32_t in(uint16_t port, int size) override;
  void out(uint16_t port, int size, uint32_t value) override;
  void reset() override;
  std::string dump() const override;

  // Plugs function f in at 00:dev.fn (dev 1..31; the board owns f). Function 0 of a
  // slot with more functions says so in its header type.
  void plug(int dev, int fn, PciDevice& f);
  void set_router(PirqRouter* r) { router_ = r; }
  PciDevice* function(int dev, int fn) const { return slots_[(dev & 31) * 8 + (fn & 7)]; }
  // The PIRQ# line (0..3) that INTx# pin (1..4) of slot dev is wired to; the BIOS's
  // $PIR table describes the same wiring.
  static int pirq_of(int dev, int pin) { return (dev + pin - 2) & 3; }

  uint32_t address() const { return address_; }
  // A configuration read or write of 1, 2 or 4 bytes as a type 0/1 cycle would do it
  // (all ones from an absent function), without touching CONFIG_ADDRESS.
  uint32_t config_read(int bus, int dev, int fn, int reg, int size) const;
  void config_write(int bus, int dev, int fn, int reg, int size, uint32_t value);

  // From the functions: a BAR or the command register changed; an INTx# level changed.
  void remap(PciDevice& f);
  void intx_changed();

 private:
  class BarWindow;
  I440fx bridge_;
  std::array<PciDevice*, 256> slots_{};
  std::array<std::array<std::unique_ptr<BarWindow>, PciDevice::kBars>, 256> windows_;
  IoBus* io_;
  MmioBus* mmio_;
  PirqRouter* router_ = nullptr;
  uint32_t address_ = 0;
};

}  // namespace rs
