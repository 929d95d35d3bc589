// Unit tests of system control port A (0x92): fast A20 read-back and fast reset on a
// 0-to-1 transition of bit 0 (PIIX data sheet).
#include <catch2/catch.hpp>

#include "devices/port92.h"
#include "device_rig.h"

TEST_CASE("port 0x92: A20 bit read back, fast reset on the rising edge of bit 0", "[port92]") {
  test::RecordingBoard board;
  const int& resets = board.resets;
  rs::Port92 p(board);
  CHECK(p.in(0x92, 1) == 0x02);
  CHECK(p.a20());
  p.out(0x92, 1, 0x00);
  CHECK(p.in(0x92, 1) == 0x00);
  CHECK(!p.a20());
  CHECK(resets == 0);
  p.out(0x92, 1, 0x03);
  CHECK(resets == 1);
  CHECK(board.reset_how == "port 0x92 fast reset");
  CHECK(p.in(0x92, 1) == 0x03);
  p.out(0x92, 1, 0x03);  // still 1: no new edge
  CHECK(resets == 1);
  p.reset();
  CHECK(p.in(0x92, 1) == 0x02);
  p.out(0x92, 1, 0x01);
  CHECK(resets == 2);
  CHECK(!p.dump().empty());
}
