// Unit tests of the MC146818 RTC and CMOS.
//
// Expected values come from the MC146818A data sheet (register layout, BCD/binary and
// 12-hour formats, UIP 244 us before the update, periodic rates from a 32.768 kHz time
// base, flags in register C cleared by reading it) and from the IBM PC/AT CMOS map
// (memory sizes, equipment byte, checksum of 0x10-0x2D at 0x2E/0x2F). Both clocks are
// fakes the tests advance by hand.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "devices/rtc_cmos.h"
#include "device_rig.h"

namespace {

constexpr uint64_t kSec = 1000000000ull;
// 2024-02-29 13:45:56 UTC, a Thursday.
constexpr uint64_t kLeapDay = 1709214356ull;
constexpr uint64_t kMonoStart = 5'000'000'000'777ull;  // arbitrary, not 0

struct Rig {
  uint64_t mono = kMonoStart;
  uint64_t wall = kLeapDay * kSec + 100'000'000;  // 0.1 s into the second
  test::IrqRecorder pic;
  std::vector<std::pair<int, bool>>& irqs = pic.edges;
  bool& line = pic.level[rs::RtcCmos::kIrq];
  rs::RtcCmos rtc;
  explicit Rig(uint64_t ram = 128ull << 20)
      : rtc(ram, pic.line(rs::RtcCmos::kIrq), [this] { return mono; }, [this] { return wall; }) {}
  uint8_t rd(uint8_t idx) {
    rtc.out(0x70, 1, idx);
    return uint8_t(rtc.in(0x71, 1));
  }
  void wr(uint8_t idx, uint8_t v) {
    rtc.out(0x70, 1, idx);
    rtc.out(0x71, 1, v);
  }
  void advance(uint64_t ns) {
    mono += ns;
    wall += ns;
  }
  int raised() const {
    int n = 0;
    for (auto& e : irqs) n += e.second;
    return n;
  }
};

}  // namespace

TEST_CASE("RTC: reads the host time in BCD, 24-hour by default", "[rtc]") {
  Rig r;
  CHECK(r.rd(0x0A) == 0x26);
  CHECK(r.rd(0x0B) == 0x02);
  CHECK(r.rd(0x00) == 0x56);
  CHECK(r.rd(0x02) == 0x45);
  CHECK(r.rd(0x04) == 0x13);
  CHECK(r.rd(0x06) == 0x05);  // Thursday, Sunday = 1
  CHECK(r.rd(0x07) == 0x29);
  CHECK(r.rd(0x08) == 0x02);
  CHECK(r.rd(0x09) == 0x24);
  CHECK(r.rd(0x32) == 0x20);
  CHECK(r.rd(0x0D) == 0x80);  // VRT

  // Read at access time: 4 s later the seconds moved on.
  r.advance(4 * kSec);
  CHECK(r.rd(0x00) == 0x00);  // 56 + 4 wraps into minute 46
  CHECK(r.rd(0x02) == 0x46);
}

TEST_CASE("RTC: binary mode and 12-hour mode", "[rtc]") {
  Rig r;
  r.wr(0x0B, 0x06);  // binary, 24-hour
  CHECK(r.rd(0x00) == 56);
  CHECK(r.rd(0x04) == 13);
  CHECK(r.rd(0x07) == 29);
  CHECK(r.rd(0x09) == 24);
  CHECK(r.rd(0x32) == 20);

  r.wr(0x0B, 0x00);  // BCD, 12-hour: 1 PM
  CHECK(r.rd(0x04) == 0x81);
  r.wr(0x0B, 0x04);  // binary, 12-hour
  CHECK(r.rd(0x04) == (0x80 | 1));

  r.wall = 1709166600ull * kSec;  // 00:30 is 12 AM
  r.wr(0x0B, 0x00);
  CHECK(r.rd(0x04) == 0x12);
  r.wall += 12 * 3600 * kSec;  // 12:30 is 12 PM
  CHECK(r.rd(0x04) == 0x92);
}

