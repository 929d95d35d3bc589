#include "devices/pci_host.h"

#include <algorithm>
#include <cstdio>

#include "devices/io_bus.h"
#include "devices/mmio_bus.h"

namespace rs {

namespace {

constexpr uint32_t kEnable = 0x80000000u;
constexpr uint32_t kAddressMask = 0x80FFFFFCu;  // enable, bus, device, function, dword

uint32_t all_ones(int size) { return size == 4 ? 0xFFFFFFFFu : size == 2 ? 0xFFFFu : 0xFFu; }

}  // namespace

// What the I/O or memory bus sees of one BAR: accesses become offsets into it.
class PciHost::BarWindow : public Device {
 public:
  BarWindow(PciDevice& f, int bar) : f_(f), bar_(bar) {}
  const char* name() const override { return f_.name(); }
  uint32_t in(uint16_t port, int size) override { return uint32_t(f_.bar_read(bar_, port - base, size)); }
  void out(uint16_t port, int size, uint32_t v) override { f_.bar_write(bar_, port - base, size, v); }
  uint64_t read(uint32_t offset, int size) override { return f_.bar_read(bar_, offset, size); }
  void write(uint32_t offset, int size, uint64_t v) override { f_.bar_write(bar_, offset, size, v); }

  bool mapped = false;
  uint32_t base = 0, size = 0;

 private:
  PciDevice& f_;
  int bar_;
};

PciHost::PciHost(IoBus* io, MmioBus* mmio) : io_(io), mmio_(mmio) {
  plug(0, 0, bridge_);
  reset();
}

PciHost::~PciHost() = default;

void PciHost::reset() {
  address_ = 0;
  bridge_.reset();
}

void PciHost::plug(int dev, int fn, PciDevice& f) {
  const int devfn = (dev & 31) * 8 + (fn & 7);
  slots_[devfn] = &f;
  f.bus_ = this;
  f.devfn_ = devfn;
  for (int i = 0; i < PciDevice::kBars; ++i) windows_[devfn][i] = std::make_unique<BarWindow>(f, i);
  if (fn != 0)
    if (PciDevice* f0 = slots_[devfn & ~7]) {
      f0->multifunction_ = true;
      f0->cfg_[0x0E] |= 0x80;
    }
}

void PciHost::remap(PciDevice& f) {
  if (f.devfn_ < 0) return;
  for (int i = 0; i < PciDevice::kBars; ++i) {
    BarWindow& w = *windows_[f.devfn_][i];
    const bool want = f.bar_decoded(i);
    const uint32_t base = f.bar_address(i), size = f.bar_size(i);
    if (want == w.mapped && (!want || (base == w.base && size == w.size))) continue;
    if (w.mapped) {
      if (f.bar_is_io(i)) {
        if (io_) io_->unmap(uint16_t(w.base), w.size);
      } else if (mmio_) {
        mmio_->detach(&w);
      }
    }
    w.mapped = want;
    w.base = base;
    w.size = size;
    if (!want) continue;
    if (f.bar_is_io(i)) {
      if (io_) io_->map(uint16_t(base), size, &w);
    } else if (mmio_) {
      mmio_->attach(base, size, &w);
    }
  }
}

void PciHost::intx_changed() {
  if (!router_) return;
  uint8_t levels = 0;
  for (int devfn = 8; devfn < 256; ++devfn) {
    const PciDevice* f = slots_[devfn];
    if (f && f->interrupt_pin() && f->intx_asserted()) levels |= uint8_t(1u << pirq_of(devfn >> 3, f->interrupt_pin()));
  }
  router_->pirq_levels(levels);
}

uint32_t PciHost::config_read(int bus, int dev, int fn, int reg, int size) const {
  const PciDevice* f = bus == 0 ? function(dev, fn) : nullptr;
  return f ? f->config_read(reg, size) : all_ones(size);
}

void PciHost::config_write(int bus, int dev, int fn, int reg, int size, uint32_t value) {
  if (PciDevice* f = bus == 0 ? function(dev, fn) : nullptr) f->config_write(reg, size, value);
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
  char buf[160];
  int n = std::snprintf(buf, sizeof buf, "address %08x (%s %02x:%02x.%x reg %02x); functions:", address_,
                        address_ & kEnable ? "enabled" : "disabled", (address_ >> 16) & 0xFF,
                        (address_ >> 11) & 0x1F, (address_ >> 8) & 7, address_ & 0xFC);
  std::string s(buf, size_t(std::max(n, 0)));
  for (int devfn = 0; devfn < 256; ++devfn)
    if (const PciDevice* f = slots_[devfn]) {
      std::snprintf(buf, sizeof buf, " %02x.%x %s cmd %04x;", devfn >> 3, devfn & 7, f->name(), f->command());
      s += buf;
    }
  return s;
}

}  // namespace rs
