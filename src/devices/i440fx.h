// The Intel 82441FX (i440FX) PCI and memory controller: the host bridge at 00:00.0.
//
// Its header follows the 82441FX data sheet defaults: vendor 0x8086, device 0x1237,
// revision 0x02, class 0x060000, header type 0. Command reads 0x0006 (memory and bus
// master always on), with SERR# enable and parity error response writable; status
// 0x0280 (fast back-to-back capable, medium DEVSEL#), its error bits write-1-to-clear.
// Device-specific registers 0x40-0xFF (PAM, DRAM rows, SMRAM on the real chip) are
// plain storage: the features they control do not exist here.
#pragma once
#include "devices/pci_device.h"

namespace rs {

class I440fx : public PciDevice {
 public:
  I440fx();
  const char* name() const override { return "i440fx"; }
  void reset() override;
};

}  // namespace rs
