#include <catch2/catch.hpp>

#include "cli.h"
#include "error.h"

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