TEST_CASE("RTC: SET freezes the guest's time, clearing it runs from there", "[rtc]") {
  Rig r;
  r.wr(0x0B, 0x02 | 0x10);  // UIE on
  r.wr(0x0B, 0x82 | 0x10);  // SET: clears UIE
  CHECK(r.rd(0x0B) == 0x82);
  r.wr(0x09, 0x99);
  r.wr(0x08, 0x12);
  r.wr(0x07, 0x31);
  r.wr(0x04, 0x23);
  r.wr(0x02, 0x59);
  r.wr(0x00, 0x58);
  r.advance(5 * kSec);
  CHECK(r.rd(0x00) == 0x58);  // no updates while SET
  CHECK(r.rd(0x09) == 0x99);
  CHECK((r.rd(0x0A) & 0x80) == 0);  // no UIP either

  r.wr(0x0B, 0x02);
  CHECK(r.rd(0x00) == 0x58);
  CHECK(r.rd(0x32) == 0x20);
  r.advance(3 * kSec);  // 2099-12-31 23:59:58 + 3 s
  CHECK(r.rd(0x00) == 0x01);
  CHECK(r.rd(0x02) == 0x00);
  CHECK(r.rd(0x04) == 0x00);
  CHECK(r.rd(0x07) == 0x01);
  CHECK(r.rd(0x08) == 0x01);
  CHECK(r.rd(0x09) == 0x00);
  CHECK(r.rd(0x32) == 0x21);
  CHECK(r.rd(0x06) == 0x06);  // 2100-01-01 is a Friday

  // A write while the clock runs takes effect at once and keeps running.
  r.wr(0x02, 0x30);
  CHECK(r.rd(0x02) == 0x30);
  CHECK(r.rd(0x00) == 0x01);
  r.advance(60 * kSec);
  CHECK(r.rd(0x02) == 0x31);
  CHECK(r.rd(0x09) == 0x00);
}

TEST_CASE("RTC: time written in binary 12-hour format is understood", "[rtc]") {
  Rig r;
  r.wr(0x0B, 0x04);  // binary, 12-hour
  r.wr(0x0B, 0x84);  // SET
  r.wr(0x04, 0x80 | 12);  // 12 PM = noon
  r.wr(0x02, 7);
  r.wr(0x0B, 0x04);  // run
  CHECK(r.rd(0x04) == (0x80 | 12));
  r.wr(0x0B, 0x06);  // binary, 24-hour: the same time in the other format
  CHECK(r.rd(0x04) == 12);
  CHECK(r.rd(0x02) == 7);
}

TEST_CASE("RTC: UIP is set for the last 244 us of each second", "[rtc]") {
  Rig r;
  const uint64_t base = kLeapDay * kSec;
  r.wall = base + 999'700'000;
  CHECK((r.rd(0x0A) & 0x80) == 0);
  r.wall = base + 999'755'999;
  CHECK((r.rd(0x0A) & 0x80) == 0);
  r.wall = base + 999'756'000;
  CHECK((r.rd(0x0A) & 0x80) == 0x80);
  CHECK(r.rd(0x00) == 0x56);  // the update has not happened yet
  r.wall = base + 999'999'999;
  CHECK((r.rd(0x0A) & 0x80) == 0x80);
  r.wall = base + kSec;  // UIP falls as the new second appears
  CHECK((r.rd(0x0A) & 0x80) == 0);
  CHECK(r.rd(0x00) == 0x57);
  // The divider bits are writable; UIP is not.
  r.wr(0x0A, 0xA6);
  CHECK((r.rd(0x0A) & 0x7F) == 0x26);
  r.wall = base + 999'900'000;
  r.wr(0x0A, 0x20);
  CHECK(r.rd(0x0A) == 0xA0);
}

