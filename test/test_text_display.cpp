// Unit tests of the text display's parts: CP437 -> UTF-8, the renderer's terminal output
// for a small screen (replayed on a minimal terminal model, and its byte counts for the
// "only what changed" promise), and the terminal key decoder's scan codes.
//
// Expected values: the CP437 code chart; ECMA-48 / xterm control sequences (CUP, ED,
// SGR 30-37/40-47/90-97/100-107, DECTCEM ?25); the scan code set 2 make/break codes of
// a PC/AT (MF2) keyboard; the escape sequences xterm and the Linux console send.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "host/cp437.h"
#include "host/terminal_keys.h"
#include "host/text_render.h"

namespace {

std::string utf8(uint8_t c) {
  std::string s;
  rs::append_cp437_utf8(s, c);
  return s;
}

// Just enough of a terminal to replay the renderer's output: the cursor, SGR as a string,
// cell contents as UTF-8 with the SGR they were written with, cursor visibility.
struct Term {
  int cols, rows;
  std::vector<std::string> text, attr;
  int x = 0, y = 0;
  bool cursor_on = true;
  std::string sgr = "0";
  int chars_written = 0;
  Term(int c, int r) : cols(c), rows(r), text(size_t(c * r), " "), attr(size_t(c * r), "0") {}
  std::string at(int cx, int cy) const { return text[size_t(cy * cols + cx)]; }
  std::string attr_at(int cx, int cy) const { return attr[size_t(cy * cols + cx)]; }
  void play(const std::string& s) {
    for (size_t i = 0; i < s.size();) {
      if (s[i] == '\x1b') {
        REQUIRE(i + 1 < s.size());
        REQUIRE(s[i + 1] == '[');
        size_t j = i + 2;
        while (j < s.size() && !(s[j] >= 0x40 && s[j] <= 0x7E)) ++j;
        REQUIRE(j < s.size());
        const std::string params = s.substr(i + 2, j - i - 2);
        switch (s[j]) {
          case 'H': {
            int r = 1, c = 1;
            if (!params.empty()) std::sscanf(params.c_str(), "%d;%d", &r, &c);
            y = r - 1;
            x = c - 1;
            break;
          }
          case 'J':
            CHECK(params == "2");
            for (auto& t : text) t.assign(1, ' ');
            for (auto& a : attr) a = sgr;
            break;
          case 'm':
            sgr = params;
            break;
          case 'h':
          case 'l':
            CHECK(params == "?25");
            cursor_on = s[j] == 'h';
            break;
          default:
            FAIL("unexpected sequence " << params << s[j]);
        }
        i = j + 1;
        continue;
      }
      // One UTF-8 character.
      const uint8_t b = uint8_t(s[i]);
      const size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
      REQUIRE(x < cols);
      REQUIRE(y < rows);
      text[size_t(y * cols + x)] = s.substr(i, len);
      attr[size_t(y * cols + x)] = sgr;
      ++chars_written;
      if (x < cols - 1) ++x;  // autowrap off: the last column holds the cursor
      i += len;
    }
  }
};

rs::TextScreen screen(int cols, int rows, uint16_t fill = 0x0720) {
  rs::TextScreen s;
  s.cols = cols;
  s.rows = rows;
  s.cells.assign(size_t(cols * rows), fill);
  return s;
}

std::vector<uint8_t> keys(const std::string& typed) {
  rs::TerminalKeys k;
  std::vector<uint8_t> out;
  k.feed(reinterpret_cast<const uint8_t*>(typed.data()), typed.size(), 0, out);
  return out;
}

using B = std::vector<uint8_t>;

}  // namespace

