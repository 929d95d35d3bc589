// Raw disk images: the file's bytes are the disk's bytes, read and written with
// pread/pwrite, locked against a second user as QEMU locks its images. A sparse image
// stays sparse: a write of zeros (mkfs, a guest's discard-by-zeroing) punches a hole
// instead of allocating blocks, as QEMU's detect-zeroes=unmap does.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "block/block_image.h"
#include "error.h"

namespace rs {

namespace {

// Closes the descriptor unless open() got as far as handing it to a RawImage.
struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

class RawImage final : public BlockImage {
 public:
  RawImage(int fd, const std::string& path, uint64_t size, bool readonly) : fd_(fd) {
    path_ = path;
    size_ = size;
    readonly_ = readonly;
  }
  ~RawImage() override {
    if (!flush()) spdlog::error("disk image '{}': flush at close failed: {}", path_, std::strerror(errno));
    ::close(fd_);  // also drops the flock
  }

  bool read(uint64_t offset, void* buf, size_t len) override {
    if (!inside(offset, len)) return false;
    auto* p = static_cast<uint8_t*>(buf);
    while (len) {
      const ssize_t n = ::pread(fd_, p, len, off_t(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;  // an error, or the file shrank under us
      p += n, offset += uint64_t(n), len -= size_t(n);
    }
    return true;
  }

  bool write(uint64_t offset, const void* buf, size_t len) override {
    if (readonly_ || !inside(offset, len)) return false;
    auto* p = static_cast<const uint8_t*>(buf);
    if (len) dirty_ = true;
    if (len >= kHoleMin && zeros(p, len) &&
        ::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off_t(offset), off_t(len)) == 0)
      return true;
    while (len) {
      const ssize_t n = ::pwrite(fd_, p, len, off_t(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      p += n, offset += uint64_t(n), len -= size_t(n);
    }
    return true;
  }

  bool readv(uint64_t offset, const iovec* iov, int n) override { return vectored(offset, iov, n, false); }

  // A scatter list of zeros punches one hole, like write().
  bool writev(uint64_t offset, const iovec* iov, int n) override {
    if (readonly_) return false;
    size_t len = 0;
    bool zero = true;
    for (int i = 0; i < n; ++i) {
      len += iov[i].iov_len;
      zero = zero && iov[i].iov_len && zeros(static_cast<const uint8_t*>(iov[i].iov_base), iov[i].iov_len);
    }
    if (!inside(offset, len)) return false;
    if (len) dirty_ = true;
    if (zero && len >= kHoleMin &&
        ::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off_t(offset), off_t(len)) == 0)
      return true;
    return vectored(offset, iov, n, true);
  }

  bool read_cached(uint64_t offset, const iovec* iov, int n) override {
    size_t len = 0;
    for (int i = 0; i < n; ++i) len += iov[i].iov_len;
    if (!inside(offset, len) || n > IOV_MAX) return false;
    const ssize_t got = ::preadv2(fd_, iov, n, off_t(offset), RWF_NOWAIT);
    return got >= 0 && size_t(got) == len;  // a short read: the rest was not cached
  }

  bool flush() override {
    if (!dirty_) return true;
    while (::fdatasync(fd_) != 0)
      if (errno != EINTR) return false;
    dirty_ = false;
    return true;
  }

 private:
  // Written so that offset + len cannot overflow.
  bool inside(uint64_t offset, size_t len) const { return offset <= size_ && len <= size_ - offset; }

  // preadv/pwritev until every buffer is done (a short transfer goes on where it stopped).
  bool vectored(uint64_t offset, const iovec* iov, int n, bool write) {
    std::vector<iovec> left(iov, iov + n);
    size_t len = 0;
    for (const iovec& v : left) len += v.iov_len;
    if (!inside(offset, len)) return false;
    size_t first = 0;
    while (first < left.size()) {
      const int cnt = int(std::min<size_t>(left.size() - first, IOV_MAX));
      const ssize_t got = write ? ::pwritev(fd_, &left[first], cnt, off_t(offset))
                                : ::preadv(fd_, &left[first], cnt, off_t(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      offset += uint64_t(got);
      for (size_t done = size_t(got); done && first < left.size();) {
        const size_t take = std::min(done, left[first].iov_len);
        left[first].iov_base = static_cast<uint8_t*>(left[first].iov_base) + take;
        left[first].iov_len -= take;
        done -= take;
        if (!left[first].iov_len) ++first;
      }
      while (first < left.size() && !left[first].iov_len) ++first;
    }
    return true;
  }

  static constexpr size_t kHoleMin = 4096;  // smaller zero writes are not worth a system call
  static bool zeros(const uint8_t* p, size_t len) { return p[0] == 0 && std::memcmp(p, p + 1, len - 1) == 0; }

  int fd_;
  std::atomic<bool> dirty_{false};  // written since the last fdatasync (an I/O thread writes too)
};

}  // namespace

bool BlockImage::readv(uint64_t offset, const iovec* iov, int n) {
  for (int i = 0; i < n; offset += iov[i].iov_len, ++i)
    if (!read(offset, iov[i].iov_base, iov[i].iov_len)) return false;
  return true;
}

bool BlockImage::writev(uint64_t offset, const iovec* iov, int n) {
  for (int i = 0; i < n; offset += iov[i].iov_len, ++i)
    if (!write(offset, iov[i].iov_base, iov[i].iov_len)) return false;
  return true;
}

std::unique_ptr<BlockImage> BlockImage::open(const std::string& path, bool readonly, uint32_t granule) {
  const std::string what = "disk image '" + path + "': ";
  auto fail = [&](const std::string& why) { return UsageError(what + why); };
  constexpr const char* kReadOnlyHint = "read-only file (add ,readonly or make it writable)";

  // O_NONBLOCK: a FIFO given by mistake must not hang the open (it is refused below).
  FdGuard fd{::open(path.c_str(), (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
  if (fd.fd < 0) {
    const int err = errno;
    switch (err) {
      case ENOENT: case ENOTDIR: throw fail("no such file");
      case EISDIR: throw fail("is a directory");
      case EROFS: throw fail("on a read-only file system (add ,readonly)");
      case EACCES: case EPERM:
        // Readable but not writable by us: say what to do about it.
        if (!readonly && ::access(path.c_str(), R_OK) == 0) throw fail(kReadOnlyHint);
        throw fail("permission denied");
      default: throw fail(std::strerror(err));
    }
  }
  const int flags = ::fcntl(fd.fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd.fd, F_SETFL, flags & ~O_NONBLOCK);

  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) throw fail(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw fail("is a directory");
  if (!S_ISREG(st.st_mode)) throw fail("not a regular file");
  // Root may read and write any file, so the open above succeeds for it; the mode bits
  // still say what the file's owner meant, and a disk that writes to a file marked
  // read-only (or reads one marked unreadable) would surprise them.
  if ((st.st_mode & 0444) == 0) throw fail("permission denied (the file is not readable)");
  if (!readonly && (st.st_mode & 0222) == 0) throw fail(kReadOnlyHint);
  const uint64_t size = uint64_t(st.st_size);
  if (size == 0) throw fail("empty file");
  if (granule && size % granule)
    throw fail("size " + std::to_string(size) + " bytes is not a multiple of " + std::to_string(granule));

  // One writer or many readers, as QEMU's image locking: two VMs writing one disk
  // corrupt it. flock locks belong to the open file description, so a second open in
  // this same process is refused too.
  if (::flock(fd.fd, (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) throw fail("in use by another process (locked)");
    // Some network file systems have no flock: run unlocked, as QEMU does, but say so.
    spdlog::warn("disk image '{}': cannot be locked ({}); running without a lock", path, std::strerror(errno));
  }
  return std::make_unique<RawImage>(fd.release(), path, size, readonly);
}

}  // namespace rs
