#include "translator/code_cache.h"

#include <sys/mman.h>

#include <cerrno>
#include <system_error>

namespace rs {

CodeCache::CodeCache(size_t bytes, bool exec) : size_(bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE | (exec ? PROT_EXEC : 0), MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap translation cache");
  base_ = cur_ = static_cast<uint8_t*>(p);
  // Huge pages where the host allows them: the cache fills upwards, and one fault per
  // 2 MiB instead of one per 4 KiB page (a Linux boot writes ~8 MiB of code). Advice only.
  madvise(p, bytes, MADV_HUGEPAGE);
}

CodeCache::~CodeCache() {
  if (base_) munmap(base_, size_);
}

uint8_t* CodeCache::alloc(size_t n) {
  n = (n + 15) & ~size_t(15);
  if (n > free_bytes()) return nullptr;
  uint8_t* p = cur_;
  cur_ += n;
  return p;
}

}  // namespace rs
