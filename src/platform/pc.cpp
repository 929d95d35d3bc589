#include "platform/pc.h"

#include <algorithm>

#include "devices/clock.h"
#include "devices/debug_exit.h"
#include "devices/i8042.h"
#include "devices/mmio_testdev.h"
#include "devices/pci_host.h"
#include "devices/piix3.h"
#include "devices/piix_ide.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/port61.h"
#include "devices/port92.h"
#include "devices/rtc_cmos.h"
#include "devices/uart16550.h"
#include "devices/vga.h"
#include "devices/virtio_blk.h"
#include "error.h"

namespace rs {

namespace {

// The virtio disks in their order, at slots 3, 4, ... (slot 2 stays free for a VGA).
void plug_virtio_disks(Board& b, PciHost& pci, const PcConfig& cfg) {
  std::vector<const PcDrive*> disks;
  for (const PcDrive& d : cfg.drives)
    if (d.bus == PcDrive::Bus::Virtio) disks.push_back(&d);
  std::stable_sort(disks.begin(), disks.end(), [](const PcDrive* a, const PcDrive* z) { return a->index < z->index; });
  int slot = 3;
  for (const PcDrive* d : disks) {
    if (slot > 31) throw UsageError("too many virtio disks (at most 29)");
    pci.plug(slot++, 0, b.add<VirtioBlk>(*d->image, *cfg.dma, cfg.io_wake));
  }
}

}  // namespace

PcDevices build_pc(Board& b, BoardControl& control, const PcConfig& cfg) {
  // One line per device: where it sits is its own business (Device::ports/regions).
  auto& pic = b.add<Pic8259>();
  auto& pit = b.add<Pit8254>(IrqLine{&pic, 0}, &monotonic_ns);
  b.add<Port61>(pit, &monotonic_ns);
  b.add<RtcCmos>(cfg.ram_bytes, IrqLine{&pic, RtcCmos::kIrq});
  auto& kbd = b.add<I8042>(IrqLine{&pic, I8042::kKbdIrq}, IrqLine{&pic, I8042::kAuxIrq}, control);
  b.add<Port92>(control);
  auto& pci = b.add<PciHost>(&b.io(), &b.mmio());
  auto& isa = b.add<Piix3>(&pic);  // 00:01.0, the PCI interrupt router
  pci.plug(1, 0, isa);
  pci.set_router(&isa);
  auto& ide = b.add<PiixIde>(IrqLine{&pic, 14}, IrqLine{&pic, 15}, cfg.dma, cfg.io_wake);  // 00:01.1
  pci.plug(1, 1, ide);
  for (const PcDrive& d : cfg.drives)
    if (d.bus == PcDrive::Bus::Ide) ide.attach(d.index, d.image, d.cdrom);
  plug_virtio_disks(b, pci, cfg);
  auto& com1 = b.add<Uart16550>(cfg.uart_fd, IrqLine{&pic, Uart16550::kIrq});
  auto& vga = b.add<Vga>();
  b.add<DebugExit>(control);
  b.add<MmioTestDev>();
  return PcDevices{&pic, &com1, &vga, &kbd};
}

}  // namespace rs
