#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "block/block_image.h"
#include "error.h"

using Catch::Matchers::Contains;
using rs::BlockImage;

namespace {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
struct TempDir {
  std::string path;
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/rs_block_XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  // A file of `size` bytes holding bytes i * 7 + 1, so every offset is recognisable.
  std::string file(const std::string& name, size_t size, mode_t mode = 0644) const {
    const std::string p = path + "/" + name;
    std::vector<uint8_t> data(size);
    for (size_t i = 0; i < size; ++i) data[i] = uint8_t(i * 7 + 1);
    const int fd = ::open(p.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, data.data(), size) == ssize_t(size));
    ::close(fd);
    REQUIRE(::chmod(p.c_str(), mode) == 0);
    return p;
  }
};

std::vector<uint8_t> contents(const std::string& path) {
  std::vector<uint8_t> out(size_t(std::filesystem::file_size(path)));
  const int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::read(fd, out.data(), out.size()) == ssize_t(out.size()));
  ::close(fd);
  return out;
}

}  // namespace

TEST_CASE("a raw image reads and writes at any offset inside it", "[block]") {
  TempDir t;
  const std::string p = t.file("disk.img", 4096);
  auto img = BlockImage::open(p, false, 512);
  CHECK(img->size() == 4096);
  CHECK(img->path() == p);
  CHECK_FALSE(img->readonly());

  uint8_t got[37];
  REQUIRE(img->read(1001, got, sizeof got));
  for (size_t i = 0; i < sizeof got; ++i) CHECK(got[i] == uint8_t((1001 + i) * 7 + 1));

  const char msg[] = "odd offset, odd length";
  REQUIRE(img->write(513, msg, sizeof msg));
  char back[sizeof msg] = {};
  REQUIRE(img->read(513, back, sizeof back));
  CHECK(std::memcmp(back, msg, sizeof msg) == 0);
  // The last byte and an empty access at the very end are inside.
  uint8_t last = 0;
  CHECK(img->read(4095, &last, 1));
  CHECK(last == uint8_t(4095 * 7 + 1));
  CHECK(img->read(4096, &last, 0));
  REQUIRE(img->flush());
  img.reset();

  // The bytes are in the file, and nothing around them moved.
  auto data = contents(p);
  REQUIRE(data.size() == 4096);
  CHECK(std::memcmp(&data[513], msg, sizeof msg) == 0);
  CHECK(data[512] == uint8_t(512 * 7 + 1));
  CHECK(data[513 + sizeof msg] == uint8_t((513 + sizeof msg) * 7 + 1));
}

TEST_CASE("an access outside the image fails and changes nothing", "[block]") {
  TempDir t;
  const std::string p = t.file("disk.img", 1024);
  const auto before = contents(p);
  auto img = BlockImage::open(p, false, 512);
  std::vector<uint8_t> buf(600, 0xEE);
  CHECK_FALSE(img->write(1000, buf.data(), 25));  // 1 byte past the end: nothing written
  CHECK_FALSE(img->write(1024, buf.data(), 1));
  CHECK_FALSE(img->write(~0ull - 10, buf.data(), 20));  // offset + len wraps around
  CHECK_FALSE(img->read(512, buf.data(), 513));
  CHECK_FALSE(img->read(~0ull, buf.data(), 2));
  CHECK(buf == std::vector<uint8_t>(600, 0xEE));  // a refused read leaves the buffer alone
  REQUIRE(img->flush());
  img.reset();
  CHECK(contents(p) == before);
  CHECK(std::filesystem::file_size(p) == 1024);  // not extended either
}

TEST_CASE("a read-only image refuses writes", "[block]") {
  TempDir t;
  const std::string p = t.file("ro.img", 512, 0444);
  const auto before = contents(p);
  auto img = BlockImage::open(p, true, 512);
  CHECK(img->readonly());
  uint8_t b = 0x5A;
  CHECK_FALSE(img->write(0, &b, 1));
  CHECK(img->read(0, &b, 1));
  CHECK(b == 1);
  CHECK(img->flush());
  img.reset();
  CHECK(contents(p) == before);
}

