// The guest's serial console on the host's terminal: COM1's output reaches stdout by
// whole lines (a partial line, such as a prompt, after 5 ms or when the guest idles),
// and keys typed on the host (HostConsole: raw mode, the Ctrl-A escapes) go into COM1's
// receiver without ever overrunning it.
#pragma once
#include <cstdint>
#include <memory>

#include "devices/uart16550.h"
#include "host/console.h"
#include "host/frontend.h"

namespace rs {

class SerialConsole : public HostFrontend {
 public:
  // in_fd < 0: no input (tests, benchmarks).
  SerialConsole(Uart16550& uart, int in_fd, int out_fd);

  // At every exit to the run loop. True when the user asked to quit (Ctrl-A x).
  bool service(uint64_t now) override;
  // Writes out what the guest has sent so far.
  void flush() override { uart_.flush(); }
  // The guest idles (HLT): sleeps at most ns, or until a key arrives (flush first).
  void idle(uint64_t ns) override;

 private:
  Uart16550& uart_;
  std::unique_ptr<HostConsole> keys_;
  uint64_t partial_since_ = 0;     // when the unflushed partial line was first seen
  uint64_t next_input_check_ = 0;
};

}  // namespace rs