TEST_CASE("RTC: periodic interrupt at the programmed rate", "[rtc]") {
  Rig r;
  CHECK(r.rtc.next_deadline() == UINT64_MAX);  // nothing enabled
  r.wr(0x0B, 0x42);  // PIE, rate 6 from register A = 1024 Hz
  // 976562.5 ns after the time base started.
  CHECK(r.rtc.next_deadline() == kMonoStart + 976563);
  r.mono = kMonoStart + 976562;
  r.rtc.update();
  CHECK(r.irqs.empty());
  r.mono = kMonoStart + 976563;
  r.rtc.update();
  REQUIRE(r.irqs.size() == 1);
  CHECK(r.irqs[0] == std::make_pair(8, true));
  CHECK(r.rtc.next_deadline() == UINT64_MAX);  // IRQ 8 stays high until C is read
  CHECK(r.rd(0x0C) == 0xC0);
  CHECK(!r.line);
  CHECK(r.rd(0x0C) == 0x00);

  // One second of interrupts, the guest acknowledging each one.
  int count = 1;
  for (;;) {
    const uint64_t d = r.rtc.next_deadline();
    if (d > kMonoStart + kSec) break;
    r.mono = d;
    r.rtc.update();
    REQUIRE(r.line);
    REQUIRE(r.rd(0x0C) == 0xC0);
    ++count;
  }
  CHECK(count == 1024);

  // Rate 15: 2 Hz.
  r.wr(0x0A, 0x2F);
  const uint64_t d = r.rtc.next_deadline();
  CHECK(d - kMonoStart == 1500000000ull);  // edges at multiples of 500 ms from the origin
  // Rates 1 and 2 are 256 and 128 Hz with this time base.
  r.wr(0x0A, 0x21);
  CHECK(r.rtc.next_deadline() - kMonoStart == 1000000000ull + 3906250);
  r.wr(0x0A, 0x22);
  CHECK(r.rtc.next_deadline() - kMonoStart == 1000000000ull + 7812500);
  // Rate 0 stops it.
  r.wr(0x0A, 0x20);
  CHECK(r.rtc.next_deadline() == UINT64_MAX);
  r.advance(kSec);
  CHECK(r.rd(0x0C) == 0x10);  // only the update flag: no PF without a rate
}

TEST_CASE("RTC: PF is set without PIE but raises no interrupt", "[rtc]") {
  Rig r;
  r.advance(2 * 976563);
  r.rtc.update();
  CHECK(r.irqs.empty());
  CHECK(r.rd(0x0C) == 0x40);
  // Enabling PIE with PF already set interrupts at once (IRQF = PF & PIE).
  r.advance(976563);
  r.rtc.update();
  r.wr(0x0B, 0x42);
  CHECK(r.line);
  r.wr(0x0B, 0x02);  // and disabling it drops the line again
  CHECK(!r.line);
}

TEST_CASE("RTC: update-ended interrupt once a second", "[rtc]") {
  Rig r;
  r.wr(0x0A, 0x20);  // no periodic rate, so that PF stays out of register C
  r.wr(0x0B, 0x12);  // UIE
  // The next second boundary is 0.9 s away on the wall clock.
  CHECK(r.rtc.next_deadline() == r.mono + 900'000'000);
  r.advance(899'999'999);
  r.rtc.update();
  CHECK(r.irqs.empty());
  r.advance(1);
  r.rtc.update();
  CHECK(r.line);
  CHECK(r.rd(0x0C) == 0x90);
  CHECK(!r.line);
  CHECK(r.rtc.next_deadline() == r.mono + kSec);
  r.advance(kSec);
  r.rtc.update();
  CHECK(r.raised() == 2);
}

TEST_CASE("RTC: alarm interrupt when the time matches", "[rtc]") {
  Rig r;
  r.wr(0x0A, 0x20);  // no periodic rate, so that PF stays out of register C
  r.wr(0x01, 0x58);  // 13:45:58
  r.wr(0x03, 0x45);
  r.wr(0x05, 0x13);
  r.wr(0x0B, 0x22);  // AIE
  r.advance(kSec);   // 13:45:57
  r.rtc.update();
  CHECK(!r.line);
  CHECK(r.rd(0x0C) == 0x10);
  r.advance(kSec);  // 13:45:58
  r.rtc.update();
  CHECK(r.line);
  CHECK(r.rd(0x0C) == 0xB0);
  r.advance(kSec);
  r.rtc.update();
  CHECK(!r.line);

  // "Don't care" (0xC0-0xFF) in all three: every second.
  r.wr(0x01, 0xC0);
  r.wr(0x03, 0xFF);
  r.wr(0x05, 0xC0);
  r.rd(0x0C);
  r.advance(kSec);
  r.rtc.update();
  CHECK(r.line);

  // A missed alarm second is still seen when the host was late.
  Rig late;
  late.wr(0x0A, 0x20);
  late.wr(0x01, 0x00);  // 13:46:00, 4 s away
  late.wr(0x03, 0x46);
  late.wr(0x05, 0x13);
  late.rd(0x0C);
  late.advance(10 * kSec);
  CHECK(late.rd(0x0C) == 0x30);
}

