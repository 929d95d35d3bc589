// The Intel 82371SB (PIIX3) IDE controller, function 1 of slot 1: two channels in
// compatibility mode (the ISA ports 1F0h-1F7h/3F6h with IRQ 14 and 170h-177h/376h with
// IRQ 15, programming interface 80h: legacy only, bus master capable) and the
// bus-master DMA registers behind BAR 4 (16 I/O ports, 8 per channel). A channel
// decodes its ports only while its IDETIM register (40h/42h) has bit 15 set, which the
// BIOS does at POST. The channels themselves are ide_channel.h.
#pragma once
#include <memory>

#include "devices/ide_channel.h"
#include "devices/pci_device.h"

namespace rs {

class PiixIde : public PciDevice {
 public:
  PiixIde(IrqLine irq14, IrqLine irq15, DmaSpace* dma, std::function<void()> wake);
  const char* name() const override { return "piix3-ide"; }
  std::vector<PortRange> ports() const override { return {{0x1F0, 8}, {0x3F6, 1}, {0x170, 8}, {0x376, 1}}; }
  uint32_t in(uint16_t port, int size) override;
  void out(uint16_t port, int size, uint32_t value) override;
  uint64_t bar_read(int bar, uint32_t offset, int size) override;
  void bar_write(int bar, uint32_t offset, int size, uint64_t value) override;
  void reset() override;
  std::string dump() const override;

  // Disk completions come back through the timed-device poll.
  bool timed() const override { return true; }
  void update() override;
  uint64_t next_deadline() const override;
  bool overdue() const override;

  // Drive index 0..3: channel * 2 + unit.
  void attach(int index, BlockImage* image, bool cdrom);

 private:
  bool decodes(int channel) const { return cfg_[0x41 + 2 * channel] & 0x80; }
  std::unique_ptr<IdeChannel> ch_[2];
};

}  // namespace rs