TEST_CASE("bad disk images are refused with one line naming the file", "[block]") {
  TempDir t;
  const std::string missing = t.path + "/nope.img";
  CHECK_THROWS_WITH(BlockImage::open(missing, false, 512), "disk image '" + missing + "': no such file");
  CHECK_THROWS_WITH(BlockImage::open(missing, true, 512), Contains("no such file"));
  CHECK_THROWS_WITH(BlockImage::open(t.path, false, 512), Contains("': is a directory"));
  CHECK_THROWS_WITH(BlockImage::open(t.path, true, 512), Contains("': is a directory"));

  // Mode 0444: a read-only file opened for writing. Checked from the mode bits, so this
  // holds when the tests run as root, who could open it anyway.
  const std::string ro = t.file("ro.img", 512, 0444);
  CHECK_THROWS_WITH(BlockImage::open(ro, false, 512),
                    "disk image '" + ro + "': read-only file (add ,readonly or make it writable)");
  CHECK_NOTHROW(BlockImage::open(ro, true, 512));
  const std::string unreadable = t.file("none.img", 512, 0);
  CHECK_THROWS_WITH(BlockImage::open(unreadable, true, 512), Contains("permission denied"));

  const std::string odd = t.file("odd.img", 1000);
  CHECK_THROWS_WITH(BlockImage::open(odd, false, 512),
                    "disk image '" + odd + "': size 1000 bytes is not a multiple of 512");
  const std::string disk_sized = t.file("disk.img", 2560);  // 5 disk sectors, not CD sectors
  CHECK_NOTHROW(BlockImage::open(disk_sized, false, 512));
  CHECK_THROWS_WITH(BlockImage::open(disk_sized, true, 2048), Contains("size 2560 bytes is not a multiple of 2048"));
  CHECK(BlockImage::open(t.file("cd.iso", 4096), true, 2048)->size() == 4096);

  const std::string empty = t.file("empty.img", 0);
  CHECK_THROWS_WITH(BlockImage::open(empty, false, 512), "disk image '" + empty + "': empty file");

  const std::string fifo = t.path + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  CHECK_THROWS_WITH(BlockImage::open(fifo, true, 512), Contains("not a regular file"));  // and does not hang

  // Every failure is a UsageError (exit status 2), one line.
  try {
    BlockImage::open(odd, false, 512);
    FAIL("no exception");
  } catch (const rs::UsageError& e) {
    CHECK(std::string(e.what()).find('\n') == std::string::npos);
  }
}

TEST_CASE("an image in use is locked against a second user", "[block]") {
  TempDir t;
  const std::string p = t.file("disk.img", 1024);
  const std::string locked = "disk image '" + p + "': in use by another process (locked)";
  {
    auto writer = BlockImage::open(p, false, 512);
    // flock locks belong to an open file description: a second open here conflicts
    // exactly as another ringshift's would.
    CHECK_THROWS_WITH(BlockImage::open(p, false, 512), locked);
    CHECK_THROWS_WITH(BlockImage::open(p, true, 512), locked);
  }
  {
    // Readers share: a read-only CD or disk in two machines at once is fine.
    auto r1 = BlockImage::open(p, true, 512);
    auto r2 = BlockImage::open(p, true, 512);
    CHECK_THROWS_WITH(BlockImage::open(p, false, 512), locked);
  }
  CHECK_NOTHROW(BlockImage::open(p, false, 512));  // closing released the lock
}

TEST_CASE("a sparse image stays sparse when written in the middle", "[block]") {
  TempDir t;
  const std::string p = t.path + "/sparse.img";
  constexpr uint64_t kSize = 64ull << 20;
  {
    const int fd = ::open(p.c_str(), O_CREAT | O_WRONLY, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, off_t(kSize)) == 0);
    ::close(fd);
  }
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  if (st.st_blocks != 0) {
    WARN("the file system under " << t.path << " has no sparse files; not checked");
    return;
  }
  auto img = BlockImage::open(p, false, 512);
  std::vector<uint8_t> sector(512, 0xA5);
  REQUIRE(img->write(kSize / 2 + 512, sector.data(), sector.size()));
  REQUIRE(img->flush());
  img.reset();
  REQUIRE(::stat(p.c_str(), &st) == 0);
  CHECK(uint64_t(st.st_size) == kSize);
  // One file system block or a few (st_blocks counts 512-byte units), not 64 MiB.
  CHECK(st.st_blocks > 0);
  CHECK(st.st_blocks <= 256);
  auto back = BlockImage::open(p, true, 512);
  uint8_t b[2] = {};
  REQUIRE(back->read(kSize / 2 + 511, b, 2));
  CHECK(b[0] == 0);
  CHECK(b[1] == 0xA5);
}