TEST_CASE("RTC: index bit 7 (NMI mask) is ignored; C and D are read-only", "[rtc]") {
  Rig r;
  r.rtc.out(0x70, 1, 0x80 | 0x0A);
  CHECK(r.rtc.in(0x71, 1) == 0x26);
  r.wr(0x0D, 0x00);
  CHECK(r.rd(0x0D) == 0x80);
  r.wr(0x0C, 0xF0);
  CHECK(r.rd(0x0C) == 0x00);
  r.wr(0x7F, 0xA5);
  CHECK(r.rd(0x7F) == 0xA5);
}

TEST_CASE("RTC: reset clears the interrupt enables and flags, not the CMOS or the time", "[rtc]") {
  Rig r;
  r.wr(0x40, 0x5A);
  r.wr(0x0B, 0x72 | 0x08);
  r.wr(0x0B, 0x80 | 0x02);
  r.wr(0x09, 0x30);
  r.wr(0x0B, 0x72);
  r.advance(kSec);
  r.rtc.update();
  CHECK(r.line);
  r.rtc.reset();
  CHECK(!r.line);
  CHECK(r.rd(0x0B) == 0x02);
  CHECK(r.rd(0x0C) == 0x00);
  CHECK(r.rd(0x40) == 0x5A);
  CHECK(r.rd(0x09) == 0x30);
  CHECK(r.rtc.next_deadline() == UINT64_MAX);
  CHECK(!r.rtc.dump().empty());
}

namespace {

uint16_t rd16(Rig& r, uint8_t idx) { return uint16_t(r.rd(idx) | r.rd(uint8_t(idx + 1)) << 8); }

void check_checksum(Rig& r) {
  uint16_t sum = 0;
  for (int i = 0x10; i <= 0x2D; ++i) sum = uint16_t(sum + r.rd(uint8_t(i)));
  CHECK(r.rd(0x2E) == (sum >> 8));
  CHECK(r.rd(0x2F) == (sum & 0xFF));
  CHECK(sum != 0);
}

}  // namespace

TEST_CASE("CMOS: memory size fields and checksum", "[rtc]") {
  SECTION("128 MiB") {
    Rig r(128ull << 20);
    CHECK(rd16(r, 0x15) == 640);
    CHECK(rd16(r, 0x17) == 0xFFFF);  // 127 MiB in KiB does not fit
    CHECK(rd16(r, 0x30) == 0xFFFF);
    CHECK(rd16(r, 0x34) == (128 - 16) * 16);  // 64 KiB units above 16 MiB
    check_checksum(r);
  }
  SECTION("3 GiB") {
    Rig r(3ull << 30);
    CHECK(rd16(r, 0x17) == 0xFFFF);
    CHECK(rd16(r, 0x34) == 0xBF00);
    check_checksum(r);
  }
  SECTION("8 MiB") {
    Rig r(8ull << 20);
    CHECK(rd16(r, 0x17) == 7 * 1024);
    CHECK(rd16(r, 0x30) == 7 * 1024);
    CHECK(rd16(r, 0x34) == 0);
    check_checksum(r);
  }
  SECTION("equipment and drives") {
    Rig r;
    CHECK(r.rd(0x10) == 0x00);  // no floppies
    CHECK(r.rd(0x14) == 0x22);  // FPU, 80x25 colour, no floppy
  }
}
