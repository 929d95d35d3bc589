// What the guest's CPUID and IA32_ARCH_CAPABILITIES say about speculative-execution
// vulnerabilities (cpu/vulnerabilities.cpp): the host's own verdicts, read here
// independently from the host's CPUID and its kernel's sysfs files.
#include <cpuid.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "cpu/emulate.h"
#include "mmu/page_walk.h"

namespace {

bool sysfs_not_affected(const char* name) {
  std::ifstream f(std::string("/sys/devices/system/cpu/vulnerabilities/") + name);
  std::string line;
  return std::getline(f, line) && line.rfind("Not affected", 0) == 0;
}

}  // namespace

TEST_CASE("cpuid: leaf 7 enumerates IA32_ARCH_CAPABILITIES and nothing else", "[vulnerabilities]") {
  uint32_t r[4];
  rs::cpuid_leaf(0, r);
  REQUIRE(r[0] >= 7);
  rs::cpuid_leaf(7, r);
  CHECK(r[1] == 0);
  CHECK(r[2] == 0);
  CHECK(r[3] == (1u << 29));
}

TEST_CASE("cpuid: 80000008h gives the walker's physical-address width", "[vulnerabilities]") {
  uint32_t r[4];
  rs::cpuid_leaf(0x80000000u, r);
  REQUIRE(r[0] >= 0x80000021u);
  rs::cpuid_leaf(0x80000008u, r);
  CHECK((r[0] & 0xFF) == uint32_t(rs::kMaxPhysAddr));
  CHECK(((r[0] >> 8) & 0xFF) == 32);
}

TEST_CASE("cpuid: 80000021h ECX carries the host's TSA verdicts on AMD", "[vulnerabilities]") {
  uint32_t a, b, c, d, r[4];
  __cpuid(0x80000000u, a, b, c, d);
  uint32_t want = 0;
  if (rs::host_is_amd() && a >= 0x80000021u) {
    __cpuid_count(0x80000021u, 0, a, b, c, d);
    want = c & 6;  // TSA_SQ_NO, TSA_L1_NO
  }
  rs::cpuid_leaf(0x80000021u, r);
  CHECK(r[2] == want);
  CHECK(r[0] == 0);
}

TEST_CASE("IA32_ARCH_CAPABILITIES: a *_NO bit exactly where the host kernel says not affected", "[vulnerabilities]") {
  const uint64_t caps = rs::arch_capabilities();
  CHECK(((caps >> 0) & 1) == sysfs_not_affected("meltdown"));
  CHECK(((caps >> 4) & 1) == sysfs_not_affected("spec_store_bypass"));
  CHECK(((caps >> 5) & 1) == sysfs_not_affected("mds"));
  CHECK(((caps >> 8) & 1) == sysfs_not_affected("tsx_async_abort"));
  CHECK(((caps >> 26) & 1) == sysfs_not_affected("gather_data_sampling"));
  CHECK(((caps >> 27) & 1) == sysfs_not_affected("reg_file_data_sampling"));
  CHECK((caps & ~((1ull << 0) | (1ull << 4) | (1ull << 5) | (1ull << 6) | (1ull << 8) | (7ull << 13) | (3ull << 26))) == 0);
}
