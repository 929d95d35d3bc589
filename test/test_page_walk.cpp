// The guest page-table walker against the rules of Intel SDM vol. 3, 4.3 (32-bit paging)
// and 4.6 (access rights), 4.7 (#PF error code) and 4.8 (accessed and dirty flags).
#include <catch2/catch.hpp>

#include "mmu/page_walk.h"

namespace {

constexpr uint32_t kCr3 = 0x10000, kPt = 0x11000;
constexpr uint32_t CR0_PG_PE = 0x80000001, CR0_WP = 0x10000, CR4_PSE = 0x10, CR4_PGE = 0x80;

struct Tables {
  rs::PhysMem mem{8u << 20};
  uint32_t get(uint32_t a) {
    uint32_t v;
    mem.read(a, &v, 4);
    return v;
  }
  void set(uint32_t a, uint32_t v) { mem.write(a, &v, 4); }
  // Maps linear page `lin` to `phys` through the page table at kPt.
  void map4k(uint32_t lin, uint32_t phys, uint32_t pde_bits, uint32_t pte_bits) {
    set(kCr3 + (lin >> 22) * 4, kPt | pde_bits);
    set(kPt + ((lin >> 12) & 0x3FF) * 4, phys | pte_bits);
  }
  rs::WalkResult walk(uint32_t lin, bool write, bool user, uint32_t cr0 = CR0_PG_PE, uint32_t cr4 = 0,
                      bool set_ad = true) {
    return rs::walk(mem, rs::WalkRequest{lin, write, user, cr0, kCr3, cr4, set_ad});
  }
};

constexpr uint32_t P = rs::kPteP, RW = rs::kPteRW, US = rs::kPteUS, A = rs::kPteA, D = rs::kPteD;

}  // namespace

TEST_CASE("a not-present PDE or PTE faults with P = 0 and the access bits", "[mmu]") {
  Tables t;
  auto r = t.walk(0x00403123, true, true);
  CHECK_FALSE(r.ok);
  CHECK(r.error == (rs::kPfWrite | rs::kPfUser));
  t.map4k(0x00403000, 0x200000, P | RW | US, 0);  // PTE not present
  r = t.walk(0x00403123, false, false);
  CHECK_FALSE(r.ok);
  CHECK(r.error == 0);
}

TEST_CASE("a 4 KiB page translates and gets A on a read, D on a write", "[mmu]") {
  Tables t;
  t.map4k(0x00403000, 0x200000, P | RW | US, P | RW | US);
  auto r = t.walk(0x00403123, false, true);
  REQUIRE(r.ok);
  CHECK(r.phys == 0x200123);
  CHECK((t.get(kCr3 + 4) & A) != 0);
  CHECK((t.get(kPt + 3 * 4) & (A | D)) == A);
  CHECK_FALSE(r.dirty);
  r = t.walk(0x00403FFF, true, true);
  REQUIRE(r.ok);
  CHECK(r.phys == 0x200FFF);
  CHECK((t.get(kPt + 3 * 4) & (A | D)) == (A | D));
  CHECK((t.get(kCr3 + 4) & D) == 0);  // D lives in the leaf only
  CHECK(r.dirty);
}

TEST_CASE("a probe changes no accessed or dirty bit", "[mmu]") {
  Tables t;
  t.map4k(0x1000, 0x5000, P | RW, P | RW);
  auto r = t.walk(0x1004, true, false, CR0_PG_PE, 0, false);
  REQUIRE(r.ok);
  CHECK(t.get(kCr3) == (kPt | P | RW));
  CHECK(t.get(kPt + 4) == (0x5000 | P | RW));
}

TEST_CASE("user accesses need U/S in both levels; violations fault with P = 1", "[mmu]") {
  Tables t;
  t.map4k(0x1000, 0x5000, P | RW | US, P | RW);  // supervisor page
  auto r = t.walk(0x1000, false, true);
  CHECK_FALSE(r.ok);
  CHECK(r.error == (rs::kPfPresent | rs::kPfUser));
  CHECK(t.walk(0x1000, true, false).ok);  // the supervisor may
  t.map4k(0x1000, 0x5000, P | RW, P | RW | US);   // supervisor directory entry
  r = t.walk(0x1000, true, true);
  CHECK_FALSE(r.ok);
  CHECK(r.error == (rs::kPfPresent | rs::kPfWrite | rs::kPfUser));
}

TEST_CASE("writes need R/W in both levels for users, and for the supervisor only with CR0.WP", "[mmu]") {
  Tables t;
  t.map4k(0x1000, 0x5000, P | US, P | RW | US);  // read-only directory entry
  auto r = t.walk(0x1000, true, true);
  CHECK_FALSE(r.ok);
  CHECK(r.error == (rs::kPfPresent | rs::kPfWrite | rs::kPfUser));
  CHECK(t.walk(0x1000, false, true).ok);
  r = t.walk(0x1000, true, false);  // supervisor, WP = 0
  CHECK(r.ok);
  CHECK(r.writable);
  r = t.walk(0x1000, true, false, CR0_PG_PE | CR0_WP);
  CHECK_FALSE(r.ok);
  CHECK(r.error == (rs::kPfPresent | rs::kPfWrite));
}

TEST_CASE("with CR4.PSE a PDE with PS maps 4 MiB; without it PS is ignored", "[mmu]") {
  Tables t;
  t.set(kCr3 + 2 * 4, 0x00400000 | P | RW | rs::kPtePS);
  auto r = t.walk(0x00912345, true, false, CR0_PG_PE, CR4_PSE);
  REQUIRE(r.ok);
  CHECK(r.large);
  CHECK(r.phys == 0x00512345);
  CHECK((t.get(kCr3 + 2 * 4) & (A | D)) == (A | D));  // the PDE is the leaf
  // Without PSE the same entry points at a page table at 0x400000 (empty: not present).
  r = t.walk(0x00912345, false, false, CR0_PG_PE, 0);
  CHECK_FALSE(r.ok);
  CHECK(r.error == 0);
}

TEST_CASE("reserved bits 21:13 of a 4 MiB PDE fault with RSVD (no PSE-36)", "[mmu]") {
  Tables t;
  t.set(kCr3, 0x00002000 | P | RW | rs::kPtePS);
  auto r = t.walk(0x1000, false, false, CR0_PG_PE, CR4_PSE);
  CHECK_FALSE(r.ok);
  CHECK(r.error == (rs::kPfPresent | rs::kPfReserved));
}

TEST_CASE("G marks a translation global only with CR4.PGE", "[mmu]") {
  Tables t;
  t.map4k(0x1000, 0x5000, P | RW, P | RW | rs::kPteG);
  CHECK_FALSE(t.walk(0x1000, false, false).global);
  CHECK(t.walk(0x1000, false, false, CR0_PG_PE, CR4_PGE).global);
}
