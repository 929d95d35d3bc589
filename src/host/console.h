// The host terminal behind the guest's serial console. While the guest runs, a
// terminal on stdin is in raw mode, so every key (Ctrl-C included) goes to the guest;
// it is restored on every way out: normal exit, error, signal, or a crash (the fault
// handler calls restore_host_terminal()). Ctrl-A is the escape key, as in QEMU:
// Ctrl-A x quits, Ctrl-A h prints help, Ctrl-A Ctrl-A sends a Ctrl-A.
#pragma once
#include <cstddef>
#include <cstdint>

namespace rs {

class HostConsole {
 public:
  enum class Action { None, Quit, Help };

  // in_fd: where keys come from (a terminal goes raw); out_fd: where help text goes
  // (-1: nowhere; read() still reports Action::Help).
  HostConsole(int in_fd, int out_fd);
  ~HostConsole();
  HostConsole(const HostConsole&) = delete;
  HostConsole& operator=(const HostConsole&) = delete;

  // Reads what is available without blocking, after the escape filter: up to max
  // bytes into buf. Sets act when an escape command asks for something.
  size_t read(uint8_t* buf, size_t max, Action& act);
  // The fd to wait on while the guest idles, or -1 once input has ended.
  int wait_fd() const { return eof_ ? -1 : in_fd_; }

 private:
  int in_fd_, out_fd_;
  bool raw_ = false, eof_ = false, escape_ = false;
};

// Puts a terminal left in raw mode back as it was, after writing the output set by
// set_terminal_restore_output. Async-signal-safe.
void restore_host_terminal();
// Bytes that put the terminal's screen back (the text display leaves the alternate
// screen), written to fd by restore_host_terminal() on every way out; seq must outlive
// that (a string literal), nullptr for none.
void set_terminal_restore_output(int fd, const char* seq);
inline constexpr const char* kHostHelp =
    "ringshift console escapes:\r\n"
    "  Ctrl-A x    quit ringshift\r\n"
    "  Ctrl-A h    this help\r\n"
    "  Ctrl-A Ctrl-A  send Ctrl-A to the guest\r\n";

}  // namespace rs
