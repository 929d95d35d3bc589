// The VGA text screen on the host's terminal and the terminal's keys on the guest's PS/2
// keyboard, as QEMU's -display curses: the terminal switches to its alternate screen,
// the screen is redrawn where it changed at most ~30 times a second (TextRenderer:
// colours, CP437 as UTF-8, the cursor), and keys typed (TerminalKeys) reach the i8042 as
// scan codes. The Ctrl-A escapes of HostConsole still work (Ctrl-A h shows the help over
// the screen for a few seconds). The terminal is restored on every way out, through
// restore_host_terminal(). COM1 is not shown: its output would garble the screen.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "host/console.h"
#include "host/frontend.h"
#include "host/terminal_keys.h"
#include "host/text_render.h"

namespace rs {

class I8042;
class PhysMem;
class Vga;

class TextDisplay : public HostFrontend {
 public:
  static constexpr uint64_t kFrameNs = 33'000'000;
  static constexpr uint64_t kInputCheckNs = 1'000'000;
  static constexpr uint64_t kHelpNs = 5'000'000'000;

  // Takes over the terminal on out_fd (it must be one); keys from in_fd (a terminal goes
  // raw; -1: no keys).
  TextDisplay(Vga& vga, PhysMem& mem, I8042& kbd, int in_fd, int out_fd);
  ~TextDisplay() override;
  TextDisplay(const TextDisplay&) = delete;
  TextDisplay& operator=(const TextDisplay&) = delete;

  bool service(uint64_t now) override;
  void flush() override;
  void idle(uint64_t ns) override;
  void finish() override;

 private:
  bool read_keys(uint64_t now);
  void refresh(uint64_t now);
  void show_help(uint64_t now);
  void write_out(const std::string& s);

  Vga& vga_;
  PhysMem& mem_;
  I8042& kbd_;
  int out_fd_;
  std::unique_ptr<HostConsole> keys_;
  TerminalKeys decoder_;
  TextRenderer renderer_;
  uint64_t next_frame_ = 0;
  uint64_t next_input_check_ = 0;
  uint64_t help_until_ = 0;  // the help covers the screen until then (0: not shown)
  bool deferred_ = false;    // the guest went idle before the screen could be drawn
  bool finished_ = false;
};

}  // namespace rs
