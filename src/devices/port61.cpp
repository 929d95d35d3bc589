#include "devices/port61.h"

namespace rs {

uint32_t Port61::in(uint16_t, int) {
  bool refresh = (now_() / 15085) & 1;
  return (pit_.gate(2) ? 1u : 0u) | (speaker_ ? 2u : 0u) | (refresh ? 0x10u : 0u) | (pit_.output(2) ? 0x20u : 0u);
}

void Port61::out(uint16_t, int, uint32_t value) {
  speaker_ = value & 2;
  pit_.set_gate(2, value & 1);
}

void Port61::reset() {
  speaker_ = false;
  pit_.set_gate(2, false);
}

}  // namespace rs
