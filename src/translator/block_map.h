// The translator's blocks by key (mode + EIP or page offset, physical address): an
// open-addressing table with the key and the owning pointer in each slot. Every miss
// of the indirect-branch table looks a block up here (1.5 million times in five rounds
// of the PIE shell workload, every process starting with an empty table); with
// std::unordered_map a lookup was a division and three dependent cache misses (bucket,
// node, block), 6.6% of that run's samples.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

namespace rs {

struct Block;

class BlockMap {
 public:
  struct Key {
    uint64_t mode_eip;
    uint32_t phys;
    bool operator==(const Key&) const = default;
  };

  // 32 KiB slots (1 MiB) to start: a Linux boot fills ~100,000 and the table doubles.
  explicit BlockMap(unsigned bits = 15) { reset(bits); }

  Block* find(const Key& k) const {
    for (size_t i = index(k);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.state == kEmpty) return nullptr;
      if (s.state == kLive && s.key == k) return s.block.get();
    }
  }

  // Enters b under k; returns what k held before (normally nothing).
  std::unique_ptr<Block> put(const Key& k, std::unique_ptr<Block> b) {
    if (2 * (live_ + dead_ + 1) > slots_.size()) grow();
    size_t grave = SIZE_MAX;
    for (size_t i = index(k);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.state == kLive && s.key == k) {
        std::swap(s.block, b);
        return b;
      }
      if (s.state == kDead && grave == SIZE_MAX) grave = i;
      if (s.state == kEmpty) {
        Slot& t = grave != SIZE_MAX ? slots_[grave] : s;
        if (&t != &s) dead_--;
        t.key = k;
        t.state = kLive;
        t.block = std::move(b);
        live_++;
        return nullptr;
      }
    }
  }

  // Takes k's block out if it is b (a newer block may have replaced it).
  std::unique_ptr<Block> take(const Key& k, const Block* b) {
    for (size_t i = index(k);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.state == kEmpty) return nullptr;
      if (s.state == kLive && s.key == k) {
        if (s.block.get() != b) return nullptr;
        s.state = kDead;
        live_--;
        dead_++;
        return std::move(s.block);
      }
    }
  }

  void clear() { reset(bits_); }
  size_t size() const { return live_; }

 private:
  enum : uint32_t { kEmpty = 0, kLive = 1, kDead = 2 };
  struct Slot {
    Key key{};
    uint32_t state = kEmpty;
    std::unique_ptr<Block> block;
  };

  size_t index(const Key& k) const {
    // Every key bit reaches the top bits used: nearby EIPs of a page and keys that
    // differ only in the physical address (shared blocks) spread alike.
    uint64_t h = k.mode_eip * 0x9E3779B97F4A7C15ull ^ uint64_t(k.phys) * 0xC2B2AE3D27D4EB4Full;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    return size_t(h >> (64 - bits_));
  }

  void reset(unsigned bits) {
    bits_ = bits;
    slots_.clear();
    slots_.resize(size_t(1) << bits);
    mask_ = slots_.size() - 1;
    live_ = dead_ = 0;
  }

  // Doubles when live blocks fill a quarter, else rebuilds at the same size (tombstones).
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    reset(4 * (live_ + 1) > old.size() ? bits_ + 1 : bits_);
    for (Slot& s : old)
      if (s.state == kLive) put(s.key, std::move(s.block));
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0, live_ = 0, dead_ = 0;
  unsigned bits_ = 0;
};

}  // namespace rs
