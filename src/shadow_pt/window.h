// A guest address-space window: 4 GiB of host address space, reserved PROT_NONE,
// that translated code reaches as gs:[addr32]. With paging off it maps guest
// physical RAM one to one. Guard zones on both sides catch the 64-bit pointers
// that rebased string instructions use, so no guest access can leave the window.
// The 4 GiB above the window mirror it: a segment base plus an offset that passes
// 4 GiB (fs:[x] with base 0xFFFFF000) wraps around to low linear addresses, as the
// CPU's 32-bit linear address arithmetic does.
#pragma once
#include <cstdint>

#include "mmu/phys_mem.h"

namespace rs {

class Window {
 public:
  // Up to 2^32 iterations of an 8-byte string op: guards must cover 32 GiB each side.
  static constexpr uint64_t kSpan = 1ull << 32;
  static constexpr uint64_t kGuard = 36ull << 30;

  explicit Window(PhysMem& mem);
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  uint64_t base() const { return base_; }
  // Whether host_addr is guest memory: the window or its wrap-around mirror.
  bool in_span(uint64_t host_addr) const { return host_addr - base_ < 2 * kSpan; }

  // Write-protect / release a guest physical page that holds translated code.
  void protect_code(uint32_t page);
  void unprotect_code(uint32_t page);

  // Make this window the one translated code addresses (GS base).
  void activate() const;

 private:
  PhysMem& mem_;
  uint8_t* reserve_ = nullptr;
  uint64_t base_ = 0;
};

}  // namespace rs
