// Translations that survive address-space randomization. A block is found by its
// linear EIP, but what it does depends only on the bytes at its physical address and
// its mode: the same library page mapped at another address in another process is the
// same code, shifted. So a lookup that misses asks by_phys_ for a live block made from
// the same physical address in the same mode and copies it, adding the EIP shift to
// every place the code holds a guest EIP and re-aiming what points at the block's own
// data or at the runtime stubs (the Relocs the emitters recorded). A copy costs a
// memcpy and a few patches instead of a decode and an assembly.
//
// RINGSHIFT_VERIFY_RELOC=1 checks every copy against a fresh translation made at the
// same host address: the bytes must be equal except for the pointers to block data.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "translator/translator.h"

namespace rs {

bool Relocs::operator==(const Relocs& o) const {
  auto same = [](const std::vector<Ptr>& x, const std::vector<Ptr>& y) {
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i)
      if (x[i].off != y[i].off || x[i].index != y[i].index) return false;
    return true;
  };
  return eip_imm == o.eip_imm && host_rel32 == o.host_rel32 && same(kept_imm, o.kept_imm) && same(site_imm, o.site_imm);
}

// Flat 32-bit code with paging: the linear page is the only thing a shift changes (16-bit
// code wraps IP at 64 KiB; code segments with bases key blocks by offset).
bool Translator::relocatable_mode(uint32_t m) const {
  return (m & kModeCode32) && (m & kModeFlatStack) && (m & kModePaging) && breakpoints_.empty();
}

namespace {

template <typename T>
void add_at(uint8_t* p, T delta) {
  T v;
  std::memcpy(&v, p, sizeof v);
  v = T(v + delta);
  std::memcpy(p, &v, sizeof v);
}

void put64(uint8_t* p, const void* ptr) {
  const uint64_t v = uint64_t(ptr);
  std::memcpy(p, &v, 8);
}

}  // namespace

// t's code copied to dst for linear EIP eip: same physical bytes, shifted by a whole
// number of pages. Exits come unchained (aimed at their own stubs).
Block* Translator::copy_block(const Block& t, uint32_t eip, uint8_t* dst) {
  const uint32_t delta = eip - t.eip;
  auto b = std::make_unique<Block>();
  b->eip = eip;
  b->mode = t.mode;
  b->page_first = t.page_first + (delta >> kPageShift);
  b->page_last = t.page_last + (delta >> kPageShift);
  b->phys_start = t.phys_start;
  b->phys_last = t.phys_last;
  b->code = dst;
  b->size = t.size;
  b->guest_insns = t.guest_insns;
  b->relocs = t.relocs;
  b->map = t.map;
  for (auto& r : b->map) r.eip += delta;
  b->kept.reserve(t.kept.size());
  for (const auto& k : t.kept) {
    b->kept.push_back(std::make_unique<Insn>(*k));
    b->kept.back()->eip += delta;
  }
  std::memcpy(dst, t.code, t.size);
  const Relocs& r = *t.relocs;
  for (uint32_t off : r.eip_imm) add_at<uint32_t>(dst + off, delta);
  const int64_t moved = dst - t.code;
  for (uint32_t off : r.host_rel32) add_at<int32_t>(dst + off, int32_t(-moved));
  for (const auto& p : r.kept_imm) put64(dst + p.off, b->kept[p.index].get());
  b->exits.reserve(t.exits.size());
  for (const auto& s : t.exits) {
    auto& n = *b->exits.emplace_back(std::make_unique<ExitSite>());
    n.from = b.get();
    n.target = s->target + delta;
    if (!s->rel32) continue;
    n.rel32 = dst + (s->rel32 - t.code);
    n.stub = dst + (s->stub - t.code);
    const int32_t rel = int32_t(n.stub - (n.rel32 + 4));
    std::memcpy(n.rel32, &rel, 4);
  }
  for (const auto& p : r.site_imm) put64(dst + p.off, b->exits[p.index].get());
  Block* out = b.get();
  enter_block(std::move(b));
  return out;
}

Block* Translator::relocate(uint32_t eip, uint32_t m, uint32_t phys) {
  if (!relocatable_mode(m)) return nullptr;
  auto it = by_phys_.find(key(0, m, phys));
  if (it == by_phys_.end()) return nullptr;
  const Block& t = *it->second;
  const uint32_t page = eip >> kPageShift;
  if (t.page_last != t.page_first) {  // its last instruction runs into the next page: the same one here?
    uint32_t next = 0, error = 0;
    if (!shadow_.fetch((page + 1) << kPageShift, cpu_.cpl == 3, next, error) || (next >> kPageShift) != t.phys_last)
      return nullptr;
  }
  if (verify_relocations_) return verify_relocation(t, eip);
  const auto t0 = std::chrono::steady_clock::now();
  cache_.align(kBlockAlign);
  uint8_t* dst = cache_.alloc(t.size);
  if (!dst) return nullptr;
  Block* b = copy_block(t, eip, dst);
  stats.relocations++;
  stats.relocate_ns +=
      uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
  return b;
}

// Translates eip afresh (the block returned) and checks that a copy of t would have been
// the same code.
Block* Translator::verify_relocation(const Block& t, uint32_t eip) {
  const uint32_t t_eip = t.eip, t_insns = t.guest_insns;
  const uint8_t* t_code = t.code;  // stays allocated until a flush, even if t goes
  const std::shared_ptr<const Relocs> relocs = t.relocs;
  std::vector<uint8_t> copy(t.code, t.code + t.size);
  for (const auto& s : t.exits)  // as copy_block leaves them: aimed at their stubs
    if (s->rel32) {
      const int32_t rel = int32_t(s->stub - (s->rel32 + 4));
      std::memcpy(copy.data() + (s->rel32 - t.code), &rel, 4);
    }
  Block* fresh = translate(eip);
  if (!fresh) return nullptr;  // the cache filled: the caller flushes
  stats.relocations_verified++;
  if (fresh->guest_insns != t_insns) return fresh;  // the template was cut short by a fetch fault then
  // Fatal: the dispatch helpers turn exceptions into a retranslation, which would hide it.
  auto fail = [&](const std::string& why) {
    std::fprintf(stderr, "ringshift: internal error: relocation check failed at EIP %#010x (copy of %#010x): %s\n",
                 eip, t_eip, why.c_str());
    std::abort();
  };
  if (!fresh->relocs) fail("the fresh translation is not relocatable");
  if (!(*fresh->relocs == *relocs)) fail("relocation records differ");
  if (fresh->size != copy.size()) fail("sizes differ");
  const Relocs& r = *relocs;
  for (uint32_t off : r.eip_imm) add_at<uint32_t>(copy.data() + off, eip - t_eip);
  for (uint32_t off : r.host_rel32) add_at<int32_t>(copy.data() + off, int32_t(t_code - fresh->code));
  std::vector<uint8_t> now(fresh->code, fresh->code + fresh->size);
  for (const auto& s : fresh->exits)  // the fresh block may be chained already: compare unchained
    if (s->rel32) {
      const int32_t rel = int32_t(s->stub - (s->rel32 + 4));
      std::memcpy(now.data() + (s->rel32 - fresh->code), &rel, 4);
    }
  // Pointers to block data are other objects: mask them in both.
  for (const auto* list : {&r.kept_imm, &r.site_imm})
    for (const auto& p : *list) {
      std::memset(copy.data() + p.off, 0, 8);
      std::memset(now.data() + p.off, 0, 8);
    }
  for (size_t i = 0; i < now.size(); ++i)
    if (copy[i] != now[i]) fail("code differs at offset " + std::to_string(i));
  return fresh;
}

}  // namespace rs
