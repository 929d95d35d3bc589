// A VGA in colour text mode, as a PC's BIOS leaves it (mode 03h, 80x25): the registers
// Linux's vgacon and a BIOS program, and a view of the text buffer for the host display.
//
// Ports: 0x3C0/0x3C1 attribute controller (one port for index and data, a flip-flop
// that reading input status 1 resets), 0x3C2 misc output (read at 0x3CC) / input status
// 0, 0x3C3 VGA enable, 0x3C4/0x3C5 sequencer, 0x3C6-0x3C9 DAC, 0x3CA feature control,
// 0x3CE/0x3CF graphics controller, and the CRT controller with input status 1 at
// 0x3D4/0x3D5/0x3DA, or at 0x3B4/0x3B5/0x3BA when misc output bit 0 selects the
// monochrome addresses (the other set is not decoded, as on the card). Registers read
// back what was written; CRTC registers 0-7 ignore writes while CR11 bit 7 protects them.
//
// The text buffer is not the device's: it is guest RAM (0xA0000-0xBFFFF is RAM in
// ringshift), written by the guest directly. text_screen() reads the cells from it where
// the graphics controller maps the buffer (0xB8000 in mode 03h), from the CRTC start
// address, with the screen size, row pitch and cursor the CRTC registers give.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "devices/device.h"

namespace rs {

class PhysMem;

// What the screen shows, for the host display.
struct TextScreen {
  int cols = 80, rows = 25;
  std::vector<uint16_t> cells;  // cols * rows: character | attribute << 8
  int cursor_x = 0, cursor_y = 0;
  bool cursor_visible = true;
  bool blink = true;     // attribute bit 7 blinks (else it selects a bright background)
  bool blanked = false;  // the screen is off (AC palette source clear, or SR01 screen off)
};

class Vga : public Device {
 public:
  static constexpr int kCrtcRegs = 25, kSeqRegs = 5, kGcRegs = 9, kAcRegs = 21;
  Vga() { reset(); }
  const char* name() const override { return "vga"; }
  std::vector<PortRange> ports() const override {
    return {{0x3B4, 2}, {0x3BA, 1}, {0x3C0, 16}, {0x3D4, 2}, {0x3DA, 1}};
  }
  uint32_t in(uint16_t port, int size) override;
  void out(uint16_t port, int size, uint32_t value) override;
  // Power-on leaves the registers as the BIOS's mode 03h does.
  void reset() override { load_mode3(); }
  std::string dump() const override;

  // Mode 03h: 80x25 colour text at 0xB8000, 9x16 cells, the EGA palette in the DAC.
  void load_mode3();
  TextScreen text_screen(PhysMem& mem) const;

  uint8_t crtc(int i) const { return crtc_[i]; }
  uint8_t seq(int i) const { return seq_[i]; }
  uint8_t gc(int i) const { return gc_[i]; }
  uint8_t ac(int i) const { return ac_[i]; }
  uint8_t misc() const { return misc_; }
  // The DAC entry's red, green, blue (6 bits each).
  const uint8_t* dac(int i) const { return dac_[i]; }

 private:
  uint8_t in_byte(uint16_t port);
  void out_byte(uint16_t port, uint8_t v);
  void crtc_write(uint8_t v);
  void ac_write(uint8_t v);
  // The CRTC's ports follow misc output bit 0 (I/O address select): 0x3Dx or 0x3Bx.
  bool crtc_port(uint16_t port, uint16_t low) const { return port == ((misc_ & 1) ? 0x3D0 : 0x3B0) + low; }
  uint8_t input_status1();

  uint8_t misc_ = 0, vga_enable_ = 0, feature_ = 0;
  uint8_t seq_index_ = 0, seq_[kSeqRegs] = {};
  uint8_t gc_index_ = 0, gc_[kGcRegs] = {};
  uint8_t crtc_index_ = 0, crtc_[kCrtcRegs] = {};
  uint8_t ac_index_ = 0, ac_[kAcRegs] = {};
  bool ac_data_next_ = false;  // the attribute flip-flop: the next 0x3C0 write is data
  uint8_t pel_mask_ = 0xFF;
  uint8_t dac_[256][3] = {};
  uint8_t dac_write_ = 0, dac_read_ = 0, dac_step_ = 0;
  bool dac_reading_ = false;  // the last index written was the read index (0x3C7)
  uint32_t status_reads_ = 0;  // input status 1 cycles through display and retrace with each read
};

}  // namespace rs
