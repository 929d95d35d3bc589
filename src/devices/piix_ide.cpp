#include "devices/piix_ide.h"

#include <algorithm>

namespace rs {

namespace {

PciIdentity identity() {
  PciIdentity id;
  id.vendor = 0x8086;
  id.device = 0x7010;
  id.class_code = 0x010180;  // mass storage, IDE, compatibility mode with bus master
  id.status = 0x0280;
  id.command_writable = 0x0005;  // I/O (BAR 4) and bus master
  return id;
}

}  // namespace

PiixIde::PiixIde(IrqLine irq14, IrqLine irq15, DmaSpace* dma, std::function<void()> wake) : PciDevice(identity()) {
  auto master = [this] { return bus_master(); };
  ch_[0] = std::make_unique<IdeChannel>(0, irq14, dma, wake, master);
  ch_[1] = std::make_unique<IdeChannel>(1, irq15, dma, wake, master);
  declare_bar(4, 16, true);
  PiixIde::reset();
}

void PiixIde::attach(int index, BlockImage* image, bool cdrom) { ch_[(index >> 1) & 1]->attach(index & 1, image, cdrom); }

void PiixIde::reset() {
  PciDevice::reset();
  std::fill(cfg_ + 0x40, cfg_ + 0x100, uint8_t(0));  // IDETIM 0: both channels off until the BIOS
  for (auto& c : ch_) c->reset();
}

uint32_t PiixIde::in(uint16_t port, int size) {
  const int c = port >= 0x1F0 && port != 0x376 ? 0 : 1;
  if (!decodes(c)) return uint32_t(floating_bus(size));
  IdeChannel& ch = *ch_[c];
  if (port == 0x3F6 || port == 0x376) return ch.alt_status();
  return ch.read(port & 7, size);
}

void PiixIde::out(uint16_t port, int size, uint32_t value) {
  const int c = port >= 0x1F0 && port != 0x376 ? 0 : 1;
  if (!decodes(c)) return;
  IdeChannel& ch = *ch_[c];
  if (port == 0x3F6 || port == 0x376) return ch.control(uint8_t(value));
  ch.write(port & 7, size, value);
}

uint64_t PiixIde::bar_read(int bar, uint32_t offset, int size) {
  if (bar != 4 || offset >= 16) return floating_bus(size);
  return ch_[offset >> 3]->bm_read(int(offset & 7), size);
}

void PiixIde::bar_write(int bar, uint32_t offset, int size, uint64_t value) {
  if (bar != 4 || offset >= 16) return;
  ch_[offset >> 3]->bm_write(int(offset & 7), size, uint32_t(value));
}

void PiixIde::update() {
  for (auto& c : ch_)
    if (c->ready()) c->complete();
}

uint64_t PiixIde::next_deadline() const { return overdue() ? 0 : UINT64_MAX; }

bool PiixIde::overdue() const { return ch_[0]->ready() || ch_[1]->ready(); }

std::string PiixIde::dump() const { return ch_[0]->dump() + "; " + ch_[1]->dump(); }

}  // namespace rs
