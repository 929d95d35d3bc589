// The Intel 82371SB (PIIX3) PCI-to-ISA bridge, function 0 of slot 1: here only its
// PCI interrupt router. PIRQRC[A:D] (configuration registers 60h-63h, data sheet
// 2.2.9) steer each PIRQ# line to an ISA IRQ: bit 7 set disables the routing, bits 3:0
// name the IRQ (3-7, 9-12, 14, 15; anything else is reserved and routes nowhere).
// A routed line is level-sensitive and shared: the ISA IRQ is asserted while any PIRQ#
// routed to it is; the BIOS marks those IRQs level-triggered in the ELCR (the 8259's
// 4D0h/4D1h). Linux finds this router by its IDs through the BIOS's $PIR table.
#pragma once
#include "devices/pci_device.h"
#include "devices/pci_host.h"

namespace rs {

class Piix3 : public PciDevice, public PirqRouter {
 public:
  static constexpr int kPirqBase = 0x60;  // PIRQRCA; the $PIR table's link values
  explicit Piix3(IrqSink* isa);
  const char* name() const override { return "piix3"; }
  void reset() override;
  void pirq_levels(uint8_t levels) override;
  // The ISA IRQ PIRQ n goes to now, or -1.
  int route(int pirq) const;

 protected:
  void specific_write(int reg, uint8_t value) override;

 private:
  void drive();
  IrqSink* isa_;
  uint8_t pirqs_ = 0;     // PIRQ# levels
  uint16_t driven_ = 0;   // ISA IRQs this router asserts now
};

}  // namespace rs
