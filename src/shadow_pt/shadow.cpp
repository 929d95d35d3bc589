#include "shadow_pt/shadow.h"

#include <cstdio>
#include <cstdlib>

#include <sys/mman.h>

#include <algorithm>
#include <cstring>

namespace rs {

namespace {

constexpr uint32_t kCr0PG = 0x80000000u, kCr0WP = 0x10000u, kCr4PSE = 0x10u;

int host_prot(uint8_t p) { return p == 3 ? PROT_READ | PROT_WRITE : p == 1 ? PROT_READ : PROT_NONE; }

void erase_ref(std::vector<uint32_t>& v, uint32_t r) {
  auto it = std::find(v.begin(), v.end(), r);
  if (it != v.end()) {
    *it = v.back();
    v.pop_back();
  }
}

}  // namespace

Shadow::Shadow(PhysMem& mem, CpuState& cpu, size_t budget) : mem_(mem), cpu_(cpu), budget_(budget) {
  phys_.map_ram(mem_);
  for (auto& w : wins_) w.w = std::make_unique<Window>();
  rmap_.resize(mem_.pages());
  unsync_mark_.assign(mem_.pages(), 0);
}

Shadow::~Shadow() = default;

uint64_t Shadow::view_base(int cpl) const {
  if (active_ == kPhysSlot) return phys_.base();
  return wins_[2 * active_ + (cpl == 3 ? 1 : 0)].w->base();
}

bool Shadow::owns(uint64_t host_addr) const {
  if (phys_.in_span(host_addr)) return true;
  for (const auto& w : wins_)
    if (w.w->in_span(host_addr)) return true;
  return false;
}

uint32_t Shadow::read_phys32(uint32_t addr) const {
  uint32_t v = 0;
  mem_.read(addr, &v, 4);
  return v;
}

// Read-only while the guest PTE is clean (so the first write sets D), and while the
// page holds translations or guest page tables (so writes are seen).
uint8_t Shadow::desired(const Entry& e) const {
  if (!e.write_ok || !(e.pte & kPteD)) return kR;
  if (mem_.page_flags(e.ppn) & (PhysMem::kPageCode | PhysMem::kPageTable)) return kR;
  return kRW;
}

// Only the running address space's windows are reachable from translated code, so the
// others are brought up to date when they become active again (apply_pending_prot): a
// page-table page is watched and released over and over, and it has an alias in the
// kernel half of every cached address space.
void Shadow::set_prot(int w, uint32_t wp, Entry& e, uint8_t prot) {
  if (e.prot == prot || e.prot == 0) return;
  if (w / 2 != active_) {
    auto& v = pending_prot_[w / 2];
    v.push_back(ref(w, wp));
    if (v.size() > 2 * (wins_[w & ~1].entries.size() + wins_[w | 1].entries.size()) + 64) {
      std::sort(v.begin(), v.end());
      v.erase(std::unique(v.begin(), v.end()), v.end());
    }
    return;
  }
  wins_[w].w->protect(wp, host_prot(prot));
  e.prot = prot;
}

void Shadow::apply_pending_prot(int s) {
  auto& v = pending_prot_[s];
  for (uint32_t r : v) {
    Entry* e = find(r);
    if (!e || !e->prot) continue;
    const uint8_t want = desired(*e);
    if (want == e->prot) continue;
    wins_[ref_win(r)].w->protect(ref_page(r), host_prot(want));
    e->prot = want;
  }
  v.clear();
}

Shadow::Entry* Shadow::find(uint32_t r) {
  return wins_[ref_win(r)].entries.find(ref_page(r));
}

void Shadow::watch(uint32_t ppn) {
  if (ppn >= mem_.pages() || unsync_mark_[ppn] || (mem_.page_flags(ppn) & PhysMem::kPageTable)) return;
  mem_.set_page_flag(ppn, PhysMem::kPageTable, true);
  for (uint32_t r : rmap_[ppn])
    if (Entry* e = find(r)) set_prot(ref_win(r), ref_page(r), *e, kR);
}

void Shadow::unwatch(uint32_t ppn) {
  if (ppn >= mem_.pages() || !(mem_.page_flags(ppn) & PhysMem::kPageTable)) return;
  mem_.set_page_flag(ppn, PhysMem::kPageTable, false);
  for (uint32_t r : rmap_[ppn])
    if (Entry* e = find(r)) set_prot(ref_win(r), ref_page(r), *e, desired(*e));
}

bool Shadow::needed(uint32_t ppn) const {
  auto it = deps_.find(ppn);
  if (it != deps_.end() && !it->second.empty()) return true;
  for (int s = 0; s < kSlots; ++s)
    if (slots_[s].used && slots_[s].pd == ppn && (wins_[2 * s].entries.size() + wins_[2 * s + 1].entries.size()))
      return true;
  return false;
}

uint32_t Shadow::forget(int w, uint32_t wp) {
  Win& win = wins_[w];
  const Entry* found = win.entries.find(wp);
  if (!found) return kNotMapped;
  const Entry e = *found;
  win.entries.erase(wp);
  const uint32_t r = ref(w, wp);
  if (e.prot) {
    erase_ref(rmap_[e.ppn], r);
    win.mapped--;
    mapped_--;
  }
  if (e.table != kNoTable) {
    auto d = deps_.find(e.table);
    if (d != deps_.end()) erase_ref(d->second, r);
  }
  if (e.exec && on_exec_drop) on_exec_drop(w / 2, wp & (Window::kMirrorPage - 1));
  return e.prot ? e.ppn : kNotMapped;
}

// A single page (INVLPG, a changed entry) is parked rather than unmapped: PROT_NONE
// keeps the host mapping, and a refill with the same guest page is one mprotect (~1 us)
// instead of two mmaps (~4.5 us each here). Linux's text_poke maps, writes and
// unmaps one fixed address thousands of times at boot, and fork makes PTEs read-only
// that are then refilled with the same page.
void Shadow::drop(int w, uint32_t wp) {
  const uint32_t ppn = forget(w, wp);
  if (ppn == kNotMapped) return;
  park(w, wp, ppn);
  wins_[w].w->protect(wp, PROT_NONE);
}

// Records a page about to be made PROT_NONE with its mapping kept (the caller does the
// mprotect, possibly for a run of pages at once).
void Shadow::park(int w, uint32_t wp, uint32_t ppn) {
  Win& win = wins_[w];
  if (win.parked.size() >= kMaxParked) {
    auto victim = win.parked.begin();
    win.w->unmap(victim->first);
    win.parked.erase(victim);
  }
  win.parked[wp] = ppn;
}

// A new host mapping of ppn at wp: a parked one of the same page only needs its protection.
bool Shadow::map_page(int w, uint32_t wp, uint32_t ppn, uint8_t prot) {
  Win& win = wins_[w];
  auto pk = win.parked.find(wp);
  if (pk != win.parked.end()) {
    const bool same = pk->second == ppn;
    win.parked.erase(pk);
    if (same) {
      stats.unparks++;
      return win.w->protect(wp, host_prot(prot));
    }
  }
  return win.w->map(wp, mem_.fd(), ppn, host_prot(prot));
}

// One mmap per run of adjacent pages: Linux drops whole ranges at once (munmap, exit,
// fork's write protection), and one system call per page cost ~3 us each.
void Shadow::drop_refs(std::vector<uint32_t>& refs) {
  std::sort(refs.begin(), refs.end());
  refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
  // Short runs are parked (one mprotect, ~1 us), long ones (munmap of a region, an exit)
  // unmapped: the parked set is small, and those pages rarely come back.
  uint32_t run_start = 0, run_len = 0;
  std::vector<uint32_t> run_ppns;
  auto flush_run = [&] {
    if (!run_len) return;
    const int w = ref_win(run_start);
    if (run_len <= kParkRun) {
      for (uint32_t i = 0; i < run_len; ++i) park(w, ref_page(run_start) + i, run_ppns[i]);
      wins_[w].w->protect(ref_page(run_start), PROT_NONE, run_len);
    } else {
      wins_[w].w->unmap(ref_page(run_start), run_len);
    }
    run_len = 0;
    run_ppns.clear();
  };
  for (uint32_t r : refs) {
    const uint32_t ppn = forget(ref_win(r), ref_page(r));
    if (ppn == kNotMapped) continue;
    if (run_len && r == run_start + run_len && ref_win(r) == ref_win(run_start)) {
      run_len++;
      run_ppns.push_back(ppn);
      continue;
    }
    flush_run();
    run_start = r;
    run_len = 1;
    run_ppns.push_back(ppn);
  }
  flush_run();
}

// Keeps the entries of slot s that page directory pd maps through the same directory
// entries, drops the others. Linux gives every address space the same kernel-half
// PDEs, so a slot handed to a new process (fork) keeps its kernel mappings (~60 host
// mappings of ~5 us each per fork otherwise), and so does a slot whose directory was
// written while it was inactive.
void Shadow::revalidate(int s, uint32_t pd) {
  std::vector<uint32_t> victims;
  uint32_t dir[1024] = {};
  mem_.read(uint64_t(pd) << kPageShift, dir, sizeof dir);
  for (int w = 2 * s; w < 2 * s + 2; ++w)
    wins_[w].entries.for_each([&](uint32_t wp, const Entry& e) {
      if (dir[(wp & (Window::kMirrorPage - 1)) >> 10] != e.pde) victims.push_back(ref(w, wp));
    });
  drop_refs(victims);
  for (int w = 2 * s; w < 2 * s + 2; ++w) {
    Win& win = wins_[w];
    std::fill(win.large.begin(), win.large.end(), 0);
    win.entries.for_each([&](uint32_t wp, const Entry& e) {
      if (e.table == kNoTable) win.large[(wp & (Window::kMirrorPage - 1)) >> 10] = 1;
    });
  }
}

// Empties both windows of slot s in two system calls, then fixes the indexes in one
// pass over each list touched.
void Shadow::flush_slot(int s) {
  std::vector<uint32_t> ppns, tables;
  for (int w = 2 * s; w < 2 * s + 2; ++w) {
    Win& win = wins_[w];
    if (win.entries.empty()) continue;
    win.entries.for_each([&](uint32_t, const Entry& e) {
      if (e.prot) ppns.push_back(e.ppn);
      if (e.table != kNoTable) tables.push_back(e.table);
    });
    win.w->clear();
    win.parked.clear();
    std::fill(win.large.begin(), win.large.end(), 0);
    mapped_ -= win.mapped;
    win.mapped = 0;
    win.entries.clear();
  }
  auto mine = [s](uint32_t r) { return ref_win(r) / 2 == s; };
  std::sort(ppns.begin(), ppns.end());
  ppns.erase(std::unique(ppns.begin(), ppns.end()), ppns.end());
  for (uint32_t p : ppns) std::erase_if(rmap_[p], mine);
  std::sort(tables.begin(), tables.end());
  tables.erase(std::unique(tables.begin(), tables.end()), tables.end());
  for (uint32_t t : tables) {
    auto d = deps_.find(t);
    if (d == deps_.end()) continue;
    std::erase_if(d->second, mine);
    if (d->second.empty()) deps_.erase(d);
  }
  pending_prot_[s].clear();
  if (on_slot_flush) on_slot_flush(s);
}

void Shadow::flush_all() {
  stats.full_flushes++;
  for (int s = 0; s < kSlots; ++s) {
    flush_slot(s);
    slots_[s] = Slot{};
  }
  deps_.clear();
  for (uint32_t p = 0; p < mem_.pages(); ++p) mem_.set_page_flag(p, PhysMem::kPageTable, false);
  for (uint32_t p : unsync_) unsync_mark_[p] = 0;
  unsync_.clear();
}

void Shadow::make_room(int w) {
  stats.budget_evictions++;
  int victim = -1;
  for (int s = 0; s < kSlots; ++s) {
    if (s == active_ || !(wins_[2 * s].mapped + wins_[2 * s + 1].mapped)) continue;
    if (victim < 0 || slots_[s].lru < slots_[victim].lru) victim = s;
  }
  if (victim < 0) victim = w / 2;  // only the running address space has mappings
  flush_slot(victim);
}

bool Shadow::install(int w, uint32_t wp, const WalkResult& r, bool exec) {
  const uint32_t ppn = r.phys >> kPageShift;
  Win& win = wins_[w];
  if (!exec && mapped_ >= budget_) {
    const Entry* old = win.entries.find(wp);
    if (!old || !old->prot) make_room(w);
  }
  bool fresh = false;
  Entry* e = &win.entries.emplace(wp, fresh);
  if (!fresh && (e->ppn != ppn || e->table != r.table)) {
    // The guest changed the mapping (unsync page) and the access missed: start over.
    drop(w, wp);
    e = &win.entries.emplace(wp, fresh);
  }
  e->ppn = ppn;
  e->table = r.table;
  e->pde = r.pde;
  e->pte = r.pte;
  e->write_ok = r.writable;
  e->exec = e->exec || exec;
  if (r.table == kNoTable) win.large[(wp & (Window::kMirrorPage - 1)) >> 10] = 1;
  const uint32_t r_ = ref(w, wp);
  if (fresh && r.table != kNoTable) {
    deps_[r.table].push_back(r_);
    watch(r.table);
  }
  watch(slots_[w / 2].pd);
  if (exec) return true;
  const uint8_t want = desired(*e);
  if (e->prot) {
    set_prot(w, wp, *e, want);
    return true;
  }
  if (!map_page(w, wp, ppn, want)) return false;
  e->prot = want;
  note_mapped(w, wp, ppn);
  stats.fills++;
  return true;
}

void Shadow::note_mapped(int w, uint32_t wp, uint32_t ppn) {
  rmap_[ppn].push_back(ref(w, wp));
  wins_[w].mapped++;
  mapped_++;
}

// Linux maps its direct map with 4 MiB pages: fill kLargeChunk of their pieces per
// fault (one mmap, one VMA), when none of them is mapped yet and all are RAM.
bool Shadow::install_large_chunk(int w, uint32_t wp, const WalkResult& r) {
  Win& win = wins_[w];
  const uint32_t first = wp & ~(kLargeChunk - 1);
  const uint32_t ppn0 = ((r.pde & 0xFFC00000u) >> kPageShift) | (first & 0x3FF);
  if (!mem_.contains(uint64_t(ppn0) << kPageShift, uint64_t(kLargeChunk) << kPageShift)) return false;
  for (uint32_t i = 0; i < kLargeChunk; ++i)
    if (win.entries.contains(first + i)) return false;
  if (mapped_ + kLargeChunk > budget_) make_room(w);
  const uint8_t common = (r.writable && (r.pde & kPteD)) ? kRW : kR;
  for (uint32_t i = 0; i < kLargeChunk; ++i) win.parked.erase(first + i);
  if (!win.w->map(first, mem_.fd(), ppn0, host_prot(common), kLargeChunk)) return false;
  for (uint32_t i = 0; i < kLargeChunk; ++i) {
    bool fresh = false;
    Entry& e = win.entries.emplace(first + i, fresh);
    e.ppn = ppn0 + i;
    e.table = kNoTable;
    e.pde = e.pte = r.pde;
    e.write_ok = r.writable;
    e.prot = common;
    set_prot(w, first + i, e, desired(e));  // pieces that hold code or page tables stay read-only
    note_mapped(w, first + i, e.ppn);
  }
  win.large[(wp & (Window::kMirrorPage - 1)) >> 10] = 1;
  stats.fills++;
  stats.chunk_fills++;
  watch(slots_[w / 2].pd);
  return true;
}

Shadow::Fault Shadow::on_fault(uint64_t host_addr, bool write) {
  Fault f;
  if (phys_.in_span(host_addr)) {
    if (paging()) return f;
    const uint32_t pa = uint32_t(host_addr - phys_.base());
    f.linear = f.phys = pa;
    if (!mem_.contains(pa, 1)) {
      f.outcome = Outcome::Mmio;
      return f;
    }
    f.outcome = write && mem_.is_code_page(pa >> kPageShift) ? Outcome::Smc : Outcome::NotOurs;
    return f;
  }
  if (active_ == kPhysSlot) return f;
  int w = -1;
  for (int v = 0; v < 2; ++v)
    if (wins_[2 * active_ + v].w->in_span(host_addr)) w = 2 * active_ + v;
  if (w < 0) return f;
  const uint64_t off = host_addr - wins_[w].w->base();
  const uint32_t wp = uint32_t(off >> kPageShift);
  f.linear = uint32_t(off);
  WalkResult r = walk(mem_, WalkRequest{f.linear, write, (w & 1) != 0, cpu_.cr0, cpu_.cr3, cpu_.cr4, true});
  if (!r.ok) {
    stats.guest_faults++;
    f.outcome = Outcome::PageFault;
    f.error = r.error;
    return f;
  }
  f.phys = r.phys;
  const uint32_t ppn = r.phys >> kPageShift;
  if (ppn >= mem_.pages() || !mem_.contains(r.phys, 1)) {
    f.outcome = Outcome::Mmio;
    return f;
  }
  if (write) {
    if (mem_.page_flags(ppn) & PhysMem::kPageTable) table_written(ppn);
    if (mem_.is_code_page(ppn)) {
      f.outcome = Outcome::Smc;
      return f;
    }
    const Entry* old = wins_[w].entries.find(wp);
    if (old && old->prot) stats.write_upgrades++;
  }
  if (r.table == kNoTable && install_large_chunk(w, wp, r)) {
    f.outcome = Outcome::Filled;
    return f;
  }
  f.outcome = install(w, wp, r, false) ? Outcome::Filled : Outcome::NotOurs;
  return f;
}

void Shadow::prefill(uint32_t linear, bool write, bool user) {
  if (active_ == kPhysSlot) return;
  const int w = 2 * active_ + (user ? 1 : 0);
  const uint32_t wp = linear >> kPageShift;
  if (wins_[w].entries.contains(wp)) return;
  WalkResult r = walk(mem_, WalkRequest{linear, write, user, cpu_.cr0, cpu_.cr3, cpu_.cr4, false});
  if (!r.ok || r.table == kNoTable || !(r.pte & kPteA) || (write && !(r.pte & kPteD))) return;
  const uint32_t ppn = r.phys >> kPageShift;
  if (ppn >= mem_.pages() || !mem_.contains(r.phys, 1)) return;
  if (write && (mem_.page_flags(ppn) & (PhysMem::kPageTable | PhysMem::kPageCode))) return;
  stats.prefills++;
  install(w, wp, r, false);
}

WalkResult Shadow::translate(uint32_t linear, bool write, bool user, bool set_ad) {
  if (!paging()) {
    WalkResult r;
    r.ok = true;
    r.phys = linear;
    r.writable = r.user_ok = r.dirty = true;
    return r;
  }
  return walk(mem_, WalkRequest{linear, write, user, cpu_.cr0, cpu_.cr3, cpu_.cr4, set_ad});
}

bool Shadow::fetch(uint32_t linear, bool user, uint32_t& phys, uint32_t& error) {
  if (!paging()) {
    phys = linear;
    return true;
  }
  WalkResult r = walk(mem_, WalkRequest{linear, false, user, cpu_.cr0, cpu_.cr3, cpu_.cr4, true});
  if (!r.ok) {
    error = r.error;
    return false;
  }
  phys = r.phys;
  if ((r.phys >> kPageShift) < mem_.pages()) install(2 * active_ + (user ? 1 : 0), linear >> kPageShift, r, true);
  return true;
}

void Shadow::protect_code(uint32_t ppn) {
  if (ppn >= mem_.pages() || mem_.is_code_page(ppn)) return;
  mem_.set_code_page(ppn, true);
  if (!paging()) phys_.protect_ram_page(ppn, true);
  for (uint32_t r : rmap_[ppn])
    if (Entry* e = find(r)) set_prot(ref_win(r), ref_page(r), *e, kR);
}

void Shadow::unprotect_code(uint32_t ppn) {
  if (ppn >= mem_.pages() || !mem_.is_code_page(ppn)) return;
  mem_.set_code_page(ppn, false);
  if (!paging()) phys_.protect_ram_page(ppn, false);
  for (uint32_t r : rmap_[ppn])
    if (Entry* e = find(r)) set_prot(ref_win(r), ref_page(r), *e, desired(*e));
}

void Shadow::table_written(uint32_t ppn) {
  stats.table_writes++;
  bool keep = false;
  for (int s = 0; s < kSlots; ++s) {
    if (!slots_[s].used || slots_[s].pd != ppn) continue;
    if (s == active_) keep = true;
    else slots_[s].stale = true;
  }
  auto d = deps_.find(ppn);
  if (d != deps_.end()) {
    std::vector<uint32_t> others;
    for (uint32_t r : d->second) {
      if (ref_win(r) / 2 == active_) keep = true;
      else others.push_back(r);
    }
    drop_refs(others);
  }
  unwatch(ppn);
  if (keep && !unsync_mark_[ppn]) {
    unsync_mark_[ppn] = 1;
    unsync_.push_back(ppn);
  }
}

// The active slot's entries that came through pages written since they were watched:
// keep those that still match the guest's tables, and watch the pages again.
void Shadow::resync() {
  if (unsync_.empty() || active_ == kPhysSlot) {
    for (uint32_t p : unsync_) unsync_mark_[p] = 0;
    unsync_.clear();
    return;
  }
  stats.resyncs++;
  const uint32_t pd = slots_[active_].pd;
  auto stale = [&](const Entry& e, uint32_t lpage) {
    if (read_phys32((pd << kPageShift) + ((lpage >> 10) << 2)) != e.pde) return true;
    return e.table != kNoTable && read_phys32((e.table << kPageShift) + ((lpage & 0x3FF) << 2)) != e.pte;
  };
  std::vector<uint32_t> victims;
  for (uint32_t p : unsync_) {
    if (p == pd) {
      for (int w = 2 * active_; w < 2 * active_ + 2; ++w)
        wins_[w].entries.for_each([&](uint32_t wp, const Entry& e) {
          if (stale(e, wp & (Window::kMirrorPage - 1))) victims.push_back(ref(w, wp));
        });
    }
    auto d = deps_.find(p);
    if (d != deps_.end())
      for (uint32_t r : d->second)
        if (Entry* e = find(r); e && stale(*e, ref_page(r) & (Window::kMirrorPage - 1))) victims.push_back(r);
  }
  // A stale entry whose page still maps the same frame through the same table, only with
  // other bits (fork write-protects every PTE of the parent for copy-on-write), is
  // updated in place: one mprotect instead of a drop, a host fault and an mmap later.
  // Only with A already set in both levels, so that no A bit the CPU would set is missed.
  // (The walk uses this slot's directory: CR3 may already hold the next one.)
  std::sort(victims.begin(), victims.end());
  victims.erase(std::unique(victims.begin(), victims.end()), victims.end());
  std::vector<uint32_t> drops;
  for (uint32_t r : victims) {
    Entry* e = find(r);
    if (!e) continue;
    const uint32_t lpage = ref_page(r) & (Window::kMirrorPage - 1);
    const WalkResult w = walk(mem_, WalkRequest{lpage << kPageShift, false, (ref_win(r) & 1) != 0, cpu_.cr0,
                                                pd << kPageShift, cpu_.cr4, false});
    if (w.ok && e->table != kNoTable && w.table == e->table && (w.phys >> kPageShift) == e->ppn &&
        (w.pde & kPteA) && (w.pte & kPteA)) {
      e->pde = w.pde;
      e->pte = w.pte;
      e->write_ok = w.writable;
      set_prot(ref_win(r), ref_page(r), *e, desired(*e));
      stats.resync_updates++;
    } else {
      drops.push_back(r);
    }
  }
  drop_refs(drops);
  stats.resync_drops += drops.size();
  std::vector<uint32_t> pages;
  pages.swap(unsync_);
  for (uint32_t p : pages) unsync_mark_[p] = 0;
  for (uint32_t p : pages)
    if (needed(p)) watch(p);
}

void Shadow::activate(uint32_t pd) {
  ++tick_;
  int s = -1;
  for (int i = 0; i < kSlots; ++i)
    if (slots_[i].used && slots_[i].pd == pd) s = i;
  if (s < 0) {
    for (int i = 0; i < kSlots; ++i)
      if (!slots_[i].used) {
        s = i;
        break;
      }
    if (s < 0) {
      s = 0;
      for (int i = 1; i < kSlots; ++i)
        if (slots_[i].lru < slots_[s].lru) s = i;
      stats.slot_evictions++;
    }
    const uint32_t old_pd = slots_[s].pd;
    const bool had = slots_[s].used;
    slots_[s] = Slot{true, false, pd, tick_};
    if (had) {
      revalidate(s, pd);
      stats.slot_reuses++;
      if (!needed(old_pd)) unwatch(old_pd);
    }
    if (wins_[2 * s].entries.size() + wins_[2 * s + 1].entries.size()) watch(pd);
  } else if (slots_[s].stale) {
    slots_[s].stale = false;
    revalidate(s, pd);
    if (wins_[2 * s].entries.size() + wins_[2 * s + 1].entries.size()) watch(pd);
  }
  if (s != active_) stats.switches++;
  slots_[s].lru = tick_;
  active_ = s;
  apply_pending_prot(s);
}

void Shadow::paging_changed(uint32_t old_cr0, uint32_t old_cr4) {
  const bool was = old_cr0 & kCr0PG, now = paging();
  const bool rules = ((old_cr0 ^ cpu_.cr0) & kCr0WP) || ((old_cr4 ^ cpu_.cr4) & kCr4PSE);
  if (!was && !now) return;
  if (was && now && !rules) {
    resync();  // a CR3 load (or a CR4.PGE change) flushes the TLB: nothing stale may survive it
    activate(cpu_.cr3 >> kPageShift);
    verify("CR3 load");
    return;
  }
  flush_all();  // paging switched on or off, or the rules of the walk changed
  if (now) {
    if (!was) phys_.map_ram(mem_);  // the physical window idles: drop its code protections
    activate(cpu_.cr3 >> kPageShift);
    return;
  }
  active_ = kPhysSlot;
  protect_phys_code();
}

// Debugging aid (RINGSHIFT_VERIFY_SHADOW=1): after a TLB flush every entry of the
// active address space must agree with a fresh walk of the guest's tables.
void Shadow::verify(const char* where) {
  static const bool on = std::getenv("RINGSHIFT_VERIFY_SHADOW") != nullptr;
  if (!on || active_ == kPhysSlot) return;
  for (int w = 2 * active_; w < 2 * active_ + 2; ++w) {
    wins_[w].entries.for_each([&](uint32_t wp, const Entry& e) {
      const uint32_t linear = (wp & (Window::kMirrorPage - 1)) << kPageShift;
      WalkRequest rq{linear, false, (w & 1) != 0, cpu_.cr0, cpu_.cr3, cpu_.cr4, false};
      WalkResult r = walk(mem_, rq);
      const bool bad = !r.ok || (r.phys >> kPageShift) != e.ppn || (e.prot == kRW && !r.writable);
      if (bad)
        std::fprintf(stderr, "shadow verify (%s): %s window page %#x -> ppn %#x prot %d; walk ok=%d phys %#x writable=%d pte %#x (entry pte %#x pde %#x)\n",
                     where, (w & 1) ? "user" : "supervisor", linear, e.ppn, e.prot, r.ok, r.phys, r.writable, r.pte, e.pte, e.pde);
    });
  }
}

void Shadow::invlpg(uint32_t linear) {
  if (active_ == kPhysSlot) return;
  stats.invlpgs++;
  const uint32_t lp = linear >> kPageShift;
  for (int w = 2 * active_; w < 2 * active_ + 2; ++w) {
    // A 4 MiB page is one TLB entry: all of its 4 KiB pieces go.
    uint8_t& large = wins_[w].large[lp >> 10];
    const uint32_t first = large ? lp & ~0x3FFu : lp, last = large ? first + 0x3FF : lp;
    large = 0;
    if (first == last) {
      drop(w, first);
      drop(w, first | Window::kMirrorPage);
      continue;
    }
    std::vector<uint32_t> refs;
    for (uint32_t p = first; p <= last; ++p)
      for (uint32_t q : {p, p | Window::kMirrorPage})
        if (wins_[w].entries.contains(q)) refs.push_back(ref(w, q));
    drop_refs(refs);
  }
}

void Shadow::reset() {
  flush_all();
  active_ = kPhysSlot;
  phys_.map_ram(mem_);
  protect_phys_code();
}

// The physical window is in use again: write-protect the pages that hold code.
void Shadow::protect_phys_code() {
  for (uint32_t p = 0; p < mem_.pages(); ++p)
    if (mem_.is_code_page(p)) phys_.protect_ram_page(p, true);
}

}  // namespace rs
