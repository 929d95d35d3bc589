// The 8259A programmable interrupt controller pair of a PC: master at 0x20/0x21,
// slave at 0xA0/0xA1 cascaded on master IRQ2, plus the edge/level control
// registers at 0x4D0/0x4D1. Edge-triggered requests, priorities with rotation,
// specific and non-specific EOI, auto-EOI, special mask mode, poll command,
// IRR/ISR read-back and spurious IRQ 7/15, as in the Intel 8259A data sheet.
#pragma once
#include <cstdint>
#include <string>

#include "devices/device.h"

namespace rs {

class Pic8259 : public Device, public IrqSink {
 public:
  const char* name() const override { return "i8259"; }
  std::vector<PortRange> ports() const override { return {{0x20, 2}, {0xA0, 2}, {0x4D0, 2}}; }
  uint32_t in(uint16_t port, int size) override;
  void out(uint16_t port, int size, uint32_t value) override;
  void reset() override;
  std::string dump() const override;

  // Drives interrupt line irq (0..15). A rising edge latches a request.
  void set_irq(int irq, bool level) override;
  void pulse_irq(int irq) {
    set_irq(irq, true);
    set_irq(irq, false);
  }
  // Whether the master's INT output is asserted (an acknowledgeable request).
  bool pending() const;
  // The INTA cycle: returns the vector and moves the request in service.
  int acknowledge();
  // Whether a request for irq is latched and not yet acknowledged.
  bool requested(int irq) const override;
  bool masked(int irq) const { return (chip_[irq >> 3].imr >> (irq & 7)) & 1; }

 private:
  struct Chip {
    uint8_t irr = 0, isr = 0, imr = 0, elcr = 0;
    uint8_t lines = 0;       // current input levels, for edge detection
    uint8_t base = 0;        // vector base (ICW2)
    uint8_t lowest = 7;      // lowest-priority IRQ (rotation)
    uint8_t init_step = 0;   // 0: ready; 2..4: expecting ICW2..ICW4
    bool need_icw4 = false, single = false, auto_eoi = false, rotate_aeoi = false;
    bool read_isr = false, poll = false, special_mask = false;
    uint8_t icw3 = 0;
    // Highest-priority IRQ (0..7) whose request may interrupt now, or -1.
    int best_request() const;
    int best_in_service() const;
    void write_command(uint8_t v);
    void write_data(uint8_t v);
    uint8_t priority(int irq) const { return uint8_t((irq - lowest - 1) & 7); }  // 0 = highest
    void eoi(int irq, bool rotate);
  };
  int ack_chip(Chip& c, int irq);
  void update_cascade();
  uint8_t poll_chip(int idx);

  Chip chip_[2];
};

}  // namespace rs
