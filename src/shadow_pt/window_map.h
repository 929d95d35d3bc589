// Per-window-page records of the shadow page tables, stored like a two-level page table:
// 2048 lazily allocated chunks of 1024 pages (the 4 GiB window and its mirror), each with
// a bitmap of the pages in use. The entries under one guest directory entry sit in one
// chunk, so walking a slot's entries (at a CR3 load, when a slot is handed to another
// directory) is a sequential scan instead of a hash-table traversal, and a lookup is two
// indexed loads.
#pragma once
#include <algorithm>
#include <bit>
#include <cstdint>
#include <memory>

namespace rs {

template <class T>
class WindowMap {
 public:
  static constexpr uint32_t kChunkPages = 1024, kChunks = 2048;

  T* find(uint32_t wp) {
    Chunk* c = chunks_[wp >> 10].get();
    return c && c->has(wp & 1023) ? &c->v[wp & 1023] : nullptr;
  }
  const T* find(uint32_t wp) const { return const_cast<WindowMap*>(this)->find(wp); }
  bool contains(uint32_t wp) const { return find(wp) != nullptr; }

  // The entry at wp, made (value-initialized) when missing; fresh tells which.
  T& emplace(uint32_t wp, bool& fresh) {
    auto& c = chunks_[wp >> 10];
    if (!c) c = std::make_unique<Chunk>();
    const uint32_t i = wp & 1023;
    fresh = !c->has(i);
    if (fresh) {
      c->v[i] = T{};
      c->used[i >> 6] |= uint64_t(1) << (i & 63);
      c->n++;
      n_++;
    }
    return c->v[i];
  }

  void erase(uint32_t wp) {
    Chunk* c = chunks_[wp >> 10].get();
    const uint32_t i = wp & 1023;
    if (!c || !c->has(i)) return;
    c->used[i >> 6] &= ~(uint64_t(1) << (i & 63));
    c->n--;
    n_--;
  }

  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  void clear() {
    for (auto& c : chunks_) c.reset();
    n_ = 0;
  }

  // f(window page, T&) for every entry; f must not add or remove entries.
  template <class F>
  void for_each(F f) {
    if (!n_) return;
    for (uint32_t k = 0; k < kChunks; ++k)
      if (Chunk* c = chunks_[k].get(); c && c->n) for_chunk(k, *c, f);
  }
  // The same for the entries of one chunk (window pages k*1024 .. k*1024+1023).
  template <class F>
  void for_each_in(uint32_t k, F f) {
    if (Chunk* c = chunks_[k].get(); c && c->n) for_chunk(k, *c, f);
  }
  // The same for the entries of window pages [first, first + n), a range within one
  // chunk that starts and ends on a multiple of 64 pages.
  template <class F>
  void for_each_in_range(uint32_t first, uint32_t n, F f) {
    Chunk* c = chunks_[first >> 10].get();
    if (!c || !c->n) return;
    const uint32_t base = first & ~1023u;
    for (uint32_t w = (first & 1023) / 64, end = w + n / 64; w < end; ++w)
      for (uint64_t bits = c->used[w]; bits; bits &= bits - 1) {
        const uint32_t i = w * 64 + uint32_t(std::countr_zero(bits));
        f(base | i, c->v[i]);
      }
  }
  // Whether chunk k has entries.
  bool chunk_used(uint32_t k) const { return chunks_[k] && chunks_[k]->n; }
  // Whether no entry lies in window pages [from, to): empty chunks are skipped whole,
  // used ones 64 pages a step.
  bool empty_range(uint32_t from, uint32_t to) const {
    while (from < to) {
      const uint32_t k = from >> 10;
      const uint32_t chunk_end = std::min<uint32_t>((k + 1) << 10, to);
      if (const Chunk* c = chunks_[k].get(); c && c->n) {
        for (uint32_t i = from & 1023, e = chunk_end - (k << 10); i < e;) {
          const uint32_t bit = i & 63, span = std::min<uint32_t>(64 - bit, e - i);
          uint64_t bits = c->used[i >> 6] >> bit;
          if (span < 64) bits &= (uint64_t(1) << span) - 1;
          if (bits) return false;
          i += span;
        }
      }
      from = chunk_end;
    }
    return true;
  }

 private:
  struct Chunk {
    T v[kChunkPages];
    uint64_t used[kChunkPages / 64] = {};
    uint32_t n = 0;
    bool has(uint32_t i) const { return used[i >> 6] >> (i & 63) & 1; }
  };
  template <class F>
  static void for_chunk(uint32_t k, Chunk& c, F& f) {
    for (uint32_t w = 0; w < kChunkPages / 64; ++w)
      for (uint64_t bits = c.used[w]; bits; bits &= bits - 1) {
        const uint32_t i = w * 64 + uint32_t(std::countr_zero(bits));
        f(k << 10 | i, c.v[i]);
      }
  }
  std::unique_ptr<Chunk> chunks_[kChunks];
  size_t n_ = 0;
};

}  // namespace rs
