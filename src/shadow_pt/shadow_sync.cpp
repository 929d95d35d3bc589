// Shadow page tables kept in step with the guest: watched page-table pages and code
// pages, table writes (unsync), resync and revalidation at CR3 loads, address-space
// switches (activate), paging mode changes, INVLPG, reset, and the RINGSHIFT_VERIFY_SHADOW
// check. See shadow.h.
#include "shadow_pt/shadow.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "shadow_pt/shadow_internal.h"

namespace rs {

using namespace shadow_detail;

void Shadow::watch(uint32_t ppn, int s) {
  if (ppn >= mem_.pages() || (mem_.page_flags(ppn) & PhysMem::kPageTable)) return;
  if (unsync_bits_[ppn] || heat_[ppn]) {
    // Writable already (written since it was watched), or written over and over (a
    // fork's page tables): s checks it at its next TLB flush instead of a trap per write.
    if (!(unsync_bits_[ppn] >> s & 1)) stats.hot_fills++;
    add_unsync(ppn, s);
    return;
  }
  protect_table(ppn);
}

void Shadow::protect_table(uint32_t ppn) {
  mem_.set_page_flag(ppn, PhysMem::kPageTable, true);
  for (uint32_t r : rmap_[ppn])
    if (Entry* e = find(r)) set_prot(ref_win(r), ref_page(r), *e, kR);
}

void Shadow::add_unsync(uint32_t ppn, int s) {
  if (unsync_bits_[ppn] >> s & 1) return;
  unsync_bits_[ppn] |= (1u << s);
  unsync_[s].push_back(ppn);
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
    if (slots_[s].used && is_dir(s, ppn) && (wins_[2 * s].entries.size() + wins_[2 * s + 1].entries.size()))
      return true;
  return false;
}

// Whether slot s has entries through page-table page ppn (or ppn is its directory).
bool Shadow::depends(int s, uint32_t ppn) const {
  if (!(wins_[2 * s].entries.size() + wins_[2 * s + 1].entries.size())) return false;
  if (is_dir(s, ppn)) return true;
  auto it = deps_.find(ppn);
  if (it == deps_.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(), [s](uint32_t r) { return ref_win(r) / 2 == s; });
}

// A slot's directory pages: its PD, or under PAE the PDs its present PDPTEs name (one
// past 4 GiB has nothing behind it to watch).
int Shadow::dir_pages(const Slot& sl, uint32_t out[4]) {
  if (!sl.pae) {
    out[0] = sl.pd;
    return 1;
  }
  int n = 0;
  for (uint64_t p : sl.pdpte)
    if ((p & 1) && (p >> 32) == 0) out[n++] = uint32_t(p >> kPageShift);
  return n;
}

bool Shadow::is_dir(int s, uint32_t ppn) const {
  uint32_t d[4];
  const int n = dir_pages(slots_[s], d);
  return std::find(d, d + n, ppn) != d + n;
}

void Shadow::watch_dirs(int s) {
  if (!(wins_[2 * s].entries.size() + wins_[2 * s + 1].entries.size())) return;
  uint32_t d[4];
  for (int i = 0, n = dir_pages(slots_[s], d); i < n; ++i) watch(d[i], s);
}

uint64_t Shadow::dir_entry(int s, uint32_t lpage) const {
  const Slot& sl = slots_[s];
  if (!sl.pae) return read_phys32((sl.pd << kPageShift) + ((lpage >> 10) << 2));
  const uint64_t p = sl.pdpte[(lpage >> 18) & 3];
  if (!(p & 1)) return 0;
  return read_phys64((p & 0xFFFFFF000ull) + ((lpage >> 9) & 0x1FF) * 8);
}

uint64_t Shadow::table_entry(int s, uint32_t table, uint32_t lpage) const {
  if (!slots_[s].pae) return read_phys32((table << kPageShift) + ((lpage & 0x3FF) << 2));
  return read_phys64((uint64_t(table) << kPageShift) + (lpage & 0x1FF) * 8);
}

// Keeps the entries of slot s that page directory pd maps through the same directory
// entries, drops the others. Linux gives every address space the same kernel-half
// PDEs, so a slot handed to a new process (fork) keeps its kernel mappings (~60 host
// mappings of ~5 us each per fork otherwise), and so does a slot whose directory was
// written while it was inactive.
void Shadow::revalidate(int s) {
  stats.revalidations++;
  std::vector<uint32_t> victims;
  DirReader pde{*this, s};
  for (int w = 2 * s; w < 2 * s + 2; ++w)
    wins_[w].entries.for_each([&](uint32_t wp, const Entry& e) {
      if (pde(wp & (Window::kMirrorPage - 1)) != e.pde) victims.push_back(ref(w, wp));
    });
  drop_refs(victims);
  reset_dir_copy(s);
  for (int w = 2 * s; w < 2 * s + 2; ++w) {
    Win& win = wins_[w];
    std::fill(win.large.begin(), win.large.end(), 0);
    win.entries.for_each([&](uint32_t wp, const Entry& e) {
      if (e.table == kNoTable) win.large[(wp & (Window::kMirrorPage - 1)) >> 10] = 1;
    });
  }
}

void Shadow::protect_code(uint32_t ppn) {
  PressureCheck pc(*this);
  if (ppn >= mem_.pages() || mem_.is_code_page(ppn)) return;
  mem_.set_code_page(ppn, true);
  if (!paging()) protect_phys_page(ppn, true);
  for (uint32_t r : rmap_[ppn])
    if (Entry* e = find(r)) set_prot(ref_win(r), ref_page(r), *e, kR);
}

void Shadow::unprotect_code(uint32_t ppn) {
  PressureCheck pc(*this);
  if (ppn >= mem_.pages() || !mem_.is_code_page(ppn)) return;
  mem_.set_code_page(ppn, false);
  if (!paging()) protect_phys_page(ppn, false);
  for (uint32_t r : rmap_[ppn])
    if (Entry* e = find(r)) set_prot(ref_win(r), ref_page(r), *e, desired(*e));
}

// The first write to a watched page-table page: every slot with entries through it puts
// it on its unsync list and checks them at its next TLB flush (the active one keeps its
// entries until then, as a TLB would; the others are not reachable before).
void Shadow::table_written(uint32_t ppn) {
  PressureCheck pc(*this);
  stats.table_writes++;
  bool active = false, other = false;
  for (int s = 0; s < kSlots; ++s) {
    if (!slots_[s].used || !depends(s, ppn)) continue;
    add_unsync(ppn, s);
    (s == active_ ? active : other) = true;
  }
  if (active) stats.tw_active++;
  else if (other) stats.tw_inactive++;
  else stats.tw_idle++;
  if (heat_[ppn] < kHot) heat_[ppn]++;
  trapped_at_[ppn] = tick_;
  unwatch(ppn);
}

void Shadow::resync(int s) {
  if (s == kPhysSlot || unsync_[s].empty()) return;
  stats.resyncs++;
  std::vector<uint32_t> pages;
  pages.swap(unsync_[s]);
  // Per page: 2 if an entry through it was stale, 1 if entries were compared and none
  // was, 0 if slot s had none left to compare (it says nothing about the page's heat).
  std::vector<uint8_t> changed(pages.size(), 0);
  DirReader pde{*this, s};
  std::vector<uint32_t> victims;
  std::vector<std::pair<uint32_t, uint64_t>> checked;
  const bool has_entries = !wins_[2 * s].entries.empty() || !wins_[2 * s + 1].entries.empty();
  for (size_t i = 0; i < pages.size(); ++i) {
    const uint32_t p = pages[i];
    const size_t before = victims.size();
    bool compared = false;
    // A written directory: the entries under directory entries that changed; a written
    // table: its entries.
    if (is_dir(s, p)) {
      stats.dir_resyncs++;
      compared = has_entries;
      resync_dir(s, p, victims, checked);
    }
    if (auto d = deps_.find(p); d != deps_.end())
      for (uint32_t r : d->second) {
        const Entry* e = ref_win(r) / 2 == s ? find(r) : nullptr;
        if (!e) continue;
        compared = true;
        const uint32_t lpage = ref_page(r) & (Window::kMirrorPage - 1);
        if (pde(lpage) != e->pde || table_entry(s, e->table, lpage) != e->pte) victims.push_back(r);
      }
    changed[i] = victims.size() != before ? 2 : compared ? 1 : 0;
  }
  resync_entries(s, victims);
  // The groups checked now hold only entries made through the directory as it is.
  DirCopy& d = dir_copy_[s];
  for (auto [g, v] : checked) {
    d.pde[g] = v;
    d.dirty[g >> 6] &= ~(uint64_t(1) << (g & 63));
  }
  resync_done(s, pages, changed);
}

void Shadow::reset_dir_copy(int s) {
  DirCopy& d = dir_copy_[s];
  std::fill(d.dirty.begin(), d.dirty.end(), 0);
  const Slot& sl = slots_[s];
  if (!sl.used) return;
  if (!sl.pae) {
    uint32_t dir[1024];
    mem_.read(uint64_t(sl.pd) << kPageShift, dir, sizeof dir);
    for (uint32_t g = 0; g < kGroups; ++g) d.pde[g] = dir[g >> 1];
    return;
  }
  for (uint32_t q = 0; q < 4; ++q) {
    const uint64_t e = sl.pdpte[q];
    if (!(e & 1) || (e >> 32)) {
      std::fill(d.pde.begin() + q * 512, d.pde.begin() + (q + 1) * 512, 0);
      continue;
    }
    mem_.read(e & 0xFFFFF000u, d.pde.data() + q * 512, 512 * sizeof(uint64_t));
  }
}

void Shadow::resync_dir(int s, uint32_t p, std::vector<uint32_t>& victims, std::vector<std::pair<uint32_t, uint64_t>>& checked) {
  const Slot& sl = slots_[s];
  DirCopy& d = dir_copy_[s];
  auto scan = [&](uint32_t g, uint64_t now) {
    checked.emplace_back(g, now);
    stats.dir_groups_checked++;
    for (int w = 2 * s; w < 2 * s + 2; ++w)
      for (uint32_t first : {g << 9, (g << 9) | Window::kMirrorPage})
        wins_[w].entries.for_each_in_range(first, 512, [&](uint32_t wp, const Entry& e) {
          if (e.pde != now) victims.push_back(ref(w, wp));
        });
  };
  // Groups [first, first + n) (a multiple of 64), whose directory entries now are
  // now(g): the changed and the dirty ones are scanned. The compare is branch-free: a
  // resync usually finds a handful among 2048.
  auto groups = [&](uint32_t first, uint32_t n, auto now) {
    for (uint32_t w = first / 64; w < (first + n) / 64; ++w) {
      uint64_t differ = d.dirty[w];
      for (uint32_t b = 0; b < 64; ++b) differ |= uint64_t(d.pde[w * 64 + b] != now(w * 64 + b)) << b;
      for (; differ; differ &= differ - 1) {
        const uint32_t g = w * 64 + uint32_t(std::countr_zero(differ));
        scan(g, now(g));
      }
    }
  };
  if (!sl.pae) {
    if (sl.pd != p) return;
    uint32_t dir[1024];
    mem_.read(uint64_t(p) << kPageShift, dir, sizeof dir);
    groups(0, kGroups, [&](uint32_t g) { return uint64_t(dir[g >> 1]); });
    return;
  }
  // Under PAE the page may be the directory of several PDPTEs.
  uint64_t dir[512];
  bool read = false;
  for (uint32_t q = 0; q < 4; ++q) {
    const uint64_t e = sl.pdpte[q];
    if (!(e & 1) || (e >> 32) || uint32_t(e >> kPageShift) != p) continue;
    if (!read) mem_.read(uint64_t(p) << kPageShift, dir, sizeof dir);
    read = true;
    groups(q * 512, 512, [&](uint32_t g) { return dir[g & 511]; });
  }
}

// Slot s's stale entries (victims): one whose page still maps the same frame through the
// same table, only with other bits (fork write-protects every PTE of the parent for
// copy-on-write), is updated in place: one mprotect instead of a drop, a host fault and an
// mmap later. Only with A already set in both levels, so that no A bit the CPU would set
// is missed. The others are dropped. (The walk uses s's directory: CR3 may already hold
// the next one.)
void Shadow::resync_entries(int s, std::vector<uint32_t>& victims) {
  std::sort(victims.begin(), victims.end());
  victims.erase(std::unique(victims.begin(), victims.end()), victims.end());
  std::vector<uint32_t> drops;
  ProtRun run;
  for (uint32_t r : victims) {
    Entry* e = find(r);
    if (!e) continue;
    const uint32_t lpage = ref_page(r) & (Window::kMirrorPage - 1);
    WalkRequest rq = request(lpage << kPageShift, false, (ref_win(r) & 1) != 0, false);
    rq.cr3 = slots_[s].pae ? slots_[s].pd << 5 : slots_[s].pd << kPageShift;
    rq.pdpte = slots_[s].pdpte;
    const WalkResult w = walk(mem_, rq);
    // Not when code ran from it and it may no longer be executed (XD set): dropping it
    // is what tells the translator (on_exec_drop).
    if (w.ok && e->table != kNoTable && w.table == e->table && (w.phys >> kPageShift) == e->ppn &&
        (w.pde & kPteA) && (w.pte & kPteA) && (!e->exec || w.exec_ok)) {
      e->pde = w.pde;
      e->pte = w.pte;
      note_pde(s, lpage, w.pde);
      e->write_ok = w.writable;
      set_prot(ref_win(r), ref_page(r), *e, desired(*e), &run);
      stats.resync_updates++;
    } else {
      drops.push_back(r);
    }
  }
  prot_flush(run);
  stats.resync_drops += drops.size();
  drop_refs(drops);
}

// The pages slot s just checked: heat follows what was found; a page cooled down is
// watched again, one still hot stays writable and on the list while s depends on it.
void Shadow::resync_done(int s, const std::vector<uint32_t>& pages, const std::vector<uint8_t>& changed) {
  for (size_t i = 0; i < pages.size(); ++i) {
    const uint32_t p = pages[i];
    unsync_bits_[p] &= ~(1u << s);
    uint8_t& h = heat_[p];
    if (changed[i] == 2) h = uint8_t(std::min<int>(h + 1, kHot));
    else if (changed[i] == 1 && h && tick_ - trapped_at_[p] > kCoolTicks) h--;
    if (mem_.page_flags(p) & PhysMem::kPageTable) continue;  // watched again already
    if (!h && needed(p)) {
      protect_table(p);
    } else if (depends(s, p)) {
      add_unsync(p, s);
      stats.hot_unwatched++;
    }
  }
}

void Shadow::activate() {
  ++tick_;
  const uint32_t pd = key();
  const bool pae = cpu_.cr4 & kCr4PAE;
  int s = -1;
  for (int i = 0; i < kSlots; ++i)
    if (slots_[i].used && slots_[i].pd == pd && slots_[i].pae == pae) s = i;
  // Under PAE the same CR3 may come back with other PDPTEs (the guest rewrote its PDPT):
  // the slot's entries are checked against the directories the new ones name.
  const bool new_pdptes = s >= 0 && pae && std::memcmp(slots_[s].pdpte, cpu_.pdpte, sizeof cpu_.pdpte) != 0;
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
    const Slot old = slots_[s];
    slots_[s] = Slot{true, pd, tick_, pae, {}};
    std::memcpy(slots_[s].pdpte, cpu_.pdpte, sizeof cpu_.pdpte);
    if (!old.used) reset_dir_copy(s);
    if (old.used) {
      if (old.pae != pae) flush_slot(s);  // entries of the other paging mode cannot be compared
      else revalidate(s);
      stats.slot_reuses++;
      // The old address space's directories stay watched only if something still
      // depends on them.
      uint32_t d[4];
      for (int i = 0, n = dir_pages(old, d); i < n; ++i)
        if (!needed(d[i])) unwatch(d[i]);
    }
    watch_dirs(s);
  } else if (new_pdptes) {
    std::memcpy(slots_[s].pdpte, cpu_.pdpte, sizeof cpu_.pdpte);
    revalidate(s);
    watch_dirs(s);
  }
  const bool switched = s != active_;
  if (switched) stats.switches++;
  slots_[s].lru = tick_;
  active_ = s;
  // Pages written while s was inactive: checked now, as the CR3 load's TLB flush allows.
  if (switched) resync(s);
  apply_pending_prot(s);
}

