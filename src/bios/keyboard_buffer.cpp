// The BDA keyboard buffer (see keyboard_buffer.h).
#include "bios/keyboard_buffer.h"

#include "bios/call.h"

namespace rs::bios {
namespace {

constexpr uint32_t kHead = kBda + 0x1A, kTail = kBda + 0x1C, kStart = kBda + 0x80, kEnd = kBda + 0x82;

struct Ring {
  uint16_t start, end;
};

// The buffer's bounds, or the POST ones when a guest left nonsense there.
Ring ring(Call& c) {
  Ring r{c.rd16(kStart), c.rd16(kEnd)};
  if (r.start < 0x1E || r.end <= r.start + 2 || r.end > 0x200 || (r.end - r.start) % 2) r = {0x1E, 0x3E};
  return r;
}

uint16_t next(const Ring& r, uint16_t at) { return at + 2 >= r.end ? r.start : uint16_t(at + 2); }

}  // namespace

bool kbd_push(Call& c, uint16_t key) {
  const Ring r = ring(c);
  const uint16_t tail = c.rd16(kTail), after = next(r, tail);
  if (after == c.rd16(kHead)) return false;
  c.wr16(kBda + tail, key);
  c.wr16(kTail, after);
  return true;
}

bool kbd_peek(Call& c, uint16_t& key) {
  const uint16_t head = c.rd16(kHead);
  if (head == c.rd16(kTail)) return false;
  key = c.rd16(kBda + head);
  return true;
}

bool kbd_pop(Call& c, uint16_t& key) {
  if (!kbd_peek(c, key)) return false;
  c.wr16(kHead, next(ring(c), c.rd16(kHead)));
  return true;
}

}  // namespace rs::bios
