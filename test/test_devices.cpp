#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "devices/debug_exit.h"
#include "devices/io_bus.h"
#include "devices/uart16550.h"
#include "device_rig.h"

using RecordingMachine = test::RecordingBoard;

TEST_CASE("debug-exit port follows QEMU's isa-debug-exit convention", "[devices]") {
  RecordingMachine m;
  rs::DebugExit d(m);
  d.out(0xF4, 1, 0);
  CHECK(m.status == 1);
  d.out(0xF4, 4, 0x10);
  CHECK(m.status == 33);
  d.out(0xF4, 1, 0x1FF);  // byte write: only the low byte counts
  CHECK(m.status == ((0xFF << 1 | 1) & 0xFF));
}

TEST_CASE("16550 transmits to its fd and answers the probes of a driver", "[devices]") {
  int fds[2];
  REQUIRE(pipe2(fds, O_NONBLOCK) == 0);
  {
    rs::Uart16550 u(fds[1]);
    CHECK((u.in(0x3FD, 1) & 0x60) == 0x60);  // THR empty, transmitter empty
    u.out(0x3FF, 1, 0x5A);
    CHECK(u.in(0x3FF, 1) == 0x5A);           // scratch register
    u.out(0x3FB, 1, 0x80);                   // DLAB: divisor latch
    u.out(0x3F8, 1, 0x01);
    u.out(0x3F9, 1, 0x00);
    CHECK(u.in(0x3F8, 1) == 0x01);
    u.out(0x3FB, 1, 0x03);                   // 8N1, DLAB off
    for (char ch : std::string("hi\n")) u.out(0x3F8, 1, uint8_t(ch));
    u.out(0x3FC, 1, 0x10);                   // loopback: nothing leaves the chip
    u.out(0x3F8, 1, 'X');
    u.flush();
  }
  char buf[16] = {};
  ssize_t n = read(fds[0], buf, sizeof buf);
  CHECK(std::string(buf, size_t(n > 0 ? n : 0)) == "hi\n");
  close(fds[0]);
  close(fds[1]);
}

TEST_CASE("16550 receives through its FIFO and interrupts as the 8250 driver expects", "[devices]") {
  int fds[2];
  REQUIRE(pipe2(fds, O_NONBLOCK) == 0);
  test::IrqRecorder irqs;
  const bool& line = irqs.level[rs::Uart16550::kIrq];
  rs::Uart16550 u(fds[1], irqs.line(rs::Uart16550::kIrq));
  const uint16_t kRbr = 0x3F8, kIer = 0x3F9, kIir = 0x3FA, kFcr = 0x3FA, kMcr = 0x3FC, kLsr = 0x3FD, kMsr = 0x3FE;

  // The driver's loopback probe: RTS|OUT2 looped back read as CTS|DCD.
  u.out(kMcr, 1, 0x1A);
  CHECK((u.in(kMsr, 1) & 0xF0) == 0x90);
  u.out(kMcr, 1, 0x00);
  // FIFO enabled: IIR bits 7:6 are set (a 16550A, not a 16450 or a buggy 16550).
  u.out(kFcr, 1, 0x81);  // enable, trigger level 8
  CHECK((u.in(kIir, 1) & 0xC0) == 0xC0);
  CHECK((u.in(kIir, 1) & 0x01) == 0x01);  // nothing pending

  // Without OUT2 the interrupt never reaches the PIC.
  u.out(kIer, 1, 0x01);
  const uint8_t two[2] = {'a', 'b'};
  u.receive(two, 2);
  CHECK((u.in(kIir, 1) & 0x0F) == 0x0C);  // below the trigger level: character timeout
  CHECK_FALSE(line);
  u.out(kMcr, 1, 0x0B);  // DTR RTS OUT2
  CHECK(line);
  CHECK((u.in(kLsr, 1) & 0x01) == 0x01);
  CHECK(u.in(kRbr, 1) == 'a');
  CHECK(u.in(kRbr, 1) == 'b');
  CHECK((u.in(kLsr, 1) & 0x01) == 0);
  CHECK_FALSE(line);

  // More than the FIFO holds waits in the backlog instead of overrunning.
  std::string text(40, 'x');
  for (size_t i = 0; i < text.size(); ++i) text[i] = char('A' + i % 26);
  u.receive(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  CHECK((u.in(kIir, 1) & 0x0F) == 0x04);  // at or above the trigger level
  CHECK(u.backlog() == text.size() - rs::Uart16550::kFifo);
  std::string got;
  while (u.in(kLsr, 1) & 0x01) got.push_back(char(u.in(kRbr, 1)));
  CHECK(got == text);
  CHECK((u.in(kLsr, 1) & 0x02) == 0);  // no overrun

  // THRE: enabling it with THR empty raises it; reading IIR acknowledges it; a write
  // to THR raises it again (transmission is immediate).
  u.out(kIer, 1, 0x02);
  CHECK((u.in(kIir, 1) & 0x0F) == 0x02);
  CHECK((u.in(kIir, 1) & 0x0F) == 0x01);
  CHECK_FALSE(line);
  u.out(kRbr, 1, 'z');
  CHECK(line);
  u.out(kIer, 1, 0x00);
  CHECK_FALSE(line);

  // Loopback overrun: the 17th byte is lost and LSR reports OE once.
  u.out(kMcr, 1, 0x10);
  for (int i = 0; i < 17; ++i) u.out(kRbr, 1, uint8_t(i));
  CHECK((u.in(kLsr, 1) & 0x02) == 0x02);
  CHECK((u.in(kLsr, 1) & 0x02) == 0);
  int count = 0;
  while (u.in(kLsr, 1) & 0x01) CHECK(u.in(kRbr, 1) == uint32_t(count++));
  CHECK(count == 16);
  u.flush();
  char buf[8] = {};
  CHECK(read(fds[0], buf, sizeof buf) == 1);  // only the 'z', nothing from loopback
  CHECK(buf[0] == 'z');
  close(fds[0]);
  close(fds[1]);
}

TEST_CASE("I/O bus routes ports and floats unclaimed ones", "[devices]") {
  RecordingMachine m;
  rs::DebugExit d(m);
  rs::IoBus bus;
  bus.attach(0xF4, 1, &d);
  CHECK(bus.in(0x1234, 1) == 0xFF);
  CHECK(bus.in(0x1234, 2) == 0xFFFF);
  CHECK(bus.in(0x1234, 4) == 0xFFFFFFFFu);
  bus.out(0x1234, 1, 7);  // ignored
  CHECK(m.status == -1);
  bus.out(0xF4, 1, 2);
  CHECK(m.status == 5);
  CHECK_THROWS(bus.attach(0xF4, 1, &d));
}