Shadow::Flush Shadow::paging_changed(uint32_t old_cr0, uint32_t old_cr4) {
  PressureCheck pc(*this);
  const bool was = old_cr0 & kCr0PG, now = paging();
  // WP, PSE, PAE and EFER.NXE change what a walk finds: every entry goes.
  const bool rules = ((old_cr0 ^ cpu_.cr0) & kCr0WP) || ((old_cr4 ^ cpu_.cr4) & (kCr4PSE | kCr4PAE)) ||
                     efer_ != cpu_.efer;
  efer_ = cpu_.efer;
  if (!was && !now) return Flush::All;
  if (was && now && !rules) {
    // A CR3 load (or a CR4.PGE change) flushes the TLB: nothing stale may survive it. The
    // address space being left is unreachable until it is entered again, and activate
    // checks it then, so only a reload of the same one is checked here (checking both
    // ends compared a process's hot page tables twice per switch).
    if (active_ != kPhysSlot && slots_[active_].pd == key() && slots_[active_].pae == bool(cpu_.cr4 & kCr4PAE))
      resync(active_);
    activate();
    verify("CR3 load");
    return (old_cr4 ^ cpu_.cr4) & kCr4PGE ? Flush::Global : Flush::NonGlobal;
  }
  flush_all();  // paging switched on or off, or the rules of the walk changed
  if (now) {
    if (!was) phys_.map_ram(mem_);  // the physical window idles: drop its code protections
    activate();
    return Flush::All;
  }
  active_ = kPhysSlot;
  protect_phys_code();
  if (!a20_) apply_a20();
  return Flush::All;
}

