#include "devices/pci_host.h"

#include <algorithm>
#include <cstdio>

namespace rs {

namespace {

constexpr uint32_t kEnable = 0x80000000u;
constexpr uint32_t kAddressMask = 0x80FFFFFCu;  // enable, bus, device, function, dword

uint32_t all_ones(int size) { return size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu; }

}  // namespace

PciHost::PciHost() { reset(); }

void PciHost::reset() {
  address_ = 0;
  for (auto& b : cfg_) b = 0;
  auto put16 = [this](int reg, uint16_t v) {
    cfg_[reg] = uint8_t(v);
    cfg_[reg + 1] = uint8_t(v >> 8);
  };
  put16(0x00, 0x8086);  // Intel
  put16(0x02, 0x1237);  // 82441FX PMC
  put16(0x04, 0x0006);  // memory space and bus master enabled
  put16(0x06, 0x0280);  // fast back-to-back capable, medium DEVSEL# timing
  cfg_[0x08] = 0x02;    // revision
  cfg_[0x0B] = 0x06;    // base class: bridge; sub-class 0x00 host, prog-if 0x00
}

void PciHost::write_byte(int reg, uint8_t v) {
  switch (reg) {
    case 0x04:
      cfg_[reg] = uint8_t((cfg_[reg] & ~0x40) | (v & 0x40));  // parity error response
      return;
    case 0x05:
      cfg_[reg] = uint8_t((cfg_[reg] & ~0x01) | (v & 0x01));  // SERR# enable
      return;
    case 0x07:
      cfg_[reg] &= uint8_t(~(v & 0xF9));  // error bits 15:11 and 8: write 1 to clear
      return;
    case 0x0D:
      cfg_[reg] = v & 0xF8;  // latency timer
      return;
    default:
      if (reg >= 0x40) cfg_[reg] = v;
      return;  // the rest of the header is read-only
  }
}

uint32_t PciHost::config_read(int bus, int dev, int fn, int reg, int size) const {
  if (bus != 0 || dev != 0 || fn != 0) return all_ones(size);
  uint32_t v = 0;
  for (int i = 0; i < size; ++i) v |= uint32_t(cfg_[(reg + i) & 0xFF]) << (8 * i);
  return v;
}

void PciHost::config_write(int bus, int dev, int fn, int reg, int size, uint32_t value) {
  if (bus != 0 || dev != 0 || fn != 0) return;
  for (int i = 0; i < size; ++i) write_byte((reg + i) & 0xFF, uint8_t(value >> (8 * i)));
}

uint32_t PciHost::in(uint16_t port, int size) {
  if (port < 0xCFC) return port == 0xCF8 && size == 4 ? address_ : all_ones(size);
  if (!(address_ & kEnable)) return all_ones(size);
  // Bytes past 0xCFF belong to other ports, which answer nothing here.
  const int n = std::min(size, 0xD00 - port);
  uint32_t v = config_read(int(address_ >> 16) & 0xFF, int(address_ >> 11) & 0x1F, int(address_ >> 8) & 7,
                           int(address_ & 0xFC) + (port & 3), n);
  for (int i = n; i < size; ++i) v |= 0xFFu << (8 * i);
  return v;
}

void PciHost::out(uint16_t port, int size, uint32_t value) {
  if (port < 0xCFC) {
    if (port == 0xCF8 && size == 4) address_ = value & kAddressMask;
    return;  // byte and word cycles pass through to PCI, where nothing claims them
  }
  if (!(address_ & kEnable)) return;
  config_write(int(address_ >> 16) & 0xFF, int(address_ >> 11) & 0x1F, int(address_ >> 8) & 7,
               int(address_ & 0xFC) + (port & 3), std::min(size, 0xD00 - port), value);
}

std::string PciHost::dump() const {
  char buf[128];
  std::snprintf(buf, sizeof buf, "address %08x (%s %02x:%02x.%x reg %02x); host bridge command %02x%02x", address_,
                address_ & kEnable ? "enabled" : "disabled", (address_ >> 16) & 0xFF, (address_ >> 11) & 0x1F,
                (address_ >> 8) & 7, address_ & 0xFC, cfg_[5], cfg_[4]);
  return buf;
}

}  // namespace rs