TEST_CASE("scatter lists read and write consecutive bytes of the image", "[block]") {
  TempDir t;
  const std::string p = t.file("v.img", 1 << 20);
  auto img = BlockImage::open(p, false, 512);
  std::vector<uint8_t> a(1000, 0x11), b(3000, 0x22), c(96, 0x33);
  iovec w[3] = {{a.data(), a.size()}, {b.data(), b.size()}, {c.data(), c.size()}};
  REQUIRE(img->writev(8192, w, 3));
  std::vector<uint8_t> x(2048), y(2048);
  iovec r[2] = {{x.data(), x.size()}, {y.data(), y.size()}};
  REQUIRE(img->readv(8192, r, 2));
  CHECK(x[999] == 0x11);
  CHECK(x[1000] == 0x22);
  CHECK(y[4000 - 2048 - 1] == 0x22);
  CHECK(y[4000 - 2048] == 0x33);
  CHECK(y[2047] == 0x33);
  uint8_t after = 0;
  REQUIRE(img->read(8192 + 4096, &after, 1));
  CHECK(after == uint8_t((8192 + 4096) * 7 + 1));  // the file's own byte past them
  iovec past[1] = {{x.data(), x.size()}};
  CHECK(!img->readv((1 << 20) - 1024, past, 1));  // crosses the end: refused whole
  img.reset();
  auto ro = BlockImage::open(p, true, 512);
  CHECK(!ro->writev(0, w, 3));
}

TEST_CASE("writes of zeros punch holes instead of allocating", "[block]") {
  TempDir t;
  const std::string p = t.path + "/zeros.img";
  constexpr uint64_t kSize = 16ull << 20;
  {
    const int fd = ::open(p.c_str(), O_CREAT | O_WRONLY, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, off_t(kSize)) == 0);
    ::close(fd);
  }
  auto blocks = [&p] {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return uint64_t(st.st_blocks);
  };
  if (blocks() != 0) {
    WARN("the file system under " << t.path << " has no sparse files; not checked");
    return;
  }
  auto img = BlockImage::open(p, false, 512);
  std::vector<uint8_t> zeros(1 << 20, 0), data(1 << 20, 0x5A);
  REQUIRE(img->write(0, zeros.data(), zeros.size()));  // a mkfs zeroing the disk
  REQUIRE(img->flush());
  CHECK(blocks() == 0);
  REQUIRE(img->write(4 << 20, data.data(), data.size()));
  REQUIRE(img->flush());
  CHECK(blocks() >= 2048);  // 1 MiB allocated
  REQUIRE(img->write(4 << 20, zeros.data(), zeros.size()));  // zeroed again: given back
  REQUIRE(img->flush());
  CHECK(blocks() < 64);
  std::vector<uint8_t> back(zeros.size(), 1);
  REQUIRE(img->read(4 << 20, back.data(), back.size()));
  CHECK(back == zeros);
}

TEST_CASE("under -snapshot the guest reads its own writes and the image file never changes", "[block]") {
  TempDir t;
  const std::string p = t.file("disk.img", 8192);
  const auto before = contents(p);
  {
    auto img = BlockImage::snapshot(BlockImage::open(p, true, 512));
    CHECK_FALSE(img->readonly());
    CHECK(img->size() == 8192);
    // Parts of two sectors: the rest of each comes from the image.
    const char msg[] = "across a sector boundary";
    REQUIRE(img->write(500, msg, sizeof msg));
    // A whole sector, then a rewrite of a piece of it.
    std::vector<uint8_t> full(512, 0xEE);
    REQUIRE(img->write(2048, full.data(), full.size()));
    REQUIRE(img->write(2050, "xy", 2));
    std::vector<uint8_t> got(8192);
    REQUIRE(img->read(0, got.data(), got.size()));
    for (size_t i = 0; i < 8192; ++i) {
      uint8_t want = uint8_t(i * 7 + 1);
      if (i >= 500 && i < 500 + sizeof msg) want = uint8_t(msg[i - 500]);
      if (i >= 2048 && i < 2560) want = 0xEE;
      if (i == 2050) want = 'x';
      if (i == 2051) want = 'y';
      if (got[i] != want) {
        FAIL_CHECK("byte " << i << " reads " << int(got[i]) << ", expected " << int(want));
        break;
      }
    }
    CHECK_FALSE(img->write(8190, "abc", 3));  // past the end, as for any image
    REQUIRE(img->flush());
  }
  CHECK(contents(p) == before);
}
