// int 09h, keyboard (IRQ 1): a real interrupt handler, so that a guest that hooks int
// 09h and chains to the old vector still gets keys. It reads one scan code (set 1, as
// the i8042 translates it) from port 60h, keeps the shift, lock and E0-prefix state in
// the BDA (40:17, 40:18, 40:96), puts the key word (scan << 8 | ASCII) for each make
// code into the keyboard buffer, and ends the interrupt at the 8259A. The key words are
// those of the IBM PC/AT Technical Reference's keyboard tables with the enhanced (101-key)
// additions of Ralf Brown's interrupt list: gray keys E0h in the ASCII byte, F11/F12,
// Ctrl and Alt combinations. Alt + keypad digits types a character by its code;
// Ctrl+Alt+Del resets the machine through the i8042, as a warm boot.
// Not handled: Pause (its E1 sequence is skipped), Ctrl+Break, SysRq, the LEDs.
#include "bios/call.h"
#include "bios/keyboard_buffer.h"

namespace rs::bios {
namespace {

enum KeyKind : uint8_t { kPlain, kLetter, kPad };

// The key words of one scan code: alone, with Shift, Ctrl, Alt (0: no key). Caps Lock
// swaps the first two for letters, Num Lock for the keypad.
struct Key {
  uint16_t normal = 0, shifted = 0, ctrl = 0, alt = 0;
  KeyKind kind = kPlain;
};

constexpr Key kKeys[] = {
    {},  // 00
    {0x011B, 0x011B, 0x011B, 0x0100, kPlain},  // 01
    {0x0231, 0x0221, 0x0000, 0x7800, kPlain},  // 02
    {0x0332, 0x0340, 0x0300, 0x7900, kPlain},  // 03
    {0x0433, 0x0423, 0x0000, 0x7A00, kPlain},  // 04
    {0x0534, 0x0524, 0x0000, 0x7B00, kPlain},  // 05
    {0x0635, 0x0625, 0x0000, 0x7C00, kPlain},  // 06
    {0x0736, 0x075E, 0x071E, 0x7D00, kPlain},  // 07
    {0x0837, 0x0826, 0x0000, 0x7E00, kPlain},  // 08
    {0x0938, 0x092A, 0x0000, 0x7F00, kPlain},  // 09
    {0x0A39, 0x0A28, 0x0000, 0x8000, kPlain},  // 0A
    {0x0B30, 0x0B29, 0x0000, 0x8100, kPlain},  // 0B
    {0x0C2D, 0x0C5F, 0x0C1F, 0x8200, kPlain},  // 0C
    {0x0D3D, 0x0D2B, 0x0000, 0x8300, kPlain},  // 0D
    {0x0E08, 0x0E08, 0x0E7F, 0x0E00, kPlain},  // 0E
    {0x0F09, 0x0F00, 0x9400, 0xA500, kPlain},  // 0F
    {0x1071, 0x1051, 0x1011, 0x1000, kLetter},  // 10
    {0x1177, 0x1157, 0x1117, 0x1100, kLetter},  // 11
    {0x1265, 0x1245, 0x1205, 0x1200, kLetter},  // 12
    {0x1372, 0x1352, 0x1312, 0x1300, kLetter},  // 13
    {0x1474, 0x1454, 0x1414, 0x1400, kLetter},  // 14
    {0x1579, 0x1559, 0x1519, 0x1500, kLetter},  // 15
    {0x1675, 0x1655, 0x1615, 0x1600, kLetter},  // 16
    {0x1769, 0x1749, 0x1709, 0x1700, kLetter},  // 17
    {0x186F, 0x184F, 0x180F, 0x1800, kLetter},  // 18
    {0x1970, 0x1950, 0x1910, 0x1900, kLetter},  // 19
    {0x1A5B, 0x1A7B, 0x1A1B, 0x1A00, kPlain},  // 1A
    {0x1B5D, 0x1B7D, 0x1B1D, 0x1B00, kPlain},  // 1B
    {0x1C0D, 0x1C0D, 0x1C0A, 0x1C00, kPlain},  // 1C
    {},  // 1D
    {0x1E61, 0x1E41, 0x1E01, 0x1E00, kLetter},  // 1E
    {0x1F73, 0x1F53, 0x1F13, 0x1F00, kLetter},  // 1F
    {0x2064, 0x2044, 0x2004, 0x2000, kLetter},  // 20
    {0x2166, 0x2146, 0x2106, 0x2100, kLetter},  // 21
    {0x2267, 0x2247, 0x2207, 0x2200, kLetter},  // 22
    {0x2368, 0x2348, 0x2308, 0x2300, kLetter},  // 23
    {0x246A, 0x244A, 0x240A, 0x2400, kLetter},  // 24
    {0x256B, 0x254B, 0x250B, 0x2500, kLetter},  // 25
    {0x266C, 0x264C, 0x260C, 0x2600, kLetter},  // 26
    {0x273B, 0x273A, 0x0000, 0x2700, kPlain},  // 27
    {0x2827, 0x2822, 0x0000, 0x2800, kPlain},  // 28
    {0x2960, 0x297E, 0x0000, 0x2900, kPlain},  // 29
    {},  // 2A
    {0x2B5C, 0x2B7C, 0x2B1C, 0x2B00, kPlain},  // 2B
    {0x2C7A, 0x2C5A, 0x2C1A, 0x2C00, kLetter},  // 2C
    {0x2D78, 0x2D58, 0x2D18, 0x2D00, kLetter},  // 2D
    {0x2E63, 0x2E43, 0x2E03, 0x2E00, kLetter},  // 2E
    {0x2F76, 0x2F56, 0x2F16, 0x2F00, kLetter},  // 2F
    {0x3062, 0x3042, 0x3002, 0x3000, kLetter},  // 30
    {0x316E, 0x314E, 0x310E, 0x3100, kLetter},  // 31
    {0x326D, 0x324D, 0x320D, 0x3200, kLetter},  // 32
    {0x332C, 0x333C, 0x0000, 0x3300, kPlain},  // 33
    {0x342E, 0x343E, 0x0000, 0x3400, kPlain},  // 34
    {0x352F, 0x353F, 0x0000, 0x3500, kPlain},  // 35
    {},  // 36
    {0x372A, 0x372A, 0x9600, 0x3700, kPlain},  // 37
    {},  // 38
    {0x3920, 0x3920, 0x3920, 0x3920, kPlain},  // 39
    {},  // 3A
    {0x3B00, 0x5400, 0x5E00, 0x6800, kPlain},  // 3B
    {0x3C00, 0x5500, 0x5F00, 0x6900, kPlain},  // 3C
    {0x3D00, 0x5600, 0x6000, 0x6A00, kPlain},  // 3D
    {0x3E00, 0x5700, 0x6100, 0x6B00, kPlain},  // 3E
    {0x3F00, 0x5800, 0x6200, 0x6C00, kPlain},  // 3F
    {0x4000, 0x5900, 0x6300, 0x6D00, kPlain},  // 40
    {0x4100, 0x5A00, 0x6400, 0x6E00, kPlain},  // 41
    {0x4200, 0x5B00, 0x6500, 0x6F00, kPlain},  // 42
    {0x4300, 0x5C00, 0x6600, 0x7000, kPlain},  // 43
    {0x4400, 0x5D00, 0x6700, 0x7100, kPlain},  // 44
    {},  // 45
    {},  // 46
    {0x4700, 0x4737, 0x7700, 0x0000, kPad},  // 47
    {0x4800, 0x4838, 0x8D00, 0x0000, kPad},  // 48
    {0x4900, 0x4939, 0x8400, 0x0000, kPad},  // 49
    {0x4A2D, 0x4A2D, 0x8E00, 0x4A00, kPlain},  // 4A
    {0x4B00, 0x4B34, 0x7300, 0x0000, kPad},  // 4B
    {0x4C00, 0x4C35, 0x8F00, 0x0000, kPad},  // 4C
    {0x4D00, 0x4D36, 0x7400, 0x0000, kPad},  // 4D
    {0x4E2B, 0x4E2B, 0x9000, 0x4E00, kPlain},  // 4E
    {0x4F00, 0x4F31, 0x7500, 0x0000, kPad},  // 4F
    {0x5000, 0x5032, 0x9100, 0x0000, kPad},  // 50
    {0x5100, 0x5133, 0x7600, 0x0000, kPad},  // 51
    {0x5200, 0x5230, 0x9200, 0x0000, kPad},  // 52
    {0x5300, 0x532E, 0x9300, 0x0000, kPad},  // 53
    {},  // 54
    {},  // 55
    {},  // 56
    {0x8500, 0x8700, 0x8900, 0x8B00, kPlain},  // 57
    {0x8600, 0x8800, 0x8A00, 0x8C00, kPlain},  // 58
};
constexpr uint8_t kKeyCount = sizeof kKeys / sizeof kKeys[0];

// The keypad digit a scan code stands for with Alt held, or -1.
int pad_digit(uint8_t scan) {
  static constexpr int8_t kDigits[] = {7, 8, 9, -1, 4, 5, 6, -1, 1, 2, 3, 0};  // 47h..52h
  return scan >= 0x47 && scan <= 0x52 ? kDigits[scan - 0x47] : -1;
}

void update(Call& c, uint32_t at, uint8_t bit, bool on) {
  const uint8_t v = c.rd8(at);
  c.wr8(at, on ? v | bit : v & ~bit);
}

// A lock key toggles its state in 40:17 on the first make only (40:18 remembers it is
// held, so typematic repeats do not toggle it again).
void lock_key(Call& c, uint8_t bit, bool brk) {
  const uint8_t held = c.rd8(kKbdFlags2);
  if (brk) return c.wr8(kKbdFlags2, held & ~bit);
  if (held & bit) return;
  c.wr8(kKbdFlags2, held | bit);
  c.wr8(kKbdFlags1, c.rd8(kKbdFlags1) ^ bit);
}

// Alt released after Alt + keypad digits: the character with that code.
void alt_released(Call& c) {
  const uint8_t code = c.rd8(kKbdAltNum);
  c.wr8(kKbdAltNum, 0);
  if (code) kbd_push(c, code);
}

// Shift, Ctrl, Alt and the lock keys; false for any other key.
bool modifier(Call& c, uint8_t scan, bool e0, bool brk) {
  switch (scan) {
    case 0x2A: update(c, kKbdFlags1, kLeftShift, !brk); return true;
    case 0x36: update(c, kKbdFlags1, kRightShift, !brk); return true;
    case 0x1D:
      e0 ? update(c, kKbdFlags3, kRightCtrlDown, !brk) : update(c, kKbdFlags2, kLeftCtrlDown, !brk);
      break;
    case 0x38:
      e0 ? update(c, kKbdFlags3, kRightAltDown, !brk) : update(c, kKbdFlags2, kLeftAltDown, !brk);
      if (brk) alt_released(c);
      break;
    case 0x3A: lock_key(c, kCapsOn, brk); return true;
    case 0x45: lock_key(c, kNumOn, brk); return true;
    case 0x46:
      if (e0) return true;  // Ctrl+Break: not handled
      lock_key(c, kScrollOn, brk);
      return true;
    default: return false;
  }
  // 40:17's Ctrl and Alt bits say "either side is held".
  const uint8_t f2 = c.rd8(kKbdFlags2), f3 = c.rd8(kKbdFlags3);
  update(c, kKbdFlags1, kCtrl, (f2 & kLeftCtrlDown) || (f3 & kRightCtrlDown));
  update(c, kKbdFlags1, kAlt, (f2 & kLeftAltDown) || (f3 & kRightAltDown));
  return true;
}

// The gray keys that come with an E0h prefix: the navigation block, keypad Enter and /.
uint16_t extended_key(uint8_t scan, uint8_t f1) {
  const bool alt = f1 & kAlt, ctrl = f1 & kCtrl;
  if (scan == 0x1C) return alt ? 0xA600 : ctrl ? 0xE00A : 0xE00D;
  if (scan == 0x35) return alt ? 0xA400 : ctrl ? 0x9500 : 0xE02F;
  if (scan < 0x47 || scan > 0x53 || kKeys[scan].kind != kPad || scan == 0x4C) return 0;
  if (alt) return uint16_t((scan + 0x50) << 8);
  if (ctrl) return kKeys[scan].ctrl;
  return uint16_t(scan << 8 | 0xE0);
}

uint16_t main_key(Call& c, uint8_t scan, uint8_t f1) {
  if (scan >= kKeyCount) return 0;
  const Key& k = kKeys[scan];
  if (f1 & kAlt) {
    if (pad_digit(scan) >= 0) {
      c.wr8(kKbdAltNum, uint8_t(c.rd8(kKbdAltNum) * 10 + pad_digit(scan)));
      return 0;
    }
    return k.alt;
  }
  if (f1 & kCtrl) return k.ctrl;
  bool shift = f1 & (kLeftShift | kRightShift);
  if ((k.kind == kLetter && (f1 & kCapsOn)) || (k.kind == kPad && (f1 & kNumOn))) shift = !shift;
  return shift ? k.shifted : k.normal;
}

// Insert (gray, or the keypad's when it is not a digit) toggles the insert state.
void insert_key(Call& c, uint16_t key, bool brk) {
  if (brk) return update(c, kKbdFlags2, kInsertOn, false);
  if ((key & 0xFF) != 0 && (key & 0xFF) != 0xE0) return;  // the digit 0
  lock_key(c, kInsertOn, false);
}

void key_down(Call& c, uint8_t scan, bool e0) {
  const uint8_t f1 = c.rd8(kKbdFlags1);
  if (scan == 0x53 && (f1 & kCtrl) && (f1 & kAlt)) {
    c.wr16(kBda + 0x72, 0x1234);  // warm boot: POST skips the memory test
    c.out8(0x64, 0xFE);           // pulse the i8042's reset line
    return;
  }
  const uint16_t key = e0 ? extended_key(scan, f1) : main_key(c, scan, f1);
  if (scan == 0x52 && !(f1 & (kCtrl | kAlt))) insert_key(c, key, false);
  if (key) kbd_push(c, key);  // a full buffer drops the key (a PC beeps)
}

void scan_code(Call& c, uint8_t code) {
  if (c.st.pause_skip) {
    c.st.pause_skip--;
    return;
  }
  if (code == 0xE1) {
    c.st.pause_skip = 5;
    return;
  }
  if (code == 0xE0) return update(c, kKbdFlags3, kLastE0, true);
  const bool e0 = c.rd8(kKbdFlags3) & kLastE0;
  update(c, kKbdFlags3, kLastE0, false);
  const bool brk = code & 0x80;
  const uint8_t scan = code & 0x7F;
  if (e0 && (scan == 0x2A || scan == 0x36)) return;  // the fake shifts around gray keys
  if (modifier(c, scan, e0, brk)) return;
  if (brk) {
    if (scan == 0x52) insert_key(c, 0, true);
    return;
  }
  key_down(c, scan, e0);
}

}  // namespace

void int09_keyboard(Call& c) {
  // Only when the i8042 holds a byte (status bit 0): a spurious IRQ 1 must not repeat
  // the last key by reading port 60h again.
  if (c.in8(0x64) & 0x01) scan_code(c, c.in8(0x60));
  c.out8(0x20, 0x20);  // non-specific EOI
}

}  // namespace rs::bios
