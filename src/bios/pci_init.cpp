// POST's PCI part, as a PC BIOS does it before booting: every function on bus 0 gets
// its I/O and memory BARs assigned and decoded, its interrupt line routed and noted in
// its header, and the operating system gets the routing in a $PIR table (PCI BIOS
// specification 2.1 / Microsoft's "PCI IRQ Routing Table Specification" 1.0), which is
// how Linux routes INTx without ACPI.
#include <algorithm>
#include <vector>

#include "bios/call.h"
#include "bios/rom.h"
#include "devices/mmio_testdev.h"
#include "devices/pci_host.h"
#include "devices/piix3.h"

namespace rs::bios {

namespace {

constexpr uint16_t kIoBase = 0xC000;          // I/O BARs from here up (below: ISA devices)
// Memory BARs from here up, below FEC00000h: past the MMIO test device's page, which
// the memory bus would otherwise find first (it answered in a BAR's place).
constexpr uint32_t kMemBase = MmioTestDev::kBase + MmioTestDev::kSize;
// PIRQA..D go to IRQ 10, 10, 11, 11 (free on this PC), level-triggered.
constexpr uint8_t kPirqIrq[4] = {10, 10, 11, 11};
constexpr uint16_t kPciIrqs = 1u << 10 | 1u << 11;

uint32_t cfg_addr(int dev, int fn, int reg) { return 0x80000000u | uint32_t(dev) << 11 | uint32_t(fn) << 8 | (reg & 0xFC); }

uint32_t cfg_read(Call& c, int dev, int fn, int reg) {
  c.out32(0xCF8, cfg_addr(dev, fn, reg));
  return c.in32(0xCFC);
}

void cfg_write(Call& c, int dev, int fn, int reg, uint32_t v) {
  c.out32(0xCF8, cfg_addr(dev, fn, reg));
  c.out32(0xCFC, v);
}

struct Bar {
  int dev, fn, reg;
  uint32_t size;
  bool io;
};

// Sizes every BAR of a function (all ones written, the mask read back).
void size_bars(Call& c, int dev, int fn, std::vector<Bar>& bars) {
  for (int reg = 0x10; reg < 0x28; reg += 4) {
    const uint32_t old = cfg_read(c, dev, fn, reg);
    cfg_write(c, dev, fn, reg, 0xFFFFFFFFu);
    const uint32_t mask = cfg_read(c, dev, fn, reg);
    cfg_write(c, dev, fn, reg, old);
    if (!mask) continue;
    const bool io = mask & 1;
    // An I/O BAR may leave its upper 16 bits 0: only 64 KiB of I/O space exist.
    const uint32_t bits = io ? (mask | 0xFFFF0000u) & ~3u : mask & ~15u;
    bars.push_back({dev, fn, reg, ~bits + 1, io});
    if (!io && (mask & 6) == 4) reg += 4;  // a 64-bit BAR: its upper half stays 0
  }
}

// Largest first, each aligned to its size, so nothing is wasted on alignment.
void assign_bars(Call& c, std::vector<Bar>& bars) {
  std::stable_sort(bars.begin(), bars.end(), [](const Bar& a, const Bar& b) { return a.size > b.size; });
  uint32_t io = kIoBase, mem = kMemBase;
  for (const Bar& b : bars) {
    uint32_t& next = b.io ? io : mem;
    next = (next + b.size - 1) & ~(b.size - 1);
    cfg_write(c, b.dev, b.fn, b.reg, next | (b.io ? 1 : 0));
    next += b.size;
  }
}

void write_pir(Call& c, const std::vector<int>& slots) {
  const uint32_t at = kRomBase + rom_table(kDirPirTable);
  const int n = std::min<int>(int(slots.size()), (kPirRoom - 32) / 16);
  std::vector<uint8_t> t(32 + 16 * size_t(n), 0);
  t[0] = '$', t[1] = 'P', t[2] = 'I', t[3] = 'R';
  t[4] = 0x00, t[5] = 0x01;  // version 1.0
  t[6] = uint8_t(t.size()), t[7] = uint8_t(t.size() >> 8);
  t[8] = 0;                  // the router: bus 0, device 1, function 0
  t[9] = 1 << 3;
  t[10] = uint8_t(kPciIrqs), t[11] = uint8_t(kPciIrqs >> 8);  // IRQs only PCI uses
  t[12] = 0x86, t[13] = 0x80, t[14] = 0x00, t[15] = 0x70;     // compatible router 8086:7000
  for (int i = 0; i < n; ++i) {
    uint8_t* e = &t[32 + 16 * size_t(i)];
    e[0] = 0;
    e[1] = uint8_t(slots[size_t(i)] << 3);
    for (int pin = 1; pin <= 4; ++pin) {
      uint8_t* l = e + 2 + 3 * (pin - 1);
      l[0] = uint8_t(Piix3::kPirqBase + PciHost::pirq_of(slots[size_t(i)], pin));  // link: the PIRQRC register
      l[1] = 0xF8, l[2] = 0xDE;  // IRQs the link may take: 3-7, 9-12, 14, 15
    }
    e[14] = uint8_t(slots[size_t(i)] == 1 ? 0 : slots[size_t(i)]);  // 0: built in
  }
  uint8_t sum = 0;
  for (uint8_t b : t) sum = uint8_t(sum + b);
  t[31] = uint8_t(-sum);
  c.write(at, t.data(), t.size());
}

}  // namespace

void pci_init(Call& c) {
  std::vector<Bar> bars;
  std::vector<int> slots;
  for (int dev = 0; dev < 32; ++dev) {
    if ((cfg_read(c, dev, 0, 0) & 0xFFFF) == 0xFFFF) continue;
    if (dev) slots.push_back(dev);
    const bool multi = (cfg_read(c, dev, 0, 0x0C) >> 16) & 0x80;
    for (int fn = 0; fn < (multi ? 8 : 1); ++fn) {
      const uint32_t id = cfg_read(c, dev, fn, 0);
      if ((id & 0xFFFF) == 0xFFFF) continue;
      if (id == 0x70008086u) {  // PIIX3: the router
        uint32_t route = 0;
        for (int i = 0; i < 4; ++i) route |= uint32_t(kPirqIrq[i]) << (8 * i);
        cfg_write(c, dev, fn, Piix3::kPirqBase, route);
      }
      if (id == 0x70108086u) cfg_write(c, dev, fn, 0x40, 0x80008000u);  // PIIX3 IDE: decode both channels
      size_bars(c, dev, fn, bars);
      const int pin = int(cfg_read(c, dev, fn, 0x3C) >> 8) & 0xFF;
      if (pin >= 1 && pin <= 4) {
        const uint32_t r = cfg_read(c, dev, fn, 0x3C);
        cfg_write(c, dev, fn, 0x3C, (r & ~0xFFu) | kPirqIrq[PciHost::pirq_of(dev, pin)]);
      }
    }
  }
  assign_bars(c, bars);
  // Decode what was assigned (the host bridge and the router decode on their own).
  for (const Bar& b : bars) {
    const uint32_t cmd = cfg_read(c, b.dev, b.fn, 0x04);
    cfg_write(c, b.dev, b.fn, 0x04, cmd | (b.io ? 1 : 2));
  }
  c.out8(0x4D0, uint8_t(c.in8(0x4D0) | uint8_t(kPciIrqs)));
  c.out8(0x4D1, uint8_t(c.in8(0x4D1) | uint8_t(kPciIrqs >> 8)));
  write_pir(c, slots);
}

}  // namespace rs::bios
