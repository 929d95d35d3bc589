#include "host/gs_guard.h"

#include <asm/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "shadow_pt/window.h"

namespace rs {

namespace {

// A window that is never mapped: PROT_NONE over its span and guards.
const Window& guard() {
  static const Window w;
  return w;
}

}  // namespace

void gs_guard_install() {
  if (syscall(SYS_arch_prctl, ARCH_SET_GS, guard().base()) != 0)
    throw std::system_error(errno, std::generic_category(), "arch_prctl(ARCH_SET_GS)");
}

bool gs_guard_hit(uint64_t host_addr) { return guard().in_span(host_addr); }

uint64_t gs_guard_base() { return guard().base(); }

void gs_restore_base(uint64_t base) { asm volatile("wrgsbase %0" ::"r"(base) : "memory"); }

}  // namespace rs
