// The translation cache: one RWX region holding the runtime stubs followed by
// translated blocks, allocated by bumping a pointer and emptied only as a whole. The
// same kind of region without PROT_EXEC holds the blocks' instruction maps.
#pragma once
#include <cstddef>
#include <cstdint>

namespace rs {

class CodeCache {
 public:
  explicit CodeCache(size_t bytes, bool exec = true);
  ~CodeCache();
  CodeCache(const CodeCache&) = delete;
  CodeCache& operator=(const CodeCache&) = delete;

  uint8_t* begin() const { return base_; }
  uint8_t* cursor() const { return cur_; }
  size_t free_bytes() const { return size_t(base_ + size_ - cur_); }
  bool contains(uint64_t addr) const { return addr - uint64_t(base_) < size_; }
  uint8_t* alloc(size_t n);          // nullptr when full
  void reset_to(uint8_t* mark) { cur_ = mark; }
  // Moves the cursor up to a multiple of a (a power of two), when there is room.
  void align(size_t a) {
    uint8_t* p = reinterpret_cast<uint8_t*>((reinterpret_cast<uint64_t>(cur_) + a - 1) & ~uint64_t(a - 1));
    if (p <= base_ + size_) cur_ = p;
  }

 private:
  uint8_t* base_ = nullptr;
  uint8_t* cur_ = nullptr;
  size_t size_;
};

}  // namespace rs
