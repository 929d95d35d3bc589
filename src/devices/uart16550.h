// 16550A UART at 0x3F8 (COM1), IRQ 4, as in the National/TI 16550A data sheet:
// 16-byte receive FIFO with trigger levels and the character-timeout interrupt,
// transmit holding register empty interrupts, line and modem status, loopback, the
// scratch register and the divisor latch. Transmission is instantaneous: a byte
// written to THR goes to the output fd (buffered up to a line or the next flush), so
// THR and the shift register are always empty again at once. Received bytes come
// from the host side through receive(); they wait in a backlog while the FIFO is
// full, so nothing typed or pasted is ever lost to an overrun. The interrupt output
// reaches the PIC through OUT2, as on the PC.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include "devices/device.h"

namespace rs {

class Uart16550 : public Device {
 public:
  static constexpr uint16_t kCom1 = 0x3F8;
  static constexpr int kIrq = 4;
  static constexpr size_t kFifo = 16;
  // out_fd: where transmitted bytes go; base: the first of its 8 ports.
  explicit Uart16550(int out_fd, IrqLine irq = {}, uint16_t base = kCom1) : out_fd_(out_fd), irq_(irq), base_(base) {}
  ~Uart16550() override { flush(); }
  const char* name() const override { return "uart16550"; }
  std::vector<PortRange> ports() const override { return {{base_, 8}}; }
  uint32_t in(uint16_t port, int size) override;
  void out(uint16_t port, int size, uint32_t value) override;
  void reset() override;
  std::string dump() const override;

  // Bytes typed on the host side, delivered as the guest reads them.
  void receive(const uint8_t* data, size_t n);
  // Received bytes not yet in the FIFO (the host side stops reading while it is large).
  size_t backlog() const { return backlog_.size(); }
  // Writes out what the guest has transmitted so far.
  void flush();
  // Text for the host side that the guest did not send through the UART (the BIOS's
  // screen output copied to the serial console), in order with the guest's own bytes.
  void host_copy(uint8_t v);
  // Whether the guest has set the line format (LCR) since reset: then it drives the
  // serial console itself and the BIOS's copy stops (no line shown twice).
  bool programmed() const { return programmed_; }
  bool output_pending() const { return !out_.empty(); }

 private:
  enum : uint8_t { kIerRx = 1, kIerThre = 2, kIerLsr = 4, kIerMsr = 8 };
  bool fifo_on() const { return fcr_ & 1; }
  size_t rx_capacity() const { return fifo_on() ? kFifo : 1; }
  size_t trigger() const;
  void refill();
  void push_rx(uint8_t v);  // into the FIFO from loopback: may overrun
  uint8_t iir() const;
  uint8_t msr_lines() const;
  void set_mcr(uint8_t v);
  void update_irq();

  int out_fd_;
  IrqLine irq_;
  uint16_t base_;
  uint8_t ier_ = 0, lcr_ = 0, mcr_ = 0, scr_ = 0, dll_ = 0x0C, dlm_ = 0, fcr_ = 0;
  uint8_t lsr_err_ = 0;     // OE (and BI/FE/PE, never produced) until LSR is read
  uint8_t msr_delta_ = 0;   // DCTS DDSR TERI DDCD until MSR is read
  bool thre_pending_ = false;
  bool programmed_ = false;
  bool irq_level_ = false;
  std::deque<uint8_t> rx_;       // the receive FIFO (or holding register)
  std::deque<uint8_t> backlog_;  // received from the host, waiting for FIFO room
  std::string out_;
};

}  // namespace rs
