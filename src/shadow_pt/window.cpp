#include "shadow_pt/window.h"

#include <asm/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace rs {

Window::Window(PhysMem& mem) : mem_(mem) {
  uint64_t total = kSpan + 2 * kGuard;
  void* p = mmap(nullptr, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "reserve guest window");
  reserve_ = static_cast<uint8_t*>(p);
  base_ = uint64_t(reserve_) + kGuard;
  // Paging off: guest physical RAM at window offset 0. One mapping, however big the RAM.
  for (uint64_t at : {base_, base_ + kSpan}) {
    void* r = mmap(reinterpret_cast<void*>(at), mem_.size(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                   mem_.fd(), 0);
    if (r == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "map guest RAM into window");
  }
}

Window::~Window() {
  if (reserve_) munmap(reserve_, kSpan + 2 * kGuard);
}

void Window::protect_code(uint32_t page) {
  for (uint64_t at : {base_, base_ + kSpan})
    mprotect(reinterpret_cast<void*>(at + (uint64_t(page) << kPageShift)), kPageSize, PROT_READ);
}

void Window::unprotect_code(uint32_t page) {
  for (uint64_t at : {base_, base_ + kSpan})
    mprotect(reinterpret_cast<void*>(at + (uint64_t(page) << kPageShift)), kPageSize, PROT_READ | PROT_WRITE);
}

void Window::activate() const {
  // arch_prctl works whether or not the kernel enabled FSGSBASE for user mode.
  if (syscall(SYS_arch_prctl, ARCH_SET_GS, base_) != 0)
    throw std::system_error(errno, std::generic_category(), "arch_prctl(ARCH_SET_GS)");
}

}  // namespace rs
