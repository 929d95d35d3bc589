// The PAE walker (mmu/page_walk_pae.cpp) against Intel SDM vol. 3: 4.4 (PAE paging: the
// PDPTE registers loaded at MOV CR3 and their reserved bits, 64-bit PDEs and PTEs, 2 MiB
// pages), 4.6 (access rights, execute-disable), 4.7 (#PF error code: P, W/R, U/S, RSVD,
// I/D) and 4.8 (accessed and dirty flags).
#include <catch2/catch.hpp>

#include <initializer_list>

#include "mmu/page_walk.h"

namespace {

// CR3 is 32-byte aligned under PAE, not page aligned.
constexpr uint32_t kCr3 = 0x10020, kPd0 = 0x11000, kPd3 = 0x12000, kPt = 0x13000;
constexpr uint32_t CR0_PG_PE = 0x80000001, CR0_WP = 0x10000, CR4_PAE = 0x20, CR4_PGE = 0x80;
constexpr uint64_t P = rs::kPteP, RW = rs::kPteRW, US = rs::kPteUS, A = rs::kPteA, D = rs::kPteD, PS = rs::kPtePS,
                   G = rs::kPteG, XD = 1ull << 63;

struct Tables {
  rs::PhysMem mem{8u << 20};
  uint64_t pdpte[4] = {};
  uint64_t get(uint32_t a) {
    uint64_t v;
    mem.read(a, &v, 8);
    return v;
  }
  void set(uint64_t a, uint64_t v) { mem.write(a, &v, 8); }
  Tables() {
    set(kCr3, kPd0 | P);       // 0-1 GiB
    set(kCr3 + 24, kPd3 | P);  // 3-4 GiB
    REQUIRE(rs::load_pdptes(mem, kCr3, pdpte));
  }
  // Maps linear page `lin` (below 1 GiB) to `phys` through the page table at kPt.
  void map4k(uint32_t lin, uint64_t phys, uint64_t pde_bits, uint64_t pte_bits) {
    set(kPd0 + ((lin >> 21) & 0x1FF) * 8, kPt | pde_bits);
    set(kPt + ((lin >> 12) & 0x1FF) * 8, phys | pte_bits);
  }
  rs::WalkResult walk(uint32_t lin, bool write, bool user, uint64_t efer = 0, bool fetch = false,
                      uint32_t cr0 = CR0_PG_PE, uint32_t cr4 = CR4_PAE) {
    rs::WalkRequest rq{lin, write, user, cr0, kCr3, cr4, true};
    rq.fetch = fetch;
    rq.efer = efer;
    rq.pdpte = pdpte;
    return rs::walk(mem, rq);
  }
};

constexpr uint64_t NXE = rs::kEferNxe;

}  // namespace

TEST_CASE("PAE: the four PDPTEs are loaded from CR3 bits 31:5, reserved bits refuse the load", "[mmu][pae]") {
  Tables t;
  CHECK(t.pdpte[0] == (kPd0 | P));
  CHECK(t.pdpte[1] == 0);
  CHECK(t.pdpte[3] == (kPd3 | P));
  uint64_t out[4] = {1, 2, 3, 4};
  for (uint64_t bad : std::initializer_list<uint64_t>{1ull << 1, 1ull << 2, 1ull << 5, 1ull << 8, 1ull << 36, 1ull << 62, XD}) {
    t.set(kCr3 + 8, kPd0 | P | bad);
    CHECK_FALSE(rs::load_pdptes(t.mem, kCr3, out));
    CHECK(out[0] == 1);  // nothing loaded
  }
  t.set(kCr3 + 8, 0xFFFFFFFFFFFFFFFEull);  // not present: the rest is ignored
  CHECK(rs::load_pdptes(t.mem, kCr3, out));
  t.set(kCr3 + 8, kPd0 | P | (1ull << 3) | (1ull << 4) | (7ull << 9));  // PWT, PCD, ignored bits 11:9
  CHECK(rs::load_pdptes(t.mem, kCr3, out));
}

TEST_CASE("PAE: a 4 KiB page through 64-bit entries, A on a read, D on a write", "[mmu][pae]") {
  Tables t;
  auto r = t.walk(0x40000123, false, false);  // PDPTE 1 not present
  CHECK_FALSE(r.ok);
  CHECK(r.error == 0);
  t.map4k(0x00403000, 0x200000, P | RW | US, P | RW | US);
  r = t.walk(0x00403ABC, false, true);
  REQUIRE(r.ok);
  CHECK(r.phys == 0x200ABC);
  CHECK(t.get(kPt + 3 * 8) == (0x200000 | P | RW | US | A));
  CHECK((t.get(kPd0 + 2 * 8) & A));
  CHECK_FALSE(r.dirty);
  r = t.walk(0x00403ABC, true, true);
  REQUIRE(r.ok);
  CHECK(r.dirty);
  CHECK(t.get(kPt + 3 * 8) == (0x200000 | P | RW | US | A | D));
  CHECK(r.table == kPt >> 12);
  CHECK(r.directory == kPd0 >> 12);
  // The top quarter goes through PDPTE 3.
  t.set(kPd3 + 511 * 8, 0x600000 | P | RW | PS);
  r = t.walk(0xFFFFF123, false, false);
  REQUIRE(r.ok);
  CHECK(r.phys == 0x7FF123);
}

