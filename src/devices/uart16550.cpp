#include "devices/uart16550.h"

#include <unistd.h>

#include <cstdio>

namespace rs {

namespace {
constexpr uint8_t kLsrThre = 0x20, kLsrTemt = 0x40;
constexpr uint8_t kLcrDlab = 0x80;
}  // namespace

uint32_t Uart16550::in(uint16_t port, int) {
  bool dlab = lcr_ & kLcrDlab;
  switch (port - kCom1) {
    case 0: return dlab ? dll_ : 0;  // RBR: nothing received yet
    case 1: return dlab ? dlm_ : ier_;
    case 2: return 0x01;             // IIR: no interrupt pending, FIFOs off
    case 3: return lcr_;
    case 4: return mcr_;
    case 5: return kLsrThre | kLsrTemt;  // transmitter always empty: output is synchronous
    case 6: return (mcr_ & 0x10) ? ((mcr_ & 0x0F) << 4) : 0xB0;  // MSR (loopback mirrors MCR)
    case 7: return scr_;
  }
  return 0xFF;
}

void Uart16550::out(uint16_t port, int, uint32_t value) {
  uint8_t v = uint8_t(value);
  bool dlab = lcr_ & kLcrDlab;
  switch (port - kCom1) {
    case 0:
      if (dlab) {
        dll_ = v;
      } else if (!(mcr_ & 0x10)) {
        pending_.push_back(char(v));
        if (v == '\n' || pending_.size() >= 4096) flush();
      }
      break;
    case 1:
      if (dlab) dlm_ = v; else ier_ = v & 0x0F;
      break;
    case 3: lcr_ = v; break;
    case 4: mcr_ = v & 0x1F; break;
    case 7: scr_ = v; break;
    default: break;
  }
}

void Uart16550::flush() {
  size_t off = 0;
  while (off < pending_.size()) {
    ssize_t n = ::write(out_fd_, pending_.data() + off, pending_.size() - off);
    if (n <= 0) break;
    off += size_t(n);
  }
  pending_.clear();
}

void Uart16550::reset() {
  flush();
  ier_ = lcr_ = mcr_ = scr_ = 0;
  dll_ = 0x0C;
  dlm_ = 0;
}

std::string Uart16550::dump() const {
  char buf[128];
  std::snprintf(buf, sizeof buf, "uart16550: ier=%02x lcr=%02x mcr=%02x scr=%02x divisor=%u", ier_, lcr_, mcr_, scr_,
                unsigned(dll_ | dlm_ << 8));
  return buf;
}

}  // namespace rs
