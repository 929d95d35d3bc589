#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>

#include "devices/debug_exit.h"
#include "devices/io_bus.h"
#include "devices/uart16550.h"

namespace {

struct RecordingMachine : rs::MachineControl {
  int status = -1;
  std::string why;
  void request_stop(int s, const std::string& w) override { status = s, why = w; }
};

}  // namespace

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
