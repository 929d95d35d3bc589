// The uniform device interface: port handlers, reset, state dump.
#pragma once
#include <cstdint>
#include <string>

namespace rs {

class PortDevice {
 public:
  virtual ~PortDevice() = default;
  virtual const char* name() const = 0;
  // size is 1, 2 or 4 bytes.
  virtual uint32_t in(uint16_t port, int size) = 0;
  virtual void out(uint16_t port, int size, uint32_t value) = 0;
  virtual void reset() {}
  virtual std::string dump() const { return {}; }
};

// What a device may ask of the machine it is plugged into.
class MachineControl {
 public:
  virtual ~MachineControl() = default;
  virtual void request_stop(int exit_status, const std::string& why) = 0;
};

}  // namespace rs