TEST_CASE("cp437: line drawing, blocks, symbols and letters as UTF-8", "[display]") {
  CHECK(utf8('A') == "A");
  CHECK(utf8(0x00) == " ");
  CHECK(utf8(0xC9) == "\u2554");  // ╔
  CHECK(utf8(0xCD) == "\u2550");  // ═
  CHECK(utf8(0xBB) == "\u2557");  // ╗
  CHECK(utf8(0xBA) == "\u2551");  // ║
  CHECK(utf8(0xC8) == "\u255A");  // ╚
  CHECK(utf8(0xBC) == "\u255D");  // ╝
  CHECK(utf8(0xB3) == "\u2502");  // │
  CHECK(utf8(0xC4) == "\u2500");  // ─
  CHECK(utf8(0xDA) == "\u250C");  // ┌
  CHECK(utf8(0xC5) == "\u253C");  // ┼
  CHECK(utf8(0xB0) == "\u2591");  // ░
  CHECK(utf8(0xDB) == "\u2588");  // █
  CHECK(utf8(0xDF) == "\u2580");  // ▀
  CHECK(utf8(0x01) == "\u263A");  // ☺
  CHECK(utf8(0x10) == "\u25BA");  // ►
  CHECK(utf8(0x18) == "\u2191");  // ↑
  CHECK(utf8(0x1A) == "\u2192");  // →
  CHECK(utf8(0x7F) == "\u2302");  // ⌂
  CHECK(utf8(0x82) == "\u00E9");  // é
  CHECK(utf8(0x9C) == "\u00A3");  // £
  CHECK(utf8(0xE1) == "\u00DF");  // ß
  CHECK(utf8(0xE3) == "\u03C0");  // π
  CHECK(utf8(0xF8) == "\u00B0");  // °
  CHECK(utf8(0xFE) == "\u25A0");  // ■
  CHECK(rs::cp437_to_unicode(0xFF) == 0xA0);
  // Every byte is one character on the screen: 1 to 3 bytes of UTF-8, never a control.
  for (int c = 0; c < 256; ++c) {
    const std::string s = utf8(uint8_t(c));
    CHECK(!s.empty());
    CHECK(s.size() <= 3);
    CHECK(uint8_t(s[0]) >= 0x20);
  }
}

TEST_CASE("renderer: SGR of the 16 CGA colours", "[display]") {
  CHECK(rs::TextRenderer::sgr(0x07, true) == "\x1b[0;37;40m");   // light grey on black
  CHECK(rs::TextRenderer::sgr(0x1E, true) == "\x1b[0;93;44m");   // yellow on blue
  CHECK(rs::TextRenderer::sgr(0x4F, true) == "\x1b[0;97;41m");   // white on red
  CHECK(rs::TextRenderer::sgr(0x06, true) == "\x1b[0;33;40m");   // brown
  CHECK(rs::TextRenderer::sgr(0x39, true) == "\x1b[0;94;46m");   // light blue on cyan
  CHECK(rs::TextRenderer::sgr(0x25, true) == "\x1b[0;35;42m");   // magenta on green
  CHECK(rs::TextRenderer::sgr(0x08, true) == "\x1b[0;90;40m");   // dark grey
  CHECK(rs::TextRenderer::sgr(0x9F, true) == "\x1b[0;97;44;5m");  // blinking
  CHECK(rs::TextRenderer::sgr(0x9F, false) == "\x1b[0;97;104m");  // bright blue background
  CHECK(rs::TextRenderer::sgr(0xF0, false) == "\x1b[0;30;107m");
}

