// A raw disk image file: what every disk of the machine reads and writes through (the
// BIOS's int 13h now, the IDE and virtio-blk controllers of Step 10). Sector size is
// the caller's business; the image only checks that an access lies inside the file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <sys/uio.h>

namespace rs {

class BlockImage {
 public:
  // Opens a raw image. Throws UsageError with one clear line (the file is missing, a
  // directory, unreadable, read-only but opened for writing, or its size is not a
  // multiple of `granule` bytes: 512 for disks and floppies, 2048 for CDs).
  static std::unique_ptr<BlockImage> open(const std::string& path, bool readonly, uint32_t granule);
  // QEMU's -snapshot: `base` (opened read-only) is read where the guest has not written;
  // writes go to a temporary overlay that is dropped at exit (snapshot_overlay.cpp).
  static std::unique_ptr<BlockImage> snapshot(std::unique_ptr<BlockImage> base);
  virtual ~BlockImage() = default;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  bool readonly() const { return readonly_; }

  // False when [offset, offset + len) is not inside the image, the image is read-only
  // (write), or the host reports an I/O error; nothing is half-done on a range error.
  virtual bool read(uint64_t offset, void* buf, size_t len) = 0;
  virtual bool write(uint64_t offset, const void* buf, size_t len) = 0;
  // The same for a scatter list, consecutive on the image (a DMA transfer's pages); one
  // system call where the image can (raw files), else one read or write per buffer.
  virtual bool readv(uint64_t offset, const struct iovec* iov, int n);
  virtual bool writev(uint64_t offset, const struct iovec* iov, int n);
  // What has been written reaches the host's disk (fdatasync). Also done on close.
  virtual bool flush() = 0;
  // A read that is done only if the host has the data at hand (its page cache): true
  // when all of it was read; false when it would have had to wait for the host's disk,
  // and then nothing is promised about the buffers. Lets a controller answer at once
  // instead of handing the request to its I/O thread.
  virtual bool read_cached(uint64_t, const struct iovec*, int) { return false; }

 protected:
  std::string path_;
  uint64_t size_ = 0;
  bool readonly_ = false;
};

}  // namespace rs
