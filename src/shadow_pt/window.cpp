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
  total_vmas_ += vmas_;
}

Window::~Window() {
  if (reserve_) munmap(reserve_, kTotal);
  total_vmas_ -= vmas_;
}

uint32_t Window::prot_code(int prot) { return (prot & PROT_WRITE) ? 2 : (prot & PROT_READ) ? 1 : 0; }

uint32_t Window::state(int64_t page) const {
  if (page < 0 || page >= int64_t(kPages)) return 0;  // the guards: the reservation
  const uint32_t* v = host_.find(uint32_t(page));
  return v ? *v : 0;
}

// Linux merges two neighbouring VMAs of the same kind and protection when they continue
// each other: the reservation with the reservation, a file page with the next page of
// the file.
bool Window::starts_vma(int64_t page) const {
  const uint32_t a = state(page - 1), b = state(page);
  if ((a ^ b) & (kFile | 3)) return true;  // kind or protection differ
  return (b & kFile) && ((b & ~kFile) >> 2) != ((a & ~kFile) >> 2) + 1;
}

int64_t Window::starts(uint32_t first, uint32_t n) const {
  int64_t c = 0;
  for (int64_t p = first; p <= int64_t(first) + n; ++p) c += starts_vma(p);
  return c;
}

template <class F>
void Window::change(uint32_t first, uint32_t n, F set) {
  const int64_t before = starts(first, n);
  for (uint32_t p = first; p < first + n; ++p) {
    const uint32_t v = set(state(p));
    if (v) {
      bool fresh = false;
      host_.emplace(p, fresh) = v;
    } else {
      host_.erase(p);
    }
  }
  const int64_t delta = starts(first, n) - before;
  vmas_ += delta;
  total_vmas_ += delta;
}

// A failed call leaves the state as it was for mmap (Linux checks the map count before
// it changes anything), but an mprotect may have got part of the way: either way the
// shadow empties the window (Shadow::relieve_pressure), which makes the model true again.
void Window::note(bool ok) {
  if (!ok && errno == ENOMEM) map_failed_ = true;
}

bool Window::injected_failure() {
  if (!fail_every_ || ++ops_ % fail_every_) return false;
  map_failed_ = true;
  return true;
}

void Window::map_ram(const PhysMem& mem) {
  // One mapping per half, however big the RAM.
  for (uint64_t at : {base_, base_ + kSpan}) {
    void* r = mmap(reinterpret_cast<void*>(at), mem.size(), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, mem.fd(), 0);
    if (r == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "map guest RAM into window");
    const uint32_t first = uint32_t((at - base_) >> kPageShift);
    uint32_t next = 0;
    change(first, uint32_t(mem.size() >> kPageShift), [&](uint32_t) { return kFile | (next++) << 2 | 2u; });
  }
}

void Window::protect_ram_page(uint32_t page, bool read_only) {
  const int prot = read_only ? PROT_READ : PROT_READ | PROT_WRITE;
  for (uint32_t wp : {page, page | kMirrorPage}) {
    note(mprotect(page_addr(wp), kPageSize, prot) == 0);
    change(wp, 1, [prot](uint32_t v) { return v ? (v & ~3u) | prot_code(prot) : v; });
  }
}

bool Window::map(uint32_t wpage, int fd, uint32_t ppn, int prot, uint32_t pages) {
  if (injected_failure()) return false;
  void* r = mmap(page_addr(wpage), size_t(pages) * kPageSize, prot, MAP_SHARED | MAP_FIXED, fd, off_t(uint64_t(ppn) << kPageShift));
  note(r != MAP_FAILED);
  if (r == MAP_FAILED) return false;
  uint32_t next = ppn;
  change(wpage, pages, [&](uint32_t) { return kFile | (next++) << 2 | prot_code(prot); });
  return true;
}

bool Window::protect(uint32_t wpage, int prot, uint32_t pages) {
  if (injected_failure()) return false;
  const bool ok = mprotect(page_addr(wpage), size_t(pages) * kPageSize, prot) == 0;
  note(ok);
  // The reservation's pages in the range keep PROT_NONE (callers protect runs whose
  // holes are reservation or parked pages, and only to PROT_NONE there).
  const uint32_t code = prot_code(prot);
  change(wpage, pages, [code](uint32_t v) { return v & kFile ? (v & ~3u) | code : code ? code : 0u; });
  return ok;
}

void Window::unmap(uint32_t wpage, uint32_t pages) {
  note(mmap(page_addr(wpage), size_t(pages) * kPageSize, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
            -1, 0) != MAP_FAILED);
  change(wpage, pages, [](uint32_t) { return 0u; });
}

// The whole reservation, guards too: its ends are VMA boundaries already, so no VMA is
// split (a split needs a free VMA, which a process at vm.max_map_count does not have).
void Window::clear() {
  note(mmap(reserve_, kTotal, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) != MAP_FAILED);
  host_.clear();
  total_vmas_ -= vmas_ - 1;
  vmas_ = 1;
}

}  // namespace rs
