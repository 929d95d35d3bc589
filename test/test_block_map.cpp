// The translator's block table (translator/block_map.h): what goes in comes out by its
// whole key, survives growth and removals around it, and a newer block is never taken
// out in place of an older one.
#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "translator/translator.h"

using rs::Block;
using rs::BlockMap;

namespace {

std::unique_ptr<Block> block(uint32_t eip) {
  auto b = std::make_unique<Block>();
  b->eip = eip;
  return b;
}

}  // namespace

TEST_CASE("block map: keys that differ only in the physical page or the mode are apart", "[translator][block_map]") {
  BlockMap m(4);  // 16 slots: grows many times below
  std::vector<Block*> in;
  // A shared block's key: the page offset and the mode, the rest is the physical address.
  for (uint32_t p = 0; p < 3000; ++p) {
    auto b = block(p);
    in.push_back(b.get());
    REQUIRE(m.put(BlockMap::Key{(uint64_t(3) << 32) | 0x123, p << 12}, std::move(b)) == nullptr);
  }
  auto other_mode = block(99999);
  Block* om = other_mode.get();
  m.put(BlockMap::Key{(uint64_t(0x803) << 32) | 0x123, 5u << 12}, std::move(other_mode));
  CHECK(m.size() == 3001);
  for (uint32_t p = 0; p < 3000; ++p) CHECK(m.find(BlockMap::Key{(uint64_t(3) << 32) | 0x123, p << 12}) == in[p]);
  CHECK(m.find(BlockMap::Key{(uint64_t(0x803) << 32) | 0x123, 5u << 12}) == om);
  CHECK(m.find(BlockMap::Key{(uint64_t(3) << 32) | 0x124, 5u << 12}) == nullptr);
  CHECK(m.find(BlockMap::Key{(uint64_t(3) << 32) | 0x123, 3000u << 12}) == nullptr);
}

TEST_CASE("block map: take removes only the block asked for; replacing returns the old one", "[translator][block_map]") {
  BlockMap m(4);
  const BlockMap::Key k{42, 0x1000};
  auto first = block(1);
  Block* f = first.get();
  m.put(k, std::move(first));
  auto second = block(2);
  Block* s = second.get();
  auto old = m.put(k, std::move(second));
  CHECK(old.get() == f);
  CHECK(m.take(k, f) == nullptr);  // replaced already: the newer block stays
  CHECK(m.find(k) == s);
  auto owned = m.take(k, s);
  CHECK(owned.get() == s);
  CHECK(m.find(k) == nullptr);
  CHECK(m.size() == 0);
}

TEST_CASE("block map: random puts and takes agree with std::map", "[translator][block_map]") {
  BlockMap m(3);
  std::map<std::pair<uint64_t, uint32_t>, Block*> model;
  std::mt19937 rng(12345);
  for (int step = 0; step < 200000; ++step) {
    // Few distinct keys: many collide, are removed and come back (tombstones, rebuilds).
    const BlockMap::Key k{uint64_t(rng() % 4) << 32 | (rng() % 13), uint32_t(rng() % 7) << 12};
    const auto mk = std::make_pair(k.mode_eip, k.phys);
    if (rng() % 3) {
      auto b = block(uint32_t(step));
      Block* raw = b.get();
      auto old = m.put(k, std::move(b));
      CHECK((old ? old.get() : nullptr) == (model.count(mk) ? model[mk] : nullptr));
      model[mk] = raw;
    } else if (model.count(mk)) {
      auto owned = m.take(k, model[mk]);
      CHECK(owned.get() == model[mk]);
      model.erase(mk);
    } else {
      CHECK(m.find(k) == nullptr);
    }
  }
  CHECK(m.size() == model.size());
  for (const auto& [mk, b] : model) CHECK(m.find(BlockMap::Key{mk.first, mk.second}) == b);
  m.clear();
  CHECK(m.size() == 0);
  CHECK(m.find(BlockMap::Key{model.begin()->first.first, model.begin()->first.second}) == nullptr);
}