TEST_CASE("PAE: PS maps 2 MiB whatever CR4.PSE says; bits 20:13 of it are reserved", "[mmu][pae]") {
  Tables t;
  t.set(kPd0 + 5 * 8, 0x400000 | P | RW | PS);
  auto r = t.walk(0x00BFFFFF, true, false);
  REQUIRE(r.ok);
  CHECK(r.large);
  CHECK(r.phys == 0x5FFFFF);
  CHECK(r.table == rs::kNoTable);
  CHECK((t.get(kPd0 + 5 * 8) & (A | D)) == (A | D));
  t.set(kPd0 + 5 * 8, 0x400000 | P | RW | PS | (1ull << 13));
  r = t.walk(0x00A00000, false, false);
  CHECK_FALSE(r.ok);
  CHECK(r.error == (rs::kPfPresent | rs::kPfReserved));
}

TEST_CASE("PAE: addresses past MAXPHYADDR are reserved, those below it may pass 4 GiB", "[mmu][pae]") {
  Tables t;
  t.map4k(0x1000, 0x123456000ull, P | RW, P | RW);  // bit 32 of the frame: 4.5 GiB
  auto r = t.walk(0x1234, false, false);
  REQUIRE(r.ok);
  CHECK(r.phys == 0x123456234ull);
  t.map4k(0x1000, 1ull << rs::kMaxPhysAddr, P | RW, P | RW);
  r = t.walk(0x1234, true, true);
  CHECK_FALSE(r.ok);
  CHECK(r.error == (rs::kPfPresent | rs::kPfReserved | rs::kPfWrite | rs::kPfUser));
}

TEST_CASE("PAE: execute-disable with NXE, a reserved bit without it; I/D only with NXE", "[mmu][pae]") {
  Tables t;
  t.map4k(0x5000, 0x300000, P | RW | US, P | RW | US | XD);
  auto r = t.walk(0x5000, false, true, NXE);
  REQUIRE(r.ok);  // data may be read from a no-execute page
  CHECK_FALSE(r.exec_ok);
  r = t.walk(0x5000, false, true, NXE, true);
  CHECK_FALSE(r.ok);
  CHECK(r.error == (rs::kPfPresent | rs::kPfUser | rs::kPfFetch));
  r = t.walk(0x5000, false, false, NXE, true);  // the supervisor cannot fetch there either
  CHECK(r.error == (rs::kPfPresent | rs::kPfFetch));
  r = t.walk(0x5000, false, false, 0, false);  // XD without NXE: reserved
  CHECK(r.error == (rs::kPfPresent | rs::kPfReserved));
  // XD in the PDE alone forbids fetches from the whole table.
  t.map4k(0x5000, 0x300000, P | RW | US | XD, P | RW | US);
  r = t.walk(0x5000, false, true, NXE, true);
  CHECK(r.error == (rs::kPfPresent | rs::kPfUser | rs::kPfFetch));
  t.map4k(0x5000, 0x300000, P | RW | US, P | RW | US);
  r = t.walk(0x5000, false, true, NXE, true);
  REQUIRE(r.ok);
  CHECK(r.exec_ok);
  // A fetch from a not-present page: I/D with NXE, not without.
  r = t.walk(0x40000000, false, true, NXE, true);
  CHECK(r.error == (rs::kPfUser | rs::kPfFetch));
  r = t.walk(0x40000000, false, true, 0, true);
  CHECK(r.error == rs::kPfUser);
}

TEST_CASE("PAE: U/S and R/W are the AND of both levels; WP; G with CR4.PGE", "[mmu][pae]") {
  Tables t;
  t.map4k(0x7000, 0x300000, P | RW, P | RW | US | G);  // PDE without U/S
  auto r = t.walk(0x7000, false, true);
  CHECK(r.error == (rs::kPfPresent | rs::kPfUser));
  t.map4k(0x7000, 0x300000, P | US, P | RW | US | G);  // PDE read-only
  r = t.walk(0x7000, true, true);
  CHECK(r.error == (rs::kPfPresent | rs::kPfWrite | rs::kPfUser));
  r = t.walk(0x7000, true, false);  // supervisor write, WP = 0: allowed
  CHECK(r.ok);
  r = t.walk(0x7000, true, false, 0, false, CR0_PG_PE | CR0_WP);
  CHECK(r.error == (rs::kPfPresent | rs::kPfWrite));
  CHECK_FALSE(t.walk(0x7000, false, false).global);
  CHECK(t.walk(0x7000, false, false, 0, false, CR0_PG_PE, CR4_PAE | CR4_PGE).global);
}
