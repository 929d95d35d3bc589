#include <catch2/catch.hpp>

#include "cli.h"
#include "error.h"

#include <string>
#include <vector>

using rs::parse_args;
using rs::parse_size;

TEST_CASE("memory sizes parse like QEMU's -m", "[cli]") {
  CHECK(parse_size("256M") == 256ull << 20);
  CHECK(parse_size("1G") == 1ull << 30);
  CHECK(parse_size("65536K") == 64ull << 20);
  CHECK(parse_size("64") == 64ull << 20);  // a bare number is MiB
  CHECK_THROWS_AS(parse_size(""), rs::UsageError);
  CHECK_THROWS_AS(parse_size("12X"), rs::UsageError);
  CHECK_THROWS_AS(parse_size("M"), rs::UsageError);
  CHECK_THROWS_AS(parse_size("1M"), rs::UsageError);     // below the minimum
  CHECK_THROWS_AS(parse_size("4G"), rs::UsageError);     // above the maximum
  CHECK_THROWS_AS(parse_size("99999999999999G"), rs::UsageError);
}

TEST_CASE("run options are parsed and validated", "[cli]") {
  const char* ok[] = {"ringshift", "run", "-m", "64M", "--kernel", "k.elf", "--append", "a b", "--log-level", "debug"};
  auto a = parse_args(10, ok);
  CHECK(a.cmd == rs::Command::Run);
  CHECK(a.run.memory == 64ull << 20);
  CHECK(a.run.kernel == "k.elf");
  CHECK(a.run.append == "a b");
  CHECK(a.run.log_level == "debug");

  const char* no_kernel[] = {"ringshift", "run"};
  CHECK_THROWS_AS(parse_args(2, no_kernel), rs::UsageError);
  const char* bad_flag[] = {"ringshift", "run", "--kernel", "k", "--bogus"};
  CHECK_THROWS_AS(parse_args(5, bad_flag), rs::UsageError);
  const char* bad_level[] = {"ringshift", "run", "--kernel", "k", "--log-level", "loud"};
  CHECK_THROWS_AS(parse_args(6, bad_level), rs::UsageError);
  const char* missing_value[] = {"ringshift", "run", "--kernel"};
  CHECK_THROWS_AS(parse_args(3, missing_value), rs::UsageError);
  const char* bad_cmd[] = {"ringshift", "walk"};
  CHECK_THROWS_AS(parse_args(2, bad_cmd), rs::UsageError);
  const char* help[] = {"ringshift", "--help"};
  CHECK(parse_args(2, help).cmd == rs::Command::Help);
  CHECK(parse_args(2, help).help_text.find("--kernel") != std::string::npos);
}

TEST_CASE("missing and unreadable files are usage errors", "[cli]") {
  CHECK_THROWS_AS(rs::read_file("/nonexistent/kernel", "kernel image", 1 << 20), rs::UsageError);
  CHECK_THROWS_AS(rs::read_file("/", "kernel image", 1 << 20), rs::UsageError);
  CHECK_THROWS_AS(rs::read_file("/proc/self/exe", "kernel image", 16), rs::UsageError);  // larger than RAM
}

namespace {
// parse_args on a brace list, as a user would type it after "ringshift run".
rs::RunOptions run_with(std::vector<const char*> args) {
  args.insert(args.begin(), {"ringshift", "run"});
  return parse_args(int(args.size()), args.data()).run;
}
std::string run_error(std::vector<const char*> args) {
  try {
    run_with(std::move(args));
  } catch (const rs::UsageError& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST_CASE("drives take QEMU's single-dash flags", "[cli]") {
  auto o = run_with({"-hda", "a.img", "-hdb", "b.img", "-cdrom", "c.iso", "-fda", "f.img"});
  REQUIRE(o.drives.size() == 4);
  CHECK(o.drives[0].file == "a.img");
  CHECK(o.drives[1].file == "b.img");
  CHECK(o.drives[2].file == "c.iso");
  CHECK(o.drives[3].file == "f.img");
  CHECK_FALSE(o.drives[0].readonly);
  CHECK(o.kernel.empty());
  CHECK(o.boot_order == "cad");  // QEMU's PC default
  // "-hda" is not -h (help) followed by -d -a; the double-dash form works too.
  CHECK(parse_args(4, std::vector<const char*>{"ringshift", "run", "-hda", "x"}.data()).cmd == rs::Command::Run);
  CHECK(run_with({"--cdrom", "x.iso"}).drives.at(0).file == "x.iso");
  // A drive beside --kernel: the kernel boots, the drive is still there.
  o = run_with({"--kernel", "k", "-hda", "a.img", "-m", "64"});
  CHECK(o.kernel == "k");
  CHECK(o.drives.at(0).file == "a.img");
  CHECK(o.memory == 64ull << 20);
  CHECK_THAT(run_error({"-hda", ""}), Catch::Matchers::Contains("-hda: empty file name"));
  CHECK_THROWS_AS(run_with({"-hda", "a", "-hda", "b"}), rs::UsageError);
  CHECK_THROWS_AS(run_with({"-hda"}), rs::UsageError);  // no file
}

TEST_CASE("the boot order takes QEMU's letters, plain or as order=", "[cli]") {
  CHECK(run_with({"-cdrom", "c.iso", "-boot", "d"}).boot_order == "d");
  CHECK(run_with({"-hda", "a", "-boot", "order=dc"}).boot_order == "dc");
  CHECK(run_with({"-hda", "a", "-boot", "acd"}).boot_order == "acd");
  // No drive for the letter is the BIOS's business, not the parser's.
  CHECK(run_with({"-hda", "a", "-boot", "d"}).boot_order == "d");
  CHECK(rs::parse_boot_order("order=a") == "a");
  for (const char* bad : {"x", "", "order=", "cc", "dcd", "n", "C", "order=dz", "once=d", "d,menu=on"})
    CHECK_THROWS_WITH(rs::parse_boot_order(bad), Catch::Matchers::StartsWith("bad -boot '" + std::string(bad) + "'"));
  CHECK_THAT(run_error({"-hda", "a", "-boot", "z"}), Catch::Matchers::Contains("bad -boot 'z'"));
}

TEST_CASE("run needs a kernel or a drive", "[cli]") {
  const std::string nothing = "nothing to boot: give --kernel FILE or a drive (-hda, -cdrom, -fda)";
  CHECK(run_error({}) == nothing);
  CHECK(run_error({"-m", "64M", "-boot", "c"}) == nothing);
  CHECK(run_error({"--append", "x"}) == nothing);
  CHECK(run_with({"-hdb", "b.img"}).drives.at(0).index == 1);  // any one drive will do
  CHECK(run_with({"-fda", "f.img"}).drives.at(0).file == "f.img");
  CHECK(run_with({"-drive", "file=v.img,if=virtio"}).drives.size() == 1);
  CHECK(parse_args(2, std::vector<const char*>{"ringshift", "--help"}.data()).help_text.find("-hda FILE") !=
        std::string::npos);
}