TEST_CASE("renderer: a small screen drawn, then only its changes", "[display]") {
  rs::TextRenderer r;
  Term t(6, 3);
  rs::TextScreen s = screen(4, 2);
  s.cells[0] = 0x1E00 | 0xC9;  // ╔ yellow on blue
  s.cells[1] = 0x1E00 | 'h';
  s.cells[2] = 0x4F00 | 'i';
  s.cells[7] = 0x0700 | 0xDB;
  s.cursor_x = 2;
  s.cursor_y = 1;
  std::string out = r.frame(s, 6, 3);
  t.play(out);
  CHECK(out.rfind("\x1b[0m\x1b[H\x1b[2J", 0) == 0);  // the first frame clears the screen
  CHECK(t.at(0, 0) == "\u2554");
  CHECK(t.attr_at(0, 0) == "0;93;44");
  CHECK(t.at(1, 0) == "h");
  CHECK(t.at(2, 0) == "i");
  CHECK(t.attr_at(2, 0) == "0;97;41");
  CHECK(t.at(3, 1) == "\u2588");
  CHECK(t.attr_at(3, 1) == "0;37;40");
  CHECK(t.at(4, 0) == " ");  // beyond the guest's screen: untouched
  CHECK(t.cursor_on);
  CHECK(t.x == 2);
  CHECK(t.y == 1);
  CHECK(!r.differs(s));
  CHECK(r.frame(s, 6, 3).empty());

  // One cell changes: one character is written.
  s.cells[5] = 0x1E00 | 'Z';
  CHECK(r.differs(s));
  t.chars_written = 0;
  out = r.frame(s, 6, 3);
  t.play(out);
  CHECK(t.chars_written == 1);
  CHECK(t.at(1, 1) == "Z");
  CHECK(t.attr_at(1, 1) == "0;93;44");
  CHECK(t.x == 2);  // the cursor is put back
  CHECK(t.cursor_on);
  CHECK(out.size() < 40);

  // The cursor moves, then is hidden: no characters.
  s.cursor_x = 0;
  s.cursor_y = 0;
  t.chars_written = 0;
  t.play(r.frame(s, 6, 3));
  CHECK(t.chars_written == 0);
  CHECK((t.x == 0 && t.y == 0 && t.cursor_on));
  s.cursor_visible = false;
  out = r.frame(s, 6, 3);
  t.play(out);
  CHECK(out == "\x1b[?25l");
  CHECK(!t.cursor_on);
  CHECK(r.frame(s, 6, 3).empty());

  // Blanked: every cell empty on black; back again.
  s.blanked = true;
  t.play(r.frame(s, 6, 3));
  CHECK(t.at(0, 0) == " ");
  CHECK(t.attr_at(0, 0) == "0;30;40");
  s.blanked = false;
  t.play(r.frame(s, 6, 3));
  CHECK(t.at(0, 0) == "\u2554");

  // A terminal smaller than the screen shows its top-left part; a resize redraws all.
  Term small(2, 1);
  out = r.frame(s, 2, 1);
  CHECK(out.rfind("\x1b[0m\x1b[H\x1b[2J", 0) == 0);
  small.play(out);
  CHECK(small.at(0, 0) == "\u2554");
  CHECK(small.at(1, 0) == "h");
  s.cells[3] = 0x0700 | 'q';  // off the small terminal: nothing to draw
  CHECK(!r.differs(s));
  // invalidate(): all again.
  r.invalidate();
  Term again(6, 3);
  again.play(r.frame(s, 6, 3));
  CHECK(again.at(3, 0) == "q");
  CHECK(again.at(1, 1) == "Z");
}

TEST_CASE("renderer: the cursor stays hidden off the terminal", "[display]") {
  rs::TextRenderer r;
  rs::TextScreen s = screen(80, 25);
  s.cursor_x = 79;
  s.cursor_y = 24;
  Term t(40, 10);
  t.play(r.frame(s, 40, 10));
  CHECK(!t.cursor_on);
}

