// POST, the power-on self test as far as a virtual PC needs one: the interrupt vector
// table, the BIOS data area and the EBDA, the 8259A pair and the 8254 programmed as a
// PC/AT BIOS leaves them, A20 on, the text screen in mode 03h and the tick count
// started from the RTC. The ROM stub then enables interrupts and calls int 19h.
#include <vector>

#include "bios/call.h"
#include "bios/drives.h"
#include "bios/rom.h"
#include "bios/video.h"
#include "boot/memory_map.h"

namespace rs::bios {
namespace {

void set_vector(Call& c, unsigned v, uint16_t seg, uint16_t off) {
  c.wr16(v * 4, off);
  c.wr16(v * 4 + 2, seg);
}

// Every vector to the dummy IRET, 60h-67h (reserved for user programs, which look for
// free ones) to 0000:0000, then the ROM's own list (rom.asm, vector_list).
void init_ivt(Call& c) {
  for (unsigned v = 0; v < 256; v++) set_vector(c, v, kRomSeg, kRomDummyIret);
  for (unsigned v = 0x60; v < 0x68; v++) set_vector(c, v, 0, 0);
  for (uint16_t at = rom_table(kDirVectorList); rom_word(at) != 0xFFFF; at += 4)
    set_vector(c, rom_word(at), kRomSeg, rom_word(uint16_t(at + 2)));
}

// The equipment word (int 11h): bit 0 a floppy drive, 1 a math coprocessor, 4-5 the
// initial video mode (10b: 80x25 colour), 9-11 the serial ports (COM1).
uint16_t equipment(const BiosConfig& cfg) { return uint16_t((cfg.fd ? 0x0001 : 0) | 0x0002 | 0x0020 | 1 << 9); }

void init_bda(Call& c) {
  const std::vector<uint8_t> zero(0x100);
  c.write(kBda, zero.data(), zero.size());
  c.wr16(kBda + 0x00, 0x3F8);  // COM1's port
  c.wr16(kBda + 0x0E, kEbdaSeg);
  c.wr16(kBda + 0x10, equipment(c.cfg));
  c.wr16(kBda + 0x13, uint16_t(kConventionalEnd / 1024));  // 639 KiB
  // Keyboard buffer 40:1E-40:3D, empty; an enhanced keyboard.
  c.wr16(kBda + 0x1A, 0x1E);
  c.wr16(kBda + 0x1C, 0x1E);
  c.wr16(kBda + 0x80, 0x1E);
  c.wr16(kBda + 0x82, 0x3E);
  c.wr8(kBda + 0x96, 0x10);
  c.wr8(kBda + 0x75, uint8_t(hard_disk_count(c.cfg)));
}

// A fixed disk parameter table (int 41h/46h; IBM PC/AT Technical Reference, FD_TBL):
// cylinders, heads, no write precompensation (FFFFh), control byte (more than 8
// heads), landing zone, sectors per track.
void write_fdpt(Call& c, uint32_t at, const Chs& g) {
  uint8_t t[16] = {};
  t[0] = uint8_t(g.cyls), t[1] = uint8_t(g.cyls >> 8);
  t[2] = uint8_t(g.heads);
  t[5] = t[6] = 0xFF;
  t[8] = g.heads > 8 ? 0x08 : 0x00;
  t[12] = t[0], t[13] = t[1];
  t[14] = uint8_t(g.spt);
  c.write(at, t, sizeof t);
}

// The EBDA: its size in KiB in its first byte, and the hard disks' parameter tables at
// 3Dh and 4Dh (where PS/2 BIOSes keep them), pointed at by int 41h and 46h, with the
// geometry chosen for each disk.
void init_ebda(Call& c) {
  const std::vector<uint8_t> zero(1024);
  c.write(kEbda, zero.data(), zero.size());
  c.wr8(kEbda, 1);
  for (int i = 0; i < 2; i++) {
    const uint16_t off = uint16_t(0x3D + 16 * i);
    BlockImage* img = hard_disk(c.cfg, i);
    if (img) c.st.hd_chs[i] = disk_geometry(*img);
    if (img) write_fdpt(c, kEbda + off, c.st.hd_chs[i]);
    set_vector(c, i ? 0x46 : 0x41, img ? kEbdaSeg : 0, img ? off : 0);
  }
}

// The 8259A pair: ICW1 edge-triggered, cascaded, ICW4 needed; ICW2 vectors 08h and 70h;
// ICW3 the slave on IRQ 2; ICW4 8086 mode. Masked: all but the timer, the keyboard and
// the cascade.
void init_pic(Call& c) {
  c.out8(0x20, 0x11), c.out8(0x21, 0x08), c.out8(0x21, 0x04), c.out8(0x21, 0x01);
  c.out8(0xA0, 0x11), c.out8(0xA1, 0x70), c.out8(0xA1, 0x02), c.out8(0xA1, 0x01);
  c.out8(0x21, 0xF8);
  c.out8(0xA1, 0xFF);
}

// 8254 channel 0: mode 3 (square wave), divisor 0 (65536): IRQ 0 at 18.2 Hz.
void init_pit(Call& c) {
  c.out8(0x43, 0x36);
  c.out8(0x40, 0);
  c.out8(0x40, 0);
}

// The tick count of the time of day: 1193182 / 65536 ticks per second.
void init_ticks(Call& c) { c.wr32(kBda + 0x6C, uint32_t(uint64_t(rtc_seconds_of_day(c)) * 1193182 / 65536)); }

}  // namespace

void post(Call& c) {
  c.st = State{};
  init_ivt(c);
  init_bda(c);
  init_ebda(c);
  init_pic(c);
  init_pit(c);
  pci_init(c);
  c.out8(0x92, uint8_t((c.in8(0x92) & ~0x01) | 0x02));  // A20 on (bit 0, the reset, stays 0)
  video_set_mode(c, 0x03);
  init_ticks(c);
}

}  // namespace rs::bios
