// The block cache: where translated blocks live once made (install), how they find
// each other (direct exits chained in place, the per-address-space indirect-branch
// tables with two ways per bucket), and how they go (unlink when their page is written
// or remapped, drop_page, flush). block_at/record_at map a host address back to its
// block and guest instruction for the fault handler.
#include <sys/mman.h>

#include <algorithm>
#include <cstring>

#include "translator/emitter.h"
#include "translator/translator.h"

namespace rs {

// Copies the emitted code into the cache (or the one-instruction scratch area), points
// its unchained exits at their stubs, and makes the block findable. nullptr: the cache
// is full (flush and try again).
Block* Translator::install(std::unique_ptr<Block> blk, Emitter& e, uint8_t* dst, bool single) {
  TscSpan span(stats.assemble_ticks, time_phases_);
  e.finish_exits();
  e.code.flatten();
  e.code.resolveUnresolvedLinks();
  e.code.relocateToBase(uint64_t(dst));
  const size_t size = e.code.codeSize();
  if (single ? size > kScratchBytes : !cache_.alloc(size)) {
    if (single) throw std::runtime_error("one-instruction block larger than its scratch area");
    return nullptr;
  }
  if (single) {
    single_map_.assign(e.map.begin(), e.map.end());
    blk->map = single_map_;
  } else {
    // (A full record arena is a full cache: the caller flushes both.)
    auto* rec = reinterpret_cast<InsnRecord*>(maps_.alloc(e.map.size() * sizeof(InsnRecord)));
    if (!rec) return nullptr;
    std::copy(e.map.begin(), e.map.end(), rec);
    blk->map = std::span<const InsnRecord>(rec, e.map.size());
  }
  e.code.copyFlattenedData(dst, size);
  e.resolve();
  blk->code = dst;
  blk->size = uint32_t(size);
  for (auto& r : e.resolved) {
    r.info->rel32 = dst + r.rel32_off;
    r.info->stub = dst + r.stub_off;
    int32_t rel = int32_t(r.info->stub - (r.info->rel32 + 4));
    std::memcpy(r.info->rel32, &rel, 4);
    if (r.alt_off >= 0) {
      r.info->alt_rel32 = dst + r.alt_off;
      r.info->jt_tail = dst + r.tail_off;
    }
  }
  for (const auto& ic : e.ics_out()) {  // not learnt: the first miss learns
    ExitSite* s = ic.info;
    s->ic = dst + ic.head_off;
    s->stub = dst + ic.learn_off;
    s->rel32 = s->ic + kIcJump;
    s->ic_count = 1;
    const int32_t miss = int32_t(dst + ic.miss_off - (s->ic + kIcMiss + 4));
    const int32_t learn = int32_t(s->stub - (s->ic + kIcJump + 4));
    std::memcpy(s->ic + kIcMiss, &miss, 4);
    std::memcpy(s->ic + kIcJump, &learn, 4);
  }
  Block* b = blk.get();
  if (single) {
    single_ = std::move(blk);  // frees the previous one
    return b;
  }
  span.stop();
  TscSpan books(stats.bookkeeping_ticks, time_phases_);
  enter_block(std::move(blk));
  for (auto& s : b->exits)
    if (s->kernel_xpage) kernel_link(s.get());
  return b;
}

// Makes a cached block findable: by key, by host address, by physical page (and
// write-protects its pages), and in the indirect-branch table.
void Translator::enter_block(std::unique_ptr<Block> blk) {
  Block* b = blk.get();
  const uint64_t at = uint64_t(b->code);
  if (by_host_.empty() || by_host_.back().first < at)
    by_host_.emplace_back(at, b);
  else  // not expected: the cache is filled upwards until a flush
    by_host_.insert(std::upper_bound(by_host_.begin(), by_host_.end(), std::make_pair(at, b)), {at, b});
  if (perf_map_ || jitdump_) write_perf_map(*b);
  auto k = key(*b);
  if (Block* old = blocks_.find(k)) {
    stats.replaced++;
    unlink(old);
  }
  blocks_.put(k, std::move(blk));
  if (in_page_list(*b))
    shared_by_page_[b->phys_first()].push_back({uint64_t(b->code), b->mode, b->eip & (kPageSize - 1)});
  // One map operation a page (most blocks have one): the first page's list is also where
  // a block of the same bytes in another mode would be.
  auto& first = by_page_[b->phys_first()];
  for (const Block* o : first)
    if (o->phys_start == b->phys_start && o->mode != b->mode) {
      stats.mode_variants++;
      break;
    }
  first.push_back(b);
  if (!b->self_check) shadow_.protect_code(b->phys_first());  // a self-checking block sees writes itself
  if (b->phys_last != b->phys_first()) {
    by_page_[b->phys_last].push_back(b);
    if (!b->self_check) shadow_.protect_code(b->phys_last);
  }
  remember(b, b->eip);
}

// Empties the entries the table's page lists name (every one filled: a few thousand,
// not the whole 2 MiB table).
void Translator::clear_jtables(int slot) {
  if (slot == kKernelTable) kernel_unchain_all();
  ic_forget_all(slot);
  JTable* t = jtables_[slot];
  for (auto& [p, v] : jt_pages_[slot])
    for (uint32_t i : v) t->clear(i);
  jt_pages_[slot].clear();
  jt_full_pages_[slot].clear();
}

// Entries are indexed by the low 16 bits of EIP; jt_pages_ lists, per slot and linear
// page, the indexes filled for it, so that forgetting a page (and the page before,
// whose blocks may run into it) touches only those.
void Translator::clear_jtable(int slot, uint32_t lpage) {
  stats.jtable_page_clears++;
  forget_page(slot, lpage - 1);
  forget_page(slot, lpage);
}

void Translator::forget_page(int table, uint32_t p) {
  if (table == kKernelTable)
    kernel_unchain_page(p);
  else
    ic_forget_page(table, p);
  JTable* t = jtables_[table];
  jt_full_pages_[table].erase(p);
  auto& pages = jt_pages_[table];
  auto it = pages.find(p);
  if (it == pages.end()) return;
  for (uint32_t i : it->second) {
    const uint32_t eip = uint32_t(uint64_t(0) - t->key_at(i));
    if (t->code_at(i) && (eip >> kPageShift) == p) t->clear(i);
  }
  pages.erase(it);
}

// Enters b into the active address space's table (or the kernel's) as the code for
// linear EIP eip (a shared block goes in at its outer entry, which sets page_base from
// the target).
void Translator::remember(Block* b, uint32_t eip) {
  // Outside flat modes the table's EIP key would not say which code segment (translator.h).
  if (!b->cached || !(b->mode & kModeFlatStack)) return;
  const uint32_t page = eip >> kPageShift;
  // Already there (most lookups after a helper or an exception): nothing to note. An
  // entry's page lists and kernel page records are made with it and go with it.
  const int table = table_for(b->mode);
  {
    JTable* t = jtables_[table];
    const uint32_t i = 2 * jtable_index(eip);
    if (t->code_at(i) == uint64_t(b->code) && t->key_at(i) == uint64_t(0) - ((uint64_t(b->mode) << 32) | eip)) return;
  }
  if (table != kKernelTable) {
    table_put(table, jt_pages_[table][page], b->mode, eip, uint64_t(b->code), true);
    return;
  }
  // Kept across CR3 loads only when the CPU would keep the translation: a global page,
  // and for a block that runs into the next page, that page's too.
  const WalkResult w = shadow_.translate(eip, false, false, false);
  bool global = w.ok && w.global;
  if (global && b->page_last != b->page_first) {
    const WalkResult n = shadow_.translate(eip + kPageSize, false, false, false);
    global = n.ok && n.global;
  }
  auto& own = jt_pages_[kKernelTable];
  if (!global) kernel_local_pages_.insert(page);
  if (w.large) kernel_large_[eip >> 22] = 1;
  if (w.ok) note_kernel_frame(page, uint32_t(w.phys >> kPageShift));
  if (b->page_last != b->page_first) note_kernel_frame(page + 1, b->phys_last);
  table_put(kKernelTable, own[page], b->mode, eip, uint64_t(b->code), true);
  if (auto it = kernel_waiting_bits_.test(waiting_bit(eip)) ? kernel_waiting_.find(eip) : kernel_waiting_.end();
      it != kernel_waiting_.end()) {
    std::vector<ExitSite*> still;
    for (ExitSite* s : it->second) {
      if (s->from->dead || s->to) continue;
      if (s->from->mode != b->mode) {
        still.push_back(s);
        continue;
      }
      chain(s, b);
      kernel_chained_[page].push_back(s);
      stats.kernel_xpage_chains++;
    }
    if (still.empty())
      kernel_waiting_.erase(it);
    else
      it->second.swap(still);
  }
}

// Under paging a direct exit to another page may reach other code when that page is
// remapped, so it used to look its target up every time. In kernel code the target is
// where the kernel table says, and the table forgets a page exactly when the CPU would
// drop its translation (CR3 loads for non-global pages, INVLPG, CR4.PGE changes): a
// kernel exit to another page is chained while the table holds its target and unchained
// when the table forgets the target's page (kernel_unchain_page), so it leads where the
// table would. Its stub is the table lookup.
void Translator::kernel_link(ExitSite* s) {
  JTable* t = jtables_[kKernelTable];
  const uint64_t neg_key = uint64_t(0) - ((uint64_t(s->from->mode) << 32) | s->target);
  const uint32_t i = 2 * jtable_index(s->target);
  for (uint32_t w = 0; w < 2; ++w) {
    if (t->key_at(i + w) != neg_key || !t->code_at(i + w)) continue;
    if (const Block* b = block_at(t->code_at(i + w)); b && !b->dead && b->mode == s->from->mode) {
      chain(s, const_cast<Block*>(b));
      kernel_chained_[s->target >> kPageShift].push_back(s);
      stats.kernel_xpage_chains++;
      return;
    }
  }
  kernel_wait(s);
}

void Translator::kernel_unchain_page(uint32_t lpage) {
  auto it = kernel_chained_.find(lpage);
  if (it == kernel_chained_.end()) return;
  std::vector<ExitSite*> sites;
  sites.swap(it->second);
  kernel_chained_.erase(it);
  for (ExitSite* s : sites) {
    if (s->to) {
      auto& inc = s->to->incoming;
      inc.erase(std::remove(inc.begin(), inc.end(), s), inc.end());
      const int32_t rel = int32_t(s->stub - (s->rel32 + 4));
      std::memcpy(s->rel32, &rel, 4);
      s->to = nullptr;
      stats.kernel_xpage_unchains++;
    }
    if (!s->from->dead) kernel_wait(s);
  }
}

void Translator::kernel_unchain_all() {
  while (!kernel_chained_.empty()) kernel_unchain_page(kernel_chained_.begin()->first);
}

void Translator::ic_link(ExitSite* s, Block* b, uint32_t eip) {
  if (s->from->dead || !b->shared || !b->cached || b->dead || b->mode != s->from->mode) return;
  const int slot = shadow_.active();  // its table is the one in R12, which the guard compares
  if (slot >= Shadow::kSlots || uint64_t(jtables_[slot]) != cpu_.jtable) return;
  if (s->to) {
    auto& inc = s->to->incoming;
    inc.erase(std::remove(inc.begin(), inc.end(), s), inc.end());
    s->to = nullptr;
  }
  if (s->ic_slot == slot && s->ic_gen == ic_gen_[slot] && ++s->ic_learns >= kIcLearns) {
    std::memcpy(s->ic, kIcPolymorphic, sizeof kIcPolymorphic);
    stats.ic_megamorphic++;
    return;
  }
  stats.ic_learns++;
  const uint64_t key = uint64_t(0) - (uint64_t(jtables_[slot]) + eip);
  const int32_t rel = int32_t(b->code - (s->ic + kIcJump + 4));
  std::memcpy(s->ic + kIcKey, &key, 8);
  std::memcpy(s->ic + kIcJump, &rel, 4);
  s->to = b;
  b->incoming.push_back(s);
  s->ic_slot = int8_t(slot);
  s->ic_gen = ic_gen_[slot];
  s->ic_eip = eip;
  ic_linked_[slot][eip >> kPageShift].push_back(s);
}

void Translator::ic_unlink(ExitSite* s) {
  auto& inc = s->to->incoming;
  inc.erase(std::remove(inc.begin(), inc.end(), s), inc.end());
  s->to = nullptr;
  const uint64_t none = 0;
  std::memcpy(s->ic + kIcKey, &none, 8);
  const int32_t rel = int32_t(s->stub - (s->ic + kIcJump + 4));
  std::memcpy(s->ic + kIcJump, &rel, 4);
  stats.ic_unlinks++;
}

void Translator::ic_forget_page(int table, uint32_t lpage) {
  auto it = ic_linked_[table].find(lpage);
  if (it == ic_linked_[table].end()) return;
  for (ExitSite* s : it->second)
    if (s->to && s->ic_slot == table && (s->ic_eip >> kPageShift) == lpage) ic_unlink(s);
  ic_linked_[table].erase(it);
}

void Translator::ic_forget_all(int table) {
  ic_gen_[table]++;
  for (auto& [p, v] : ic_linked_[table])
    for (ExitSite* s : v)
      if (s->to && s->ic_slot == table && (s->ic_eip >> kPageShift) == p) ic_unlink(s);
  ic_linked_[table].clear();
}

void Translator::kernel_jtable_invlpg(uint32_t lpage) {
  if (kernel_large_[lpage >> 10]) {  // a 4 MiB page is one TLB entry
    kernel_large_[lpage >> 10] = 0;
    const uint32_t first = lpage & ~0x3FFu;
    for (uint32_t p = first - 1; p != first + 0x400; ++p) forget_page(kKernelTable, p);  // and blocks running in
    return;
  }
  clear_jtable(kKernelTable, lpage);
}

void Translator::kernel_jtable_cr3_load() {
  if (kernel_all_local_) {
    kernel_jtable_flush();
    return;
  }
  for (uint32_t p : kernel_local_pages_) forget_page(kKernelTable, p);
  kernel_local_pages_.clear();
}

void Translator::kernel_jtable_flush() {
  clear_jtables(kKernelTable);
  kernel_local_pages_.clear();
  kernel_all_local_ = false;
  kernel_page_frames_.clear();
  frame_memo_ = {};
  std::fill(kernel_large_.begin(), kernel_large_.end(), 0);
}

// Linux flushes its global TLB entries by toggling CR4.PGE whenever a kernel mapping
// changes (module loading and its set_memory_ro/x, vfree, BPF): a Debian boot did so
// ~500 times, and emptying the table each time made ~430,000 of its 595,000 kernel
// misses. The kernel's text and the direct map never move, so only the pages whose
// frame changed (or that went) lose their entries, and the page before them (blocks run
// into the next page). Pages are checked in order, one walk per large page.
void Translator::kernel_jtable_global_flush() {
  stats.kernel_jtable_checks++;
  uint32_t large_first = 1, large_end = 0, large_frame = 0;  // the last large page walked: [first, end)
  bool large_global = false;
  // Which pages a CR3 load drops is rebuilt as the page tables say now. With CR4.PGE
  // off, all (Linux clears it only to set it again at once: no list is made for that).
  kernel_local_pages_.clear();
  kernel_all_local_ = !(cpu_.cr4 & 0x80);  // CR4.PGE
  std::vector<uint32_t> stale;
  for (const auto& [p, frame] : kernel_page_frames_) {
    uint32_t now;
    bool global;
    if (p >= large_first && p < large_end) {
      now = large_frame + (p - large_first);
      global = large_global;
    } else {
      const WalkResult w = shadow_.translate(p << kPageShift, false, false, false);
      if (!w.ok || !w.exec_ok || (w.phys >> 32)) {
        stale.push_back(p);
        continue;
      }
      now = uint32_t(w.phys >> kPageShift);
      global = w.global;
      if (w.large) {
        const uint32_t pages = (cpu_.cr4 & 0x20) ? 512 : 1024;  // CR4.PAE: 2 MiB pages
        large_first = p & ~(pages - 1);
        large_end = large_first + pages;
        large_frame = now - (p - large_first);
        large_global = global;
      }
    }
    if (now != frame) {
      stale.push_back(p);
    } else if (!global && !kernel_all_local_) {  // still there, but a CR3 load drops it (and the page before)
      kernel_local_pages_.insert(p);
      kernel_local_pages_.insert(p - 1);
    }
  }
  for (uint32_t p : stale) {
    clear_jtable(kKernelTable, p);
    kernel_page_frames_.erase(p);
    frame_memo_ = {};
  }
  stats.kernel_jtable_stale_pages += stale.size();
}

// (mode, eip) -> code in the active slot's table; the bucket's older target moves to its
// second way. `own` is jt_pages_'s list for eip's page. With `search` the lists are
// kept from growing with duplicates; a caller that fills a page once skips that.
void Translator::table_put(int table, std::vector<uint32_t>& own, uint32_t mode, uint32_t eip, uint64_t code, bool search) {
  JTable* t = jtables_[table];
  const uint32_t i = 2 * jtable_index(eip);
  const uint64_t neg_key = uint64_t(0) - ((uint64_t(mode) << 32) | eip);
  if (t->key_at(i) == neg_key && t->code_at(i) == code) return;
  // Duplicates in a list do no harm (forget_page clears an entry only while it holds
  // that page's EIP), but a list that only grew would: with `search`, a list is made
  // unique whenever its length reaches a new power of two (amortized O(1); a linear
  // search per entry was ~3% of translating a kernel block, whose pages list hundreds).
  auto note = [search](std::vector<uint32_t>& v, uint32_t at) {
    v.push_back(at);
    if (search && v.size() >= 64 && !(v.size() & (v.size() - 1))) {
      std::sort(v.begin(), v.end());
      v.erase(std::unique(v.begin(), v.end()), v.end());
    }
  };
  // An entry of this page at i (the same EIP in another mode, or an older block) means i
  // is on the page's list already: only table_put writes index i, and it lists it.
  const bool listed = t->code_at(i) && (uint32_t(uint64_t(0) - t->key_at(i)) >> kPageShift) == (eip >> kPageShift);
  if (t->code_at(i) && t->key_at(i) != neg_key) {
    t->move(i, i + 1);
    const uint32_t moved = uint32_t(uint64_t(0) - t->key_at(i)) >> kPageShift;
    note(moved == eip >> kPageShift ? own : jt_pages_[table][moved], i + 1);
  }
  t->key_at(i) = neg_key;
  t->code_at(i) = code;
  jt_written_[table].set(table_page(i));  // (the bucket's other way too: same page)
  if (!listed) note(own, i);
}

// A lookup found a shared block through this address space's mapping of its page: the
// page's other blocks in the same mode enter the table too, at this mapping's addresses,
// once per page and slot (jt_full_pages_, forgotten with the page's entries). Each new
// process (a fresh table) then misses about once per code page it runs rather than once
// per branch target. Blocks that run into the next page are not in the list: that page
// is not checked here.
void Translator::remember_page(const Block* hit, uint32_t linear_page) {
  const int slot = shadow_.active();
  if (!jt_full_pages_[slot].insert(linear_page >> kPageShift).second) return;
  auto pg = shared_by_page_.find(hit->phys_first());
  if (pg == shared_by_page_.end()) return;
  std::vector<uint32_t>& own = jt_pages_[slot][linear_page >> kPageShift];
  // The page's buckets are ~100 cache misses spread over 128 KiB: all in flight at once.
  JTable* t = jtables_[slot];
  for (const PageEntry& o : pg->second) __builtin_prefetch(&t->key_at(2 * jtable_index(linear_page | o.offset)), 1);
  own.reserve(own.size() + pg->second.size());  // one allocation, not one per doubling
  for (const PageEntry& o : pg->second)
    if (o.mode == hit->mode) table_put(slot, own, o.mode, linear_page | o.offset, o.code, false);
}

void Translator::chain(ExitSite* site, Block* to) {
  if (site->to == to) return;
  int32_t rel = int32_t(to->entry() - (site->rel32 + 4));
  std::memcpy(site->rel32, &rel, 4);
  site->to = to;
  to->incoming.push_back(site);
  stats.chains++;
}

void Translator::aim_at_lookup(const ExitSite* site) {
  const int32_t rel = int32_t(site->jt_tail - (site->alt_rel32 + 4));
  std::memcpy(site->alt_rel32, &rel, 4);
}

void Translator::unlink(Block* b) {
  b->dead = true;
  auto unpatch = [](ExitSite* s) {
    int32_t rel = int32_t(s->stub - (s->rel32 + 4));
    std::memcpy(s->rel32, &rel, 4);
    s->to = nullptr;
  };
  for (ExitSite* s : b->incoming) {
    unpatch(s);
    if (s->kernel_xpage && !s->from->dead) kernel_wait(s);
  }
  b->incoming.clear();
  for (auto& s : b->exits) {
    if (s->to) {
      auto& inc = s->to->incoming;
      inc.erase(std::remove(inc.begin(), inc.end(), s.get()), inc.end());
    }
    if (s->rel32) unpatch(s.get());
  }
  // A shared block may be in the tables at any alias: the same offset in the page, any
  // of the 16 values of EIP bits 12-15 that the index keeps.
  const uint32_t aliases = b->shared ? 16 : 1;
  for (int slot = 0; slot < kTables; ++slot) {
    JTable* t = jtables_[slot];
    for (uint32_t a = 0; a < aliases; ++a) {
      const uint32_t eip = b->shared ? (a << kPageShift) | (b->eip & (kPageSize - 1)) : b->eip;
      const uint32_t i = 2 * jtable_index(eip);
      if (!jt_written_[slot].test(table_page(i))) continue;
      for (uint32_t w = 0; w < 2; ++w)
        if (t->code_at(i + w) == uint64_t(b->code)) t->clear(i + w);
    }
  }
  for (uint32_t p : {b->phys_first(), b->phys_last}) {
    auto it = by_page_.find(p);
    if (it == by_page_.end()) continue;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), b), v.end());
  }
  if (in_page_list(*b)) {
    if (auto it = shared_by_page_.find(b->phys_first()); it != shared_by_page_.end()) {
      auto& v = it->second;
      v.erase(std::remove_if(v.begin(), v.end(), [b](const PageEntry& e) { return e.code == uint64_t(b->code); }),
              v.end());
      if (v.empty()) shared_by_page_.erase(it);
    }
  }
  if (auto owned = blocks_.take(key(*b), b)) graveyard_.push_back(std::move(owned));
}

