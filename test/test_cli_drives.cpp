#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cli.h"
#include "error.h"

using Catch::Matchers::Contains;
using rs::DriveOptions;
using Interface = rs::DriveOptions::Interface;
using Media = rs::DriveOptions::Media;

namespace {

// The drives of "ringshift run ARGS...".
std::vector<DriveOptions> drives(std::vector<const char*> args) {
  args.insert(args.begin(), {"ringshift", "run"});
  return rs::parse_args(int(args.size()), args.data()).run.drives;
}

std::string error(std::vector<const char*> args) {
  try {
    drives(std::move(args));
  } catch (const rs::UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

// The drive of one -drive SPEC.
DriveOptions drive(const char* spec) {
  auto d = drives({"-drive", spec});
  REQUIRE(d.size() == 1);
  return d[0];
}

// "IDE 0 a.img, virtio 0 b.img": interface, index and file of each drive, in order.
std::string layout(const std::vector<DriveOptions>& ds) {
  std::string out;
  for (const DriveOptions& d : ds) {
    if (!out.empty()) out += ", ";
    out += d.interface == Interface::Ide ? "IDE " : d.interface == Interface::Virtio ? "virtio " : "floppy ";
    out += std::to_string(d.index) + (d.media == Media::Cdrom ? " cd " : " ") + d.file;
  }
  return out;
}

}  // namespace

TEST_CASE("the short drive flags take QEMU's places", "[cli]") {
  CHECK(layout(drives({"-hdd", "d", "-hdc", "c", "-hdb", "b", "-hda", "a"})) == "IDE 0 a, IDE 1 b, IDE 2 c, IDE 3 d");
  CHECK(layout(drives({"-fda", "f", "-cdrom", "cd.iso", "-hda", "a"})) == "IDE 0 a, IDE 2 cd cd.iso, floppy 0 f");
  const DriveOptions cd = drives({"-cdrom", "x.iso"})[0];
  CHECK(cd.readonly);  // CD media is read-only
  CHECK_FALSE(cd.snapshot);
  // A file name is taken whole by the short flags, commas and all (as QEMU's -hda).
  CHECK(drives({"-hda", "a,b.img"})[0].file == "a,b.img");
  CHECK_THAT(error({"-hdc", "c", "-cdrom", "x.iso"}),
             Contains("IDE index 2 (secondary master) is given twice: -hdc and -cdrom"));
  CHECK_THAT(error({"-fdb", "b.img"}), Contains("-fdb: floppy index 1 is out of range (ringshift has drive A: only"));
}

TEST_CASE("a --disk fills the first free IDE index", "[cli]") {
  auto d = drives({"--disk", "one.img", "--disk", "two.img,readonly"});
  CHECK(layout(d) == "IDE 0 one.img, IDE 1 two.img");
  CHECK_FALSE(d[0].readonly);
  CHECK(d[1].readonly);
  // A drive that names its index keeps it wherever it stands.
  d = drives({"--disk", "d.img,readonly", "-hda", "a.img", "-cdrom", "c.iso"});
  CHECK(layout(d) == "IDE 0 a.img, IDE 1 d.img, IDE 2 cd c.iso");
  CHECK(layout(drives({"-hdb", "b", "--disk", "d", "--disk", "e", "-hdc", "c"})) == "IDE 0 d, IDE 1 b, IDE 2 c, IDE 3 e");
  CHECK(layout(drives({"-drive", "file=x", "-drive", "file=y,media=cdrom"})) == "IDE 0 x, IDE 1 cd y");
  CHECK_THAT(error({"-hda", "a", "-hdb", "b", "-hdc", "c", "-hdd", "d", "--disk", "e"}),
             Contains("--disk 'e': no free IDE slot (index 0 to 3)"));
  CHECK_THAT(error({"--disk", ",readonly"}), Contains("--disk ',readonly': empty file name"));
}

TEST_CASE("drives: -drive takes QEMU's keys", "[cli]") {
  DriveOptions d = drive("file=x.img");
  CHECK(d.file == "x.img");
  CHECK(d.interface == Interface::Ide);  // QEMU's default for a PC
  CHECK(d.index == 0);
  CHECK(d.media == Media::Disk);
  CHECK_FALSE(d.readonly);
  CHECK_FALSE(d.snapshot);
  CHECK(d.flag == "-drive 'file=x.img'");
  CHECK(drive("file=x,if=ide,index=3").index == 3);
  CHECK(drive("file=x,if=ide,bus=1,unit=0").index == 2);
  CHECK(drive("index=1,media=cdrom,file=x").media == Media::Cdrom);
  CHECK(drive("file=x,media=cdrom").readonly);
  CHECK(drive("file=x,if=virtio").interface == Interface::Virtio);
  CHECK(drive("file=x,if=floppy").interface == Interface::Floppy);
  CHECK(drive("file=x,format=raw").file == "x");
  CHECK(drive("file=x,readonly=on").readonly);
  CHECK(drive("file=x,readonly").readonly);  // QEMU's bare boolean
  CHECK_FALSE(drive("file=x,readonly=off").readonly);
  CHECK(drive("file=x,snapshot=on").snapshot);
  CHECK(drive("file=x,snapshot").snapshot);
  // ",," is a comma in a value.
  CHECK(drive("file=a,,b.img,if=virtio").file == "a,b.img");
  CHECK(drive("file=a,,,,b,,").file == "a,,b,");
  // Host-side tuning that leaves the data as it is: accepted, ignored.
  CHECK(drive("file=x,cache=none,aio=native,discard=unmap,detect-zeroes=on").file == "x");
  CHECK(drive("file=x,cache=writeback,aio=io_uring,discard=ignore,detect-zeroes=unmap").file == "x");
  CHECK(drive("file=x,cache=unsafe,aio=threads,discard=off,detect-zeroes=off").file == "x");
}

TEST_CASE("drives: -snapshot covers every writable drive unless it says snapshot=off", "[cli]") {
  auto d = drives({"-snapshot", "-hda", "a", "-drive", "file=b,if=virtio", "-drive", "file=c,snapshot=off", "-fda", "f",
                   "-cdrom", "cd", "--disk", "r,readonly"});
  REQUIRE(layout(d) == "IDE 0 a, IDE 1 c, IDE 2 cd cd, IDE 3 r, virtio 0 b, floppy 0 f");
  CHECK(d[0].snapshot);
  CHECK_FALSE(d[1].snapshot);
  CHECK_FALSE(d[2].snapshot);  // read-only: nothing to keep from the file
  CHECK_FALSE(d[3].snapshot);
  CHECK(d[4].snapshot);
  CHECK(d[5].snapshot);
  CHECK_FALSE(drives({"-hda", "a"})[0].snapshot);
}

TEST_CASE("drives: -drive refuses what it cannot do, naming it", "[cli]") {
  const struct { const char* spec; const char* gist; } cases[] = {
      {"file=x,format=qcow2", "format=qcow2 is not supported (raw images only: format=raw)"},
      {"file=x,bogus=1", "unknown key 'bogus'"},
      {"file=x,if=scsi", "if=scsi is not supported (ide, virtio, floppy"},
      {"file=x,media=tape", "bad media=tape (disk or cdrom)"},
      {"file=x,readonly=maybe", "bad readonly=maybe (on or off)"},
      {"file=x,snapshot=2", "bad snapshot=2 (on or off)"},
      {"file=x,index=one", "bad index=one (a number)"},
      {"file=x,index=-1", "bad index=-1 (a number)"},
      {"file=x,cache=writethrough", "cache=writethrough is not supported"},
      {"file=x,cache=directsync", "cache=directsync is not supported"},
      {"file=x,cache=fast", "bad cache=fast (writeback, none, unsafe)"},
      {"file=x,aio=posix", "bad aio=posix"},
      {"file=x,discard=yes", "bad discard=yes"},
      {"file=x,detect-zeroes=maybe", "bad detect-zeroes=maybe"},
      {"x.img", "'x.img' is not KEY=VALUE (file=x.img?)"},
      {"file=x,", "empty option"},
      {"file=x,file=y", "file= given twice"},
      {"if=virtio", "no file="},
      {"file=", "no file="},
      {"file=x,index=4", "IDE index 4 is out of range (index 0 to 3)"},
      {"file=x,bus=2,unit=0", "bus 0-1, unit 0-1"},
      {"file=x,bus=1", "bus= and unit= go together"},
      {"file=x,if=virtio,bus=0,unit=0", "bus= and unit= go together, with if=ide"},
      {"file=x,index=1,bus=0,unit=1", "index= or bus=/unit=, not both"},
      {"file=x,if=virtio,media=cdrom", "media=cdrom needs if=ide"},
      {"file=x,if=floppy,media=cdrom", "media=cdrom needs if=ide"},
      {"file=x,if=floppy,index=1", "floppy index 1 is out of range (ringshift has drive A: only, index 0)"},
      {"file=x,if=none", "if=none needs id=NAME"},
      {"file=x,if=none,id=d0", "if=none, but no -device virtio-blk-pci,drive=d0 uses it"},
  };
  for (const auto& c : cases) {
    INFO(c.spec);
    const std::string e = error({"-drive", c.spec});
    CHECK_THAT(e, Contains(std::string("-drive '") + c.spec + "'"));
    CHECK_THAT(e, Contains(c.gist));
  }
}

TEST_CASE("drives that collide are one clear error", "[cli]") {
  CHECK_THAT(error({"-hda", "a", "-drive", "file=b,index=0"}),
             Contains("IDE index 0 (primary master) is given twice: -hda and -drive 'file=b,index=0'"));
  CHECK_THAT(error({"-fda", "a", "-drive", "file=b,if=floppy"}),
             Contains("-drive 'file=b,if=floppy': no free floppy slot (ringshift has drive A: only"));
  CHECK_THAT(error({"-drive", "file=a,if=virtio,index=1", "-drive", "file=b,if=virtio,index=1"}),
             Contains("virtio index 1 is given twice"));
  CHECK_THAT(error({"-drive", "file=a,if=none,id=d", "-drive", "file=b,if=none,id=d"}), Contains("id=d is given twice"));
  std::vector<const char*> many;
  for (int i = 0; i < 17; ++i) many.insert(many.end(), {"-drive", "file=v,if=virtio,readonly"});
  CHECK_THAT(error(many), Contains("more than 16 virtio disks"));
}

TEST_CASE("virtio disks are numbered in command-line order, after the IDE ones", "[cli]") {
  auto d = drives({"-drive", "file=v0,if=virtio,index=5", "-hdb", "b", "-drive", "file=v1,if=virtio", "-fda", "f"});
  CHECK(layout(d) == "IDE 1 b, virtio 0 v0, virtio 1 v1, floppy 0 f");
  // -device virtio-blk-pci,drive=ID takes the if=none drive at the -device's place.
  d = drives({"-drive", "file=v0,if=virtio", "-device", "virtio-blk-pci,drive=d1,id=disk1", "-drive",
              "file=v2,if=virtio", "-drive", "id=d1,if=none,file=v1,readonly=on"});
  CHECK(layout(d) == "virtio 0 v0, virtio 1 v1, virtio 2 v2");
  CHECK(d[1].readonly);
  CHECK(d[1].flag == "-drive 'id=d1,if=none,file=v1,readonly=on'");
  CHECK(layout(drives({"-device", "virtio-blk,drive=x", "-drive", "if=none,id=x,file=y"})) == "virtio 0 y");
}

TEST_CASE("drives: -device is virtio-blk-pci with a drive, or a clear error", "[cli]") {
  CHECK_THAT(error({"-device", "e1000"}), Contains("-device 'e1000': only -device virtio-blk-pci,drive=ID is supported"));
  CHECK_THAT(error({"-device", "ide-hd,drive=d"}), Contains("or give -drive file=F,if=virtio"));
  CHECK_THAT(error({"-device", "virtio-blk-pci"}), Contains("needs drive=ID"));
  CHECK_THAT(error({"-device", "virtio-blk-pci,drive=d"}), Contains("no -drive has id=d"));
  CHECK_THAT(error({"-device", "virtio-blk-pci,drive=d,serial=x", "-drive", "if=none,id=d,file=f"}),
             Contains("unknown property 'serial'"));
  CHECK_THAT(error({"-device", "virtio-blk-pci,drive=d", "-drive", "if=ide,id=d,file=f"}),
             Contains("-drive 'if=ide,id=d,file=f' is already attached (give it if=none"));
  CHECK_THAT(error({"-device", "virtio-blk-pci,drive=d", "-device", "virtio-blk-pci,drive=d", "-drive",
                    "if=none,id=d,file=f"}),
             Contains("is already attached"));
  CHECK_THAT(error({"-device", "virtio-blk-pci,drive=d", "-drive", "if=none,id=d,file=f,media=cdrom"}),
             Contains("media=cdrom needs if=ide"));
}

namespace {

// A directory of images for the shared-file checks, removed at the end.
struct ImageDir {
  std::string path;
  ImageDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/rs_cli_XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
    for (const char* name : {"a.img", "b.img"}) {
      const int fd = ::open((path + "/" + name).c_str(), O_CREAT | O_WRONLY, 0644);
      REQUIRE(fd >= 0);
      REQUIRE(::ftruncate(fd, 4096) == 0);
      ::close(fd);
    }
  }
  ~ImageDir() { std::filesystem::remove_all(path); }
  std::string operator/(const char* name) const { return path + "/" + name; }
};

void check_shared(std::vector<std::string> args) {
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  rs::check_shared_images(drives(argv));
}

}  // namespace

TEST_CASE("one image behind two drives: readers share, a writer is refused", "[cli]") {
  ImageDir dir;
  const std::string a = dir / "a.img", b = dir / "b.img";
  CHECK_NOTHROW(check_shared({"-hda", a, "-hdb", b}));
  CHECK_THROWS_WITH(check_shared({"-hda", a, "-hdb", a}),
                    "disk image '" + a + "' backs two drives (-hda and -hdb) and one of them writes to it: give it " +
                        "once, or read-only to both (readonly=on or -snapshot)");
  CHECK_THROWS_WITH(check_shared({"-hda", a, "-drive", "file=" + a + ",if=virtio"}),
                    Contains("(-hda and -drive 'file=" + a + ",if=virtio')"));
  CHECK_THROWS_WITH(check_shared({"-hda", a, "-cdrom", a}), Contains("backs two drives (-hda and -cdrom)"));
  // The same file by another path is the same image.
  const std::string other = dir.path + "/../" + std::filesystem::path(dir.path).filename().string() + "/a.img";
  std::filesystem::create_symlink(a, dir / "link.img");
  CHECK_THROWS_WITH(check_shared({"-hda", a, "-hdb", other}), Contains("(also given as '" + other + "')"));
  CHECK_THROWS_WITH(check_shared({"-hda", dir / "link.img", "--disk", a + ",readonly"}), Contains("backs two drives"));
  // Read-only, CD and snapshot uses only read the file, as QEMU's shared locks allow.
  CHECK_NOTHROW(check_shared({"-drive", "file=" + a + ",readonly=on", "-drive", "file=" + a + ",if=virtio,readonly"}));
  CHECK_NOTHROW(check_shared({"-cdrom", a, "--disk", a + ",readonly"}));
  CHECK_NOTHROW(check_shared({"-snapshot", "-hda", a, "-hdb", a}));
  // A writer and a reader: the reader would see the disk change under it (QEMU refuses too).
  CHECK_THROWS_WITH(check_shared({"-hda", a, "-drive", "file=" + a + ",snapshot=on"}), Contains("backs two drives"));
  // A missing file is left to the open, which says why.
  CHECK_NOTHROW(check_shared({"-hda", dir / "nope.img", "-hdb", dir / "nope.img"}));
}
