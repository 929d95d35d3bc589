// Keys typed in a terminal as a PS/2 keyboard would send them: the bytes a terminal
// writes (ASCII on a US layout, control characters, ESC-prefixed Alt keys, the escape
// sequences of xterm and of the Linux console for arrows, Home/End/Insert/Delete/PgUp/
// PgDn and F1-F12, with xterm's modifier parameter) become scan code set 2 make and
// break codes, with Shift, Ctrl and Alt pressed around the key as a typist would. A
// terminal sends no key releases, so each key is pressed and released at once. A lone
// ESC is the Esc key once nothing has followed it for kEscTimeoutNs.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rs {

class TerminalKeys {
 public:
  static constexpr uint64_t kEscTimeoutNs = 50'000'000;

  // Decodes bytes read from the terminal at time now (ns); appends set-2 codes to out.
  void feed(const uint8_t* data, size_t n, uint64_t now, std::vector<uint8_t>& out);
  // A sequence begun kEscTimeoutNs before now and still incomplete is taken as typed:
  // ESC alone is Esc, ESC [ is Alt-[, and so on.
  void expire(uint64_t now, std::vector<uint8_t>& out);
  // When expire() will have something to do (UINT64_MAX: nothing pending).
  uint64_t deadline() const { return pending_.empty() ? UINT64_MAX : since_ + kEscTimeoutNs; }

 private:
  void decode(bool timed_out, std::vector<uint8_t>& out);
  std::string pending_;  // bytes of an incomplete escape sequence
  uint64_t since_ = 0;
};

}  // namespace rs
