// One PCI function as the PCI Local Bus specification (3.0, chapter 6) defines its
// type 0 configuration header: identity, command and status, six base address
// registers, the interrupt line and pin, and a capabilities list. Subclasses declare
// their BARs and answer accesses inside them (bar_read/bar_write); the bus
// (pci_host.h) maps a BAR where the guest put it while the command register decodes
// it, and routes the INTx pin to the interrupt controller.
#pragma once
#include <cstdint>
#include <string>

#include "devices/device.h"

namespace rs {

class PciHost;

struct PciIdentity {
  uint16_t vendor = 0, device = 0;
  uint8_t revision = 0;
  uint32_t class_code = 0;  // base class, sub-class, programming interface
  uint16_t subsystem_vendor = 0, subsystem = 0;
  uint8_t interrupt_pin = 0;  // 0: none, 1..4: INTA#..INTD#
  uint16_t status = 0x0200;   // read-only status bits (DEVSEL# timing...)
  // Command bits the guest may change, and bits hard-wired to 1 (a host bridge always
  // decodes memory): I/O, memory, bus master, parity response, SERR#, interrupt disable.
  uint16_t command_writable = 0x0547, command_fixed = 0;
};

class PciDevice : public Device {
 public:
  static constexpr int kBars = 6;
  // Command register bits.
  static constexpr uint16_t kCmdIo = 1, kCmdMemory = 2, kCmdMaster = 4, kCmdIntxOff = 0x400;

  explicit PciDevice(const PciIdentity& id);

  // Configuration space as a type 0 cycle reaches it: reg 0..255, size 1, 2 or 4.
  uint32_t config_read(int reg, int size) const;
  void config_write(int reg, int size, uint32_t value);

  // The power-on header (command 0, BARs 0); subclasses call it from their reset().
  void reset() override;

  uint16_t command() const { return uint16_t(cfg_[4] | cfg_[5] << 8); }
  bool bus_master() const { return command() & kCmdMaster; }
  uint8_t interrupt_pin() const { return cfg_[0x3D]; }
  uint32_t bar_size(int i) const { return bars_[i].size; }
  bool bar_is_io(int i) const { return bars_[i].io; }
  // The address the BAR holds now (decoded or not).
  uint32_t bar_address(int i) const;
  // Whether the function answers at that BAR now: sized, enabled, and not at 0.
  bool bar_decoded(int i) const;

  // Accesses inside a decoded BAR: offset from its start; size 1, 2, 4 (8 for memory).
  virtual uint64_t bar_read(int bar, uint32_t offset, int size);
  virtual void bar_write(int bar, uint32_t offset, int size, uint64_t value);

  // The level of the function's INTx# pin as the bus sees it (the command register's
  // interrupt disable bit masks it); the status register shows the unmasked level.
  bool intx_asserted() const { return intx_ && !(command() & kCmdIntxOff); }

 protected:
  // A BAR of `size` bytes (a power of two: at least 4 for I/O, 16 for memory).
  void declare_bar(int i, uint32_t size, bool io);
  // Drives the INTx# pin.
  void set_intx(bool level);
  // Appends a capability of `len` bytes (id, next pointer and body) to the list and
  // returns its offset in configuration space; its body is read-only unless
  // capability_write says otherwise.
  int add_capability(uint8_t id, int len);
  // A write of one byte to a device-specific register (0x40-0xFF): plain storage unless
  // the function says otherwise.
  virtual void specific_write(int reg, uint8_t value) { cfg_[reg] = value; }
  // Called after the command register changed.
  virtual void command_changed() {}

  uint8_t cfg_[256] = {};

 private:
  friend class PciHost;
  void write_byte(int reg, uint8_t v);
  void write_bar_byte(int i, int byte, uint8_t v);

  struct Bar {
    uint32_t size = 0;
    bool io = false;
  };
  PciIdentity id_;
  Bar bars_[kBars];
  int cap_end_ = 0x40;      // where the next capability goes
  int last_cap_ = 0;        // the last capability's offset (0: none)
  bool intx_ = false;
  bool multifunction_ = false;
  PciHost* bus_ = nullptr;
  int devfn_ = -1;
};

}  // namespace rs
