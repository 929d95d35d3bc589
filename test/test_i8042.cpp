// Unit tests of the 8042 keyboard controller, its keyboard and its empty aux port.
//
// Expected values come from the IBM PC AT / PS/2 keyboard controller documentation
// (status and command byte bits, controller commands, keyboard command answers) and
// from what Linux's i8042 probe checks (self test 0x55, command byte read/write, the
// aux loopback answering as aux data, 0xA7/0xA8 toggling command byte bit 5).
#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>
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
  // The output port's bit 1 drives the board's A20 line: off, then on again.
  CHECK(r.board.a20 == std::vector<bool>{false, true});
  r.cmd(0xDD);  // the one-byte A20 commands
  r.cmd(0xDF);
  CHECK(r.board.a20 == std::vector<bool>{false, true, false, true});
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
  // The keyboard's own answers, untranslated (command byte bit 6 clear).
  r.cmd(0x60);
  r.data(0x05);
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
  CHECK(r.drain() == Bytes{0xFA, 0xAB, 0x41});  // the ID's second byte through the translation
  // Scanning off: key bytes are dropped; on: delivered.
  r.data(0xF5);
  r.drain();
  r.kbc.keyboard_byte(0x1C);
  CHECK(r.read() == -1);
  r.data(0xF4);
  r.drain();
  r.kbc.keyboard_byte(0x1C);
  CHECK(r.drain() == Bytes{0x1E});  // set 2 A, through the translation
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

// Types set-2 bytes on the host keyboard.
static void type(Rig& r, std::initializer_list<uint8_t> codes) {
  std::vector<uint8_t> v(codes);
  r.kbc.type(v.data(), v.size());
}

TEST_CASE("i8042: keyboard answers pass the set 1 translation", "[i8042]") {
  Rig r;  // command byte 0x45: translation on
  r.data(0xF2);
  CHECK(r.drain() == Bytes{0xFA, 0xAB, 0x41});  // MF2 ID AB 83 as a translating 8042 delivers it
  r.data(0xF0);
  r.data(0x00);
  CHECK(r.drain() == Bytes{0xFA, 0xFA, 0x41});  // "set 2"
  r.data(0xF0);
  r.data(0x01);
  r.data(0xF0);
  r.data(0x00);
  CHECK(r.drain() == Bytes{0xFA, 0xFA, 0xFA, 0xFA, 0x43});  // "set 1"
  r.data(0xFF);
  CHECK(r.drain() == Bytes{0xFA, 0xAA});
  r.data(0xEE);
  CHECK(r.drain() == Bytes{0xEE});
}

TEST_CASE("i8042: typed set 2 codes arrive in set 1 while translating", "[i8042]") {
  Rig r;
  type(r, {0x1C, 0xF0, 0x1C});  // A: make, break
  CHECK(r.drain() == Bytes{0x1E, 0x9E});
  type(r, {0x12, 0x33, 0xF0, 0x33, 0xF0, 0x12});  // Shift-H
  CHECK(r.drain() == Bytes{0x2A, 0x23, 0xA3, 0xAA});
  type(r, {0xE0, 0x75, 0xE0, 0xF0, 0x75});  // Up
  CHECK(r.drain() == Bytes{0xE0, 0x48, 0xE0, 0xC8});
  type(r, {0xE0, 0x71, 0xE0, 0xF0, 0x71});  // Delete
  CHECK(r.drain() == Bytes{0xE0, 0x53, 0xE0, 0xD3});
  type(r, {0x83, 0xF0, 0x83, 0x07, 0xF0, 0x07});  // F7 (the one set-2 code above 0x7F), F12
  CHECK(r.drain() == Bytes{0x41, 0xC1, 0x58, 0xD8});
  type(r, {0x76, 0xF0, 0x76, 0x5A, 0xF0, 0x5A, 0x66, 0xF0, 0x66, 0x0D, 0xF0, 0x0D});  // Esc Enter BS Tab
  CHECK(r.drain() == Bytes{0x01, 0x81, 0x1C, 0x9C, 0x0E, 0x8E, 0x0F, 0x8F});
  type(r, {0x14, 0x11, 0x29, 0xF0, 0x29, 0xF0, 0x11, 0xF0, 0x14});  // Ctrl, Alt, Space
  CHECK(r.drain() == Bytes{0x1D, 0x38, 0x39, 0xB9, 0xB8, 0x9D});
  type(r, {0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77});  // Pause
  CHECK(r.drain() == Bytes{0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5});
}

