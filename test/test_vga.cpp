// Unit tests of the VGA in text mode.
//
// Expected values are the VGA's register facts (IBM VGA technical reference): mode 03h's
// register values, the attribute controller's index/data flip-flop that a read of input
// status 1 resets, palette registers locked while the palette address source bit is set,
// CRTC registers 0-7 write-protected by CR11 bit 7 except CR07's line compare bit, the
// CRTC at 0x3Dx or 0x3Bx by misc output bit 0, the DAC's read/write indices with their
// three-step RGB cycle, cursor start/end/location and start address in the CRTC, the
// screen size from horizontal/vertical display end and the character height.
#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <string>

#include "device_rig.h"
#include "devices/vga.h"
#include "mmu/phys_mem.h"
#include "platform/board.h"
#include "platform/pc.h"

namespace {

struct Rig {
  rs::Vga vga;
  uint8_t in(uint16_t port) { return uint8_t(vga.in(port, 1)); }
  void out(uint16_t port, uint8_t v) { vga.out(port, 1, v); }
  uint8_t crtc(uint8_t i) {
    out(0x3D4, i);
    return in(0x3D5);
  }
  void set_crtc(uint8_t i, uint8_t v) {
    out(0x3D4, i);
    out(0x3D5, v);
  }
  void set_ac(uint8_t index, uint8_t v) {
    in(0x3DA);  // the flip-flop to "index"
    out(0x3C0, index);
    out(0x3C0, v);
  }
  uint8_t ac(uint8_t index) {
    in(0x3DA);
    out(0x3C0, index);
    return in(0x3C1);
  }
};

// Writes character c with attribute a at (x, y) of an 80-column buffer at 0xB8000.
void put(rs::PhysMem& m, int x, int y, uint8_t c, uint8_t a) {
  const uint8_t cell[2] = {c, a};
  m.write(0xB8000 + uint32_t(y * 80 + x) * 2, cell, 2);
}

}  // namespace

TEST_CASE("vga: power-on state is mode 03h", "[vga]") {
  Rig r;
  CHECK(r.in(0x3CC) == 0x67);
  CHECK(r.crtc(0x01) == 0x4F);  // 80 columns
  CHECK(r.crtc(0x09) == 0x4F);  // 16 scan lines per row
  CHECK(r.crtc(0x0A) == 0x0D);  // cursor on lines 13-14
  CHECK(r.crtc(0x0B) == 0x0E);
  CHECK(r.crtc(0x13) == 0x28);  // 40 words per row
  CHECK(r.crtc(0x11) == 0x8E);  // protected
  r.out(0x3C4, 0x04);
  CHECK(r.in(0x3C5) == 0x02);  // odd/even, no chain 4
  r.out(0x3CE, 0x06);
  CHECK(r.in(0x3CF) == 0x0E);  // B8000, 32 KiB, text
  CHECK(r.ac(0x10) == 0x0C);   // line graphics, blink
  CHECK(r.ac(0x06) == 0x14);   // brown
  CHECK(r.in(0x3C6) == 0xFF);
  CHECK(r.in(0x3C3) == 0x01);
}

TEST_CASE("vga: CRTC cursor and start address registers, byte and word writes", "[vga]") {
  Rig r;
  r.set_crtc(0x0E, 0x01);
  r.set_crtc(0x0F, 0x40);
  CHECK(r.crtc(0x0E) == 0x01);
  CHECK(r.crtc(0x0F) == 0x40);
  // OUT DX, AX: index in AL, data in AH.
  r.vga.out(0x3D4, 2, 0x120C);
  r.vga.out(0x3D4, 2, 0x340D);
  CHECK(r.crtc(0x0C) == 0x12);
  CHECK(r.crtc(0x0D) == 0x34);
  CHECK(r.in(0x3D4) == 0x0D);  // the index reads back
  r.set_crtc(0x0A, 0x20);
  CHECK(r.crtc(0x0A) == 0x20);
  CHECK(r.vga.crtc(0x0A) == 0x20);
  // Beyond the last register: nothing there.
  r.set_crtc(0x30, 0x55);
  CHECK(r.crtc(0x30) == 0xFF);
}

