// The uniform device interface: port handlers, reset, state dump.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

namespace rs {

// How a device drives an interrupt line (irq 0..15, the level it now presents) and asks
// for a system reset. Callbacks rather than a Pic8259& so that tests can observe them.
using IrqCallback = std::function<void(int irq, bool level)>;
using ResetCallback = std::function<void()>;

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

// A device in the physical address space (memory-mapped I/O). offset is from the
// start of its region; size is 1, 2, 4 or 8 bytes, little-endian.
class MmioDevice {
 public:
  virtual ~MmioDevice() = default;
  virtual const char* name() const = 0;
  virtual uint64_t read(uint32_t offset, int size) = 0;
  virtual void write(uint32_t offset, int size, uint64_t value) = 0;
  virtual void reset() {}
};

// What a device may ask of the machine it is plugged into.
class MachineControl {
 public:
  virtual ~MachineControl() = default;
  virtual void request_stop(int exit_status, const std::string& why) = 0;
};

}  // namespace rs
