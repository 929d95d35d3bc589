#include "host/text_display.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "devices/clock.h"
#include "devices/i8042.h"
#include "devices/vga.h"
#include "error.h"
#include "mmu/phys_mem.h"

namespace rs {

namespace {

// Alternate screen, autowrap off (a character in the last column must not scroll), a
// clear screen; and back: default colours, a visible cursor, autowrap, the normal screen.
constexpr const char* kEnter = "\x1b[?1049h\x1b[?7l\x1b[0m\x1b[H\x1b[2J";
constexpr const char* kLeave = "\x1b[0m\x1b[?25h\x1b[?7h\x1b[?1049l";

}  // namespace

TextDisplay::TextDisplay(Vga& vga, PhysMem& mem, I8042& kbd, int in_fd, int out_fd)
    : vga_(vga), mem_(mem), kbd_(kbd), out_fd_(out_fd) {
  if (!isatty(out_fd)) throw UsageError("-display curses shows the screen on a terminal: stdout is not one");
  // Help text goes nowhere by itself: it is drawn over the screen (show_help).
  if (in_fd >= 0) keys_ = std::make_unique<HostConsole>(in_fd, -1);
  write_out(kEnter);
  set_terminal_restore_output(out_fd, kLeave);
}

TextDisplay::~TextDisplay() { finish(); }

void TextDisplay::write_out(const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(out_fd_, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += size_t(n);
  }
}

bool TextDisplay::service(uint64_t now) {
  bool quit = false;
  // Reading the terminal costs a system call: at most once a millisecond.
  if (keys_ && now >= next_input_check_) {
    next_input_check_ = now + kInputCheckNs;
    quit = read_keys(now);
  }
  if (decoder_.deadline() <= now) {
    std::vector<uint8_t> codes;
    decoder_.expire(now, codes);
    kbd_.type(codes.data(), codes.size());
  }
  if (now >= next_frame_) refresh(now);
  return quit;
}

bool TextDisplay::read_keys(uint64_t now) {
  uint8_t buf[256];
  HostConsole::Action act;
  const size_t n = keys_->read(buf, sizeof buf, act);
  if (n && help_until_) help_until_ = now;  // a key takes the help away
  if (n) {
    std::vector<uint8_t> codes;
    decoder_.feed(buf, n, now, codes);
    kbd_.type(codes.data(), codes.size());
  }
  if (act == HostConsole::Action::Help) show_help(now);
  return act == HostConsole::Action::Quit;
}

void TextDisplay::refresh(uint64_t now) {
  next_frame_ = now + kFrameNs;
  deferred_ = false;
  if (help_until_) {
    if (now < help_until_) return;
    help_until_ = 0;
    renderer_.invalidate();
  }
  winsize ws{};
  int cols = 80, rows = 25;
  if (ioctl(out_fd_, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) cols = ws.ws_col, rows = ws.ws_row;
  const std::string out = renderer_.frame(vga_.text_screen(mem_), cols, rows);
  if (!out.empty()) write_out(out);
}

void TextDisplay::show_help(uint64_t now) {
  std::string out = "\x1b[?25l";
  int row = 1;
  std::string text = kHostHelp;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find("\r\n", pos);
    if (end == std::string::npos) end = text.size();
    std::string line(1, ' ');  // not " " + substr(): g++ 12 -O3 warns (-Wrestrict) on that
    line.append(text, pos, end - pos);
    line.resize(std::max<size_t>(line.size() + 1, 40), ' ');
    out += "\x1b[" + std::to_string(row++) + ";1H\x1b[0;7m" + line;
    pos = end + 2;
  }
  out += "\x1b[0m";
  write_out(out);
  help_until_ = now + kHelpNs;
}

void TextDisplay::flush() {
  const uint64_t now = monotonic_ns();
  if (now >= next_frame_)
    refresh(now);
  else
    deferred_ = true;  // idle() wakes up in time to draw it
}

void TextDisplay::idle(uint64_t ns) {
  const uint64_t now = monotonic_ns();
  uint64_t wake = now + ns;
  if (deferred_) wake = std::min(wake, next_frame_);
  if (help_until_) wake = std::min(wake, help_until_);
  wake = std::min(wake, decoder_.deadline());
  const uint64_t sleep = wake > now ? wake - now : 0;
  timespec ts{time_t(sleep / 1000000000u), long(sleep % 1000000000u)};
  pollfd p{keys_ ? keys_->wait_fd() : -1, POLLIN, 0};
  if (ppoll(&p, p.fd >= 0 ? 1 : 0, &ts, nullptr) > 0) next_input_check_ = 0;  // a key: read it now
}

void TextDisplay::finish() {
  if (finished_) return;
  finished_ = true;
  // Leaves the alternate screen and puts the terminal's modes back, before ringshift's
  // last messages.
  restore_host_terminal();
}

}  // namespace rs
