#include "devices/debug_exit.h"

#include <string>

namespace rs {

void DebugExit::out(uint16_t, int size, uint32_t value) {
  if (size == 1) value &= 0xFF;
  if (size == 2) value &= 0xFFFF;
  int status = int(((value << 1) | 1) & 0xFF);
  board_.request_stop(status, "guest wrote " + std::to_string(value) + " to the debug-exit port");
}

}  // namespace rs
