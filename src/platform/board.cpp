#include "platform/board.h"

#include <algorithm>

namespace rs {

void Board::attach(std::unique_ptr<Device> dev) {
  // Owned first: a port conflict (a wiring mistake, thrown by the bus) must not leave
  // the bus pointing at a freed device.
  Device* d = devices_.emplace_back(std::move(dev)).get();
  for (const PortRange& r : d->ports()) io_.attach(r.first, r.count, d);
  for (const MmioRange& r : d->regions()) mmio_.attach(r.base, r.size, d);
  if (d->timed()) timed_.push_back(d);
}

void Board::reset() {
  for (auto& d : devices_) d->reset();
}

void Board::update_timers() {
  for (Device* d : timed_) d->update();
}

uint64_t Board::next_deadline() const {
  uint64_t t = UINT64_MAX;
  for (const Device* d : timed_) t = std::min(t, d->next_deadline());
  return t;
}

bool Board::overdue() const {
  return std::any_of(timed_.begin(), timed_.end(), [](const Device* d) { return d->overdue(); });
}

}  // namespace rs
