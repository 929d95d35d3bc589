// Code page 437, the PC's character set in text mode, as Unicode: the glyphs of the
// VGA's character ROM (control-range symbols, accented letters, box drawing, blocks,
// Greek and mathematical signs) for a UTF-8 terminal.
#pragma once
#include <cstdint>
#include <string>

namespace rs {

// The Unicode code point the VGA shows for byte c (0x00 shows nothing: a space).
char32_t cp437_to_unicode(uint8_t c);
// The same as UTF-8, appended to out.
void append_cp437_utf8(std::string& out, uint8_t c);

}  // namespace rs
