#include "devices/pit8254.h"

#include <algorithm>
#include <cstdio>

#include "devices/pic8259.h"

namespace rs {

namespace {

constexpr uint64_t kMaxBacklog = 64;  // ticks kept when ringshift itself was late (1/4 s at 250 Hz)
// A delivered interrupt costs ringshift several us of exits and helpers (more on a slow
// host): edges of a fast count (100 kHz) delivered back to back left the guest no time
// between its handler's IRET and the next one. Catching up 64 ticks takes 3.2 ms.
constexpr uint64_t kBacklogGap = 50000;

uint32_t from_bcd(uint32_t v) {
  return (v & 0xF) + ((v >> 4) & 0xF) * 10 + ((v >> 8) & 0xF) * 100 + ((v >> 12) & 0xF) * 1000;
}
uint32_t to_bcd(uint32_t v) {
  return (v % 10) | ((v / 10 % 10) << 4) | ((v / 100 % 10) << 8) | ((v / 1000 % 10) << 12);
}

}  // namespace

Pit8254::Pit8254(IrqLine irq0, Clock now) : irq0_(irq0), now_(now), epoch_(now()) { reset(); }

void Pit8254::reset() {
  for (auto& c : ch_) c = Channel{};
  ch_[2].gate = false;  // port 0x61 bit 0 is clear at reset
  backlog_ = 0;
}

uint64_t Pit8254::ticks() const {
  return uint64_t((unsigned __int128)(now_() - epoch_) * kHz / 1000000000u);
}

uint64_t Pit8254::elapsed(const Channel& c, uint64_t t) const {
  return c.running ? c.elapsed_base + (t - c.run_start) : c.elapsed_base;
}

uint16_t Pit8254::count_at(const Channel& c, uint64_t t) const {
  if (!c.armed) return uint16_t(c.reload);
  const uint64_t n = c.reload, e = elapsed(c, t);
  const uint64_t wrap = c.bcd ? 10000 : 0x10000;
  switch (c.mode) {
    case 2: {
      uint64_t p = n < 2 ? 2 : n;
      return uint16_t(p - e % p);
    }
    case 3: {
      uint64_t hi = (n + 1) / 2, phase = e % n;
      uint64_t v = phase < hi ? n - 2 * phase : n - 2 * (phase - hi);
      return uint16_t(v & ~uint64_t(1));
    }
    default:  // 0, 1, 4, 5: count down from N, wrapping past zero
      if ((c.mode == 1 || c.mode == 5) && !c.running && c.elapsed_base == 0) return uint16_t(n);
      return uint16_t((n + wrap - e % wrap) % wrap);
  }
}

bool Pit8254::out_at(const Channel& c, uint64_t t) const {
  if (!c.armed) return c.mode != 0;
  const uint64_t n = c.reload, e = elapsed(c, t);
  switch (c.mode) {
    case 0: return e >= n;
    case 1: return !c.running && c.elapsed_base == 0 ? true : e >= n;
    case 2: {
      if (!c.gate) return true;
      uint64_t p = n < 2 ? 2 : n;
      return e % p != p - 1;
    }
    case 3:
      if (!c.gate) return true;
      return e % n < (n + 1) / 2;
    case 5:
      if (!c.running && c.elapsed_base == 0) return true;
      return e != n;
    default:  // 4
      return e != n;
  }
}

uint64_t Pit8254::edges_at(const Channel& c, uint64_t t) const {
  if (!c.armed) return 0;
  const uint64_t n = c.reload, e = elapsed(c, t);
  switch (c.mode) {
    case 0: return e >= n ? 1 : 0;
    case 2: return c.edges_before + e / (n < 2 ? 2 : n);
    case 3: return c.edges_before + e / n;
    case 4: return e > n ? 1 : 0;
    default: return 0;  // modes 1 and 5 need a gate edge; channel 0's gate is tied high
  }
}

bool Pit8254::output(int channel) {
  uint64_t t = ticks();
  settle(ch_[channel], t);
  return out_at(ch_[channel], t);
}

// Applies a mode 2/3 count change whose period boundary has passed.
void Pit8254::settle(Channel& c, uint64_t t) {
  if (!c.reload_pending || t < c.switch_tick) return;
  c.edges_before += (c.elapsed_base + (c.switch_tick - c.run_start)) / (c.mode == 2 && c.reload < 2 ? 2 : c.reload);
  c.reload = c.next_reload;
  c.elapsed_base = 0;
  c.run_start = c.switch_tick;
  c.reload_pending = false;
  c.null_count = 0;
}

void Pit8254::load(Channel& c, uint32_t value) {
  uint32_t n = c.bcd ? from_bcd(value) : value;
  if (n == 0) n = c.bcd ? 10000 : 0x10000;
  uint64_t t = ticks();
  settle(c, t);
  if ((c.mode == 2 || c.mode == 3) && c.armed && c.running) {
    // Counting goes on with the old count until the end of the current period.
    uint64_t p = c.mode == 2 && c.reload < 2 ? 2 : c.reload, e = elapsed(c, t);
    c.next_reload = n;
    c.switch_tick = t + (p - e % p);
    c.reload_pending = true;
    c.null_count = 1;
    return;
  }
  c.reload = n;
  c.armed = true;
  c.null_count = 0;
  c.elapsed_base = 0;
  c.edges_before = 0;
  c.reload_pending = false;
  c.run_start = t;
  // Modes 1 and 5 wait for a rising gate edge; the others count while the gate is high.
  c.running = (c.mode == 1 || c.mode == 5) ? false : c.gate;
  if (&c == &ch_[0]) c.edges_seen = 0, backlog_ = 0;  // ticks of the old count are gone
}

void Pit8254::set_gate(int channel, bool level) {
  Channel& c = ch_[channel];
  if (c.gate == level) return;
  uint64_t t = ticks();
  c.gate = level;
  if (!c.armed) return;
  if (level) {
    // A rising edge resumes modes 0 and 4, reloads modes 2 and 3, (re)triggers 1 and 5.
    if (c.mode != 0 && c.mode != 4) c.elapsed_base = 0;
    c.run_start = t;
    c.running = true;
  } else if (c.mode != 1 && c.mode != 5) {
    // Low pauses counting (and holds OUT high in modes 2 and 3).
    c.elapsed_base = elapsed(c, t);
    c.running = false;
  }
}

void Pit8254::latch_count(Channel& c) {
  if (c.latched) return;  // a second latch before the read is ignored
  settle(c, ticks());
  uint16_t v = count_at(c, ticks());
  c.latch = uint16_t(c.bcd ? to_bcd(v == 0 && c.reload == 10000 ? 0 : v % 10000) : v);
  c.latched = true;
  c.latch_msb = false;
}

uint8_t Pit8254::read_counter(Channel& c) {
  if (c.status_latched) {
    c.status_latched = false;
    return c.status;
  }
  if (c.latched) {
    uint8_t r;
    if (c.access == 1) r = uint8_t(c.latch), c.latched = false;
    else if (c.access == 2) r = uint8_t(c.latch >> 8), c.latched = false;
    else if (!c.latch_msb) r = uint8_t(c.latch), c.latch_msb = true;
    else r = uint8_t(c.latch >> 8), c.latched = false, c.latch_msb = false;
    return r;
  }
  settle(c, ticks());
  uint16_t v = count_at(c, ticks());
  if (c.bcd) v = uint16_t(to_bcd(v % 10000));
  if (c.access == 1) return uint8_t(v);
  if (c.access == 2) return uint8_t(v >> 8);
  uint8_t r = c.read_msb ? uint8_t(v >> 8) : uint8_t(v);
  c.read_msb = !c.read_msb;
  return r;
}

uint32_t Pit8254::in(uint16_t port, int) {
  if (port == 0x43) return 0xFF;  // the control word register is write-only
  return read_counter(ch_[port - 0x40]);
}

void Pit8254::out(uint16_t port, int, uint32_t value) {
  uint8_t v = uint8_t(value);
  if (port != 0x43) {
    Channel& c = ch_[port - 0x40];
    switch (c.access) {
      case 1: load(c, v); break;
      case 2: load(c, uint32_t(v) << 8); break;
      default:
        if (!c.write_msb) {
          c.write_lsb = v;
          c.write_msb = true;
        } else {
          c.write_msb = false;
          load(c, c.write_lsb | (uint32_t(v) << 8));
        }
        break;
    }
    return;
  }
  int sc = v >> 6;
  if (sc == 3) {  // read-back
    for (int i = 0; i < 3; ++i) {
      if (!(v & (2 << i))) continue;
      Channel& c = ch_[i];
      if (!(v & 0x20)) latch_count(c);
      if (!(v & 0x10) && !c.status_latched) {
        settle(c, ticks());
        c.status = uint8_t((out_at(c, ticks()) ? 0x80 : 0) | (c.null_count ? 0x40 : 0) | (c.access << 4) |
                           (c.mode_bits << 1) | (c.bcd ? 1 : 0));
        c.status_latched = true;
      }
    }
    return;
  }
  Channel& c = ch_[sc];
  int access = (v >> 4) & 3;
  if (access == 0) {
    latch_count(c);
    return;
  }
  int mode = (v >> 1) & 7;
  c.mode_bits = uint8_t(mode);
  if (mode > 5) mode -= 4;  // 6 and 7 are aliases of 2 and 3
  c.mode = uint8_t(mode);
  c.reload_pending = false;
  c.edges_before = 0;
  c.access = uint8_t(access);
  c.bcd = v & 1;
  c.armed = c.running = false;
  c.null_count = 1;
  c.write_msb = c.read_msb = c.latched = c.status_latched = false;
  c.elapsed_base = 0;
  if (sc == 0) c.edges_seen = 0, backlog_ = 0;
}

void Pit8254::update() {
  Channel& c = ch_[0];
  uint64_t t = ticks();
  settle(c, t);
  uint64_t e = edges_at(c, t);
  if (e > c.edges_seen) {
    // While IRQ0 is still requested (not yet acknowledged, or masked), further edges are
    // lost, as on hardware. Otherwise they were missed only because ringshift looked late
    // (the host descheduled it): keep them and deliver them one by one.
    if (!irq0_.requested()) backlog_ = std::min(backlog_ + (e - c.edges_seen), kMaxBacklog);
    c.edges_seen = e;
  }
  if (backlog_ && !irq0_.requested()) {
    const uint64_t now = now_();
    if (now - last_pulse_ < kBacklogGap) return;  // next_deadline() says when
    irq0_.pulse();
    --backlog_;
    last_pulse_ = now;
  }
}

uint64_t Pit8254::next_deadline() const {
  // Ticks already due (the backlog) go out from update(), which the run loop calls at
  // every exit and port I/O calls after an EOI, once kBacklogGap has passed. While IRQ 0
  // is still requested (masked, or not yet acknowledged) the EOI's update() is the time.
  const Channel& c = ch_[0];
  const uint64_t backlog_at = backlog_ && !irq0_.requested() ? last_pulse_ + kBacklogGap : UINT64_MAX;
  if (!c.armed || !c.running) return backlog_at;
  return std::min(backlog_at, next_edge(c));
}

// Monotonic ns of channel 0's next edge still to come (UINT64_MAX: none).
uint64_t Pit8254::next_edge(const Channel& c) const {
  const uint64_t n = c.reload;
  if (c.edges_seen < c.edges_before) return 1;  // an edge of the previous count is still unseen: now
  uint64_t target;  // elapsed ticks at which the next edge comes
  switch (c.mode) {
    case 0: if (c.edges_seen) return UINT64_MAX; target = n; break;
    case 4: if (c.edges_seen) return UINT64_MAX; target = n + 1; break;
    case 2: target = (c.edges_seen - c.edges_before + 1) * (n < 2 ? 2 : n); break;
    case 3: target = (c.edges_seen - c.edges_before + 1) * n; break;
    default: return UINT64_MAX;
  }
  uint64_t tick = c.run_start + (target > c.elapsed_base ? target - c.elapsed_base : 0);
  return epoch_ + uint64_t(((unsigned __int128)tick * 1000000000u + kHz - 1) / kHz);
}

std::string Pit8254::dump() const {
  char buf[200];
  std::snprintf(buf, sizeof buf, "ch0 mode %d reload %u; ch2 mode %d reload %u gate %d; backlog %llu", ch_[0].mode,
                ch_[0].reload, ch_[2].mode, ch_[2].reload, ch_[2].gate, (unsigned long long)backlog_);
  return buf;
}

}  // namespace rs
