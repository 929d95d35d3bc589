// The one device contract. A device says where it sits (I/O port ranges, physical
// memory regions), answers accesses there, drives its interrupt lines through IrqLine,
// asks the board for a stop or a reset through BoardControl, and, if host time makes
// it raise interrupts (timers), has the timed part: update() and next_deadline().
// The board (platform/board.h) attaches it by what it declares and loops over all
// devices for reset and timer polling; platform/pc.cpp is the table of the PC's devices.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace rs {

// Where an interrupt line ends: the interrupt controller, or a test's recorder.
class IrqSink {
 public:
  virtual ~IrqSink() = default;
  virtual void set_irq(int line, bool level) = 0;
  // Whether a request on line is latched and not yet taken (a timer that fires again
  // before then loses the edge, as on hardware).
  virtual bool requested(int /*line*/) const { return false; }
};

// One interrupt request line of a device: it drives the level, the sink listens.
// Default-constructed, it is not connected.
struct IrqLine {
  IrqSink* sink = nullptr;
  int line = -1;
  void set(bool level) const {
    if (sink) sink->set_irq(line, level);
  }
  void pulse() const {
    set(true);
    set(false);
  }
  bool requested() const { return sink && sink->requested(line); }
};

// What a device may ask of the machine it is plugged into.
class BoardControl {
 public:
  virtual ~BoardControl() = default;
  virtual void request_stop(int exit_status, const std::string& why) = 0;
  // A reset line pulled (keyboard controller, port 0x92): the machine restarts.
  virtual void request_reset(const std::string& how) = 0;
  // The A20 gate line (port 0x92, the keyboard controller's output port): the last
  // device to drive it wins, as on a PC where both pull the same line.
  virtual void set_a20(bool on) = 0;
};

struct PortRange {
  uint16_t first, count;
};
struct MmioRange {
  uint32_t base, size;
};

class Device {
 public:
  virtual ~Device() = default;
  virtual const char* name() const = 0;
  // Where it sits; the board attaches it there.
  virtual std::vector<PortRange> ports() const { return {}; }
  virtual std::vector<MmioRange> regions() const { return {}; }

  // Port I/O, size 1, 2 or 4 bytes. What a device does not decode floats (all ones).
  virtual uint32_t in(uint16_t port, int size);
  virtual void out(uint16_t port, int size, uint32_t value);
  // Memory-mapped registers: offset from the start of the region; size 1, 2, 4 or 8
  // bytes, little-endian.
  virtual uint64_t read(uint32_t offset, int size);
  virtual void write(uint32_t offset, int size, uint64_t value);

  // The machine's reset (power-on state); a device with battery-backed state keeps it.
  virtual void reset() {}
  virtual std::string dump() const { return {}; }

  // The timed part, for devices that raise interrupts as host time passes.
  virtual bool timed() const { return false; }
  // Raises the interrupts that are due.
  virtual void update() {}
  // Monotonic ns of the next event update() will have to raise, or UINT64_MAX.
  virtual uint64_t next_deadline() const { return UINT64_MAX; }
  // Events already due that update() still has to deliver (their line was busy).
  virtual bool overdue() const { return false; }
};

// All ones of an access of size bytes: what nothing, or nothing decoding it, answers.
inline uint64_t floating_bus(int size) { return size >= 8 ? ~uint64_t(0) : (uint64_t(1) << (8 * size)) - 1; }

}  // namespace rs
