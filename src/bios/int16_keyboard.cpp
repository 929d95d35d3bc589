// int 16h, keyboard: read (00h/10h; the ROM stub waits with STI/HLT until the buffer
// holds a key), peek (01h/11h, ZF set when empty), shift flags (02h/12h), typematic
// rate (03h, accepted), store a keystroke (05h). The 00h-02h forms are the PC/AT's
// (IBM PC/AT Technical Reference, KEYBOARD_IO): they hide the enhanced keyboard's E0h
// marks; 10h-12h are the enhanced keyboard's (Ralf Brown's interrupt list).
#include "bios/call.h"
#include "bios/keyboard_buffer.h"

namespace rs::bios {
namespace {

// A key word as the PC/AT calls report it: the gray keys' E0h becomes 00h; keypad
// Enter and / (E0h in the scan byte) become the main keys' codes.
uint16_t pc_at_key(uint16_t key) {
  if ((key >> 8) == 0xE0) return uint16_t(((key & 0xFF) == 0x2F ? 0x35 : 0x1C) << 8 | (key & 0xFF));
  if ((key & 0xFF) == 0xE0 && (key >> 8) != 0) return uint16_t(key & 0xFF00);
  return key;
}

void read_key(Call& c, bool enhanced) {
  uint16_t key = 0;
  kbd_pop(c, key);  // the stub waited for one
  c.set_ax(enhanced ? key : pc_at_key(key));
}

void peek_key(Call& c, bool enhanced) {
  uint16_t key;
  const bool have = kbd_peek(c, key);
  c.set_zf(!have);
  if (have) c.set_ax(enhanced ? key : pc_at_key(key));
}

// 12h: AL as 02h; AH: left Ctrl, left Alt, right Ctrl, right Alt, Scroll, Num, Caps
// and SysRq held (bits 0-7).
void extended_shift_flags(Call& c) {
  const uint8_t f2 = c.rd8(kKbdFlags2), f3 = c.rd8(kKbdFlags3);
  const uint8_t ah = uint8_t((f2 & (kLeftCtrlDown | kLeftAltDown)) | (f3 & (kRightCtrlDown | kRightAltDown)) |
                             (f2 & 0x70) | (f2 & 0x04) << 5);
  c.set_ax(uint16_t(ah << 8 | c.rd8(kKbdFlags1)));
}

}  // namespace

void int16_keyboard(Call& c) {
  switch (c.ah()) {
    case 0x00: return read_key(c, false);
    case 0x10: return read_key(c, true);
    case 0x01: return peek_key(c, false);
    case 0x11: return peek_key(c, true);
    case 0x02: return c.set_al(c.rd8(kKbdFlags1));
    case 0x12: return extended_shift_flags(c);
    case 0x05: return c.set_al(kbd_push(c, c.cx()) ? 0 : 1);  // AL = 1: buffer full
    default: return;  // 03h typematic rate and the rest: nothing to change
  }
}

}  // namespace rs::bios