TEST_CASE("vga: CR11 bit 7 protects CRTC registers 0-7, except CR07 bit 4", "[vga]") {
  Rig r;
  r.set_crtc(0x01, 0x27);
  CHECK(r.crtc(0x01) == 0x4F);
  r.set_crtc(0x07, 0x00);
  CHECK(r.crtc(0x07) == 0x0F);  // 0x1F with only the line compare bit 8 cleared
  r.set_crtc(0x11, 0x0E);       // unprotect, as vgacon does to resize
  r.set_crtc(0x01, 0x27);
  CHECK(r.crtc(0x01) == 0x27);
  r.set_crtc(0x07, 0x1F);
  CHECK(r.crtc(0x07) == 0x1F);
  r.set_crtc(0x09, 0x47);  // not protected anyway
  CHECK(r.crtc(0x09) == 0x47);
}

TEST_CASE("vga: the CRTC follows misc output bit 0 (colour 0x3Dx, mono 0x3Bx)", "[vga]") {
  Rig r;
  r.set_crtc(0x0E, 0x07);
  CHECK(r.in(0x3B5) == 0xFF);  // not decoded in colour mode
  r.out(0x3C2, 0x66);          // monochrome I/O addresses
  CHECK(r.in(0x3CC) == 0x66);
  CHECK(r.in(0x3D5) == 0xFF);
  r.out(0x3B4, 0x0E);
  CHECK(r.in(0x3B5) == 0x07);  // the same registers
  r.out(0x3B5, 0x09);
  r.out(0x3D5, 0x11);          // ignored
  r.out(0x3C2, 0x67);
  CHECK(r.crtc(0x0E) == 0x09);
  // Input status 1 moves as well; its read resets the attribute flip-flop in both places.
  r.out(0x3C0, 0x10);  // flip-flop now at "data"
  r.in(0x3DA);
  r.out(0x3C0, 0x31);  // an index again
  CHECK(r.in(0x3C0) == 0x31);
}

TEST_CASE("vga: attribute controller flip-flop, index with the palette source bit", "[vga]") {
  Rig r;
  r.in(0x3DA);
  r.out(0x3C0, 0x11);  // overscan, PAS clear
  r.out(0x3C0, 0x05);
  CHECK(r.in(0x3C0) == 0x11);
  CHECK(r.in(0x3C1) == 0x05);
  r.out(0x3C0, 0x12);  // the flip-flop is back at "index"
  r.out(0x3C0, 0x03);
  CHECK(r.in(0x3C1) == 0x03);
  CHECK(r.vga.ac(0x12) == 0x03);
  // Palette registers are written with PAS clear, and locked while it is set.
  r.set_ac(0x01, 0x3A);
  CHECK(r.ac(0x01) == 0x3A);
  r.set_ac(0x21, 0x10);  // palette 1 with PAS set: ignored
  CHECK(r.ac(0x01) == 0x3A);
  r.set_ac(0x30, 0x04);  // mode control (not a palette register) with PAS set
  CHECK(r.ac(0x10) == 0x04);
  // Reading 0x3C1 does not toggle the flip-flop; reading 0x3DA does.
  r.in(0x3DA);
  r.out(0x3C0, 0x33);
  r.in(0x3C1);
  r.out(0x3C0, 0x08);
  CHECK(r.vga.ac(0x13) == 0x08);
}

TEST_CASE("vga: input status 1 toggles display enable and vertical retrace", "[vga]") {
  Rig r;
  std::set<int> retrace, blank;
  for (int i = 0; i < 20; ++i) {
    const uint8_t s = r.in(0x3DA);
    retrace.insert(s & 0x08);
    blank.insert(s & 0x01);
    if (s & 0x08) CHECK((s & 0x01) == 0x01);  // no display during vertical retrace
  }
  CHECK(retrace.size() == 2);
  CHECK(blank.size() == 2);
  // A "wait for the end of retrace, then for its start" loop ends.
  int n = 0;
  while ((r.in(0x3DA) & 0x08) && n < 100) ++n;
  while (!(r.in(0x3DA) & 0x08) && n < 100) ++n;
  CHECK(n < 100);
}

