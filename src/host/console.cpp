#include "host/console.h"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace rs {

namespace {

// Saved once for restore_host_terminal(), which may run in a signal handler.
struct termios g_saved;
volatile int g_saved_fd = -1;
const char* volatile g_restore_seq = nullptr;
volatile int g_restore_fd = -1;

constexpr uint8_t kEscape = 0x01;  // Ctrl-A

void write_all(int fd, const char* s) {
  size_t len = std::strlen(s), off = 0;
  while (off < len) {
    ssize_t n = ::write(fd, s + off, len - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += size_t(n);
  }
}

void register_restore_at_exit() {
  static bool registered = false;
  if (!registered) {
    std::atexit(restore_host_terminal);
    registered = true;
  }
}

}  // namespace

void set_terminal_restore_output(int fd, const char* seq) {
  g_restore_seq = nullptr;
  g_restore_fd = fd;
  g_restore_seq = seq;
  if (seq) register_restore_at_exit();
}

void restore_host_terminal() {
  if (const char* seq = g_restore_seq) {
    g_restore_seq = nullptr;
    write_all(g_restore_fd, seq);
  }
  int fd = g_saved_fd;
  if (fd < 0) return;
  tcsetattr(fd, TCSAFLUSH, &g_saved);
  g_saved_fd = -1;
}

HostConsole::HostConsole(int in_fd, int out_fd) : in_fd_(in_fd), out_fd_(out_fd) {
  if (in_fd < 0) {
    eof_ = true;
    return;
  }
  struct termios t;
  if (!isatty(in_fd) || tcgetattr(in_fd, &t) != 0) return;
  g_saved = t;
  g_saved_fd = in_fd;
  register_restore_at_exit();
  // Raw input (no line editing, no signals from keys, no CR/NL mapping); output keeps
  // its post-processing so that ringshift's own messages still start on a new line.
  t.c_iflag &= ~tcflag_t(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
  t.c_lflag &= ~tcflag_t(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  t.c_cflag &= ~tcflag_t(CSIZE | PARENB);
  t.c_cflag |= CS8;
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  raw_ = tcsetattr(in_fd, TCSANOW, &t) == 0;
  if (!raw_) g_saved_fd = -1;
}

HostConsole::~HostConsole() {
  if (raw_) restore_host_terminal();
}

size_t HostConsole::read(uint8_t* buf, size_t max, Action& act) {
  act = Action::None;
  if (eof_ || max == 0) return 0;
  pollfd p{in_fd_, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0) return 0;
  if (p.revents & (POLLERR | POLLNVAL)) {
    eof_ = true;
    return 0;
  }
  uint8_t raw[256];
  ssize_t n = ::read(in_fd_, raw, std::min(max, sizeof raw));
  if (n <= 0) {
    if (n == 0 || (errno != EINTR && errno != EAGAIN)) eof_ = true;
    return 0;
  }
  size_t out = 0;
  for (ssize_t i = 0; i < n; ++i) {
    uint8_t ch = raw[i];
    if (!escape_) {
      if (ch == kEscape) escape_ = true;
      else buf[out++] = ch;
      continue;
    }
    escape_ = false;
    switch (ch) {
      case 'x': case 'X':
        act = Action::Quit;
        return out;
      case 'h': case 'H': case '?':
        if (out_fd_ >= 0) {
          write_all(out_fd_, "\r\n");
          write_all(out_fd_, kHostHelp);
        }
        act = Action::Help;
        break;
      case kEscape:
        buf[out++] = kEscape;
        break;
      default:
        break;  // unknown escapes are dropped, as QEMU does
    }
  }
  return out;
}

}  // namespace rs