// Debugging aid (RINGSHIFT_VERIFY_SHADOW=1): after a TLB flush every entry of the
// active address space must agree with a fresh walk of the guest's tables.
void Shadow::verify(const char* where) {
  static const bool on = std::getenv("RINGSHIFT_VERIFY_SHADOW") != nullptr;
  if (!on || active_ == kPhysSlot) return;
  for (int w = 2 * active_; w < 2 * active_ + 2; ++w) {
    wins_[w].entries.for_each([&](uint32_t wp, const Entry& e) {
      const uint32_t linear = (wp & (Window::kMirrorPage - 1)) << kPageShift;
      WalkResult r = walk(mem_, request(linear, false, (w & 1) != 0, false));
      const bool bad = !r.ok || (r.phys >> kPageShift) != e.ppn || (e.prot == kRW && !r.writable);
      if (bad)
        std::fprintf(stderr, "shadow verify (%s): %s window page %#x -> ppn %#x prot %d; walk ok=%d phys %#llx writable=%d pte %#llx (entry pte %#llx pde %#llx)\n",
                     where, (w & 1) ? "user" : "supervisor", linear, e.ppn, e.prot, r.ok,
                     static_cast<unsigned long long>(r.phys), r.writable, static_cast<unsigned long long>(r.pte),
                     static_cast<unsigned long long>(e.pte), static_cast<unsigned long long>(e.pde));
    });
  }
}

void Shadow::invlpg(uint32_t linear) {
  PressureCheck pc(*this);
  if (active_ == kPhysSlot) return;
  stats.invlpgs++;
  const uint32_t lp = linear >> kPageShift;
  for (int w = 2 * active_; w < 2 * active_ + 2; ++w) {
    // A 4 MiB page is one TLB entry: all of its 4 KiB pieces go.
    uint8_t& large = wins_[w].large[lp >> 10];
    const uint32_t first = large ? lp & ~0x3FFu : lp, last = large ? first + 0x3FF : lp;
    large = 0;
    if (first == last) {
      for (uint32_t q : {first, first | Window::kMirrorPage})
        if (wins_[w].entries.contains(q)) {
          stats.invlpg_drops++;
          transient_[first >> 6] |= uint64_t(1) << (first & 63);
          drop(w, q);
        }
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
  efer_ = 0;
  active_ = kPhysSlot;
  a20_ = true;
  phys_.map_ram(mem_);
  protect_phys_code();
}

}  // namespace rs