TEST_CASE("vga: DAC read and write indices, three steps per entry", "[vga]") {
  Rig r;
  // The EGA colours BIOS text mode uses: 0x14 is brown, 0x3F white, 0x38 dark grey.
  r.out(0x3C7, 0x14);
  CHECK(r.in(0x3C7) == 0x03);  // DAC state: read mode
  CHECK(r.in(0x3C9) == 0x2A);
  CHECK(r.in(0x3C9) == 0x15);
  CHECK(r.in(0x3C9) == 0x00);
  r.out(0x3C7, 0x3F);
  CHECK(r.in(0x3C9) == 0x3F);
  CHECK(r.in(0x3C9) == 0x3F);
  CHECK(r.in(0x3C9) == 0x3F);
  CHECK(r.in(0x3C9) == 0x00);  // entry 0x40 follows: black
  r.out(0x3C8, 0x05);
  CHECK(r.in(0x3C7) == 0x00);  // write mode
  for (uint8_t v : {0x01, 0x02, 0x43, 0x04, 0x05, 0x06}) r.out(0x3C9, v);  // entries 5 and 6; 6 bits each
  CHECK(r.in(0x3C8) == 0x07);
  r.out(0x3C7, 0x05);
  for (uint8_t v : {0x01, 0x02, 0x03, 0x04, 0x05, 0x06}) CHECK(r.in(0x3C9) == v);
  CHECK(r.vga.dac(6)[2] == 0x06);
  r.out(0x3C6, 0x0F);
  CHECK(r.in(0x3C6) == 0x0F);
}

TEST_CASE("vga: sequencer and graphics controller registers read back", "[vga]") {
  Rig r;
  for (uint8_t i = 0; i < rs::Vga::kSeqRegs; ++i) {
    r.out(0x3C4, i);
    r.out(0x3C5, uint8_t(0x10 + i));
  }
  for (uint8_t i = 0; i < rs::Vga::kGcRegs; ++i) {
    r.out(0x3CE, i);
    r.out(0x3CF, uint8_t(0x20 + i));
  }
  for (uint8_t i = 0; i < rs::Vga::kSeqRegs; ++i) {
    r.out(0x3C4, i);
    CHECK(r.in(0x3C5) == 0x10 + i);
  }
  for (uint8_t i = 0; i < rs::Vga::kGcRegs; ++i) {
    r.out(0x3CE, i);
    CHECK(r.in(0x3CF) == 0x20 + i);
  }
  r.vga.out(0x3C4, 2, 0x0F02);  // map mask, as a word
  CHECK(r.vga.seq(2) == 0x0F);
  r.out(0x3DA, 0x00);  // feature control, read at 0x3CA
  CHECK(r.in(0x3CA) == 0x00);
  r.vga.reset();
  CHECK(r.vga.seq(2) == 0x03);
}

