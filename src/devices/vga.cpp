#include "devices/vga.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "mmu/phys_mem.h"

namespace rs {

namespace {

// Mode 03h as the IBM VGA BIOS programs it (80x25, 720x400, 9x16 character cells).
constexpr uint8_t kMode3Seq[Vga::kSeqRegs] = {0x03, 0x00, 0x03, 0x00, 0x02};
constexpr uint8_t kMode3Crtc[Vga::kCrtcRegs] = {0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00,
                                                0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E,
                                                0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF};
constexpr uint8_t kMode3Gc[Vga::kGcRegs] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF};
// Palette: the 16 text colours pick EGA colours 0-5, 20 (brown), 7 and 56-63.
constexpr uint8_t kMode3Ac[Vga::kAcRegs] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A,
                                            0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00};
constexpr uint8_t kMode3Misc = 0x67;  // colour I/O addresses, RAM on, 28 MHz, 400 lines

constexpr uint8_t kCr11Protect = 0x80, kCr0aCursorOff = 0x20, kCr07LineCompare8 = 0x10;
constexpr uint8_t kAcPas = 0x20;        // attribute index bit 5: palette source is the display
constexpr uint8_t kAc10Blink = 0x08;    // attribute mode control: bit 7 of an attribute blinks
constexpr uint8_t kSr01ScreenOff = 0x20;

}  // namespace

void Vga::load_mode3() {
  misc_ = kMode3Misc;
  vga_enable_ = 1;
  feature_ = 0;
  std::memcpy(seq_, kMode3Seq, sizeof seq_);
  std::memcpy(crtc_, kMode3Crtc, sizeof crtc_);
  std::memcpy(gc_, kMode3Gc, sizeof gc_);
  std::memcpy(ac_, kMode3Ac, sizeof ac_);
  seq_index_ = gc_index_ = crtc_index_ = 0;
  ac_index_ = kAcPas;
  ac_data_next_ = false;
  pel_mask_ = 0xFF;
  // The EGA's 64 colours in the first 64 DAC entries: bits 0-2 are blue, green, red at
  // two thirds, bits 3-5 add a third of each.
  std::memset(dac_, 0, sizeof dac_);
  for (int i = 0; i < 64; ++i) {
    dac_[i][0] = uint8_t((i & 4 ? 0x2A : 0) + (i & 0x20 ? 0x15 : 0));
    dac_[i][1] = uint8_t((i & 2 ? 0x2A : 0) + (i & 0x10 ? 0x15 : 0));
    dac_[i][2] = uint8_t((i & 1 ? 0x2A : 0) + (i & 0x08 ? 0x15 : 0));
  }
  dac_write_ = dac_read_ = dac_step_ = 0;
  dac_reading_ = false;
}

// Wider accesses are byte accesses to consecutive ports (OUT DX, AX to 0x3D4 writes the
// index, then the data), as the bus splits them for an 8-bit device.
uint32_t Vga::in(uint16_t port, int size) {
  uint32_t v = 0;
  for (int i = 0; i < size; ++i) v |= uint32_t(in_byte(uint16_t(port + i))) << (8 * i);
  return v;
}

void Vga::out(uint16_t port, int size, uint32_t value) {
  for (int i = 0; i < size; ++i) out_byte(uint16_t(port + i), uint8_t(value >> (8 * i)));
}

uint8_t Vga::input_status1() {
  // Polling loops wait for a retrace to start or end: each read moves the beam on. Of
  // every 10 reads, the last 2 are in vertical retrace; bit 0 (display disabled) is set
  // in retrace and on every other read (horizontal blanking).
  ac_data_next_ = false;
  const uint32_t phase = status_reads_++ % 10;
  const bool vretrace = phase >= 8;
  return uint8_t((vretrace ? 0x08 : 0) | (vretrace || (phase & 1) ? 0x01 : 0));
}

uint8_t Vga::in_byte(uint16_t port) {
  if (crtc_port(port, 4)) return crtc_index_;
  if (crtc_port(port, 5)) return crtc_index_ < kCrtcRegs ? crtc_[crtc_index_] : 0xFF;
  if (crtc_port(port, 0xA)) return input_status1();
  switch (port) {
    case 0x3C0:
      return ac_index_;
    case 0x3C1: {
      const int i = ac_index_ & 0x1F;
      return i < kAcRegs ? ac_[i] : 0x00;
    }
    case 0x3C2:
      return 0x00;  // input status 0: no vertical retrace interrupt pending
    case 0x3C3:
      return vga_enable_;
    case 0x3C4:
      return seq_index_;
    case 0x3C5:
      return seq_index_ < kSeqRegs ? seq_[seq_index_] : 0xFF;
    case 0x3C6:
      return pel_mask_;
    case 0x3C7:
      return dac_reading_ ? 0x03 : 0x00;  // DAC state
    case 0x3C8:
      return dac_write_;
    case 0x3C9: {
      const uint8_t v = dac_[dac_read_][dac_step_];
      if (++dac_step_ == 3) dac_step_ = 0, ++dac_read_;
      return v;
    }
    case 0x3CA:
      return feature_;
    case 0x3CC:
      return misc_;
    case 0x3CE:
      return gc_index_;
    case 0x3CF:
      return gc_index_ < kGcRegs ? gc_[gc_index_] : 0xFF;
    default:
      return 0xFF;  // not decoded
  }
}

