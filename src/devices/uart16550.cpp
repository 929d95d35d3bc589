#include "devices/uart16550.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace rs {

namespace {
constexpr uint8_t kLsrDr = 0x01, kLsrOe = 0x02, kLsrThre = 0x20, kLsrTemt = 0x40;
constexpr uint8_t kLcrDlab = 0x80;
constexpr uint8_t kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08, kMcrLoop = 0x10;
constexpr uint8_t kMsrCts = 0x10, kMsrDsr = 0x20, kMsrRi = 0x40, kMsrDcd = 0x80;
constexpr uint8_t kIirNone = 0x01, kIirMsr = 0x00, kIirThre = 0x02, kIirRx = 0x04, kIirLsr = 0x06, kIirTimeout = 0x0C;
}  // namespace

size_t Uart16550::trigger() const {
  static const size_t levels[4] = {1, 4, 8, 14};
  return fifo_on() ? levels[fcr_ >> 6] : 1;
}

uint8_t Uart16550::msr_lines() const {
  // In loopback the modem inputs are wired to the outputs: RTS->CTS, DTR->DSR,
  // OUT1->RI, OUT2->DCD. Otherwise the host side is a connected, ready terminal.
  if (!(mcr_ & kMcrLoop)) return kMsrCts | kMsrDsr | kMsrDcd;
  uint8_t v = 0;
  if (mcr_ & kMcrRts) v |= kMsrCts;
  if (mcr_ & kMcrDtr) v |= kMsrDsr;
  if (mcr_ & kMcrOut1) v |= kMsrRi;
  if (mcr_ & kMcrOut2) v |= kMsrDcd;
  return v;
}

void Uart16550::set_mcr(uint8_t v) {
  uint8_t before = msr_lines();
  mcr_ = v & 0x1F;
  uint8_t after = msr_lines();
  uint8_t changed = before ^ after;
  if (changed & kMsrCts) msr_delta_ |= 0x01;
  if (changed & kMsrDsr) msr_delta_ |= 0x02;
  if ((before & kMsrRi) && !(after & kMsrRi)) msr_delta_ |= 0x04;  // trailing edge of RI
  if (changed & kMsrDcd) msr_delta_ |= 0x08;
}

// The highest-priority pending interrupt, as the IIR reports it.
uint8_t Uart16550::iir() const {
  uint8_t fifo_bits = fifo_on() ? 0xC0 : 0x00;
  if ((ier_ & kIerLsr) && lsr_err_) return fifo_bits | kIirLsr;
  if ((ier_ & kIerRx) && !rx_.empty()) {
    // Below the trigger level the FIFO raises the character timeout instead. Its
    // four-character delay is not modelled: input reaches the guest at once.
    return fifo_bits | (rx_.size() >= trigger() ? kIirRx : (fifo_on() ? kIirTimeout : kIirRx));
  }
  if ((ier_ & kIerThre) && thre_pending_) return fifo_bits | kIirThre;
  if ((ier_ & kIerMsr) && msr_delta_) return fifo_bits | kIirMsr;
  return fifo_bits | kIirNone;
}

void Uart16550::update_irq() {
  // OUT2 gates the interrupt onto the bus on a PC; in loopback the pin is internal.
  bool level = !(iir() & kIirNone) && (mcr_ & kMcrOut2) && !(mcr_ & kMcrLoop);
  if (level == irq_level_) return;
  irq_level_ = level;
  irq_.set(level);
}

void Uart16550::refill() {
  while (!backlog_.empty() && rx_.size() < rx_capacity()) {
    rx_.push_back(backlog_.front());
    backlog_.pop_front();
  }
}

void Uart16550::push_rx(uint8_t v) {
  if (rx_.size() >= rx_capacity()) {
    lsr_err_ |= kLsrOe;  // the new character is lost, as on the chip
    return;
  }
  rx_.push_back(v);
}

void Uart16550::receive(const uint8_t* data, size_t n) {
  backlog_.insert(backlog_.end(), data, data + n);
  refill();
  update_irq();
}

uint32_t Uart16550::in(uint16_t port, int) {
  const bool dlab = lcr_ & kLcrDlab;
  uint8_t v = 0xFF;
  switch (port - base_) {
    case 0:
      if (dlab) return dll_;
      v = 0;
      if (!rx_.empty()) {
        v = rx_.front();
        rx_.pop_front();
      }
      if (!(mcr_ & kMcrLoop)) refill();
      break;
    case 1:
      return dlab ? dlm_ : ier_;
    case 2:
      v = iir();
      if ((v & 0x0F) == kIirThre) thre_pending_ = false;  // reading IIR acknowledges THRE
      break;
    case 3: return lcr_;
    case 4: return mcr_;
    case 5:
      v = uint8_t(kLsrThre | kLsrTemt | lsr_err_ | (rx_.empty() ? 0 : kLsrDr));
      lsr_err_ = 0;
      break;
    case 6:
      v = uint8_t(msr_lines() | msr_delta_);
      msr_delta_ = 0;
      break;
    case 7: return scr_;
  }
  update_irq();
  return v;
}

void Uart16550::out(uint16_t port, int, uint32_t value) {
  const uint8_t v = uint8_t(value);
  const bool dlab = lcr_ & kLcrDlab;
  switch (port - base_) {
    case 0:
      if (dlab) {
        dll_ = v;
        return;
      }
      if (mcr_ & kMcrLoop) {
        push_rx(v);
      } else {
        out_.push_back(char(v));
        if (v == '\n' || out_.size() >= 4096) flush();
      }
      thre_pending_ = true;  // sent at once: THR is empty again
      break;
    case 1:
      if (dlab) {
        dlm_ = v;
        return;
      }
      // Enabling the THRE interrupt while THR is empty raises it (data sheet, IER).
      if ((v & kIerThre) && !(ier_ & kIerThre)) thre_pending_ = true;
      ier_ = v & 0x0F;
      break;
    case 2: {
      const bool was_on = fifo_on();
      fcr_ = v & 0xC9;
      if (was_on != fifo_on() || (v & 0x02)) rx_.clear();
      if (!(mcr_ & kMcrLoop)) refill();
      break;
    }
    case 3:
      lcr_ = v;
      programmed_ = true;
      return;
    case 4: set_mcr(v); if (!(mcr_ & kMcrLoop)) refill(); break;
    case 7: scr_ = v; return;
    default: return;  // LSR and MSR are read-only (factory test writes ignored)
  }
  update_irq();
}

void Uart16550::host_copy(uint8_t v) {
  out_.push_back(char(v));
  if (v == '\n' || out_.size() >= 4096) flush();
}

void Uart16550::flush() {
  size_t off = 0;
  while (off < out_.size()) {
    ssize_t n = ::write(out_fd_, out_.data() + off, out_.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += size_t(n);
  }
  out_.clear();
}

void Uart16550::reset() {
  flush();
  ier_ = lcr_ = mcr_ = scr_ = fcr_ = 0;
  programmed_ = false;
  dll_ = 0x0C;
  dlm_ = 0;
  lsr_err_ = msr_delta_ = 0;
  thre_pending_ = false;
  rx_.clear();
  backlog_.clear();
  update_irq();
}

std::string Uart16550::dump() const {
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "uart16550: ier=%02x iir=%02x lcr=%02x mcr=%02x fcr=%02x scr=%02x divisor=%u rx=%zu backlog=%zu irq=%d",
                ier_, iir(), lcr_, mcr_, fcr_, scr_, unsigned(dll_ | dlm_ << 8), rx_.size(), backlog_.size(),
                int(irq_level_));
  return buf;
}

}  // namespace rs
