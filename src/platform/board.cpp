#include "platform/board.h"

#include <algorithm>

namespace rs {

void Board::attach(std::unique_ptr<Device> dev) {
  for (const PortRange& r : dev->ports()) io_.attach(r.first, r.count, dev.get());
  for (const MmioRange& r : dev->regions()) mmio_.attach(r.base, r.size, dev.get());
  if (dev->timed()) timed_.push_back(dev.get());
  devices_.push_back(std::move(dev));
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
