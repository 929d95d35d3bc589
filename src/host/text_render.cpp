#include "host/text_render.h"

#include <algorithm>

#include "host/cp437.h"

namespace rs {

namespace {

// CGA colour order (blue, green, cyan, red, magenta, brown, grey) to ANSI's (red, green,
// yellow, blue, magenta, cyan, white).
constexpr int kAnsi[8] = {0, 4, 2, 6, 1, 5, 3, 7};

void move_to(std::string& out, int x, int y) {
  out += "\x1b[" + std::to_string(y + 1) + ';' + std::to_string(x + 1) + 'H';
}

uint16_t shown_cell(const TextScreen& s, size_t i) { return s.blanked ? 0x0020 : s.cells[i]; }

}  // namespace

std::string TextRenderer::sgr(uint8_t attr, bool blink) {
  const int fg = attr & 0x0F;
  int bg = attr >> 4;
  const bool blinking = blink && (bg & 8);
  if (blink) bg &= 7;
  std::string s = "\x1b[0;" + std::to_string((fg & 8 ? 90 : 30) + kAnsi[fg & 7]) + ';' +
                  std::to_string((bg & 8 ? 100 : 40) + kAnsi[bg & 7]);
  if (blinking) s += ";5";
  return s + 'm';
}

bool TextRenderer::differs(const TextScreen& s) const {
  if (!valid_ || s.cols != cols_ || s.rows != rows_ || s.blink != blink_) return true;
  const int vc = std::min(cols_, term_cols_), vr = std::min(rows_, term_rows_);
  for (int y = 0; y < vr; ++y)
    for (int x = 0; x < vc; ++x) {
      const size_t i = size_t(y) * cols_ + x;
      if (shown_[i] != shown_cell(s, i)) return true;
    }
  const bool on = s.cursor_visible && s.cursor_x < vc && s.cursor_y < vr;
  return on != cursor_on_ || (on && (s.cursor_x != cursor_x_ || s.cursor_y != cursor_y_));
}

std::string TextRenderer::frame(const TextScreen& s, int term_cols, int term_rows) {
  std::string out;
  const bool full = !valid_ || s.cols != cols_ || s.rows != rows_ || term_cols != term_cols_ ||
                    term_rows != term_rows_ || s.blink != blink_;
  if (full) {
    out += "\x1b[0m\x1b[H\x1b[2J";
    cols_ = s.cols;
    rows_ = s.rows;
    term_cols_ = term_cols;
    term_rows_ = term_rows;
    blink_ = s.blink;
    shown_.assign(size_t(cols_) * rows_, 0);
    attr_ = -1;
    valid_ = true;
  }
  const int vc = std::min(cols_, term_cols_), vr = std::min(rows_, term_rows_);
  int tx = -1, ty = -1;  // where the terminal's cursor is after our writes
  bool drew = false;
  for (int y = 0; y < vr; ++y)
    for (int x = 0; x < vc; ++x) {
      const size_t i = size_t(y) * cols_ + x;
      const uint16_t c = shown_cell(s, i);
      if (!full && shown_[i] == c) continue;
      if (!drew) out += "\x1b[?25l";  // no cursor flickering across the screen while drawing
      drew = true;
      if (tx != x || ty != y) move_to(out, x, y);
      if (attr_ != c >> 8) {
        attr_ = c >> 8;
        out += sgr(uint8_t(attr_), blink_);
      }
      append_cp437_utf8(out, uint8_t(c));
      shown_[i] = c;
      // With autowrap off the terminal's cursor stays in the last column: unknown to us.
      tx = x + 1 < term_cols_ ? x + 1 : -1;
      ty = y;
    }
  const bool on = s.cursor_visible && s.cursor_x < vc && s.cursor_y < vr;
  if (full || drew || on != cursor_on_ || (on && (s.cursor_x != cursor_x_ || s.cursor_y != cursor_y_))) {
    if (on) {
      move_to(out, s.cursor_x, s.cursor_y);
      out += "\x1b[?25h";
    } else if (!drew) {
      out += "\x1b[?25l";
    }
    cursor_on_ = on;
    cursor_x_ = s.cursor_x;
    cursor_y_ = s.cursor_y;
  }
  return out;
}

}  // namespace rs
