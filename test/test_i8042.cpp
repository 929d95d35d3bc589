// Unit tests of the 8042 keyboard controller, its keyboard and its empty aux port.
//
// Expected values come from the IBM PC AT / PS/2 keyboard controller documentation
// (status and command byte bits, controller commands, keyboard command answers) and
// from what Linux's i8042 probe checks (self test 0x55, command byte read/write, the
// aux loopback answering as aux data, 0xA7/0xA8 toggling command byte bit 5).
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "devices/i8042.h"
#include "device_rig.h"

namespace {

struct Rig {
  test::IrqRecorder pic;
  test::RecordingBoard board;
  std::vector<std::pair<int, bool>>& irqs = pic.edges;
  bool (&line)[16] = pic.level;
  int& resets = board.resets;
  rs::I8042 kbc{pic.line(rs::I8042::kKbdIrq), pic.line(rs::I8042::kAuxIrq), board};
  uint8_t status() { return uint8_t(kbc.in(0x64, 1)); }
  void cmd(uint8_t c) { kbc.out(0x64, 1, c); }
  void data(uint8_t d) { kbc.out(0x60, 1, d); }
  // Reads one byte the way Linux does: only when OBF says there is one.
  int read() {
    if (!(status() & 0x01)) return -1;
    return int(kbc.in(0x60, 1));
  }
  std::vector<int> drain() {
    std::vector<int> out;
    for (int b; (b = read()) >= 0;) out.push_back(b);
    return out;
  }
};

using Bytes = std::vector<int>;

}  // namespace

TEST_CASE("i8042: reset state and status bits", "[i8042]") {
  Rig r;
  CHECK(r.status() == (0x10 | 0x04));  // not inhibited, system flag; OBF and IBF clear
  r.cmd(0x20);
  CHECK(r.status() == (0x10 | 0x08 | 0x04 | 0x01));  // A2 set by the command, OBF
  CHECK(r.read() == 0x45);
  CHECK((r.status() & 0x01) == 0);
  r.data(0xF4);
  CHECK((r.status() & 0x08) == 0);  // A2 clear after a data write
}

TEST_CASE("i8042: self test, interface tests", "[i8042]") {
  Rig r;
  r.cmd(0x60);
  r.data(0x00);  // system flag off, as at power-on
  CHECK((r.status() & 0x04) == 0);
  r.cmd(0xAA);
  CHECK(r.drain() == Bytes{0x55});
  CHECK((r.status() & 0x04) == 0x04);
  r.cmd(0xAB);
  CHECK(r.drain() == Bytes{0x00});
  r.cmd(0xA9);
  CHECK(r.drain() == Bytes{0x00});
}

TEST_CASE("i8042: command byte round trip and port enables", "[i8042]") {
  Rig r;
  r.cmd(0x60);
  r.data(0x47);
  r.cmd(0x20);
  CHECK(r.drain() == Bytes{0x47});
  r.cmd(0xAD);
  r.cmd(0xA7);
  r.cmd(0x20);
  CHECK(r.drain() == Bytes{0x47 | 0x10 | 0x20});
  r.cmd(0xAE);
  r.cmd(0x20);
  CHECK(r.drain() == Bytes{0x47 | 0x20});
  r.cmd(0xA8);
  r.cmd(0x20);
  CHECK(r.drain() == Bytes{0x47});
  CHECK(r.kbc.command_byte() == 0x47);
  // Other controller RAM bytes are read and written the same way.
  r.cmd(0x65);
  r.data(0x99);
  r.cmd(0x25);
  CHECK(r.drain() == Bytes{0x99});
}

TEST_CASE("i8042: reset line", "[i8042]") {
  Rig r;
  r.cmd(0xFE);
  CHECK(r.resets == 1);
  r.cmd(0xFF);  // pulses nothing
  CHECK(r.resets == 1);
  r.cmd(0xF0);  // pulses all four lines, reset among them
  CHECK(r.resets == 2);
  r.cmd(0xD1);
  r.data(0x03);  // A20 on, not in reset
  CHECK(r.resets == 2);
  r.cmd(0xD1);
  r.data(0x00);  // bit 0 clear: reset
  CHECK(r.resets == 3);
  CHECK(!r.kbc.a20());
  r.cmd(0xD1);
  r.data(0x03);
  CHECK(r.kbc.a20());
  r.cmd(0xD0);
  CHECK(r.drain() == Bytes{0x03});
  // Bit 4 is the "keyboard output buffer full" line at the time of the command.
  r.cmd(0xD2);
  r.data(0x33);
  r.cmd(0xD0);
  CHECK(r.drain() == Bytes{0x33, 0x03 | 0x10});
}

