#include "devices/piix3.h"

#include <algorithm>

namespace rs {

namespace {

PciIdentity identity() {
  PciIdentity id;
  id.vendor = 0x8086;
  id.device = 0x7000;
  id.class_code = 0x060100;  // bridge, ISA
  id.command_fixed = 0x0007;  // I/O, memory and bus master always on (data sheet: PCICMD)
  id.command_writable = 0x0008;
  return id;
}

// The IRQs a PIRQRC register may name (bitmap 0xDEF8: 3-7, 9-12, 14, 15).
constexpr uint16_t kRoutable = 0xDEF8;

}  // namespace

Piix3::Piix3(IrqSink* isa) : PciDevice(identity()), isa_(isa) { Piix3::reset(); }

void Piix3::reset() {
  PciDevice::reset();
  std::fill(cfg_ + 0x40, cfg_ + 0x100, uint8_t(0));
  for (int i = 0; i < 4; ++i) cfg_[kPirqBase + i] = 0x80;  // routing disabled
  cfg_[0x4C] = 0x4D;  // ISA I/O recovery timer
  cfg_[0x4E] = 0x03;  // X-bus chip select: RTC and keyboard controller decoded
  cfg_[0x69] = 0x02;  // top of memory
  cfg_[0x70] = 0x80;  // motherboard IRQ routing: disabled
  cfg_[0x71] = 0x80;
  cfg_[0x76] = 0x0C;  // motherboard DMA: none
  cfg_[0x77] = 0x0C;
  pirqs_ = 0;
  drive();
}

int Piix3::route(int pirq) const {
  const uint8_t r = cfg_[kPirqBase + (pirq & 3)];
  if (r & 0x80) return -1;
  const int irq = r & 0x0F;
  return (kRoutable >> irq) & 1 ? irq : -1;
}

void Piix3::specific_write(int reg, uint8_t value) {
  cfg_[reg] = reg >= kPirqBase && reg < kPirqBase + 4 ? uint8_t(value & 0x8F) : value;
  if (reg >= kPirqBase && reg < kPirqBase + 4) drive();
}

void Piix3::pirq_levels(uint8_t levels) {
  pirqs_ = levels;
  drive();
}

void Piix3::drive() {
  uint16_t want = 0;
  for (int n = 0; n < 4; ++n) {
    const int irq = route(n);
    if (irq >= 0 && (pirqs_ >> n) & 1) want = uint16_t(want | 1u << irq);
  }
  const uint16_t changed = want ^ driven_;
  driven_ = want;
  if (!isa_) return;
  for (int irq = 0; irq < 16; ++irq)
    if ((changed >> irq) & 1) isa_->set_irq(irq, (want >> irq) & 1);
}

}  // namespace rs
