#include "devices/pic8259.h"

#include <algorithm>
#include <cstdio>

namespace rs {

int Pic8259::Chip::best_request() const {
  uint8_t req = irr & ~imr;
  if (!req) return -1;
  // In special mask mode a masked in-service level does not hold off lower priorities.
  uint8_t blocking = special_mask ? uint8_t(isr & ~imr) : isr;
  int best = -1, best_isr = 8;
  for (int i = 0; i < 8; ++i) {
    if ((blocking >> i) & 1) best_isr = std::min<int>(best_isr, priority(i));
    if (((req >> i) & 1) && (best < 0 || priority(i) < priority(best))) best = i;
  }
  return best >= 0 && priority(best) < best_isr ? best : -1;
}

int Pic8259::Chip::best_in_service() const {
  int best = -1;
  for (int i = 0; i < 8; ++i)
    if (((isr >> i) & 1) && (best < 0 || priority(i) < priority(best))) best = i;
  return best;
}

void Pic8259::Chip::eoi(int irq, bool rotate) {
  if (irq < 0) return;
  isr &= uint8_t(~(1u << irq));
  if (rotate) lowest = uint8_t(irq);
}

void Pic8259::Chip::write_command(uint8_t v) {
  if (v & 0x10) {  // ICW1
    isr = irr = imr = 0;
    lowest = 7;
    special_mask = read_isr = poll = false;
    need_icw4 = v & 1;
    single = v & 2;
    if (!need_icw4) auto_eoi = false;
    init_step = 2;
    return;
  }
  if (v & 0x08) {  // OCW3
    if (v & 0x04) poll = true;
    if (v & 0x02) read_isr = v & 1;
    if (v & 0x40) special_mask = v & 0x20;
    return;
  }
  switch (v >> 5) {  // OCW2
    case 1: eoi(best_in_service(), false); break;
    case 3: eoi(v & 7, false); break;
    case 5: eoi(best_in_service(), true); break;
    case 7: eoi(v & 7, true); break;
    case 4: rotate_aeoi = true; break;
    case 0: rotate_aeoi = false; break;
    case 6: lowest = v & 7; break;
    default: break;
  }
}

void Pic8259::Chip::write_data(uint8_t v) {
  switch (init_step) {
    case 2:
      base = v & 0xF8;
      init_step = single ? (need_icw4 ? 4 : 0) : 3;
      break;
    case 3:
      icw3 = v;
      init_step = need_icw4 ? 4 : 0;
      break;
    case 4:
      auto_eoi = v & 2;
      init_step = 0;
      break;
    default:
      imr = v;
      break;
  }
}

void Pic8259::update_cascade() {
  // The slave's INT output drives master IR2 as a level.
  Chip& m = chip_[0];
  if (chip_[1].best_request() >= 0) m.irr |= 4;
  else m.irr &= uint8_t(~4u);
}

void Pic8259::set_irq(int irq, bool level) {
  if (irq < 0 || irq > 15) return;
  Chip& c = chip_[irq >> 3];
  uint8_t bit = uint8_t(1u << (irq & 7));
  bool was = c.lines & bit;
  if (level) c.lines |= bit;
  else c.lines &= uint8_t(~bit);
  if (c.elcr & bit) {  // level-triggered: the request follows the line
    if (level) c.irr |= bit;
    else c.irr &= uint8_t(~bit);
  } else if (level && !was) {
    c.irr |= bit;
  }
  update_cascade();
}

bool Pic8259::pending() const { return chip_[0].best_request() >= 0; }

bool Pic8259::requested(int irq) const { return (chip_[irq >> 3].irr >> (irq & 7)) & 1; }

int Pic8259::ack_chip(Chip& c, int irq) {
  uint8_t bit = uint8_t(1u << irq);
  if (!(c.elcr & bit)) c.irr &= uint8_t(~bit);
  if (c.auto_eoi) {
    if (c.rotate_aeoi) c.lowest = uint8_t(irq);
  } else {
    c.isr |= bit;
  }
  return c.base + irq;
}

int Pic8259::acknowledge() {
  Chip& m = chip_[0];
  int irq = m.best_request();
  if (irq < 0) return m.base + 7;  // spurious: no in-service bit is set
  if (irq == 2 && !m.single) {
    Chip& s = chip_[1];
    int sirq = s.best_request();
    ack_chip(m, 2);
    int v = sirq < 0 ? s.base + 7 : ack_chip(s, sirq);
    update_cascade();
    return v;
  }
  int v = ack_chip(m, irq);
  update_cascade();
  return v;
}

uint8_t Pic8259::poll_chip(int idx) {
  Chip& c = chip_[idx];
  c.poll = false;
  int irq = c.best_request();
  if (irq < 0) return 0;
  // A poll reaches only the addressed chip: for IR2 the guest polls the slave next.
  ack_chip(c, irq);
  update_cascade();
  return uint8_t(0x80 | irq);
}

uint32_t Pic8259::in(uint16_t port, int) {
  if (port == 0x4D0 || port == 0x4D1) return chip_[port & 1].elcr;
  int idx = port >= 0xA0 ? 1 : 0;
  Chip& c = chip_[idx];
  if (port & 1) return c.imr;
  if (c.poll) return poll_chip(idx);
  return c.read_isr ? c.isr : c.irr;
}

void Pic8259::out(uint16_t port, int, uint32_t value) {
  uint8_t v = uint8_t(value);
  if (port == 0x4D0) {
    chip_[0].elcr = v & 0xF8;  // IRQ 0, 1, 2 are always edge-triggered
    return;
  }
  if (port == 0x4D1) {
    chip_[1].elcr = v & 0xDE;  // and IRQ 8 and 13
    return;
  }
  Chip& c = chip_[port >= 0xA0 ? 1 : 0];
  if (port & 1) c.write_data(v);
  else c.write_command(v);
  update_cascade();
}

void Pic8259::reset() {
  chip_[0] = Chip{};
  chip_[1] = Chip{};
}

std::string Pic8259::dump() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "master irr=%02x isr=%02x imr=%02x base=%02x; slave irr=%02x isr=%02x imr=%02x base=%02x",
                chip_[0].irr, chip_[0].isr, chip_[0].imr, chip_[0].base, chip_[1].irr, chip_[1].isr, chip_[1].imr,
                chip_[1].base);
  return buf;
}

}  // namespace rs
