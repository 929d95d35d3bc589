#include "host/serial_console.h"

#include <poll.h>

namespace rs {

SerialConsole::SerialConsole(Uart16550& uart, int in_fd, int out_fd) : uart_(uart) {
  if (in_fd >= 0) keys_ = std::make_unique<HostConsole>(in_fd, out_fd);
}

bool SerialConsole::service(uint64_t now) {
  // A prompt has no newline to flush it: partial lines go out after 5 ms, or when the
  // guest idles (a write per byte cost ~10 us each, ~0.15 s of a boot).
  if (!uart_.output_pending()) {
    partial_since_ = 0;
  } else if (!partial_since_) {
    partial_since_ = now;
  } else if (now - partial_since_ >= 5000000u) {
    uart_.flush();
    partial_since_ = 0;
  }
  if (!keys_) return false;
  // Reading the host side costs a system call: at most once a millisecond, and not
  // while the guest has not taken what it was given.
  if (now < next_input_check_ || uart_.backlog() >= 4096) return false;
  next_input_check_ = now + 1000000;
  uint8_t buf[256];
  HostConsole::Action act;
  size_t n = keys_->read(buf, sizeof buf, act);
  if (n) uart_.receive(buf, n);
  return act == HostConsole::Action::Quit;
}

void SerialConsole::idle(uint64_t ns) {
  timespec ts{time_t(ns / 1000000000u), long(ns % 1000000000u)};
  pollfd p{keys_ ? keys_->wait_fd() : -1, POLLIN, 0};
  if (ppoll(&p, p.fd >= 0 ? 1 : 0, &ts, nullptr) > 0) next_input_check_ = 0;  // a key: read it now
}

}  // namespace rs
