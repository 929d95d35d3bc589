// A board: the devices plugged into the machine and the buses that reach them. Each
// device is attached where it says it sits (Device::ports/regions); reset and the
// timers loop over the list. What a PC has is the table in platform/pc.cpp.
#pragma once
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "devices/device.h"
#include "devices/io_bus.h"
#include "devices/mmio_bus.h"

namespace rs {

class Board {
 public:
  // Builds a device and attaches it to the buses; the board owns it.
  template <class T, class... Args>
  T& add(Args&&... args) {
    auto dev = std::make_unique<T>(std::forward<Args>(args)...);
    T& ref = *dev;
    attach(std::move(dev));
    return ref;
  }

  IoBus& io() { return io_; }
  MmioBus& mmio() { return mmio_; }

  // The machine's reset: every device, in the order they were added.
  void reset();
  // Raises what the timed devices have due.
  void update_timers();
  // Monotonic ns of the earliest event a timed device will raise, or UINT64_MAX.
  uint64_t next_deadline() const;
  // A timed device has events due that update_timers() still has to deliver.
  bool overdue() const;

 private:
  void attach(std::unique_ptr<Device> dev);

  IoBus io_;
  MmioBus mmio_;
  std::vector<std::unique_ptr<Device>> devices_;
  std::vector<Device*> timed_;
};

}  // namespace rs
