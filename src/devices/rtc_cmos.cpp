#include "devices/rtc_cmos.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "devices/clock.h"

namespace rs {

namespace {

constexpr uint64_t kNsPerSec = 1000000000u;
constexpr uint64_t kTimebaseHz = 32768;
constexpr uint64_t kUipNs = 244000;  // UIP rises 244 us before the update (data sheet)

// Register numbers.
constexpr uint8_t kSec = 0x00, kMin = 0x02, kHour = 0x04, kWeekday = 0x06, kDay = 0x07, kMonth = 0x08,
                  kYear = 0x09, kRegA = 0x0A, kRegB = 0x0B, kRegC = 0x0C, kRegD = 0x0D, kCentury = 0x32;
// Register B bits; PF, AF and UF sit in register C at the same positions as their enables.
constexpr uint8_t kSet = 0x80, kPie = 0x40, kAie = 0x20, kUie = 0x10, kSqwe = 0x08, kBinary = 0x04,
                  kHour24 = 0x02;
constexpr uint8_t kIrqf = 0x80, kFlags = 0x70;

bool is_time_reg(uint8_t idx) {
  return idx == kSec || idx == kMin || idx == kHour || (idx >= kWeekday && idx <= kYear) || idx == kCentury;
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

RtcCmos::RtcCmos(uint64_t ram_bytes, IrqLine irq8, Clock monotonic, Clock wall)
    : irq_(irq8),
      mono_(monotonic ? std::move(monotonic) : Clock(&monotonic_ns)),
      wall_(wall ? std::move(wall) : Clock(&realtime_ns)),
      epoch_(mono_()),
      last_second_(wall_() / kNsPerSec) {
  reg_[kRegA] = 0x26;  // 32.768 kHz time base, 1024 Hz periodic rate
  reg_[kRegB] = kHour24;  // BCD, 24-hour, no interrupts

  // What a PC BIOS leaves for the OS. Base memory is always 640 KiB.
  auto put16 = [this](int idx, uint64_t v) {
    reg_[idx] = uint8_t(v);
    reg_[idx + 1] = uint8_t(v >> 8);
  };
  constexpr uint64_t kMiB = 1 << 20;
  put16(0x15, 640);
  uint64_t ext_kib = ram_bytes > kMiB ? std::min<uint64_t>((ram_bytes - kMiB) / 1024, 0xFFFF) : 0;
  put16(0x17, ext_kib);
  put16(0x30, ext_kib);
  put16(0x34, ram_bytes > 16 * kMiB ? std::min<uint64_t>((ram_bytes - 16 * kMiB) / 65536, 0xFFFF) : 0);
  reg_[0x10] = 0x00;  // no floppy drives
  reg_[0x12] = 0x00;  // no hard disks of the old BIOS kind
  // Equipment: bit 1 math coprocessor, bits 5:4 = 10b 80x25 colour text (not EGA/VGA:
  // there is no video adapter with its own BIOS), bit 0 clear: no floppy drives.
  reg_[0x14] = 0x22;
  uint16_t sum = 0;
  for (int i = 0x10; i <= 0x2D; ++i) sum = uint16_t(sum + reg_[i]);
  reg_[0x2E] = uint8_t(sum >> 8);
  reg_[0x2F] = uint8_t(sum);
}

void RtcCmos::reset() {
  catch_up();
  reg_[kRegB] &= uint8_t(~(kPie | kAie | kUie | kSqwe));
  reg_[kRegC] = 0;
  drive_irq();
}

int64_t RtcCmos::guest_seconds(uint64_t wall_ns) const { return int64_t(wall_ns / kNsPerSec) + offset_; }

void RtcCmos::encode_time(int64_t t, uint8_t* out) const {
  using namespace std::chrono;
  const bool binary = reg_[kRegB] & kBinary;
  auto enc = [binary](int v) { return uint8_t(binary ? v : (v / 10) << 4 | v % 10); };
  const int64_t day = floor_div(t, 86400);
  const int64_t sod = t - day * 86400;
  const sys_days d{days{day}};
  const year_month_day ymd{d};
  const int y = int(ymd.year());
  const int hour = int(sod / 3600);
  out[kSec] = enc(int(sod % 60));
  out[kMin] = enc(int(sod / 60 % 60));
  if (reg_[kRegB] & kHour24)
    out[kHour] = enc(hour);
  else
    out[kHour] = uint8_t(enc(hour % 12 == 0 ? 12 : hour % 12) | (hour >= 12 ? 0x80 : 0));
  out[kWeekday] = enc(int(weekday{d}.c_encoding()) + 1);  // 1 = Sunday
  out[kDay] = enc(int(unsigned(ymd.day())));
  out[kMonth] = enc(int(unsigned(ymd.month())));
  out[kYear] = enc(y % 100);
  out[kCentury] = enc(y / 100);
}

void RtcCmos::freeze_time() { encode_time(guest_seconds(wall_()), reg_); }

void RtcCmos::thaw_time(uint64_t wall_ns) {
  using namespace std::chrono;
  const bool binary = reg_[kRegB] & kBinary;
  auto dec = [binary](uint8_t v) { return binary ? int(v) : (v >> 4) * 10 + (v & 0xF); };
  int hour;
  if (reg_[kRegB] & kHour24) {
    hour = dec(reg_[kHour]);
  } else {
    hour = dec(reg_[kHour] & 0x7F) % 12 + (reg_[kHour] & 0x80 ? 12 : 0);
  }
  const int yy = dec(reg_[kYear]), century = dec(reg_[kCentury]);
  // A century byte that makes no sense is ignored in favour of the usual 1970-2069 window.
  const int y = century >= 19 && century <= 99 ? century * 100 + yy : (yy < 70 ? 2000 + yy : 1900 + yy);
  const unsigned m = unsigned(std::clamp(dec(reg_[kMonth]), 1, 12));
  const int d = std::clamp(dec(reg_[kDay]), 1, 31);
  const sys_days first{year{y} / month{m} / 1};
  const int64_t day = first.time_since_epoch().count() + d - 1;
  const int64_t t = day * 86400 + hour * 3600 + dec(reg_[kMin]) * 60 + dec(reg_[kSec]);
  offset_ = t - int64_t(wall_ns / kNsPerSec);
}

bool RtcCmos::alarm_matches(int64_t t) const {
  uint8_t now[128];
  encode_time(t, now);
  static constexpr uint8_t kPairs[3][2] = {{0x01, kSec}, {0x03, kMin}, {0x05, kHour}};
  for (auto [alarm, reg] : kPairs) {
    const uint8_t a = reg_[alarm];
    if ((a & 0xC0) == 0xC0) continue;  // "don't care"
    if (a != now[reg]) return false;
  }
  return true;
}

int RtcCmos::periodic_shift() const {
  const int rs = reg_[kRegA] & 0xF;
  if (rs == 0) return -1;
  // With a 32.768 kHz time base, rates 1 and 2 repeat rates 8 and 9 (256 and 128 Hz).
  return (rs <= 2 ? rs + 7 : rs) - 1;
}

uint64_t RtcCmos::periodic_edges(uint64_t mono_ns) const {
  const int sh = periodic_shift();
  if (sh < 0 || mono_ns < epoch_) return 0;
  const uint64_t ticks = uint64_t((unsigned __int128)(mono_ns - epoch_) * kTimebaseHz / kNsPerSec);
  return ticks >> sh;
}

void RtcCmos::catch_up() {
  const uint64_t sec = wall_() / kNsPerSec;
  if (set_mode()) {
    last_second_ = sec;  // SET stops the update cycles
  } else if (sec > last_second_) {
    reg_[kRegC] |= kUie;
    // The alarm repeats at most daily, so a day of missed seconds is enough to look at.
    const uint64_t from = std::max(last_second_ + 1, sec >= 86399 ? sec - 86399 : 0);
    for (uint64_t s = from; s <= sec; ++s) {
      if (alarm_matches(int64_t(s) + offset_)) {
        reg_[kRegC] |= kAie;
        break;
      }
    }
    last_second_ = sec;
  }
  if (periodic_shift() >= 0) {
    const uint64_t e = periodic_edges(mono_());
    if (e > periodic_seen_) {
      reg_[kRegC] |= kPie;
      periodic_seen_ = e;
    }
  }
  drive_irq();
}

void RtcCmos::drive_irq() {
  // IRQF is the OR of each flag with its enable, not a latch: disabling drops it.
  const bool irqf = reg_[kRegC] & reg_[kRegB] & kFlags;
  reg_[kRegC] = uint8_t((reg_[kRegC] & kFlags) | (irqf ? kIrqf : 0));
  if (irqf != line_) {
    line_ = irqf;
    irq_.set(line_);
  }
}

// Only an enabled interrupt needs the clock looked at between register accesses (which
// catch up themselves): polling costs two clock reads.
void RtcCmos::update() {
  if (reg_[kRegB] & kFlags) catch_up();
}

uint64_t RtcCmos::next_deadline() const {
  if (line_) return UINT64_MAX;  // no new edge on IRQ 8 before register C is read
  uint64_t best = UINT64_MAX;
  const uint8_t b = reg_[kRegB];
  const int sh = periodic_shift();
  if ((b & kPie) && sh >= 0) {
    const uint64_t ticks = (periodic_seen_ + 1) << sh;
    best = epoch_ + uint64_t(((unsigned __int128)ticks * kNsPerSec + kTimebaseHz - 1) / kTimebaseHz);
  }
  if ((b & (kAie | kUie)) && !(b & kSet)) {
    const uint64_t wall = wall_(), mono = mono_();
    const uint64_t boundary = (last_second_ + 1) * kNsPerSec;
    best = std::min(best, boundary <= wall ? mono : mono + (boundary - wall));
  }
  return best;
}

uint8_t RtcCmos::read_reg(uint8_t idx) {
  if (is_time_reg(idx)) {
    if (set_mode()) return reg_[idx];
    uint8_t now[128];
    encode_time(guest_seconds(wall_()), now);
    return now[idx];
  }
  switch (idx) {
    case kRegA: {
      const bool uip = !set_mode() && wall_() % kNsPerSec >= kNsPerSec - kUipNs;
      return uint8_t((reg_[kRegA] & 0x7F) | (uip ? 0x80 : 0));
    }
    case kRegC: {
      catch_up();
      const uint8_t v = reg_[kRegC];
      reg_[kRegC] = 0;
      drive_irq();
      return v;
    }
    case kRegD:
      return 0x80;  // VRT: the battery is good
    default:
      return reg_[idx];
  }
}

void RtcCmos::write_reg(uint8_t idx, uint8_t v) {
  if (is_time_reg(idx)) {
    if (set_mode()) {
      reg_[idx] = v;
    } else {
      // The clock keeps running from the written value.
      const uint64_t wall = wall_();
      encode_time(guest_seconds(wall), reg_);
      reg_[idx] = v;
      thaw_time(wall);
    }
    return;
  }
  switch (idx) {
    case kRegA:
      catch_up();  // flags of the old rate first
      reg_[kRegA] = v & 0x7F;  // UIP is read-only
      periodic_seen_ = periodic_edges(mono_());
      return;
    case kRegB: {
      catch_up();
      const uint8_t old = reg_[kRegB];
      if (v & kSet) v &= uint8_t(~kUie);  // setting SET clears UIE (data sheet)
      if ((v & kSet) && !(old & kSet)) freeze_time();  // in the format it was kept in
      reg_[kRegB] = v;
      if (!(v & kSet) && (old & kSet)) {
        const uint64_t wall = wall_();
        thaw_time(wall);  // in the format now selected, as the chip reads its raw bytes
        last_second_ = wall / kNsPerSec;
      }
      drive_irq();
      return;
    }
    case kRegC:
    case kRegD:
      return;  // read-only
    default:
      reg_[idx] = v;
  }
}

uint32_t RtcCmos::in(uint16_t port, int) {
  if ((port & 1) == 0) return 0xFF;  // the index register is write-only
  return read_reg(index_);
}

void RtcCmos::out(uint16_t port, int, uint32_t value) {
  if ((port & 1) == 0) {
    index_ = uint8_t(value & 0x7F);  // bit 7 masks NMI on a PC; there is no NMI here
    return;
  }
  write_reg(index_, uint8_t(value));
}

std::string RtcCmos::dump() const {
  using namespace std::chrono;
  const int64_t t = guest_seconds(wall_());
  const int64_t day = floor_div(t, 86400), sod = t - day * 86400;
  const year_month_day ymd{sys_days{days{day}}};
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "%04d-%02u-%02u %02d:%02d:%02d UTC%s (offset %+lld s) A=%02x B=%02x C=%02x index %02x irq8 %d",
                int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()), int(sod / 3600), int(sod / 60 % 60),
                int(sod % 60), set_mode() ? " SET (updates stopped)" : "", (long long)offset_, reg_[kRegA], reg_[kRegB],
                reg_[kRegC], index_, line_);
  return buf;
}

}  // namespace rs
