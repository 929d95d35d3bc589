// -snapshot, as QEMU has it: the guest's writes go to a temporary overlay and the image
// file is never written. The overlay is an unlinked sparse temporary file holding the
// written sectors at their own offsets, with a bitmap saying which sectors it holds; it
// goes away with the process.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>
#include <mutex>
#include <vector>

#include "block/block_image.h"

namespace rs {

namespace {

constexpr uint64_t kSector = 512;

class SnapshotOverlay final : public BlockImage {
 public:
  explicit SnapshotOverlay(std::unique_ptr<BlockImage> base) : base_(std::move(base)) {
    path_ = base_->path();
    size_ = base_->size();
    readonly_ = false;
    const char* dir = std::getenv("TMPDIR");
    std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/ringshift-snapshot.XXXXXX";
    fd_ = ::mkstemp(tmpl.data());
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "-snapshot overlay in " + tmpl);
    ::unlink(tmpl.c_str());
    held_.assign((size_ + kSector - 1) / kSector, false);
  }
  ~SnapshotOverlay() override { ::close(fd_); }

  // Sector by sector: from the overlay where the guest wrote it, else from the image.
  // The BIOS (machine thread) and a controller's I/O thread may both use the disk.
  bool read(uint64_t offset, void* buf, size_t len) override {
    std::lock_guard<std::mutex> g(mu_);
    if (!inside(offset, len)) return false;
    auto* p = static_cast<uint8_t*>(buf);
    while (len) {
      const uint64_t s = offset / kSector, in = offset % kSector;
      const size_t n = size_t(std::min<uint64_t>(len, kSector - in));
      if (!(held_[s] ? pread_all(p, n, offset) : base_->read(offset, p, n))) return false;
      p += n, offset += n, len -= n;
    }
    return true;
  }

  // A part of a sector first brings the rest of it over from the image.
  bool write(uint64_t offset, const void* buf, size_t len) override {
    std::lock_guard<std::mutex> g(mu_);
    if (!inside(offset, len)) return false;
    auto* p = static_cast<const uint8_t*>(buf);
    while (len) {
      const uint64_t s = offset / kSector, in = offset % kSector;
      const size_t n = size_t(std::min<uint64_t>(len, kSector - in));
      if (!held_[s] && n != kSector) {
        uint8_t sector[kSector];
        const uint64_t at = s * kSector;
        const size_t whole = size_t(std::min<uint64_t>(kSector, size_ - at));
        if (!base_->read(at, sector, whole) || !pwrite_all(sector, whole, at)) return false;
      }
      if (!pwrite_all(p, n, offset)) return false;
      held_[s] = true;
      p += n, offset += n, len -= n;
    }
    return true;
  }

  bool flush() override { return true; }  // nothing of it is kept

 private:
  bool inside(uint64_t offset, size_t len) const { return offset <= size_ && len <= size_ - offset; }
  bool pread_all(uint8_t* p, size_t n, uint64_t at) {
    while (n) {
      const ssize_t r = ::pread(fd_, p, n, off_t(at));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      p += r, at += uint64_t(r), n -= size_t(r);
    }
    return true;
  }
  bool pwrite_all(const uint8_t* p, size_t n, uint64_t at) {
    while (n) {
      const ssize_t r = ::pwrite(fd_, p, n, off_t(at));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      p += r, at += uint64_t(r), n -= size_t(r);
    }
    return true;
  }

  std::unique_ptr<BlockImage> base_;
  int fd_ = -1;
  std::vector<bool> held_;
  std::mutex mu_;
};

}  // namespace

std::unique_ptr<BlockImage> BlockImage::snapshot(std::unique_ptr<BlockImage> base) {
  return std::make_unique<SnapshotOverlay>(std::move(base));
}

}  // namespace rs
