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
#include "shadow_pt/window_map.h"

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

  // The host VMAs this window is made of, and those of every window of the process:
  // what vm.max_map_count limits (the shadow's map budget, shadow.h). Linux merges
  // neighbouring pages into one VMA when they map consecutive pages of the file with
  // the same protection (or are both the anonymous reservation), so the count follows
  // from each page's host state (`host_`); test_window.cpp checks it against
  // /proc/self/maps.
  int64_t vmas() const { return vmas_; }
  static int64_t total_vmas() { return total_vmas_; }
  // A map or protect failed with ENOMEM (vm.max_map_count reached): the shadow empties
  // its windows at the end of what it is doing (Shadow::relieve_pressure).
  static bool map_failed() { return map_failed_; }
  static void clear_map_failed() { map_failed_ = false; }
  // Tests: every n-th map or protect of a paging window fails with ENOMEM as if the host's
  // limit were reached (0: never).
  static void fail_every_for_test(uint64_t n) { fail_every_ = n, ops_ = 0; }

 private:
  static constexpr uint32_t kPages = 2 * (1u << 20);  // the window and its mirror
  // A page's host state: absent = the reservation (anonymous, PROT_NONE); else
  // kFile | ppn << 2 | prot code (a page of guest RAM), or prot code alone (the
  // reservation with another protection, which ringshift does not make).
  static constexpr uint32_t kFile = 1u << 31;
  static uint32_t prot_code(int prot);
  uint32_t state(int64_t page) const;
  bool starts_vma(int64_t page) const;  // page's VMA differs from page - 1's
  int64_t starts(uint32_t first, uint32_t n) const;  // starts_vma over [first, first + n]
  template <class F>
  void change(uint32_t first, uint32_t n, F set);  // set(page) for each, counting VMAs
  void note(bool ok);
  static bool injected_failure();

  uint8_t* reserve_ = nullptr;
  uint64_t base_ = 0;
  WindowMap<uint32_t> host_;
  int64_t vmas_ = 1;  // the reservation, guards included
  static inline int64_t total_vmas_ = 0;
  static inline bool map_failed_ = false;
  static inline uint64_t fail_every_ = 0, ops_ = 0;
};

}  // namespace rs