TEST_CASE("terminal keys: ASCII on a US layout, with Shift for capitals and symbols", "[display]") {
  CHECK(keys("a") == B{0x1C, 0xF0, 0x1C});
  CHECK(keys("A") == B{0x12, 0x1C, 0xF0, 0x1C, 0xF0, 0x12});
  CHECK(keys("1!") == B{0x16, 0xF0, 0x16, 0x12, 0x16, 0xF0, 0x16, 0xF0, 0x12});
  CHECK(keys(" ") == B{0x29, 0xF0, 0x29});
  CHECK(keys("/?") == B{0x4A, 0xF0, 0x4A, 0x12, 0x4A, 0xF0, 0x4A, 0xF0, 0x12});
  CHECK(keys("~") == B{0x12, 0x0E, 0xF0, 0x0E, 0xF0, 0x12});
  CHECK(keys("\"") == B{0x12, 0x52, 0xF0, 0x52, 0xF0, 0x12});
  CHECK(keys("\\") == B{0x5D, 0xF0, 0x5D});
  CHECK(keys("\r") == B{0x5A, 0xF0, 0x5A});  // Enter
  CHECK(keys("\n") == B{0x5A, 0xF0, 0x5A});
  CHECK(keys("\x7f") == B{0x66, 0xF0, 0x66});  // Backspace
  CHECK(keys("\t") == B{0x0D, 0xF0, 0x0D});
  CHECK(keys("\xc3\xa9").empty());  // é: not on a US keyboard
}

TEST_CASE("terminal keys: Ctrl and Alt", "[display]") {
  CHECK(keys("\x03") == B{0x14, 0x21, 0xF0, 0x21, 0xF0, 0x14});  // Ctrl-C
  CHECK(keys("\x1a") == B{0x14, 0x1A, 0xF0, 0x1A, 0xF0, 0x14});  // Ctrl-Z
  CHECK(keys("\x01") == B{0x14, 0x1C, 0xF0, 0x1C, 0xF0, 0x14});  // Ctrl-A (after Ctrl-A Ctrl-A)
  CHECK(keys("\x1bx") == B{0x11, 0x22, 0xF0, 0x22, 0xF0, 0x11});  // Alt-x
  CHECK(keys("\x1b"
             "F") == B{0x12, 0x11, 0x2B, 0xF0, 0x2B, 0xF0, 0x11, 0xF0, 0x12});  // Alt-Shift-f
}

TEST_CASE("terminal keys: cursor and editing keys, xterm and Linux console sequences", "[display]") {
  const B up{0xE0, 0x75, 0xE0, 0xF0, 0x75};
  CHECK(keys("\x1b[A") == up);
  CHECK(keys("\x1bOA") == up);  // application cursor mode
  CHECK(keys("\x1b[B") == B{0xE0, 0x72, 0xE0, 0xF0, 0x72});
  CHECK(keys("\x1b[C") == B{0xE0, 0x74, 0xE0, 0xF0, 0x74});
  CHECK(keys("\x1b[D") == B{0xE0, 0x6B, 0xE0, 0xF0, 0x6B});
  const B home{0xE0, 0x6C, 0xE0, 0xF0, 0x6C}, end{0xE0, 0x69, 0xE0, 0xF0, 0x69};
  CHECK(keys("\x1b[H") == home);
  CHECK(keys("\x1b[1~") == home);
  CHECK(keys("\x1bOH") == home);
  CHECK(keys("\x1b[F") == end);
  CHECK(keys("\x1b[4~") == end);
  CHECK(keys("\x1b[2~") == B{0xE0, 0x70, 0xE0, 0xF0, 0x70});  // Insert
  CHECK(keys("\x1b[3~") == B{0xE0, 0x71, 0xE0, 0xF0, 0x71});  // Delete
  CHECK(keys("\x1b[5~") == B{0xE0, 0x7D, 0xE0, 0xF0, 0x7D});  // PgUp
  CHECK(keys("\x1b[6~") == B{0xE0, 0x7A, 0xE0, 0xF0, 0x7A});  // PgDn
  CHECK(keys("\x1b[Z") == B{0x12, 0x0D, 0xF0, 0x0D, 0xF0, 0x12});  // Shift-Tab
  // xterm's modifier parameter: 5 is Ctrl, 2 Shift, 3 Alt.
  CHECK(keys("\x1b[1;5C") == B{0x14, 0xE0, 0x74, 0xE0, 0xF0, 0x74, 0xF0, 0x14});
  CHECK(keys("\x1b[3;2~") == B{0x12, 0xE0, 0x71, 0xE0, 0xF0, 0x71, 0xF0, 0x12});
  CHECK(keys("\x1b[1;3A") == B{0x11, 0xE0, 0x75, 0xE0, 0xF0, 0x75, 0xF0, 0x11});
}