TEST_CASE("i8042: typed codes pass untranslated with bit 6 clear; a set-1 keyboard converts", "[i8042]") {
  Rig r;
  r.cmd(0x60);
  r.data(0x05);
  type(r, {0x1C, 0xF0, 0x1C, 0xE0, 0x6B, 0xE0, 0xF0, 0x6B});
  CHECK(r.drain() == Bytes{0x1C, 0xF0, 0x1C, 0xE0, 0x6B, 0xE0, 0xF0, 0x6B});
  r.data(0xF0);
  r.data(0x01);
  CHECK(r.drain() == Bytes{0xFA, 0xFA});
  type(r, {0x1C, 0xF0, 0x1C, 0xE0, 0x6B, 0xE0, 0xF0, 0x6B});
  CHECK(r.drain() == Bytes{0x1E, 0x9E, 0xE0, 0x4B, 0xE0, 0xCB});
}

TEST_CASE("i8042: a burst of typing is delivered a byte at a time, an IRQ 1 edge each", "[i8042]") {
  Rig r;
  std::vector<uint8_t> burst;
  for (int i = 0; i < 200; ++i) {
    burst.push_back(0x1C);
    burst.push_back(0xF0);
    burst.push_back(0x1C);
  }
  r.kbc.type(burst.data(), burst.size());
  r.irqs.clear();
  Bytes got;
  int rises = 0;
  while (r.status() & 0x01) {
    CHECK(r.line[1]);
    got.push_back(int(r.kbc.in(0x60, 1)));
  }
  for (auto& e : r.irqs) rises += e.second;
  CHECK(got.size() == 400);  // 200 makes and 200 breaks, nothing lost to the 16-byte buffer
  CHECK(rises == 399);       // the first byte's edge came with type()
  CHECK(got.front() == 0x1E);
  CHECK(got.back() == 0x9E);
  CHECK(!r.line[1]);
}

TEST_CASE("i8042: typed keys wait while the keyboard port is disabled, are dropped while it does not scan",
          "[i8042]") {
  Rig r;
  r.cmd(0xAD);
  type(r, {0x1C, 0xF0, 0x1C});
  CHECK(r.read() == -1);
  CHECK(!r.line[1]);
  r.cmd(0xAE);
  CHECK(r.line[1]);
  CHECK(r.drain() == Bytes{0x1E, 0x9E});
  r.data(0xF5);
  CHECK(r.drain() == Bytes{0xFA});
  type(r, {0x1C, 0xF0, 0x1C});
  CHECK(r.read() == -1);
  r.data(0xF4);
  CHECK(r.drain() == Bytes{0xFA});
  type(r, {0x32, 0xF0, 0x32});  // B
  CHECK(r.drain() == Bytes{0x30, 0xB0});
  // A reset of the keyboard drops what was typed and not yet taken.
  type(r, {0x1C, 0xF0, 0x1C});
  r.data(0xFF);
  CHECK(r.drain() == Bytes{0x1E, 0xFA, 0xAA});  // the byte already in the output buffer stays
  // Interrupt off: the bytes wait for polling.
  r.cmd(0x60);
  r.data(0x44);
  r.irqs.clear();
  type(r, {0x1C});
  CHECK(r.irqs.empty());
  CHECK(r.read() == 0x1E);
}
