// WindowMap: the two-level store of shadow entries (src/shadow_pt/window_map.h).
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <vector>

#include "shadow_pt/window_map.h"

namespace {

struct Rec {
  uint32_t v = 7;  // a value-initialized entry must read 7, whatever was there before
};

}  // namespace

TEST_CASE("window map: emplace, find, erase, and fresh entries are value-initialized", "[window_map]") {
  rs::WindowMap<Rec> m;
  CHECK(m.empty());
  CHECK(m.find(5) == nullptr);
  bool fresh = false;
  Rec& a = m.emplace(5, fresh);
  CHECK(fresh);
  CHECK(a.v == 7);
  a.v = 42;
  CHECK(&m.emplace(5, fresh) == &a);
  CHECK_FALSE(fresh);
  CHECK(m.find(5)->v == 42);
  CHECK(m.size() == 1);
  m.erase(5);
  CHECK(m.find(5) == nullptr);
  CHECK(m.size() == 0);
  m.erase(5);  // erasing a missing entry changes nothing
  CHECK(m.size() == 0);
  CHECK(m.emplace(5, fresh).v == 7);  // reused slot, reinitialized
  CHECK(fresh);
}

TEST_CASE("window map: chunk edges and the mirror's top page", "[window_map]") {
  rs::WindowMap<Rec> m;
  bool fresh = false;
  const uint32_t pages[] = {0, 1023, 1024, 2047, (1u << 20) - 1, 1u << 20, (1u << 21) - 1};
  for (uint32_t p : pages) m.emplace(p, fresh).v = p;
  CHECK(m.size() == std::size(pages));
  for (uint32_t p : pages) {
    REQUIRE(m.find(p) != nullptr);
    CHECK(m.find(p)->v == p);
  }
  CHECK(m.find(1022) == nullptr);
  CHECK(m.find(2048) == nullptr);
  CHECK(m.chunk_used(0));
  CHECK(m.chunk_used(1));
  CHECK_FALSE(m.chunk_used(2));
  CHECK(m.chunk_used(2047));
  std::vector<uint32_t> seen;
  m.for_each_in(1, [&](uint32_t wp, Rec&) { seen.push_back(wp); });
  CHECK(seen == std::vector<uint32_t>{1024, 2047});
  m.clear();
  CHECK(m.empty());
  CHECK(m.find(2047) == nullptr);
}

TEST_CASE("window map: for_each visits exactly the live entries, in page order", "[window_map]") {
  rs::WindowMap<Rec> m;
  std::map<uint32_t, uint32_t> ref;
  std::mt19937 rng(1);
  bool fresh = false;
  for (int i = 0; i < 20000; ++i) {
    const uint32_t wp = rng() % (1u << 21);
    if (rng() % 3 == 0) {
      m.erase(wp);
      ref.erase(wp);
    } else {
      m.emplace(wp, fresh).v = uint32_t(i);
      ref[wp] = uint32_t(i);
    }
  }
  CHECK(m.size() == ref.size());
  std::vector<std::pair<uint32_t, uint32_t>> got;
  m.for_each([&](uint32_t wp, Rec& r) { got.push_back({wp, r.v}); });
  CHECK(got == std::vector<std::pair<uint32_t, uint32_t>>(ref.begin(), ref.end()));
}

TEST_CASE("window map: empty_range agrees with a page-by-page look", "[window_map]") {
  // Entries clustered in a few chunks (word and chunk edges included), ranges of every
  // size from inside a 64-page word to across the whole map.
  rs::WindowMap<Rec> m;
  std::mt19937 rng(7);
  bool fresh = false;
  for (uint32_t p : {0u, 63u, 64u, 1023u, 1024u, 5000u, 0x100000u, 0x1FFFFFu}) m.emplace(p, fresh);
  for (int i = 0; i < 300; ++i) m.emplace(uint32_t(rng() % 8192) + (i % 3) * 0x80000u, fresh);
  const uint32_t total = rs::WindowMap<Rec>::kChunks * rs::WindowMap<Rec>::kChunkPages;
  auto slow = [&](uint32_t from, uint32_t to) {
    for (uint32_t p = from; p < to; ++p)
      if (m.contains(p)) return false;
    return true;
  };
  for (int i = 0; i < 3000; ++i) {
    const uint32_t from = uint32_t(rng() % total);
    const uint32_t len = i % 3 == 0 ? uint32_t(rng() % 70) : i % 3 == 1 ? uint32_t(rng() % 5000) : uint32_t(rng() % 0x90000);
    const uint32_t to = std::min(total, from + len);
    INFO("range " << from << ".." << to);
    CHECK(m.empty_range(from, to) == slow(from, to));
  }
  rs::WindowMap<Rec> edges;  // entries at 0, 63, 64, 1023 and 1024 only
  for (uint32_t p : {0u, 63u, 64u, 1023u, 1024u}) edges.emplace(p, fresh);
  CHECK(edges.empty_range(1, 63));
  CHECK_FALSE(edges.empty_range(1, 64));
  CHECK(edges.empty_range(65, 1023));
  CHECK_FALSE(edges.empty_range(65, 1024));
  CHECK(edges.empty_range(1025, total));
  CHECK(edges.empty_range(7, 7));
}
