#include "devices/i8042.h"

#include <array>
#include <cstdio>

namespace rs {

namespace {

// Command byte bits.
constexpr uint8_t kCtrKbdInt = 0x01, kCtrAuxInt = 0x02, kCtrSys = 0x04, kCtrKbdDis = 0x10, kCtrAuxDis = 0x20,
                  kCtrXlate = 0x40;
// Status bits.
constexpr uint8_t kStOBF = 0x01, kStSys = 0x04, kStCmd = 0x08, kStUnlocked = 0x10, kStAux = 0x20,
                  kStTimeout = 0x40;
// Keyboard answers.
constexpr uint8_t kAck = 0xFA, kBatOk = 0xAA;
constexpr size_t kKbdQueue = 16;  // the keyboard's own buffer
constexpr size_t kTypedMax = 4096;  // host keys typed ahead of the guest
constexpr uint8_t kBreakPrefix = 0xF0;

// The 8042's set 2 -> set 1 translation: for each key of a PC/AT (MF2) keyboard, its
// set-2 code and its set-1 code (an E0-prefixed key uses the same pair after the E0).
struct CodePair {
  uint8_t set2, set1;
};
constexpr CodePair kTranslation[] = {
    {0x76, 0x01},  // Esc
    {0x16, 0x02}, {0x1E, 0x03}, {0x26, 0x04}, {0x25, 0x05}, {0x2E, 0x06},  // 1-5
    {0x36, 0x07}, {0x3D, 0x08}, {0x3E, 0x09}, {0x46, 0x0A}, {0x45, 0x0B},  // 6-0
    {0x4E, 0x0C}, {0x55, 0x0D}, {0x66, 0x0E}, {0x0D, 0x0F},                // - = Backspace Tab
    {0x15, 0x10}, {0x1D, 0x11}, {0x24, 0x12}, {0x2D, 0x13}, {0x2C, 0x14},  // Q W E R T
    {0x35, 0x15}, {0x3C, 0x16}, {0x43, 0x17}, {0x44, 0x18}, {0x4D, 0x19},  // Y U I O P
    {0x54, 0x1A}, {0x5B, 0x1B}, {0x5A, 0x1C}, {0x14, 0x1D},                // [ ] Enter LCtrl
    {0x1C, 0x1E}, {0x1B, 0x1F}, {0x23, 0x20}, {0x2B, 0x21}, {0x34, 0x22},  // A S D F G
    {0x33, 0x23}, {0x3B, 0x24}, {0x42, 0x25}, {0x4B, 0x26}, {0x4C, 0x27},  // H J K L ;
    {0x52, 0x28}, {0x0E, 0x29}, {0x12, 0x2A}, {0x5D, 0x2B},                // ' ` LShift backslash
    {0x1A, 0x2C}, {0x22, 0x2D}, {0x21, 0x2E}, {0x2A, 0x2F}, {0x32, 0x30},  // Z X C V B
    {0x31, 0x31}, {0x3A, 0x32}, {0x41, 0x33}, {0x49, 0x34}, {0x4A, 0x35},  // N M , . /
    {0x59, 0x36}, {0x7C, 0x37}, {0x11, 0x38}, {0x29, 0x39}, {0x58, 0x3A},  // RShift KP* LAlt Space Caps
    {0x05, 0x3B}, {0x06, 0x3C}, {0x04, 0x3D}, {0x0C, 0x3E}, {0x03, 0x3F},  // F1-F5
    {0x0B, 0x40}, {0x83, 0x41}, {0x0A, 0x42}, {0x01, 0x43}, {0x09, 0x44},  // F6-F10
    {0x77, 0x45}, {0x7E, 0x46},                                            // NumLock ScrollLock
    {0x6C, 0x47}, {0x75, 0x48}, {0x7D, 0x49}, {0x7B, 0x4A},                // KP7 KP8 KP9 KP-
    {0x6B, 0x4B}, {0x73, 0x4C}, {0x74, 0x4D}, {0x79, 0x4E},                // KP4 KP5 KP6 KP+
    {0x69, 0x4F}, {0x72, 0x50}, {0x7A, 0x51}, {0x70, 0x52}, {0x71, 0x53},  // KP1 KP2 KP3 KP0 KP.
    {0x84, 0x54}, {0x61, 0x56}, {0x78, 0x57}, {0x07, 0x58},                // SysRq, 102nd key, F11, F12
    {0x1F, 0x5B}, {0x27, 0x5C}, {0x2F, 0x5D},                              // (E0) left/right GUI, menu
    {0x00, 0xFF},  // key detection error / overrun
    {0x02, 0x41},  // no key; the answer "set 2" to F0 00 reads 0x41 through the controller
};

// Bytes no key sends (answers such as FA, AA, EE, E0 and E1 prefixes) pass unchanged.
constexpr auto kSet2ToSet1 = [] {
  std::array<uint8_t, 256> t{};
  for (int i = 0; i < 256; ++i) t[size_t(i)] = uint8_t(i);
  for (const CodePair& p : kTranslation) t[p.set2] = p.set1;
  return t;
}();

}  // namespace

I8042::I8042(IrqLine kbd_irq, IrqLine aux_irq, BoardControl& board) : irq_{kbd_irq, aux_irq}, board_(board) {
  reset();
}

void I8042::reset() {
  for (auto& b : ram_) b = 0;
  ram_[0] = kCtrXlate | kCtrSys | kCtrKbdInt;
  outport_ = 0x03;
  pending_ = 0;
  last_was_command_ = false;
  ctl_q_.clear();
  kbd_q_.clear();
  typed_.clear();
  xlate_break_ = typed_break_ = false;
  obuf_full_ = false;
  last_read_ = 0;
  kbd_arg_ = 0;
  keyboard_defaults();
  scanning_ = true;
  drive_irqs();
}

void I8042::keyboard_defaults() {
  leds_ = 0;
  typematic_ = 0x2B;  // 10.9 characters/s after 500 ms
  scan_set_ = 2;
}

uint8_t I8042::status() const {
  uint8_t s = kStUnlocked;
  if (ram_[0] & kCtrSys) s |= kStSys;
  if (last_was_command_) s |= kStCmd;
  if (obuf_full_) {
    s |= kStOBF;
    if (obuf_.aux) s |= kStAux;
    if (obuf_.timeout) s |= kStTimeout;
  }
  return s;
}

void I8042::reply(uint8_t v, bool aux, bool timeout) {
  ctl_q_.push_back(Byte{v, aux, timeout});
  refill();
}

void I8042::kbd_send(uint8_t v) {
  if (kbd_q_.size() < kKbdQueue) kbd_q_.push_back(v);
  refill();
}

void I8042::keyboard_byte(uint8_t b) {
  if (scanning_) kbd_send(b);
}

void I8042::type(const uint8_t* codes, size_t n) {
  if (!scanning_) return;
  for (size_t i = 0; i < n && typed_.size() < kTypedMax; ++i) typed_.push_back(codes[i]);
  refill();
}

// The keyboard sends the next typed byte once its buffer is empty: a key at a time, as
// fast as the guest reads, instead of overrunning the 16-byte buffer.
bool I8042::next_typed_byte() {
  while (scanning_ && !typed_.empty()) {
    uint8_t b = typed_.front();
    typed_.pop_front();
    if (scan_set_ == 1) {
      if (b == kBreakPrefix) {
        typed_break_ = true;
        continue;
      }
      b = uint8_t(kSet2ToSet1[b] | (typed_break_ ? 0x80 : 0));
      typed_break_ = false;
    }
    kbd_q_.push_back(b);
    return true;
  }
  return false;
}

void I8042::refill() {
  while (!obuf_full_) {
    if (!ctl_q_.empty()) {
      obuf_ = ctl_q_.front();
      ctl_q_.pop_front();
      obuf_full_ = true;
      break;
    }
    if (ram_[0] & kCtrKbdDis) break;  // the controller inhibits the keyboard's clock
    if (kbd_q_.empty() && !next_typed_byte()) break;
    uint8_t b = kbd_q_.front();
    kbd_q_.pop_front();
    if (ram_[0] & kCtrXlate) {
      // The break prefix is swallowed and marks the next code, as the 8042 firmware does.
      if (b == kBreakPrefix) {
        xlate_break_ = true;
        continue;
      }
      b = uint8_t(kSet2ToSet1[b] | (xlate_break_ ? 0x80 : 0));
      xlate_break_ = false;
    }
    obuf_ = Byte{b, false, false};
    obuf_full_ = true;
  }
  drive_irqs();
}

void I8042::drive_irqs() {
  const bool lines[2] = {obuf_full_ && !obuf_.aux && (ram_[0] & kCtrKbdInt),
                         obuf_full_ && obuf_.aux && (ram_[0] & kCtrAuxInt)};
  for (int i = 0; i < 2; ++i) {
    if (lines[i] == line_[i]) continue;
    line_[i] = lines[i];
    irq_[i].set(lines[i]);
  }
}

uint32_t I8042::in(uint16_t port, int) {
  if (port == 0x64) return status();
  if (obuf_full_) {
    last_read_ = obuf_.value;
    obuf_full_ = false;
    // The line drops before the next byte raises it, so every byte is an edge.
    drive_irqs();
    refill();
  }
  return last_read_;  // an empty buffer reads its last byte again
}

void I8042::out(uint16_t port, int, uint32_t value) {
  const uint8_t v = uint8_t(value);
  if (port == 0x64) {
    last_was_command_ = true;
    pending_ = 0;  // a new command abandons one still waiting for data
    controller_command(v);
    return;
  }
  last_was_command_ = false;
  if (pending_) {
    const uint8_t cmd = pending_;
    pending_ = 0;
    controller_data(cmd, v);
  } else {
    keyboard_write(v);
  }
}

void I8042::controller_command(uint8_t cmd) {
  if (cmd >= 0x20 && cmd <= 0x3F) return reply(ram_[cmd & 0x1F]);
  if ((cmd >= 0x60 && cmd <= 0x7F) || (cmd >= 0xD1 && cmd <= 0xD4)) {
    pending_ = cmd;
    return;
  }
  if (cmd >= 0xF0) {
    // Pulse the output port lines whose bits are clear; bit 0 is the CPU reset.
    if (!(cmd & 1)) board_.request_reset("keyboard controller reset line");
    return;
  }
  switch (cmd) {
    case 0xDD:  // HP Vectra and compatibles: A20 off / on in one command
    case 0xDF:
      outport_ = uint8_t((outport_ & ~0x02) | (cmd == 0xDF ? 0x02 : 0));
      board_.set_a20(cmd == 0xDF);
      break;
    case 0xA7:
      ram_[0] |= kCtrAuxDis;
      break;
    case 0xA8:
      ram_[0] &= uint8_t(~kCtrAuxDis);
      break;
    case 0xA9:
      reply(0x00);  // aux clock and data lines fine (nothing pulls them)
      break;
    case 0xAA:
      ram_[0] |= kCtrSys;
      reply(0x55);
      break;
    case 0xAB:
      reply(0x00);
      break;
    case 0xAD:
      ram_[0] |= kCtrKbdDis;
      break;
    case 0xAE:
      ram_[0] &= uint8_t(~kCtrKbdDis);
      refill();
      break;
    case 0xD0: {
      // Bits 4 and 5 of the output port are wired to the two "buffer full" interrupt lines.
      uint8_t v = outport_ & 0xCF;
      if (obuf_full_) v |= obuf_.aux ? 0x20 : 0x10;
      reply(v);
      break;
    }
    default:
      break;  // unknown or not emulated: ignored
  }
}

void I8042::controller_data(uint8_t cmd, uint8_t v) {
  if (cmd >= 0x60 && cmd <= 0x7F) {
    ram_[cmd & 0x1F] = v;
    refill();  // the interrupt enables or the keyboard port may have changed
    return;
  }
  switch (cmd) {
    case 0xD1: {
      const uint8_t old = outport_;
      outport_ = v | 0x01;  // the reset line returns high when the reset is done
      if ((old ^ v) & 0x02) board_.set_a20(v & 0x02);  // output port bit 1 is the A20 gate
      if (!(v & 1)) board_.request_reset("keyboard controller reset line");
      break;
    }
    case 0xD2:
      reply(v);
      break;
    case 0xD3:
      reply(v, true);
      break;
    case 0xD4:
      reply(0xFE, true, true);  // no aux device answered
      break;
    default:
      break;
  }
}

void I8042::keyboard_write(uint8_t b) {
  if (kbd_arg_ && b < 0xED) {
    const uint8_t cmd = kbd_arg_;
    kbd_arg_ = 0;
    kbd_send(kAck);
    if (cmd == 0xED) {
      leds_ = b & 7;
    } else if (cmd == 0xF3) {
      typematic_ = b & 0x7F;
    } else if (cmd == 0xF0) {
      if (b == 0)
        kbd_send(scan_set_);
      else if (b <= 3)
        scan_set_ = b;
    }
    return;
  }
  kbd_arg_ = 0;  // a command in place of an argument is a command
  switch (b) {
    case 0xED:
    case 0xF3:
    case 0xF0:
      kbd_arg_ = b;
      kbd_send(kAck);
      break;
    case 0xEE:
      kbd_send(0xEE);  // echo
      break;
    case 0xF2:
      kbd_send(kAck);
      kbd_send(0xAB);  // MF2 keyboard
      kbd_send(0x83);
      break;
    case 0xF4:
      scanning_ = true;
      kbd_send(kAck);
      break;
    case 0xF5:
      // Default and disable: what was pressed and not sent is gone.
      kbd_q_.clear();
      typed_.clear();
      keyboard_defaults();
      scanning_ = false;
      kbd_send(kAck);
      break;
    case 0xF6:
      keyboard_defaults();
      kbd_send(kAck);
      break;
    case 0xFF:
      kbd_q_.clear();
      typed_.clear();
      keyboard_defaults();
      scanning_ = true;
      kbd_send(kAck);
      kbd_send(kBatOk);  // the self test passed
      break;
    default:
      kbd_send(kAck);
      break;
  }
}

std::string I8042::dump() const {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "status %02x command byte %02x output port %02x obuf %s%02x queued ctl %zu kbd %zu typed %zu; keyboard %s "
                "set %u leds %x; irq1 %d irq12 %d",
                status(), ram_[0], outport_, obuf_full_ ? (obuf_.aux ? "aux " : "kbd ") : "empty ",
                obuf_full_ ? obuf_.value : 0, ctl_q_.size(), kbd_q_.size(), typed_.size(),
                scanning_ ? "scanning" : "disabled",
                scan_set_, leds_, line_[0], line_[1]);
  return buf;
}

}  // namespace rs
