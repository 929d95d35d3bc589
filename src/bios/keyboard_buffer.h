// The BDA keyboard buffer that int 09h fills and int 16h empties: a ring of key words
// (scan code << 8 | ASCII) between the offsets at 40:80 and 40:82 (40:1E-40:3D after
// POST), head at 40:1A, tail at 40:1C; one slot stays free so that full != empty.
#pragma once
#include <cstdint>

namespace rs::bios {

class Call;

bool kbd_push(Call& c, uint16_t key);  // false when the buffer is full
bool kbd_peek(Call& c, uint16_t& key);
bool kbd_pop(Call& c, uint16_t& key);

// Keyboard flags: 40:17 (shift state), 40:18 (keys held), 40:96 (extended state).
inline constexpr uint32_t kKbdFlags1 = 0x417, kKbdFlags2 = 0x418, kKbdAltNum = 0x419, kKbdFlags3 = 0x496;
inline constexpr uint8_t kRightShift = 0x01, kLeftShift = 0x02, kCtrl = 0x04, kAlt = 0x08, kScrollOn = 0x10,
                         kNumOn = 0x20, kCapsOn = 0x40, kInsertOn = 0x80;
// 40:18: left Ctrl, left Alt, SysRq, Pause, then the lock and Insert keys held.
inline constexpr uint8_t kLeftCtrlDown = 0x01, kLeftAltDown = 0x02;
// 40:96: last code was E0h, right Ctrl, right Alt, enhanced (101/102-key) keyboard.
inline constexpr uint8_t kLastE0 = 0x02, kRightCtrlDown = 0x04, kRightAltDown = 0x08, kEnhanced = 0x10;

}  // namespace rs::bios
