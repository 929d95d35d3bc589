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
  enum class Action { None, Quit };

  // in_fd: where keys come from (a terminal goes raw); out_fd: where help text goes.
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

// Puts a terminal left in raw mode back as it was. Async-signal-safe.
void restore_host_terminal();

}  // namespace rs