void Translator::drop_page(uint32_t page, DropWhy why) {
  auto it = by_page_.find(page);
  if (it != by_page_.end()) {
    std::vector<Block*> victims = it->second;
    for (Block* b : victims) unlink(b);
    by_page_.erase(page);
    stats.drop_pages[why]++;
    stats.drop_blocks[why] += victims.size();
  }
  shadow_.unprotect_code(page);
  stats.pages_dropped++;
}

void Translator::flush() {
  kernel_chained_.clear();  // their sites go with the blocks
  kernel_waiting_.clear();
  kernel_waiting_bits_.reset();
  for (auto& m : ic_linked_) m.clear();
  for (auto& [p, v] : by_page_) {
    (void)v;
    shadow_.unprotect_code(p);
  }
  by_page_.clear();
  shared_by_page_.clear();
  blocks_.clear();
  graveyard_.clear();
  by_host_.clear();
  single_.reset();
  flush_jtable();
  cache_.reset_to(blocks_start_);
  maps_.reset_to(maps_.begin());
  write_pending_ = false;
  data_writes_.clear();
  stats.flushes++;
}

void Translator::flush_jtable() {
  kernel_unchain_all();
  for (int t = 0; t < kTables; ++t) ic_forget_all(t);
  // Back to zero pages (empty entries), faulted in again only where filled.
  for (JTable* t : jtables_)
    if (madvise(t, sizeof(JTable), MADV_DONTNEED) != 0) std::memset(static_cast<void*>(t), 0, sizeof(JTable));
  for (auto& w : jt_written_) w.reset();
  for (auto& m : jt_pages_) m.clear();
  for (auto& m : jt_full_pages_) m.clear();
  kernel_local_pages_.clear();
  kernel_page_frames_.clear();
  frame_memo_ = {};
  kernel_all_local_ = false;
  std::fill(kernel_large_.begin(), kernel_large_.end(), 0);
}

const Block* Translator::block_at(uint64_t rip) const {
  if (single_ && rip - uint64_t(single_->code) < single_->size) return single_.get();
  auto it = std::upper_bound(by_host_.begin(), by_host_.end(), rip,
                             [](uint64_t r, const std::pair<uint64_t, Block*>& e) { return r < e.first; });
  if (it == by_host_.begin()) return nullptr;
  const Block* b = std::prev(it)->second;
  return rip < uint64_t(b->code) + b->size ? b : nullptr;
}

const InsnRecord* Translator::record_at(const Block* b, uint64_t rip) {
  uint64_t off = rip - uint64_t(b->code);
  const InsnRecord* best = b->map.empty() ? nullptr : &b->map.front();
  for (const auto& r : b->map)
    if (r.host_off <= off) best = &r;
  return best;
}

void Translator::select_jtable() {
  cpu_.jtable = uint64_t(jtables_[shadow_.active()]);
  cpu_.kjtable = uint64_t(jtables_[kKernelTable]);
}

}  // namespace rs
