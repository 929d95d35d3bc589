// Allocation of the translator's per-block objects (Block, ExitSite): a free list per
// type, carved from 2 MiB slabs advised as huge pages. glibc's malloc spent ~0.8 us a
// block on these during a Linux boot (its bin walks after the frees of dropped blocks),
// and every fresh 4 KiB of heap cost a host fault (~11 us on a PVM host): a slab costs
// one huge-page fault for ~20,000 exit sites. Slabs are never given back: freed objects
// serve the next translations. Only the vCPU thread translates, so there is no lock.
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>

namespace rs {

template <class T>
class ObjectPool {
 public:
  static void* alloc() {
    if (free_) {
      Free* f = free_;
      free_ = f->next;
      return f;
    }
    if (size_t(end_ - next_) < kSize) new_slab();  // (both null before the first slab)
    void* p = next_;
    next_ += kSize;
    return p;
  }
  static void release(void* p) noexcept {
    if (!p) return;
    Free* f = static_cast<Free*>(p);
    f->next = free_;
    free_ = f;
  }

 private:
  struct Free {
    Free* next;
  };
  static constexpr size_t kAlign = alignof(T) > alignof(Free) ? alignof(T) : alignof(Free);
  static constexpr size_t kSize = (sizeof(T) + kAlign - 1) / kAlign * kAlign;
  static constexpr size_t kSlab = size_t(2) << 20;
  static void new_slab() {
    // 4 MiB reserved, the aligned 2 MiB kept: a huge page needs an aligned range.
    void* p = mmap(nullptr, 2 * kSlab, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    const uintptr_t at = (uintptr_t(p) + kSlab - 1) & ~(kSlab - 1);
    if (at > uintptr_t(p)) munmap(p, at - uintptr_t(p));
    if (uintptr_t(p) + 2 * kSlab > at + kSlab) munmap(reinterpret_cast<void*>(at + kSlab), uintptr_t(p) + 2 * kSlab - at - kSlab);
    madvise(reinterpret_cast<void*>(at), kSlab, MADV_HUGEPAGE);  // advice only
    next_ = reinterpret_cast<uint8_t*>(at);
    end_ = next_ + kSlab;
  }
  static inline Free* free_ = nullptr;
  static inline uint8_t* next_ = nullptr;
  static inline uint8_t* end_ = nullptr;
};

// Class-specific operator new/delete through the pool (std::unique_ptr and make_unique
// keep working unchanged).
#define RS_POOLED(T)                                                  \
  static void* operator new(size_t n) {                               \
    if (n != sizeof(T)) return ::operator new(n);                     \
    return ObjectPool<T>::alloc();                                    \
  }                                                                   \
  static void operator delete(void* p, size_t n) noexcept {           \
    if (n != sizeof(T)) return ::operator delete(p);                  \
    ObjectPool<T>::release(p);                                        \
  }

}  // namespace rs
