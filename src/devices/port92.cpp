#include "devices/port92.h"

#include <cstdio>

namespace rs {

uint32_t Port92::in(uint16_t, int) { return value_; }

void Port92::out(uint16_t, int, uint32_t value) {
  const uint8_t old = value_;
  value_ = uint8_t(value);
  if ((value_ ^ old) & 2) board_.set_a20(value_ & 2);
  // Only the rising edge resets, so read-modify-write of the A20 bit never does.
  if ((value_ & 1) && !(old & 1)) board_.request_reset("port 0x92 fast reset");
}

void Port92::reset() { value_ = 0x02; }

std::string Port92::dump() const {
  char buf[64];
  std::snprintf(buf, sizeof buf, "value %02x (A20 %s)", value_, a20() ? "on" : "off");
  return buf;
}

}  // namespace rs
