// Window's VMA count (what the shadow's map budget counts) against the host's own: the
// lines of /proc/self/maps inside the window's reservation, after each of a few thousand
// random maps, protection changes, unmaps and clears of the kinds the shadow makes.
#include <catch2/catch.hpp>
#include <sys/mman.h>

#include <cstdio>
#include <random>

#include "mmu/phys_mem.h"
#include "shadow_pt/window.h"

namespace {

// VMAs of this process between lo and hi, by /proc/self/maps.
int64_t host_vmas(uint64_t lo, uint64_t hi) {
  FILE* f = std::fopen("/proc/self/maps", "r");
  REQUIRE(f);
  int64_t n = 0;
  unsigned long a = 0, b = 0;
  char line[512];
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "%lx-%lx", &a, &b) == 2 && a >= lo && b <= hi) n++;
  std::fclose(f);
  return n;
}

}  // namespace

TEST_CASE("a window's VMA count is the host's", "[window]") {
  rs::PhysMem mem(4ull << 20);  // 1024 frames
  rs::Window w;
  const uint64_t lo = w.base() - rs::Window::kGuard, hi = w.base() + rs::Window::kSpan + rs::Window::kGuard;  // the mirror is in the upper guard
  REQUIRE(host_vmas(lo, hi) == 1);
  REQUIRE(w.vmas() == 1);
  const int64_t total0 = rs::Window::total_vmas();

  std::mt19937 rng(20261207);
  auto pick = [&](uint32_t n) { return uint32_t(rng() % n); };
  const int prots[] = {PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE};
  // Window pages near 0, near the top of the window, and at the mirror's start, so that
  // runs meet the guards and each other; frames often consecutive, so that pages merge.
  auto page = [&]() -> uint32_t {
    switch (pick(3)) {
      case 0: return pick(96);
      case 1: return rs::Window::kMirrorPage - 1 - pick(48);
      default: return rs::Window::kMirrorPage + pick(48);
    }
  };
  int mismatches = 0;
  for (int step = 0; step < 3000 && mismatches == 0; ++step) {
    const uint32_t wp = page(), n = 1 + pick(pick(4) ? 2 : 12);
    switch (pick(10)) {
      case 0: case 1: case 2: case 3:  // a fill (fill_around maps a run of frames)
        REQUIRE(w.map(wp, mem.fd(), pick(1024 - n), prots[1 + pick(2)], n));
        break;
      case 4: case 5: case 6:  // protection changes, parking (PROT_NONE keeps the mapping)
        REQUIRE(w.protect(wp, prots[pick(3)], 1));
        break;
      case 7:  // a parked run with holes (drop_refs): PROT_NONE over mapped and unmapped pages
        REQUIRE(w.protect(wp, PROT_NONE, n));
        break;
      case 8:
        w.unmap(wp, n);
        break;
      default:
        if (pick(20) == 0) w.clear();
        break;
    }
    const int64_t host = host_vmas(lo, hi);
    if (host != w.vmas()) {
      UNSCOPED_INFO("step " << step << ": host " << host << " VMAs, counted " << w.vmas());
      mismatches++;
    }
  }
  CHECK(mismatches == 0);
  CHECK(rs::Window::total_vmas() - total0 == w.vmas() - 1);
  w.clear();
  CHECK(host_vmas(lo, hi) == 1);
  CHECK(w.vmas() == 1);
}

TEST_CASE("the physical window's VMAs: RAM in one, a protected page splits it", "[window]") {
  rs::PhysMem mem(4ull << 20);
  rs::Window w;
  const uint64_t lo = w.base() - rs::Window::kGuard, hi = w.base() + rs::Window::kSpan + rs::Window::kGuard;  // the mirror is in the upper guard
  w.map_ram(mem);
  CHECK(host_vmas(lo, hi) == w.vmas());
  CHECK(w.vmas() == 5);  // guard+reservation, RAM, reservation, mirror RAM, reservation+guard
  w.protect_ram_page(7, true);
  CHECK(host_vmas(lo, hi) == w.vmas());
  CHECK(w.vmas() == 9);
  w.protect_ram_page(7, false);
  CHECK(host_vmas(lo, hi) == w.vmas());
  CHECK(w.vmas() == 5);
}
