// A guest address-space window: 4 GiB of host address space, reserved PROT_NONE,
// that translated code reaches as gs:[addr32]. The physical window maps guest RAM
// one to one (paging off); a paging window starts empty and is filled page by page
// by the shadow page tables (shadow.h). Guard zones on both sides catch the 64-bit
// pointers that rebased string instructions use, so no guest access can leave the
// window. The 4 GiB above the window mirror it: a segment base plus an offset that
// passes 4 GiB (fs:[x] with base 0xFFFFF000) wraps around to low linear addresses,
// as the CPU's 32-bit linear address arithmetic does.
#pragma once
#include <cstdint>

#include "mmu/phys_mem.h"

namespace rs {

class Window {
 public:
  // Up to 2^32 iterations of an 8-byte string op: guards must cover 32 GiB each side.
  static constexpr uint64_t kSpan = 1ull << 32;
  static constexpr uint64_t kGuard = 36ull << 30;
  // Window pages: linear page numbers, plus kMirrorPage for the wrap-around copy.
  static constexpr uint32_t kMirrorPage = 1u << 20;

  Window();
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  uint64_t base() const { return base_; }
  // Whether host_addr is guest memory: the window or its wrap-around mirror.
  bool in_span(uint64_t host_addr) const { return host_addr - base_ < 2 * kSpan; }
  uint8_t* page_addr(uint32_t wpage) const { return reinterpret_cast<uint8_t*>(base_ + (uint64_t(wpage) << kPageShift)); }

  // The physical window: all of RAM at offset 0 (and in the mirror), read-write.
  void map_ram(const PhysMem& mem);
  // Write-protect / release one guest physical page of the physical window.
  void protect_ram_page(uint32_t page, bool read_only);

  // Paging windows: one memfd page at one window page; prot is PROT_READ or
  // PROT_READ|PROT_WRITE. These run inside the SIGSEGV handler: plain system calls only.
  bool map(uint32_t wpage, int fd, uint32_t ppn, int prot, uint32_t pages = 1);
  bool protect(uint32_t wpage, int prot, uint32_t pages = 1);
  void unmap(uint32_t wpage, uint32_t pages = 1);
  // Everything back to PROT_NONE (one system call, however many pages were mapped).
  void clear();

 private:
  uint8_t* reserve_ = nullptr;
  uint64_t base_ = 0;
};

}  // namespace rs
