#include <algorithm>
#include "mmu/phys_mem.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace rs {

PhysMem::PhysMem(uint64_t ram_bytes) : size_(ram_bytes) {
  fd_ = memfd_create("ringshift-ram", MFD_CLOEXEC);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "memfd_create");
  if (ftruncate(fd_, off_t(size_)) != 0) throw std::system_error(errno, std::generic_category(), "ftruncate guest RAM");
  void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd_, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap guest RAM");
  host_ = static_cast<uint8_t*>(p);
  flags_.assign((size_ + kPageSize - 1) >> kPageShift, 0);
}

PhysMem::~PhysMem() {
  if (host_) munmap(host_, size_);
  if (fd_ >= 0) close(fd_);
}

void PhysMem::clear() {
  if (fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, off_t(size_)) != 0)
    std::memset(host_, 0, size_);
}

bool PhysMem::read(uint64_t addr, void* dst, uint64_t len) const {
  if (!contains(addr, len)) return false;
  std::memcpy(dst, host_ + addr, len);
  return true;
}

void PhysMem::will_write(uint64_t addr, uint64_t len) {
  if (!len || !contains(addr, len)) return;
  for (uint64_t pg = addr >> kPageShift; pg <= (addr + len - 1) >> kPageShift; ++pg) {
    if ((flags_[pg] & kPageTable) && on_table_write) on_table_write(uint32_t(pg));
    if ((flags_[pg] & kPageCode) && on_code_write) {
      const uint64_t start = std::max(addr, pg << kPageShift), end = std::min(addr + len, (pg + 1) << kPageShift);
      on_code_write(uint32_t(pg), uint32_t(start & (kPageSize - 1)), uint32_t(end - (pg << kPageShift)));
    }
  }
}

bool PhysMem::write(uint64_t addr, const void* src, uint64_t len) {
  if (!contains(addr, len)) return false;
  will_write(addr, len);
  std::memcpy(host_ + addr, src, len);
  return true;
}

}  // namespace rs
