#include "devices/virtqueue.h"

#include <cstring>

#include "devices/dma.h"

namespace rs {

namespace {

// The rings' layouts (virtio 1.1, 2.6.6 and 2.6.8): flags and idx, then the ring, then
// the other side's event index.
constexpr uint64_t kRingStart = 4;
constexpr uint16_t kAvailNoInterrupt = 1;

uint64_t avail_size(uint16_t n) { return kRingStart + 2ull * n + 2; }
uint64_t used_size(uint16_t n) { return kRingStart + 8ull * n + 2; }

}  // namespace

bool Virtqueue::enable(bool indirect, bool event_idx) {
  const uint16_t n = size;
  if (n == 0 || n > kMaxSize || (n & (n - 1))) return false;
  // Alignments of 2.6: 16 for the table, 2 for the available ring, 4 for the used ring.
  if ((desc & 15) || (driver & 1) || (device & 3)) return false;
  if (!dma_.ram(desc, 16ull * n) || !dma_.ram(driver, avail_size(n)) || !dma_.ram(device, used_size(n))) return false;
  indirect_ = indirect;
  event_idx_ = event_idx;
  enabled_ = true;
  return true;
}

void Virtqueue::reset() {
  size = kMaxSize;
  desc = driver = device = 0;
  enabled_ = indirect_ = event_idx_ = false;
  last_avail_ = used_idx_ = signalled_ = 0;
  error_.clear();
}

bool Virtqueue::fail(const std::string& why) {
  if (error_.empty()) error_ = why;
  return false;
}

Virtqueue::Pop Virtqueue::broken_by(const std::string& why) {
  fail(why);
  return Pop::Broken;
}

bool Virtqueue::read16(uint64_t addr, uint16_t& v) { return dma_.read(addr, &v, 2); }

bool Virtqueue::write16(uint64_t addr, uint16_t v) { return dma_.write(addr, &v, 2); }

bool Virtqueue::read_desc(uint64_t table, uint32_t i, Desc& d) {
  uint8_t raw[16];
  if (!dma_.read(table + 16ull * i, raw, sizeof raw)) return fail("descriptor outside RAM");
  std::memcpy(&d.addr, raw, 8);
  std::memcpy(&d.len, raw + 8, 4);
  std::memcpy(&d.flags, raw + 12, 2);
  std::memcpy(&d.next, raw + 14, 2);
  return true;
}

Virtqueue::Pop Virtqueue::pop(VirtqChain& out) {
  if (!enabled_ || broken()) return broken() ? Pop::Broken : Pop::Empty;
  uint16_t avail_idx = 0;
  if (!read16(driver + 2, avail_idx)) return broken_by("available ring outside RAM");
  if (avail_idx == last_avail_) return Pop::Empty;
  // More entries than the ring holds: the index is garbage.
  if (uint16_t(avail_idx - last_avail_) > size) return broken_by("available index ran ahead of the ring");
  uint16_t head = 0;
  if (!read16(driver + kRingStart + 2ull * (last_avail_ % size), head)) return broken_by("available ring outside RAM");
  ++last_avail_;
  out.head = head;
  out.bufs.clear();
  return walk(head, out) ? Pop::Chain : Pop::Broken;
}

// Follows a chain through the ring's table and at most one indirect table. Each table
// is walked at most as many steps as it has entries: a loop runs out of steps.
bool Virtqueue::walk(uint16_t head, VirtqChain& out) {
  if (head >= size) return fail("chain head past the descriptor table");
  uint64_t table = desc;
  uint32_t entries = size, steps = 0, i = head;
  bool in_indirect = false, writable_seen = false;
  for (;;) {
    Desc d;
    if (!read_desc(table, i, d)) return false;
    if (++steps > entries) return fail("descriptor chain loops or is longer than its table");
    if (d.flags & kIndirect) {
      if (!indirect_) return fail("indirect descriptor without the feature");
      if (in_indirect) return fail("indirect table inside an indirect table");
      if (d.len == 0 || d.len % 16 || d.len / 16 > kMaxIndirect) return fail("indirect table of a bad length");
      // The table ends the chain (a driver must not set NEXT beside INDIRECT).
      table = d.addr, entries = d.len / 16, steps = 0, i = 0, in_indirect = true;
      continue;
    }
    const bool w = d.flags & kWrite;
    if (writable_seen && !w) return fail("device-readable buffer after a writable one");
    writable_seen |= w;
    out.bufs.push_back(VirtqBuffer{d.addr, d.len, w});
    if (!(d.flags & kNext)) return true;
    if (d.next >= entries) return fail("next descriptor past the table");
    i = d.next;
  }
}

void Virtqueue::push(uint16_t head, uint32_t len) {
  if (!enabled_) return;
  uint8_t elem[8];
  const uint32_t id = head;
  std::memcpy(elem, &id, 4);
  std::memcpy(elem + 4, &len, 4);
  // The element before the index: the driver reads the ring only up to idx.
  if (!dma_.write(device + kRingStart + 8ull * (used_idx_ % size), elem, sizeof elem) ||
      !write16(device + 2, uint16_t(used_idx_ + 1))) {
    fail("used ring outside RAM");
    return;
  }
  ++used_idx_;
}

void Virtqueue::publish_avail_event() {
  if (enabled_ && event_idx_) write16(device + kRingStart + 8ull * size, last_avail_);
}

bool Virtqueue::needs_interrupt() {
  if (!enabled_ || used_idx_ == signalled_) return false;
  const uint16_t old = signalled_;
  signalled_ = used_idx_;
  if (event_idx_) {
    // 2.6.7.2: interrupt when used idx has moved past used_event since the last time.
    uint16_t event = 0;
    if (!read16(driver + kRingStart + 2ull * size, event)) return true;
    return uint16_t(used_idx_ - event - 1) < uint16_t(used_idx_ - old);
  }
  uint16_t flags = 0;
  return !read16(driver, flags) || !(flags & kAvailNoInterrupt);
}

}  // namespace rs
