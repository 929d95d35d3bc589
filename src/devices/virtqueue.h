// One split virtqueue (virtio 1.1, section 2.6) from the device's side: the driver's
// descriptor table and available ring are read, the used ring is written, all through
// DmaSpace, so a ring or a descriptor outside guest RAM is an error and never a host
// access. A chain that loops, runs past its table, nests indirect tables or puts a
// device-readable buffer after a writable one is malformed: pop() reports Broken and
// the queue stays broken until reset (the transport then sets DEVICE_NEEDS_RESET).
// The buffers a chain names are not checked here; the device maps them (DmaSpace::ram)
// and answers a buffer outside RAM with an error status.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace rs {

class DmaSpace;

// One buffer of a descriptor chain, in guest-physical terms.
struct VirtqBuffer {
  uint64_t addr = 0;
  uint32_t len = 0;
  bool device_writes = false;
};

struct VirtqChain {
  uint16_t head = 0;  // what goes back in the used ring
  std::vector<VirtqBuffer> bufs;
};

class Virtqueue {
 public:
  static constexpr uint16_t kMaxSize = 256;
  // An indirect table may hold more entries than the ring (Linux sizes it by the
  // request's segments), but not without bound.
  static constexpr uint32_t kMaxIndirect = 1024;
  // Descriptor flags.
  static constexpr uint16_t kNext = 1, kWrite = 2, kIndirect = 4;

  explicit Virtqueue(DmaSpace& dma) : dma_(dma) {}

  // What the driver programs through the transport before enabling the queue.
  uint16_t size = kMaxSize;
  uint64_t desc = 0, driver = 0, device = 0;  // descriptor table, available ring, used ring

  bool enabled() const { return enabled_; }
  // Queue enable: checks the size (a power of two up to kMaxSize) and that the three
  // areas are aligned and in RAM; false (not enabled) otherwise. The negotiated
  // features decide whether indirect descriptors and event indexes are in use.
  bool enable(bool indirect, bool event_idx);
  // Device reset: disabled, default size, indexes back to 0.
  void reset();

  enum class Pop { Empty, Chain, Broken };
  // The next chain the driver made available.
  Pop pop(VirtqChain& out);
  // Returns a chain: `len` bytes were written into its buffers.
  void push(uint16_t head, uint32_t len);
  // After the available ring is drained: with event indexes, the driver is asked to
  // notify when it adds the next one.
  void publish_avail_event();
  // Whether the driver wants an interrupt for what was pushed since the last call
  // (the avail ring's NO_INTERRUPT flag, or used_event with event indexes).
  bool needs_interrupt();

  bool broken() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  uint16_t last_avail() const { return last_avail_; }
  uint16_t used_idx() const { return used_idx_; }

 private:
  struct Desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
  };
  bool walk(uint16_t head, VirtqChain& out);
  bool read_desc(uint64_t table, uint32_t i, Desc& d);
  bool read16(uint64_t addr, uint16_t& v);
  bool write16(uint64_t addr, uint16_t v);
  bool fail(const std::string& why);
  Pop broken_by(const std::string& why);

  DmaSpace& dma_;
  bool enabled_ = false;
  bool indirect_ = false, event_idx_ = false;
  uint16_t last_avail_ = 0;  // the next available-ring entry to take
  uint16_t used_idx_ = 0;    // the used ring's idx as last written
  uint16_t signalled_ = 0;   // used_idx_ at the last needs_interrupt()
  std::string error_;
};

}  // namespace rs
