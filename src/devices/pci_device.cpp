#include "devices/pci_device.h"

#include "devices/pci_host.h"

namespace rs {

namespace {

constexpr uint16_t kStatusIntx = 0x08, kStatusCapList = 0x10;

}  // namespace

PciDevice::PciDevice(const PciIdentity& id) : id_(id) { PciDevice::reset(); }

void PciDevice::reset() {
  for (int i = 0; i < 0x40; ++i) cfg_[i] = 0;
  auto put16 = [this](int reg, uint16_t v) {
    cfg_[reg] = uint8_t(v);
    cfg_[reg + 1] = uint8_t(v >> 8);
  };
  put16(0x00, id_.vendor);
  put16(0x02, id_.device);
  put16(0x04, id_.command_fixed);
  put16(0x06, uint16_t(id_.status | (last_cap_ ? kStatusCapList : 0)));
  cfg_[0x08] = id_.revision;
  cfg_[0x09] = uint8_t(id_.class_code);
  cfg_[0x0A] = uint8_t(id_.class_code >> 8);
  cfg_[0x0B] = uint8_t(id_.class_code >> 16);
  cfg_[0x0E] = multifunction_ ? 0x80 : 0x00;
  for (int i = 0; i < kBars; ++i)
    if (bars_[i].io) cfg_[0x10 + 4 * i] = 0x01;  // I/O space indicator
  put16(0x2C, id_.subsystem_vendor);
  put16(0x2E, id_.subsystem);
  cfg_[0x34] = uint8_t(last_cap_ ? 0x40 : 0);
  cfg_[0x3D] = id_.interrupt_pin;
  intx_ = false;
  if (bus_) {
    bus_->remap(*this);
    bus_->intx_changed();
  }
}

void PciDevice::declare_bar(int i, uint32_t size, bool io) {
  bars_[i] = Bar{size, io};
  cfg_[0x10 + 4 * i] = io ? 0x01 : 0x00;
}

int PciDevice::add_capability(uint8_t id, int len) {
  const int at = cap_end_;
  cfg_[at] = id;
  cfg_[at + 1] = 0;
  if (last_cap_) cfg_[last_cap_ + 1] = uint8_t(at);
  else cfg_[0x34] = uint8_t(at);
  cfg_[6] |= kStatusCapList;
  last_cap_ = at;
  cap_end_ = (at + len + 3) & ~3;
  return at;
}

uint32_t PciDevice::bar_address(int i) const {
  const int r = 0x10 + 4 * i;
  const uint32_t v = uint32_t(cfg_[r] | cfg_[r + 1] << 8 | cfg_[r + 2] << 16 | uint32_t(cfg_[r + 3]) << 24);
  return v & (bars_[i].io ? ~3u : ~15u);
}

bool PciDevice::bar_decoded(int i) const {
  const Bar& b = bars_[i];
  if (!b.size) return false;
  if (!(command() & (b.io ? kCmdIo : kCmdMemory))) return false;
  const uint32_t a = bar_address(i);
  // An address of 0 is the "unassigned" a BIOS leaves; an I/O window past 64 KiB does
  // not exist on x86.
  return a != 0 && (!b.io || uint64_t(a) + b.size <= 0x10000);
}

uint32_t PciDevice::config_read(int reg, int size) const {
  uint32_t v = 0;
  for (int i = 0; i < size; ++i) {
    const int r = (reg + i) & 0xFF;
    uint8_t b = cfg_[r];
    if (r == 6) b = uint8_t((b & ~kStatusIntx) | (intx_ ? kStatusIntx : 0));
    v |= uint32_t(b) << (8 * i);
  }
  return v;
}

void PciDevice::config_write(int reg, int size, uint32_t value) {
  const uint16_t old_cmd = command();
  bool bars = false;
  for (int i = 0; i < size; ++i) {
    const int r = (reg + i) & 0xFF;
    write_byte(r, uint8_t(value >> (8 * i)));
    bars |= r >= 0x10 && r < 0x28;
  }
  if (command() != old_cmd) {
    command_changed();
    if (bus_) bus_->intx_changed();
  }
  if (bus_ && (bars || command() != old_cmd)) bus_->remap(*this);
}

void PciDevice::write_bar_byte(int i, int byte, uint8_t v) {
  const Bar& b = bars_[i];
  // The low bits of a BAR are hard-wired: its size (all-ones reads back the size mask)
  // and the space indicator.
  const uint32_t mask = b.size ? ~(b.size - 1) & (b.io ? ~3u : ~15u) : 0;
  const uint8_t m = uint8_t(mask >> (8 * byte));
  uint8_t& cell = cfg_[0x10 + 4 * i + byte];
  cell = uint8_t((cell & ~m) | (v & m));
}

void PciDevice::write_byte(int reg, uint8_t v) {
  if (reg >= 0x40) {
    if (reg < cap_end_) return;  // capability bodies are read-only here
    specific_write(reg, v);
    return;
  }
  if (reg >= 0x10 && reg < 0x28) return write_bar_byte((reg - 0x10) / 4, (reg - 0x10) % 4, v);
  switch (reg) {
    case 0x04:
    case 0x05: {
      const int shift = 8 * (reg - 4);
      const uint8_t m = uint8_t(id_.command_writable >> shift);
      cfg_[reg] = uint8_t((cfg_[reg] & ~m) | (v & m) | uint8_t(id_.command_fixed >> shift));
      return;
    }
    case 0x07:
      cfg_[reg] &= uint8_t(~(v & 0xF9));  // error bits 15:11 and 8: write 1 to clear
      return;
    case 0x0C:  // cache line size
    case 0x3C:  // interrupt line: the BIOS's note to the OS
      cfg_[reg] = v;
      return;
    case 0x0D:
      cfg_[reg] = v & 0xF8;  // latency timer
      return;
    default:
      return;  // the rest of the header is read-only (no expansion ROM)
  }
}

void PciDevice::set_intx(bool level) {
  if (intx_ == level) return;
  intx_ = level;
  if (bus_) bus_->intx_changed();
}

uint64_t PciDevice::bar_read(int, uint32_t, int size) { return floating_bus(size); }
void PciDevice::bar_write(int, uint32_t, int, uint64_t) {}

}  // namespace rs
