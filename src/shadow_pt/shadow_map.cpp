// Shadow page tables, the host mappings: what protection an entry gets (desired,
// set_prot, deferred for inactive slots), parking a dropped page instead of unmapping
// it, dropping runs of pages in one system call, emptying a slot, and keeping within
// the mapping budget, and the physical window's code protections and A20 aliases. See
// shadow.h.
#include "shadow_pt/shadow.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "shadow_pt/shadow_internal.h"

namespace rs {

using namespace shadow_detail;

// Only the running address space's windows are reachable from translated code, so the
// others are brought up to date when they become active again (apply_pending_prot): a
// page-table page is watched and released over and over, and it has an alias in the
// kernel half of every cached address space.
void Shadow::set_prot(int w, uint32_t wp, Entry& e, uint8_t prot, ProtRun* run) {
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
  if (run)
    prot_add(*run, w, wp, host_prot(prot));
  else
    wins_[w].w->protect(wp, host_prot(prot));
  e.prot = prot;
}

void Shadow::prot_add(ProtRun& run, int w, uint32_t wp, int prot) {
  if (run.n && run.w == w && run.prot == prot && wp == run.first + run.n) {
    run.n++;
    return;
  }
  prot_flush(run);
  run = ProtRun{w, wp, 1, prot};
}

void Shadow::prot_flush(ProtRun& run) {
  if (run.n) wins_[run.w].w->protect(run.first, run.prot, run.n);
  run.n = 0;
}

void Shadow::apply_pending_prot(int s) {
  auto& v = pending_prot_[s];
  std::sort(v.begin(), v.end());  // window page order: neighbours share an mprotect
  ProtRun run;
  for (uint32_t r : v) {
    Entry* e = find(r);
    if (!e || !e->prot) continue;
    const uint8_t want = desired(*e);
    if (want == e->prot) continue;
    prot_add(run, ref_win(r), ref_page(r), host_prot(want));
    e->prot = want;
  }
  prot_flush(run);
  v.clear();
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

// One system call per run of pages: Linux drops whole ranges at once (munmap, exit,
// fork's write protection), and one system call per page cost ~3 us each. A run may
// have holes of up to kMergeGap pages without entries: those are PROT_NONE already
// (never mapped, or parked), so one call covers the process's scattered pieces
// (executable, heap, libraries, stack) where it took one each. (Holes of any size saved
// 14k more calls in pie_script but turned parked runs into unmapped ones: fork_wait was
// slower in three alternated pairs.)
void Shadow::drop_refs(std::vector<uint32_t>& refs) {
  std::sort(refs.begin(), refs.end());
  refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
  clear_whole_windows(refs);
  // Runs with few pages are parked (one mprotect, ~1 us), ones with many (munmap of a
  // region, an exit) unmapped: the parked set is small, and those pages rarely come back.
  int run_w = -1;
  uint32_t start = 0, end = 0;  // window pages [start, end)
  std::vector<std::pair<uint32_t, uint32_t>> live;  // (window page, ppn) of the run's mappings
  auto flush_run = [&] {
    if (live.empty()) return;
    Win& win = wins_[run_w];
    if (live.size() <= kParkRun) {
      for (auto [wp, ppn] : live) park(run_w, wp, ppn);
      win.w->protect(start, PROT_NONE, end - start);
    } else {
      std::erase_if(win.parked, [&](const auto& kv) { return kv.first >= start && kv.first < end; });
      win.w->unmap(start, end - start);
    }
    live.clear();
  };
  for (uint32_t r : refs) {
    const int w = ref_win(r);
    const uint32_t wp = ref_page(r);
    const uint32_t ppn = forget(w, wp);
    if (ppn == kNotMapped) continue;
    if (!live.empty() && w == run_w && wp - end <= kMergeGap && wins_[w].entries.empty_range(end, wp)) {
      live.push_back({wp, ppn});
      end = wp + 1;
      continue;
    }
    flush_run();
    run_w = w;
    start = wp;
    end = wp + 1;
    live.push_back({wp, ppn});
  }
  flush_run();
}

// A window that loses every entry at once (a process's exit flush, its slot handed to
// another directory) is emptied with one system call, its parked pages with it: by runs
// it took a call per piece of the process (executable, libraries, heap, stack), and the
// short runs it parked were unmapped one by one later, when kMaxParked pushed them out.
// The indexes are fixed in one pass over each list touched, as flush_slot does (a page
// table's deps list holds up to 1,024 refs: searching it once per entry cost more than
// the system calls). Those windows' refs are taken out of refs.
void Shadow::clear_whole_windows(std::vector<uint32_t>& refs) {
  size_t out = 0;
  std::vector<uint32_t> ppns, tables, code;
  for (size_t i = 0; i < refs.size();) {
    const int w = ref_win(refs[i]);
    Win& win = wins_[w];
    size_t j = i, present = 0;
    for (; j < refs.size() && ref_win(refs[j]) == w; ++j) present += win.entries.contains(ref_page(refs[j]));
    if (present <= kParkRun || present != win.entries.size()) {
      while (i < j) refs[out++] = refs[i++];
      continue;
    }
    ppns.clear(), tables.clear(), code.clear();
    win.entries.for_each([&](uint32_t wp, const Entry& e) {
      if (e.prot) ppns.push_back(e.ppn);
      if (e.table != kNoTable) tables.push_back(e.table);
      if (e.exec && !(w & 1)) code.push_back(wp & (Window::kMirrorPage - 1));
    });
    for (; i < j; ++i) win.entries.erase(ref_page(refs[i]));
    win.w->clear();
    win.parked.clear();
    std::fill(win.large.begin(), win.large.end(), 0);
    mapped_ -= win.mapped;
    win.mapped = 0;
    auto mine = [w](uint32_t r) { return ref_win(r) == w; };
    std::sort(ppns.begin(), ppns.end());
    ppns.erase(std::unique(ppns.begin(), ppns.end()), ppns.end());
    for (uint32_t p : ppns) std::erase_if(rmap_[p], mine);
    std::sort(tables.begin(), tables.end());
    tables.erase(std::unique(tables.begin(), tables.end()), tables.end());
    for (uint32_t t : tables)
      if (auto d = deps_.find(t); d != deps_.end()) std::erase_if(d->second, mine);
    // The slot's indirect-branch table holds user code (the kernel's is one table of its
    // own: Translator::kernel_table): a user window emptied whole empties it in one pass
    // instead of one lookup per page code ran from.
    if (w & 1) {
      if (on_slot_flush) on_slot_flush(w / 2);
    } else if (on_exec_drop) {
      for (uint32_t lp : code) on_exec_drop(w / 2, lp);
    }
    stats.window_clears++;
  }
  refs.resize(out);
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
  reset_dir_copy(s);
  for (uint32_t p : unsync_[s]) unsync_bits_[p] &= ~(1u << s);
  unsync_[s].clear();
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
  for (auto& list : unsync_) {
    for (uint32_t p : list) unsync_bits_[p] = 0;
    list.clear();
  }
  std::fill(heat_.begin(), heat_.end(), 0);
  std::fill(trapped_at_.begin(), trapped_at_.end(), 0);
}

size_t Shadow::host_budget() {
  unsigned long max_maps = 65530;
  if (FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r")) {
    if (std::fscanf(f, "%lu", &max_maps) != 1) max_maps = 65530;
    std::fclose(f);
  }
  return size_t(std::max<long>((long(max_maps) - long(kReservedVmas)) / 2, 64));
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

// The physical window is in use again: write-protect the pages that hold code.
void Shadow::protect_phys_code() {
  for (uint32_t p = 0; p < mem_.pages(); ++p)
    if (mem_.is_code_page(p)) protect_phys_page(p, true);
}

// With A20 off the window pages of the HMA show pages 0-15: those follow their frame.
void Shadow::protect_phys_page(uint32_t ppn, bool read_only) {
  if (!a20_ && ppn >= kHmaPage && ppn < kHmaPage + kHmaPages) return;  // not visible while aliased
  phys_.protect_ram_page(ppn, read_only);
  if (!a20_ && ppn < kHmaPages) phys_.protect_ram_page(ppn + kHmaPage, read_only);
}

void Shadow::set_a20(bool on) {
  PressureCheck pc(*this);
  if (on == a20_) return;
  a20_ = on;
  if (!paging()) apply_a20();
}

// Maps the physical window's HMA pages to the frames A20 selects.
void Shadow::apply_a20() {
  for (uint32_t i = 0; i < kHmaPages; ++i) {
    const uint32_t ppn = a20_ ? kHmaPage + i : i;
    for (uint32_t wp : {kHmaPage + i, (kHmaPage + i) | Window::kMirrorPage}) {
      if (ppn >= mem_.pages()) {
        phys_.unmap(wp);
        continue;
      }
      phys_.map(wp, mem_.fd(), ppn, mem_.is_code_page(ppn) ? PROT_READ : PROT_READ | PROT_WRITE);
    }
  }
}

}  // namespace rs
