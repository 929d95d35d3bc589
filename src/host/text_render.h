// The VGA text screen as terminal output: each frame writes only the cells that changed
// since the last one (cursor moves, SGR colours, UTF-8 characters), then places the
// terminal's cursor where the VGA's is, or hides it. Pure: it produces bytes, the text
// display writes them.
//
// Colours: the attribute's 16 CGA colours as the terminal's 16 ANSI colours (30-37 and
// bright 90-97 for the foreground, 40-47 and 100-107 for the background); attribute bit 7
// blinks (SGR 5 over one of 8 backgrounds) when the attribute controller enables blinking,
// and is a bright background otherwise. The DAC's palette is not followed.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "devices/vga.h"

namespace rs {

class TextRenderer {
 public:
  // The output that brings a terminal of term_cols x term_rows from the last frame to s
  // (the top-left part of s that fits); empty when nothing changed.
  std::string frame(const TextScreen& s, int term_cols, int term_rows);
  // Whether frame(s, ...) would draw a cell or move the cursor.
  bool differs(const TextScreen& s) const;
  // The terminal's contents are unknown (first frame, resize, something else wrote):
  // the next frame clears it and draws everything.
  void invalidate() { valid_ = false; }

  // The SGR sequence for a VGA attribute.
  static std::string sgr(uint8_t attr, bool blink);

 private:
  std::vector<uint16_t> shown_;  // the cells as drawn (blanked screens as blank cells)
  int cols_ = 0, rows_ = 0, term_cols_ = 0, term_rows_ = 0;
  bool valid_ = false;
  bool blink_ = true;
  int attr_ = -1;  // the terminal's current attribute, -1 unknown
  int cursor_x_ = -1, cursor_y_ = -1;
  bool cursor_on_ = false;
};

}  // namespace rs
