// The 8042 keyboard controller of a PC with a PS/2 keyboard the host types on and an
// empty mouse (aux) port.
//
// Ports 0x60 (data) and 0x64 (status / command); IRQ 1 for keyboard-port data and
// IRQ 12 for aux-port data, each gated by its enable bit in the command byte; the reset
// line (output port bit 0, commands 0xF0-0xFE with bit 0 clear) asks the board for a
// reset. Nothing to poll: every byte is answered at once.
//
// Commands are processed when written, so the input buffer is never full (IBF reads 0).
// Output bytes wait in queues and enter the one-byte output buffer as it is read:
// controller replies first, keyboard bytes only while the keyboard port is enabled.
// The IRQ lines follow "output buffer full" with the byte's source and enable bit, so
// each byte is one edge at the 8259A.
//
// The keyboard: the host types scan code set 2 (type()), one key byte entering the
// keyboard's buffer when the previous one has been taken, so a burst of typing is never
// lost; it answers its commands (reset, identify, LEDs, typematic, scan code set, echo,
// enable/disable scanning). As on a real 8042, while the command byte's translate bit
// (6) is set every byte from the keyboard, answers included, is translated to set 1
// on its way to the output buffer (a set-2 break prefix F0 becomes bit 7 of the next
// code). A keyboard switched to set 1 (F0 01) converts the typed codes itself; set 3
// is acknowledged but typed keys stay in set 2.
//
// The aux port exists but nothing is plugged into it, which is what Linux's i8042
// probe handles without delay: the controller-internal loopback (0xD3) echoes as aux
// data, so the loop and IRQ 12 delivery tests pass and the AUX port is registered;
// 0xA9 (aux interface test) answers 0x00; a byte sent to the aux device (0xD4) gets
// the controller's "no device" answer at once, 0xFE with the time-out status bit (6)
// set, so psmouse's probe fails on its first command instead of waiting for a mouse.
//
// Reset leaves the state a PC BIOS hands to the OS: command byte 0x45 (translation,
// system flag, keyboard interrupt; aux port enabled with its interrupt off), output
// port 0x03 (not in reset, A20 on). A20 is reported only: ringshift does not mask it.
#pragma once
#include <cstdint>
#include <cstddef>
#include <deque>
#include <string>

#include "devices/device.h"

namespace rs {

class I8042 : public Device {
 public:
  static constexpr int kKbdIrq = 1, kAuxIrq = 12;
  I8042(IrqLine kbd_irq, IrqLine aux_irq, BoardControl& board);
  const char* name() const override { return "i8042"; }
  std::vector<PortRange> ports() const override { return {{0x60, 1}, {0x64, 1}}; }
  uint32_t in(uint16_t port, int size) override;
  void out(uint16_t port, int size, uint32_t value) override;
  void reset() override;
  std::string dump() const override;

  // A byte the keyboard sends (the keyboard's buffer, 16 bytes): queued while it is scanning.
  void keyboard_byte(uint8_t b);
  // Keys typed on the host: scan code set 2 make and break codes, sent one byte at a time
  // as the guest takes them. Dropped while the keyboard does not scan.
  void type(const uint8_t* codes, size_t n);
  uint8_t leds() const { return leds_; }
  bool a20() const { return outport_ & 2; }
  uint8_t command_byte() const { return ram_[0]; }

 private:
  struct Byte {
    uint8_t value;
    bool aux;      // status bit 5: from the aux port
    bool timeout;  // status bit 6: the aux device did not answer
  };
  void controller_command(uint8_t cmd);
  void controller_data(uint8_t cmd, uint8_t v);
  void keyboard_write(uint8_t b);
  void keyboard_defaults();
  void reply(uint8_t v, bool aux = false, bool timeout = false);
  void kbd_send(uint8_t v);
  void refill();
  bool next_typed_byte();
  void drive_irqs();
  uint8_t status() const;

  IrqLine irq_[2];  // IRQ 1, IRQ 12
  BoardControl& board_;
  uint8_t ram_[32] = {};  // byte 0 is the command byte
  uint8_t outport_ = 0x03;
  uint8_t pending_ = 0;   // controller command waiting for its data byte
  bool last_was_command_ = false;  // status bit 3 (A2)
  std::deque<Byte> ctl_q_;       // controller replies
  std::deque<uint8_t> kbd_q_;    // bytes the keyboard has to send
  std::deque<uint8_t> typed_;    // set-2 codes typed on the host, not yet sent
  bool xlate_break_ = false;     // the controller has taken a set-2 break prefix (F0)
  bool typed_break_ = false;     // the same, for the keyboard's own set-1 conversion
  Byte obuf_{};
  bool obuf_full_ = false;
  uint8_t last_read_ = 0;
  bool line_[2] = {false, false};  // IRQ 1, IRQ 12
  // The keyboard.
  uint8_t kbd_arg_ = 0;  // command waiting for its argument byte
  bool scanning_ = true;
  uint8_t leds_ = 0, typematic_ = 0x2B, scan_set_ = 2;
};

}  // namespace rs