TEST_CASE("terminal keys: F1-F12", "[display]") {
  auto f = [](uint8_t code) { return B{code, 0xF0, code}; };
  CHECK(keys("\x1bOP") == f(0x05));   // xterm F1-F4
  CHECK(keys("\x1bOQ") == f(0x06));
  CHECK(keys("\x1bOR") == f(0x04));
  CHECK(keys("\x1bOS") == f(0x0C));
  CHECK(keys("\x1b[11~") == f(0x05));  // VT220 / rxvt F1-F4
  CHECK(keys("\x1b[14~") == f(0x0C));
  CHECK(keys("\x1b[[A") == f(0x05));   // Linux console F1-F5
  CHECK(keys("\x1b[[E") == f(0x03));
  CHECK(keys("\x1b[15~") == f(0x03));  // F5
  CHECK(keys("\x1b[17~") == f(0x0B));
  CHECK(keys("\x1b[18~") == f(0x83));  // F7: the set-2 code above 0x7F
  CHECK(keys("\x1b[19~") == f(0x0A));
  CHECK(keys("\x1b[20~") == f(0x01));
  CHECK(keys("\x1b[21~") == f(0x09));
  CHECK(keys("\x1b[23~") == f(0x78));
  CHECK(keys("\x1b[24~") == f(0x07));
  CHECK(keys("\x1b[1;2P") == B{0x12, 0x05, 0xF0, 0x05, 0xF0, 0x12});  // Shift-F1
  // An unknown sequence is dropped whole; what follows is still typed.
  CHECK(keys("\x1b[99~a") == B{0x1C, 0xF0, 0x1C});
}

TEST_CASE("terminal keys: a lone ESC after the timeout, sequences split across reads", "[display]") {
  rs::TerminalKeys k;
  B out;
  const uint8_t esc = 0x1B;
  k.feed(&esc, 1, 1000, out);
  CHECK(out.empty());
  CHECK(k.deadline() == 1000 + rs::TerminalKeys::kEscTimeoutNs);
  k.expire(1000 + rs::TerminalKeys::kEscTimeoutNs - 1, out);
  CHECK(out.empty());
  k.expire(1000 + rs::TerminalKeys::kEscTimeoutNs, out);
  CHECK(out == B{0x76, 0xF0, 0x76});
  CHECK(k.deadline() == UINT64_MAX);

  // ESC [ now, A a millisecond later: one Up.
  out.clear();
  const uint8_t part1[] = {0x1B, '['}, part2[] = {'A'};
  k.feed(part1, 2, 5000, out);
  CHECK(out.empty());
  k.feed(part2, 1, 1005000, out);
  CHECK(out == B{0xE0, 0x75, 0xE0, 0xF0, 0x75});

  // ESC [ and nothing more: Alt-[ once the time is up.
  out.clear();
  k.feed(part1, 2, 2000000, out);
  k.expire(2000000 + rs::TerminalKeys::kEscTimeoutNs, out);
  CHECK(out == B{0x11, 0x54, 0xF0, 0x54, 0xF0, 0x11});

  // ESC ESC: Esc, then a pending ESC.
  out.clear();
  const uint8_t two[] = {0x1B, 0x1B};
  k.feed(two, 2, 3000000000ull, out);
  CHECK(out == B{0x76, 0xF0, 0x76});
  CHECK(k.deadline() != UINT64_MAX);

  // Letters and a sequence in one read.
  rs::TerminalKeys k2;
  out.clear();
  const std::string mixed = "h\x1b[Ai";
  k2.feed(reinterpret_cast<const uint8_t*>(mixed.data()), mixed.size(), 0, out);
  CHECK(out == B{0x33, 0xF0, 0x33, 0xE0, 0x75, 0xE0, 0xF0, 0x75, 0x43, 0xF0, 0x43});
}
