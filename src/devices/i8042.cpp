#include "devices/i8042.h"

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

void I8042::refill() {
  if (!obuf_full_) {
    if (!ctl_q_.empty()) {
      obuf_ = ctl_q_.front();
      ctl_q_.pop_front();
      obuf_full_ = true;
    } else if (!(ram_[0] & kCtrKbdDis) && !kbd_q_.empty()) {
      obuf_ = Byte{kbd_q_.front(), false, false};
      kbd_q_.pop_front();
      obuf_full_ = true;
    }
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
    case 0xD1:
      outport_ = v | 0x01;  // the reset line returns high when the reset is done
      if (!(v & 1)) board_.request_reset("keyboard controller reset line");
      break;
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
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "status %02x command byte %02x output port %02x obuf %s%02x queued ctl %zu kbd %zu; keyboard %s set %u "
                "leds %x; irq1 %d irq12 %d",
                status(), ram_[0], outport_, obuf_full_ ? (obuf_.aux ? "aux " : "kbd ") : "empty ",
                obuf_full_ ? obuf_.value : 0, ctl_q_.size(), kbd_q_.size(), scanning_ ? "scanning" : "disabled",
                scan_set_, leds_, line_[0], line_[1]);
  return buf;
}

}  // namespace rs
