// What the run loop asks of whatever faces the user on the host terminal: the serial
// console (host/serial_console.h, the default) or the VGA text display
// (host/text_display.h, -display curses).
#pragma once
#include <cstdint>

namespace rs {

class HostFrontend {
 public:
  virtual ~HostFrontend() = default;
  // At every exit to the run loop (now: monotonic ns). True when the user asked to quit.
  virtual bool service(uint64_t now) = 0;
  // The guest stops running for a while (HLT, the debugger): show what it has written.
  virtual void flush() = 0;
  // The guest idles (HLT): sleeps at most ns, or until a key arrives (flush first).
  virtual void idle(uint64_t ns) = 0;
  // The run is over: the last output, and the terminal as it was for what follows.
  virtual void finish() { flush(); }
};

}  // namespace rs
