// int 10h, video: the text modes of a colour (or monochrome) adapter as the BIOS
// offers them (IBM PC/AT Technical Reference, VIDEO_IO; Ralf Brown's interrupt list
// for the EGA/VGA additions): set mode, cursor shape and position, page, scroll,
// read/write character and attribute, teletype, write string, font information,
// display combination, EGA information.
//
// The screen is the text buffer at B8000h (B0000h in mode 07h), reached through the
// machine (GuestEnv::phys_access) so that the VGA device sees every write; the cursor
// lives in the BDA and is programmed into the CRTC (3D4h/3D5h). Graphics modes are not
// set (there is no graphics device). VBE (AH = 4Fh) leaves AX alone: AL is then the
// subfunction, not 4Fh, which VBE 3.0 defines as "function not supported", what a VGA
// BIOS without VBE answers and what loaders test (AX != 004Fh) before falling back to text.
#include <algorithm>
#include <vector>

#include "bios/call.h"
#include "bios/rom.h"
#include "bios/video.h"
#include "cpu/guest_env.h"

namespace rs::bios {
namespace {

// BDA video fields (IBM PC/AT Technical Reference, BIOS data area; 84h-8Ah EGA/VGA).
constexpr uint32_t kEquipment = kBda + 0x10, kMode = kBda + 0x49, kCols = kBda + 0x4A,
                   kPageSize = kBda + 0x4C, kPageStart = kBda + 0x4E, kCursorPos = kBda + 0x50,
                   kCursorShape = kBda + 0x60, kActivePage = kBda + 0x62, kCrtcBase = kBda + 0x63,
                   kModeCtl = kBda + 0x65, kPalette = kBda + 0x66, kRowsM1 = kBda + 0x84,
                   kCharHeight = kBda + 0x85, kVideoCtl = kBda + 0x87, kSwitches = kBda + 0x88,
                   kVgaFlags = kBda + 0x89, kDccIndex = kBda + 0x8A;
constexpr uint16_t kBlank = 0x0720;  // space, light grey on black

// The current text mode's geometry, from the BDA (kept sane whatever a guest wrote there).
struct Screen {
  uint32_t base;  // physical address of page 0
  unsigned cols, rows, page_size;
  uint16_t crtc;  // CRTC index port
};

Screen screen(Call& c) {
  Screen s;
  s.base = (c.rd8(kMode) & 0x7F) == 7 ? 0xB0000 : 0xB8000;
  s.cols = c.rd16(kCols);
  if (s.cols < 40 || s.cols > 132) s.cols = 80;
  s.rows = c.rd8(kRowsM1) + 1u;
  if (s.rows < 2 || s.rows > 60) s.rows = 25;
  s.page_size = c.rd16(kPageSize);
  if (s.page_size < s.cols * s.rows * 2) s.page_size = s.cols * s.rows * 2;
  s.crtc = c.rd16(kCrtcBase) == 0x3B4 ? 0x3B4 : 0x3D4;
  return s;
}

struct Pos {
  unsigned row, col;
};

uint32_t cell_addr(const Screen& s, uint8_t page, Pos p) {
  return s.base + (page & 7) * s.page_size + (p.row * s.cols + p.col) * 2;
}

void vram_read(Call& c, uint32_t a, void* dst, size_t n) { c.env.phys_access(a, dst, uint32_t(n), false); }
void vram_write(Call& c, uint32_t a, const void* src, size_t n) {
  c.env.phys_access(a, const_cast<void*>(src), uint32_t(n), true);
}

void crtc_write(Call& c, const Screen& s, uint8_t reg, uint8_t v) {
  c.out8(s.crtc, reg);
  c.out8(uint16_t(s.crtc + 1), v);
}

Pos cursor(Call& c, const Screen& s, uint8_t page) {
  const uint16_t v = c.rd16(kCursorPos + 2 * (page & 7));
  return {std::min<unsigned>(v >> 8, s.rows - 1), std::min<unsigned>(v & 0xFF, s.cols - 1)};
}

// The BDA keeps every page's cursor; the CRTC shows the active page's (registers 0Eh/0Fh
// count characters from the start of video memory).
void set_cursor(Call& c, uint8_t page, Pos p) {
  page &= 7;
  c.wr16(kCursorPos + 2 * page, uint16_t(p.row << 8 | p.col));
  if (page != c.rd8(kActivePage)) return;
  const Screen s = screen(c);
  const uint16_t at = uint16_t(page * s.page_size / 2 + p.row * s.cols + p.col);
  crtc_write(c, s, 0x0E, uint8_t(at >> 8));
  crtc_write(c, s, 0x0F, uint8_t(at));
}

// The BDA keeps CGA-style scan lines (0-7); the CRTC gets them scaled to the character
// height, as a VGA BIOS's cursor emulation does. Bit 5 of the start line hides the cursor.
void program_cursor_shape(Call& c, uint8_t start, uint8_t end) {
  const Screen s = screen(c);
  if (start & 0x20) {
    crtc_write(c, s, 0x0A, 0x20);
    return;
  }
  const unsigned h = std::clamp<unsigned>(c.rd8(kCharHeight), 8, 32);
  unsigned first = start & 0x1F, last = end & 0x1F;
  if (h > 8 && first <= last && last < 8) {
    first = first * h / 8;
    last = std::min((last + 1) * h / 8 - 1, h - 2);
  }
  crtc_write(c, s, 0x0A, uint8_t(first));
  crtc_write(c, s, 0x0B, uint8_t(last));
}

void set_cursor_shape(Call& c) {
  c.wr16(kCursorShape, uint16_t(c.ch() << 8 | c.cl()));
  program_cursor_shape(c, c.ch(), c.cl());
}

void get_cursor(Call& c) {
  const Screen s = screen(c);
  const Pos p = cursor(c, s, c.bh());
  c.set_r16(ECX, c.rd16(kCursorShape));
  c.set_r16(EDX, uint16_t(p.row << 8 | p.col));
}

void select_page(Call& c) {
  const uint8_t page = c.al() & 7;
  const Screen s = screen(c);
  const uint16_t start = uint16_t(page * s.page_size);
  c.wr8(kActivePage, page);
  c.wr16(kPageStart, start);
  crtc_write(c, s, 0x0C, uint8_t(start / 2 >> 8));
  crtc_write(c, s, 0x0D, uint8_t(start / 2));
  set_cursor(c, page, cursor(c, s, page));
}

struct Window {
  unsigned top, left, bottom, right;
};

// Moves the window's rows up (or down) by `lines`, blanking the rows that come in with
// `attr`; 0 lines (or more than the window holds) blanks the whole window.
void scroll(Call& c, const Screen& s, uint8_t page, Window w, unsigned lines, bool up, uint8_t attr) {
  if (w.bottom >= s.rows) w.bottom = s.rows - 1;
  if (w.right >= s.cols) w.right = s.cols - 1;
  if (w.top > w.bottom || w.left > w.right) return;
  const unsigned height = w.bottom - w.top + 1, width = w.right - w.left + 1;
  if (lines == 0 || lines > height) lines = height;
  std::vector<uint16_t> row(width);
  for (unsigned i = 0; i < height; i++) {
    const unsigned dst = up ? w.top + i : w.bottom - i;
    if (i + lines < height) {
      const unsigned src = up ? dst + lines : dst - lines;
      vram_read(c, cell_addr(s, page, {src, w.left}), row.data(), width * 2);
    } else {
      std::fill(row.begin(), row.end(), uint16_t(attr << 8 | ' '));
    }
    vram_write(c, cell_addr(s, page, {dst, w.left}), row.data(), width * 2);
  }
}

void scroll_fn(Call& c, bool up) {
  const Screen s = screen(c);
  const uint8_t page = c.rd8(kActivePage);  // the BIOS scrolls the active page
  scroll(c, s, page, {c.ch(), c.cl(), c.dh(), c.dl()}, c.al(), up, c.bh());
}

void read_cell(Call& c) {
  const Screen s = screen(c);
  uint16_t v;
  vram_read(c, cell_addr(s, c.bh(), cursor(c, s, c.bh())), &v, 2);
  c.set_ax(v);
}

// 09h/0Ah: CX copies of AL from the cursor on, which does not move; with_attr uses BL,
// otherwise each cell keeps its attribute.
void write_cells(Call& c, bool with_attr) {
  const Screen s = screen(c);
  const uint8_t page = c.bh() & 7;
  const Pos p = cursor(c, s, page);
  const unsigned first = p.row * s.cols + p.col;
  const unsigned n = std::min<unsigned>(c.cx(), s.rows * s.cols - first);
  if (n == 0) return;
  std::vector<uint16_t> cells(n);
  const uint32_t a = cell_addr(s, page, p);
  if (!with_attr) vram_read(c, a, cells.data(), n * 2);
  for (auto& v : cells) v = uint16_t((with_attr ? c.bl() : v >> 8) << 8 | c.al());
  vram_write(c, a, cells.data(), n * 2);
}

// One character of teletype output on `page`: BEL, BS, CR and LF act; others are
// written (with `attr`, or keeping the cell's when attr < 0) and advance the cursor;
// going past the last row scrolls the page up with the attribute under the cursor.
void tty(Call& c, uint8_t page, uint8_t ch, int attr) {
  const Screen s = screen(c);
  Pos p = cursor(c, s, page);
  switch (ch) {
    case 0x07: return;
    case 0x08: p.col -= p.col > 0; break;
    case 0x0D: p.col = 0; break;
    case 0x0A: p.row++; break;
    default: {
      uint16_t v;
      const uint32_t a = cell_addr(s, page, p);
      if (attr < 0) vram_read(c, a, &v, 2);
      v = uint16_t((attr < 0 ? v >> 8 : attr) << 8 | ch);
      vram_write(c, a, &v, 2);
      if (++p.col == s.cols) p.col = 0, p.row++;
    }
  }
  if (p.row == s.rows) {
    uint16_t under;
    vram_read(c, cell_addr(s, page, {s.rows - 1, p.col}), &under, 2);
    scroll(c, s, page, {0, 0, s.rows - 1, s.cols - 1}, 1, true, uint8_t(under >> 8));
    p.row = s.rows - 1;
  }
  set_cursor(c, page, p);
}

void copy_to_console(Call& c, uint8_t ch) {
  if (c.cfg.console_copy) c.cfg.console_copy(ch);
}

// 13h: CX characters at ES:BP from (DH, DL) on page BH; AL bit 1: the string holds
// (character, attribute) pairs, else BL is the attribute; AL bit 0: the cursor stays
// after the string, else it goes back to where it was.
void write_string(Call& c) {
  const Screen s = screen(c);
  const uint8_t page = c.bh() & 7, flags = c.al();
  const Pos saved = cursor(c, s, page);
  set_cursor(c, page, {std::min<unsigned>(c.dh(), s.rows - 1), std::min<unsigned>(c.dl(), s.cols - 1)});
  uint32_t at = c.at(ES, c.r16(EBP));
  for (unsigned i = 0; i < c.cx(); i++) {
    const uint8_t ch = c.rd8(at++);
    const uint8_t attr = (flags & 2) ? c.rd8(at++) : c.bl();
    copy_to_console(c, ch);
    tty(c, page, ch, attr);
  }
  if (!(flags & 1)) set_cursor(c, page, saved);
}

void get_mode(Call& c) {
  c.set_al(uint8_t((c.rd8(kMode) & 0x7F) | (c.rd8(kVideoCtl) & 0x80)));
  c.set_ah(uint8_t(c.rd16(kCols)));
  c.set_hi(EBX, c.rd8(kActivePage));
}

// 1130h: ES:BP to the font BH names, CX = the screen's character height, DL = last row.
void font_info(Call& c) {
  if (c.al() != 0x30) return;  // loading a font: the screen is drawn with the host's
  uint16_t seg = kRomSeg, off;
  switch (c.bh()) {
    case 0: off = c.rd16(0x1F * 4), seg = c.rd16(0x1F * 4 + 2); break;
    case 1: off = c.rd16(0x43 * 4), seg = c.rd16(0x43 * 4 + 2); break;
    case 3: off = rom_table(kDirFont8x8); break;
    case 4: off = rom_table(kDirFont8x8High); break;
    default: off = rom_table(kDirFont8x16); break;  // 8x14, 8x16 and the 9-dot alternates
  }
  c.set_sreg(ES, seg);
  c.set_r16(EBP, off);
  c.set_r16(ECX, c.rd8(kCharHeight));
  c.set_lo(EDX, c.rd8(kRowsM1));
}

// 12h: BL = 10h EGA information; the VGA's other alternate selects (30h-36h) answer
// AL = 12h ("supported") and change nothing on this screen.
void alternate_select(Call& c) {
  if (c.bl() == 0x10) {
    c.set_hi(EBX, (c.rd8(kMode) & 0x7F) == 7);  // 0 colour, 1 mono
    c.set_lo(EBX, 3);                            // 256 KiB of video memory
    c.set_r16(ECX, c.rd8(kSwitches) & 0x0F);     // CH feature bits 0, CL switches
  } else if (c.bl() >= 0x30 && c.bl() <= 0x36) {
    c.set_al(0x12);
  }
}

// 1Ah: AL = 00h read, 01h write the display combination; one colour VGA (code 08h).
void display_combination(Call& c) {
  if (c.al() > 1) return;
  if (c.al() == 0) c.set_r16(EBX, 0x0008);
  c.set_al(0x1A);
}

}  // namespace

void video_set_mode(Call& c, uint8_t al) {
  static constexpr uint8_t kModeSelect[8] = {0x2C, 0x28, 0x2D, 0x29, 0x2A, 0x2E, 0x1E, 0x29};
  const uint8_t mode = al & 0x7F;
  if (mode > 3 && mode != 7) return;
  const unsigned cols = mode < 2 ? 40 : 80;
  c.wr8(kMode, mode);
  c.wr16(kCols, uint16_t(cols));
  c.wr16(kPageSize, cols == 40 ? 0x800 : 0x1000);
  c.wr16(kPageStart, 0);
  for (int p = 0; p < 8; p++) c.wr16(kCursorPos + 2 * p, 0);
  c.wr16(kCursorShape, 0x0607);
  c.wr8(kActivePage, 0);
  c.wr16(kCrtcBase, mode == 7 ? 0x3B4 : 0x3D4);
  c.wr8(kModeCtl, kModeSelect[mode]);
  c.wr8(kPalette, 0x30);
  c.wr8(kRowsM1, 24);
  c.wr16(kCharHeight, 16);
  c.wr8(kVideoCtl, uint8_t(0x60 | (al & 0x80)));
  c.wr8(kSwitches, 0x09);
  c.wr8(kVgaFlags, 0x51);
  c.wr8(kDccIndex, 0x08);
  // Equipment word bits 4-5: the initial video mode (10b colour 80x25, 11b monochrome).
  c.wr16(kEquipment, uint16_t((c.rd16(kEquipment) & ~0x30) | (mode == 7 ? 0x30 : 0x20)));
  const Screen s = screen(c);
  if (!(al & 0x80)) {
    const std::vector<uint16_t> blank(s.page_size * 8 / 2, kBlank);
    vram_write(c, s.base, blank.data(), blank.size() * 2);
  }
  crtc_write(c, s, 0x0C, 0);
  crtc_write(c, s, 0x0D, 0);
  program_cursor_shape(c, 0x06, 0x07);
  set_cursor(c, 0, {0, 0});
}

void video_teletype(Call& c, uint8_t ch) {
  copy_to_console(c, ch);
  // The active page, not BH: callers of 0Eh often leave BH unset.
  tty(c, c.rd8(kActivePage), ch, -1);
}

void video_print(Call& c, std::string_view text) {
  for (char ch : text) {
    if (ch == '\n') video_teletype(c, '\r');
    video_teletype(c, uint8_t(ch));
  }
}

void int10_video(Call& c) {
  switch (c.ah()) {
    case 0x00:
      video_set_mode(c, c.al());
      c.set_al(0x30);  // "text mode set" (Phoenix/AMI)
      break;
    case 0x01: set_cursor_shape(c); break;
    case 0x02: set_cursor(c, c.bh(), {c.dh(), c.dl()}); break;
    case 0x03: get_cursor(c); break;
    case 0x05: select_page(c); break;
    case 0x06: scroll_fn(c, true); break;
    case 0x07: scroll_fn(c, false); break;
    case 0x08: read_cell(c); break;
    case 0x09: write_cells(c, true); break;
    case 0x0A: write_cells(c, false); break;
    case 0x0E: video_teletype(c, c.al()); break;
    case 0x0F: get_mode(c); break;
    case 0x11: font_info(c); break;
    case 0x12: alternate_select(c); break;
    case 0x13: write_string(c); break;
    case 0x1A: display_combination(c); break;
    default: break;  // palette, pixels, state save, VBE (4Fh): not supported, AX unchanged
  }
}

}  // namespace rs::bios
