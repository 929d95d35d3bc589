// int 1Ah, time of day: the tick count (00h read with the midnight flag, 01h set) and
// the MC146818 real-time clock's time and date in BCD (02h-05h) through ports 70h/71h
// (IBM PC/AT Technical Reference, TIME_OF_DAY); the PCI BIOS (B1xxh) is not present.
#include <initializer_list>
#include <utility>

#include "bios/call.h"

namespace rs::bios {
namespace {

constexpr uint32_t kTicks = kBda + 0x6C, kMidnight = kBda + 0x70;
// MC146818 registers: seconds, minutes, hours, day, month, year, A, B, century.
constexpr uint8_t kSec = 0x00, kMin = 0x02, kHour = 0x04, kDay = 0x07, kMonth = 0x08, kYear = 0x09,
                  kRegA = 0x0A, kRegB = 0x0B, kCentury = 0x32;
constexpr uint8_t kUip = 0x80, kSet = 0x80, kBinary = 0x04, kHour24 = 0x02, kDst = 0x01;

// Reads the clock only outside an update: UIP (register A bit 7) rises 244 us before
// the registers change, so a read right after it is seen clear is consistent.
void wait_update(Call& c) {
  for (int i = 0; i < 1000000 && (c.cmos(kRegA) & kUip); i++) {
  }
}

// A time or date register as BCD whatever the clock's format (register B: DM, 24/12).
uint8_t read_bcd(Call& c, uint8_t reg, uint8_t b) {
  uint8_t v = c.cmos(reg);
  if (reg == kHour && !(b & kHour24)) {
    const bool pm = v & 0x80;
    const unsigned h = (b & kBinary) ? v & 0x7F : from_bcd(v & 0x7F);
    return to_bcd(h % 12 + (pm ? 12 : 0));
  }
  return (b & kBinary) ? to_bcd(v) : v;
}

void read_time(Call& c) {
  wait_update(c);
  const uint8_t b = c.cmos(kRegB);
  c.set_r16(ECX, uint16_t(read_bcd(c, kHour, b) << 8 | read_bcd(c, kMin, b)));
  c.set_r16(EDX, uint16_t(read_bcd(c, kSec, b) << 8 | (b & kDst)));
  c.set_cf(false);
}

void read_date(Call& c) {
  wait_update(c);
  const uint8_t b = c.cmos(kRegB);
  c.set_r16(ECX, uint16_t(read_bcd(c, kCentury, b) << 8 | read_bcd(c, kYear, b)));
  c.set_r16(EDX, uint16_t(read_bcd(c, kMonth, b) << 8 | read_bcd(c, kDay, b)));
  c.set_cf(false);
}

// Sets clock registers from BCD values: the clock is stopped (SET) and left in the
// BIOS's format, BCD and 24-hour; `dst` is the daylight-saving bit to keep or set.
void write_clock(Call& c, std::initializer_list<std::pair<uint8_t, uint8_t>> values, int dst) {
  const uint8_t b = c.cmos(kRegB);
  uint8_t run = uint8_t((b & ~(kBinary | kSet)) | kHour24);
  if (dst >= 0) run = uint8_t((run & ~kDst) | dst);
  c.set_cmos(kRegB, run | kSet);
  for (const auto& [reg, v] : values) c.set_cmos(reg, v);
  c.set_cmos(kRegB, run);
  c.set_cf(false);
}

void read_ticks(Call& c) {
  const uint32_t t = c.rd32(kTicks);
  c.set_r16(ECX, uint16_t(t >> 16));
  c.set_r16(EDX, uint16_t(t));
  c.set_al(c.rd8(kMidnight));
  c.wr8(kMidnight, 0);
}

void set_ticks(Call& c) {
  c.wr32(kTicks, uint32_t(c.cx()) << 16 | c.dx());
  c.wr8(kMidnight, 0);
}

}  // namespace

uint32_t rtc_seconds_of_day(Call& c) {
  wait_update(c);
  const uint8_t b = c.cmos(kRegB);
  return from_bcd(read_bcd(c, kHour, b)) * 3600 + from_bcd(read_bcd(c, kMin, b)) * 60 + from_bcd(read_bcd(c, kSec, b));
}

void int1a_time(Call& c) {
  switch (c.ah()) {
    case 0x00: return read_ticks(c);
    case 0x01: return set_ticks(c);
    case 0x02: return read_time(c);
    case 0x03: return write_clock(c, {{kHour, c.ch()}, {kMin, c.cl()}, {kSec, c.dh()}}, c.dl() & 1);
    case 0x04: return read_date(c);
    case 0x05: return write_clock(c, {{kCentury, c.ch()}, {kYear, c.cl()}, {kMonth, c.dh()}, {kDay, c.dl()}}, -1);
    case 0xB1:
      c.set_ah(0x81);  // PCI BIOS 2.1: FUNC_NOT_SUPPORTED, no PCI BIOS here
      return c.set_cf(true);
    default: return c.set_cf(true);
  }
}

}  // namespace rs::bios