void Vga::crtc_write(uint8_t v) {
  if (crtc_index_ >= kCrtcRegs) return;
  if (crtc_index_ <= 7 && (crtc_[0x11] & kCr11Protect)) {
    // Protected timing registers; only CR07's line compare bit 8 stays writable.
    if (crtc_index_ == 7) crtc_[7] = uint8_t((crtc_[7] & ~kCr07LineCompare8) | (v & kCr07LineCompare8));
    return;
  }
  crtc_[crtc_index_] = v;
}

void Vga::ac_write(uint8_t v) {
  if (!ac_data_next_) {
    ac_index_ = v & 0x3F;
  } else {
    const int i = ac_index_ & 0x1F;
    // While the display owns the palette (PAS set), palette registers 0-15 are locked.
    if (i < kAcRegs && !(i < 16 && (ac_index_ & kAcPas))) ac_[i] = v;
  }
  ac_data_next_ = !ac_data_next_;
}

void Vga::out_byte(uint16_t port, uint8_t v) {
  if (crtc_port(port, 4)) {
    crtc_index_ = v;
    return;
  }
  if (crtc_port(port, 5)) return crtc_write(v);
  if (crtc_port(port, 0xA)) {
    feature_ = v;
    return;
  }
  switch (port) {
    case 0x3C0:
      ac_write(v);
      break;
    case 0x3C2:
      misc_ = v;
      break;
    case 0x3C3:
      vga_enable_ = v & 1;
      break;
    case 0x3C4:
      seq_index_ = v;
      break;
    case 0x3C5:
      if (seq_index_ < kSeqRegs) seq_[seq_index_] = v;
      break;
    case 0x3C6:
      pel_mask_ = v;
      break;
    case 0x3C7:
      dac_read_ = v;
      dac_step_ = 0;
      dac_reading_ = true;
      break;
    case 0x3C8:
      dac_write_ = v;
      dac_step_ = 0;
      dac_reading_ = false;
      break;
    case 0x3C9:
      dac_[dac_write_][dac_step_] = v & 0x3F;
      if (++dac_step_ == 3) dac_step_ = 0, ++dac_write_;
      break;
    case 0x3CE:
      gc_index_ = v;
      break;
    case 0x3CF:
      if (gc_index_ < kGcRegs) gc_[gc_index_] = v;
      break;
    default:
      break;
  }
}

TextScreen Vga::text_screen(PhysMem& mem) const {
  TextScreen s;
  // Size from the CRTC: horizontal display end, vertical display end (10 bits, the
  // high ones in the overflow register) over the character height (double scan doubles it).
  s.cols = std::clamp(crtc_[0x01] + 1, 1, 255);
  const int vde = crtc_[0x12] | ((crtc_[0x07] & 0x02) << 7) | ((crtc_[0x07] & 0x40) << 3);
  const int height = ((crtc_[0x09] & 0x1F) + 1) * ((crtc_[0x09] & 0x80) ? 2 : 1);
  s.rows = std::clamp((vde + 1) / height, 1, 128);
  // The row pitch is the offset register in words (times two in word mode).
  const int pitch = std::max(crtc_[0x13] * 2, 1);
  const uint32_t start = uint32_t(crtc_[0x0C]) << 8 | crtc_[0x0D];
  // Graphics controller misc bits 2-3: where the buffer appears in the CPU's address space.
  static constexpr uint32_t kBase[4] = {0xA0000, 0xA0000, 0xB0000, 0xB8000};
  static constexpr uint32_t kSize[4] = {0x20000, 0x10000, 0x8000, 0x8000};
  const int map = (gc_[0x06] >> 2) & 3;
  const uint8_t* buf = mem.ptr(kBase[map], kSize[map]);
  s.cells.assign(size_t(s.cols) * s.rows, 0x0720);
  if (buf) {
    for (int y = 0; y < s.rows; ++y)
      for (int x = 0; x < s.cols; ++x) {
        const uint32_t off = ((start + uint32_t(y) * pitch + x) * 2) % kSize[map];
        s.cells[size_t(y) * s.cols + x] = uint16_t(buf[off] | buf[(off + 1) % kSize[map]] << 8);
      }
  }
  const int32_t rel = int32_t((uint32_t(crtc_[0x0E]) << 8 | crtc_[0x0F]) - start);
  s.cursor_x = rel >= 0 ? rel % pitch : 0;
  s.cursor_y = rel >= 0 ? rel / pitch : 0;
  // No cursor when disabled, when its start line is below its end line, or off screen.
  s.cursor_visible = !(crtc_[0x0A] & kCr0aCursorOff) && (crtc_[0x0A] & 0x1F) <= (crtc_[0x0B] & 0x1F) && rel >= 0 &&
                     s.cursor_x < s.cols && s.cursor_y < s.rows;
  s.blink = ac_[0x10] & kAc10Blink;
  s.blanked = !(ac_index_ & kAcPas) || (seq_[0x01] & kSr01ScreenOff);
  return s;
}

std::string Vga::dump() const {
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "misc %02x start %02x%02x cursor %02x%02x shape %02x-%02x offset %02x; gc06 %02x ac10 %02x ac index %02x",
                misc_, crtc_[0x0C], crtc_[0x0D], crtc_[0x0E], crtc_[0x0F], crtc_[0x0A], crtc_[0x0B], crtc_[0x13],
                gc_[0x06], ac_[0x10], ac_index_);
  return buf;
}

}  // namespace rs