TEST_CASE("vga: the text screen from guest RAM and the CRTC", "[vga]") {
  rs::PhysMem m{2ull << 20};
  Rig r;
  put(m, 0, 0, 'A', 0x1E);
  put(m, 79, 24, 0xC9, 0x4F);
  rs::TextScreen s = r.vga.text_screen(m);
  CHECK(s.cols == 80);
  CHECK(s.rows == 25);
  REQUIRE(s.cells.size() == 80 * 25);
  CHECK(s.cells[0] == (0x1E << 8 | 'A'));
  CHECK(s.cells[80 * 25 - 1] == (0x4F << 8 | 0xC9));
  CHECK(s.cursor_visible);
  CHECK(s.cursor_x == 0);
  CHECK(s.cursor_y == 0);
  CHECK(s.blink);
  CHECK(!s.blanked);

  // Cursor location 2 * 80 + 7: row 2, column 7.
  r.set_crtc(0x0E, 0x00);
  r.set_crtc(0x0F, 167);
  s = r.vga.text_screen(m);
  CHECK(s.cursor_x == 7);
  CHECK(s.cursor_y == 2);
  CHECK(s.cursor_visible);
  // Disabled by CR0A bit 5, and when its start line is below its end line.
  r.set_crtc(0x0A, 0x2D);
  CHECK(!r.vga.text_screen(m).cursor_visible);
  r.set_crtc(0x0A, 0x0F);
  CHECK(!r.vga.text_screen(m).cursor_visible);
  r.set_crtc(0x0A, 0x00);
  CHECK(r.vga.text_screen(m).cursor_visible);

  // Start address one row down: the view scrolls, the cursor is relative to it.
  put(m, 3, 1, 'x', 0x07);
  r.set_crtc(0x0C, 0x00);
  r.set_crtc(0x0D, 80);
  s = r.vga.text_screen(m);
  CHECK((s.cells[3] & 0xFF) == 'x');
  CHECK(s.cursor_y == 1);
  CHECK(s.cursor_x == 7);
  // A cursor above the view is not shown.
  r.set_crtc(0x0F, 10);
  CHECK(!r.vga.text_screen(m).cursor_visible);
  r.set_crtc(0x0D, 0);

  // Blink off: bit 7 is a bright background. Palette source clear: the screen blanks.
  r.set_ac(0x30, 0x04);
  CHECK(!r.vga.text_screen(m).blink);
  r.in(0x3DA);
  r.out(0x3C0, 0x00);
  CHECK(r.vga.text_screen(m).blanked);
  r.out(0x3C0, 0x00);
  r.out(0x3C0, 0x20);
  CHECK(!r.vga.text_screen(m).blanked);
  r.out(0x3C4, 0x01);  // clocking mode: screen off
  r.out(0x3C5, 0x20);
  CHECK(r.vga.text_screen(m).blanked);
}

TEST_CASE("vga: screen size follows the CRTC (80x50 with an 8-line font)", "[vga]") {
  rs::PhysMem m{2ull << 20};
  Rig r;
  r.set_crtc(0x09, 0x47);  // 8 scan lines per row
  rs::TextScreen s = r.vga.text_screen(m);
  CHECK(s.cols == 80);
  CHECK(s.rows == 50);
  r.set_crtc(0x11, 0x0E);
  r.set_crtc(0x01, 39);  // 40 columns, with a 40-word pitch still
  r.set_crtc(0x13, 20);  // 40 characters per row
  r.set_crtc(0x09, 0x4F);
  put(m, 0, 1, 'q', 0x07);  // offset 80 = row 2 with a 40-character pitch
  s = r.vga.text_screen(m);
  CHECK(s.cols == 40);
  CHECK(s.rows == 25);
  CHECK((s.cells[2 * 40] & 0xFF) == 'q');
  // The memory map select of the graphics controller moves the buffer: B0000.
  const uint8_t cell[2] = {'m', 0x07};
  m.write(0xB0000, cell, 2);
  r.out(0x3CE, 0x06);
  r.out(0x3CF, 0x0A);
  CHECK((r.vga.text_screen(m).cells[0] & 0xFF) == 'm');
}

TEST_CASE("vga: on the PC board at its ports", "[vga]") {
  rs::Board b;
  test::RecordingBoard control;
  rs::PcDevices pc = rs::build_pc(b, control, rs::PcConfig{});
  REQUIRE(pc.vga);
  REQUIRE(pc.kbd);
  auto at = [&](uint16_t port) { return std::string(b.io().at(port) ? b.io().at(port)->name() : "-"); };
  for (uint16_t port = 0x3C0; port <= 0x3CF; ++port) CHECK(at(port) == "vga");
  for (uint16_t port : {0x3B4, 0x3B5, 0x3BA, 0x3D4, 0x3D5, 0x3DA}) CHECK(at(port) == "vga");
  b.io().out(0x3D4, 2, 0x550F);
  CHECK(pc.vga->crtc(0x0F) == 0x55);
}
