// Guest physical memory: RAM in a memfd, seen by C++ through one host mapping.
// Translated code sees the same pages through the shadow window (src/shadow_pt).
#pragma once
#include <cstdint>
#include <cstring>
#include <functional>
#include <vector>

namespace rs {

inline constexpr uint32_t kPageSize = 4096;
inline constexpr uint32_t kPageShift = 12;

class PhysMem {
 public:
  explicit PhysMem(uint64_t ram_bytes);
  ~PhysMem();
  PhysMem(const PhysMem&) = delete;
  PhysMem& operator=(const PhysMem&) = delete;

  uint64_t size() const { return size_; }
  int fd() const { return fd_; }
  uint8_t* host() const { return host_; }

  bool contains(uint64_t addr, uint64_t len) const { return addr <= size_ && len <= size_ - addr; }

  // C++ accessors. Writes tell the translator about pages that hold code.
  bool read(uint64_t addr, void* dst, uint64_t len) const;
  bool write(uint64_t addr, const void* src, uint64_t len);
  // The watch hooks of a write to [addr, addr + len) without the write (a device's DMA
  // writes through ptr()).
  void will_write(uint64_t addr, uint64_t len);
  // Zeroes all of RAM (machine reset); the pages go back to the host.
  void clear();
  uint8_t* ptr(uint64_t addr, uint64_t len) { return contains(addr, len) ? host_ + addr : nullptr; }

  // Watched pages: a write from C++ calls the owner's hook before the bytes change.
  // kPageCode: holds translated code (the translator drops it). kPageTable: a guest
  // page-table page that shadow entries depend on (the shadow drops those entries).
  static constexpr uint8_t kPageCode = 1, kPageTable = 2;
  uint8_t page_flags(uint32_t page) const { return page < flags_.size() ? flags_[page] : 0; }
  bool is_code_page(uint32_t page) const { return page_flags(page) & kPageCode; }
  void set_page_flag(uint32_t page, uint8_t flag, bool v) {
    if (page < flags_.size()) flags_[page] = uint8_t(v ? flags_[page] | flag : flags_[page] & ~flag);
  }
  void set_code_page(uint32_t page, bool v) { set_page_flag(page, kPageCode, v); }
  uint32_t pages() const { return uint32_t(flags_.size()); }
  // The bytes [lo, hi) of the page are about to be written.
  std::function<void(uint32_t page, uint32_t lo, uint32_t hi)> on_code_write;
  std::function<void(uint32_t page)> on_table_write;

 private:
  uint64_t size_;
  int fd_ = -1;
  uint8_t* host_ = nullptr;
  std::vector<uint8_t> flags_;
};

}  // namespace rs