TEST_CASE("i8042: keyboard commands", "[i8042]") {
  Rig r;
  r.data(0xFF);
  CHECK(r.drain() == Bytes{0xFA, 0xAA});
  r.data(0xF2);
  CHECK(r.drain() == Bytes{0xFA, 0xAB, 0x83});
  r.data(0xF5);
  CHECK(r.drain() == Bytes{0xFA});
  r.data(0xF4);
  CHECK(r.drain() == Bytes{0xFA});
  r.data(0xED);
  CHECK(r.drain() == Bytes{0xFA});
  r.data(0x07);
  CHECK(r.drain() == Bytes{0xFA});
  r.data(0xF3);
  r.data(0x00);
  CHECK(r.drain() == Bytes{0xFA, 0xFA});
  r.data(0xF0);
  r.data(0x00);  // query: the current set
  CHECK(r.drain() == Bytes{0xFA, 0xFA, 0x02});
  r.data(0xF0);
  r.data(0x03);
  r.data(0xF0);
  r.data(0x00);
  CHECK(r.drain() == Bytes{0xFA, 0xFA, 0xFA, 0xFA, 0x03});
  r.data(0xEE);
  CHECK(r.drain() == Bytes{0xEE});
  r.data(0xE8);
  CHECK(r.drain() == Bytes{0xFA});
  // A command where an argument was expected is a command.
  r.data(0xED);
  r.data(0xF2);
  CHECK(r.drain() == Bytes{0xFA, 0xFA, 0xAB, 0x83});
}

TEST_CASE("i8042: keyboard bytes wait while the keyboard port is disabled", "[i8042]") {
  Rig r;
  r.cmd(0xAD);
  r.data(0xF2);
  CHECK(r.read() == -1);
  r.cmd(0x20);  // controller replies are not held back
  CHECK(r.drain() == Bytes{0x45 | 0x10});
  r.cmd(0xAE);
  CHECK(r.drain() == Bytes{0xFA, 0xAB, 0x83});
  // Scanning off: key bytes are dropped; on: delivered.
  r.data(0xF5);
  r.drain();
  r.kbc.keyboard_byte(0x1C);
  CHECK(r.read() == -1);
  r.data(0xF4);
  r.drain();
  r.kbc.keyboard_byte(0x1C);
  CHECK(r.drain() == Bytes{0x1C});
}

TEST_CASE("i8042: IRQ 1 per keyboard byte when enabled", "[i8042]") {
  Rig r;  // command byte 0x45: keyboard interrupt on
  r.data(0xFF);
  CHECK(r.line[1]);
  CHECK(r.kbc.in(0x60, 1) == 0xFA);
  // The line drops and rises again for the second byte: an edge for the 8259A.
  REQUIRE(r.irqs.size() == 3);
  CHECK(r.irqs[1] == std::make_pair(1, false));
  CHECK(r.irqs[2] == std::make_pair(1, true));
  CHECK(r.kbc.in(0x60, 1) == 0xAA);
  CHECK(!r.line[1]);
  CHECK(!r.line[12]);
  // Interrupt disabled: data, but no IRQ.
  r.cmd(0x60);
  r.data(0x44);
  r.irqs.clear();
  r.data(0xF4);
  CHECK(r.irqs.empty());
  CHECK((r.status() & 0x01) == 1);
  // Enabling it with the buffer full raises the line.
  r.cmd(0x60);
  r.data(0x45);
  CHECK(r.line[1]);
  CHECK(r.read() == 0xFA);
  CHECK(!r.line[1]);
}

TEST_CASE("i8042: aux loopback, aux port with nothing plugged in", "[i8042]") {
  Rig r;
  r.cmd(0x60);
  r.data(0x47);  // aux interrupt on
  r.cmd(0xD3);
  r.data(0x5A);
  CHECK((r.status() & 0x21) == 0x21);  // OBF with aux data
  CHECK(r.line[12]);
  CHECK(!r.line[1]);
  CHECK(r.read() == 0x5A);
  CHECK(!r.line[12]);
  // D2 looks like keyboard data.
  r.cmd(0xD2);
  r.data(0x33);
  CHECK((r.status() & 0x21) == 0x01);
  CHECK(r.line[1]);
  CHECK(r.read() == 0x33);
  // A byte for the aux device: no device, so time-out and 0xFE at once.
  r.cmd(0xD4);
  r.data(0xF2);
  CHECK((r.status() & 0x61) == 0x61);
  CHECK(r.line[12]);
  CHECK(r.read() == 0xFE);
  CHECK((r.status() & 0x40) == 0);
}

TEST_CASE("i8042: reset restores the firmware state", "[i8042]") {
  Rig r;
  r.cmd(0x60);
  r.data(0x30);
  r.data(0xF2);
  r.kbc.reset();
  CHECK(r.kbc.command_byte() == 0x45);
  CHECK(r.read() == -1);
  CHECK(r.kbc.a20());
  CHECK(!r.kbc.dump().empty());
}
