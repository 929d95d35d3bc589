#include "shadow_pt/window.h"

#include <sys/mman.h>

#include <cerrno>
#include <system_error>

namespace rs {

namespace {

constexpr uint64_t kTotal = Window::kSpan + 2 * Window::kGuard;

}  // namespace

Window::Window() {
  void* p = mmap(nullptr, kTotal, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "reserve guest window");
  reserve_ = static_cast<uint8_t*>(p);
  base_ = uint64_t(reserve_) + kGuard;
}

Window::~Window() {
  if (reserve_) munmap(reserve_, kTotal);
}

void Window::map_ram(const PhysMem& mem) {
  // One mapping per half, however big the RAM.
  for (uint64_t at : {base_, base_ + kSpan}) {
    void* r = mmap(reinterpret_cast<void*>(at), mem.size(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, mem.fd(), 0);
    if (r == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "map guest RAM into window");
  }
}

void Window::protect_ram_page(uint32_t page, bool read_only) {
  for (uint64_t at : {base_, base_ + kSpan})
    mprotect(reinterpret_cast<void*>(at + (uint64_t(page) << kPageShift)), kPageSize,
             read_only ? PROT_READ : PROT_READ | PROT_WRITE);
}

bool Window::map(uint32_t wpage, int fd, uint32_t ppn, int prot, uint32_t pages) {
  void* r = mmap(page_addr(wpage), size_t(pages) * kPageSize, prot, MAP_SHARED | MAP_FIXED, fd, off_t(uint64_t(ppn) << kPageShift));
  return r != MAP_FAILED;
}

bool Window::protect(uint32_t wpage, int prot, uint32_t pages) {
  return mprotect(page_addr(wpage), size_t(pages) * kPageSize, prot) == 0;
}

void Window::unmap(uint32_t wpage, uint32_t pages) {
  mmap(page_addr(wpage), size_t(pages) * kPageSize, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

void Window::clear() {
  mmap(reinterpret_cast<void*>(base_), 2 * kSpan, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
       -1, 0);
}

}  // namespace rs
