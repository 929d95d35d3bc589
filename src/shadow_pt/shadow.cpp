// Shadow page tables, the filling side: a host fault in a window walks the guest's page
// tables (on_fault) and maps the page (install, install_large_chunk for 4 MiB pages) or
// reports a guest #PF; translate/fetch walk for C++ and the translator; prefill maps
// ahead the page a guest #PF handler has just provided. See shadow.h.
#include "shadow_pt/shadow.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "error.h"
#include "host/console.h"
#include "shadow_pt/shadow_internal.h"

namespace rs {

using namespace shadow_detail;

Shadow::Shadow(PhysMem& mem, CpuState& cpu, size_t budget) : mem_(mem), cpu_(cpu), budget_(budget) {
  phys_.map_ram(mem_);
  for (auto& w : wins_) w.w = std::make_unique<Window>();
  rmap_.resize(mem_.pages());
  unsync_bits_.assign(mem_.pages(), 0);
  heat_.assign(mem_.pages(), 0);
  trapped_at_.assign(mem_.pages(), 0);
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

bool Shadow::install(int w, uint32_t wp, const WalkResult& r, bool exec, uint8_t mapped_prot) {
  const uint32_t ppn = r.phys >> kPageShift;
  Win& win = wins_[w];
  // A page in a reservation's middle splits it in three. (Pages the caller has mapped
  // were counted by it: evicting now would leave them entries without a mapping.)
  if (!exec && !mapped_prot && over_budget(2)) {
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
  note_pde(w / 2, wp & (Window::kMirrorPage - 1), r.pde);
  e->write_ok = r.writable;
  e->exec = e->exec || exec;
  if (r.table == kNoTable) win.large[(wp & (Window::kMirrorPage - 1)) >> 10] = 1;
  const uint32_t r_ = ref(w, wp);
  if (fresh && r.table != kNoTable) {
    deps_[r.table].push_back(r_);
    watch(r.table, w / 2);
  }
  watch(r.directory, w / 2);
  const uint8_t want = desired(*e);
  if (e->prot) {  // a fetch too: the walk may allow less now (a self-checking code page is not write-protected)
    set_prot(w, wp, *e, want);
    return true;
  }
  if (exec) return true;
  if (!mapped_prot && !map_page(w, wp, ppn, want)) return false;
  e->prot = mapped_prot ? mapped_prot : want;
  note_mapped(w, wp, ppn);
  if (!mapped_prot) stats.fills++;
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
  const uint32_t ppn0 = uint32_t(r.phys >> kPageShift) - (wp - first);  // 4 MiB, or 2 MiB under PAE
  if (!mem_.contains(uint64_t(ppn0) << kPageShift, uint64_t(kLargeChunk) << kPageShift)) return false;
  for (uint32_t i = 0; i < kLargeChunk; ++i)
    if (win.entries.contains(first + i)) return false;
  if (over_budget(2)) make_room(w);
  const uint8_t common = (r.writable && (r.pde & kPteD)) ? kRW : kR;
  for (uint32_t i = 0; i < kLargeChunk; ++i) win.parked.erase(first + i);
  if (!win.w->map(first, mem_.fd(), ppn0, host_prot(common), kLargeChunk)) return false;
  for (uint32_t i = 0; i < kLargeChunk; ++i) {
    bool fresh = false;
    Entry& e = win.entries.emplace(first + i, fresh);
    e.ppn = ppn0 + i;
    e.table = kNoTable;
    e.pde = e.pte = r.pde;
    note_pde(w / 2, (first + i) & (Window::kMirrorPage - 1), r.pde);
    e.write_ok = r.writable;
    e.prot = common;
    set_prot(w, first + i, e, desired(e));  // pieces that hold code or page tables stay read-only
    note_mapped(w, first + i, e.ppn);
  }
  win.large[(wp & (Window::kMirrorPage - 1)) >> 10] = 1;
  stats.fills++;
  stats.chunk_fills++;
  watch(r.directory, w / 2);
  return true;
}

Shadow::Fault Shadow::on_fault(uint64_t host_addr, bool write) {
  Fault f;
  relieved_ = false;
  {
    PressureCheck pc(*this);
    f = walk_fault(host_addr, write);
  }
  if (relieved_) {
    // A map failed and the windows were emptied: the retry finds room, unless even
    // empty windows cannot take the page (then the fault is reported as not ours).
    relieved_ = false;
    if (f.outcome == Outcome::NotOurs && pressure_streak_ <= 3) f.outcome = Outcome::Filled;
    return f;
  }
  if (f.outcome == Outcome::Filled) {
    pressure_streak_ = 0;
    stats.vmas_peak = std::max(stats.vmas_peak, slot_vmas());
  }
  return f;
}

bool Shadow::relieve_pressure() {
  if (!Window::map_failed()) return false;
  Window::clear_map_failed();
  stats.pressure_flushes++;
  pressure_streak_++;
  relieved_ = true;
  try {
    for (int s = 0; s < kSlots; ++s)
      if (slots_[s].used) flush_slot(s);
  } catch (const std::exception&) {
    // At the host's limit malloc fails too (its arenas are mappings): nothing to go on
    // with. Called from signal handlers, so the message is written by hand.
    restore_host_terminal();
    static const char msg[] =
        "ringshift: the host refused memory mappings (vm.max_map_count reached); raise it or lower --map-budget\n";
    ssize_t r = ::write(2, msg, sizeof msg - 1);
    (void)r;
    _exit(kExitInternal);
  }
  return true;
}

Shadow::Fault Shadow::walk_fault(uint64_t host_addr, bool write) {
  Fault f;
  if (phys_.in_span(host_addr)) {
    if (paging()) return f;
    const uint32_t pa = uint32_t(host_addr - phys_.base());
    f.linear = pa;
    f.phys = pa & a20_mask();
    if (!mem_.contains(pa, 1)) {
      f.outcome = Outcome::Mmio;
      return f;
    }
    f.outcome = write && mem_.is_code_page(f.phys >> kPageShift) ? Outcome::Smc : Outcome::NotOurs;
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
  WalkResult r = walk(mem_, request(f.linear, write, (w & 1) != 0, true));
  if (!r.ok) {
    stats.guest_faults++;
    f.outcome = Outcome::PageFault;
    f.error = r.error;
    return f;
  }
  // Past 4 GiB (PAE) nothing answers: the device path reads it as the top page's all ones.
  f.phys = r.phys >> 32 ? 0xFFFFF000u | (f.linear & 0xFFFu) : uint32_t(r.phys);
  const uint32_t ppn = f.phys >> kPageShift;
  if (r.phys >> 32 || ppn >= mem_.pages() || !mem_.contains(r.phys, 1)) {
    f.outcome = Outcome::Mmio;
    return f;
  }
  if (write) {
    const bool table = mem_.page_flags(ppn) & PhysMem::kPageTable;
    if (table) table_written(ppn);
    if (mem_.is_code_page(ppn)) {
      f.outcome = Outcome::Smc;
      return f;
    }
    const Entry* old = wins_[w].entries.find(wp);
    if (old && old->prot && !table) stats.write_upgrades++;  // D set by this write, or a stale read-only copy
  }
  if (r.table == kNoTable && install_large_chunk(w, wp, r)) {
    f.outcome = Outcome::Filled;
    return f;
  }
  if (fill_around(w, wp, r)) {
    f.outcome = Outcome::Filled;
    return f;
  }
  f.outcome = install(w, wp, r, false) ? Outcome::Filled : Outcome::NotOurs;
  return f;
}

// Linux maps up to 16 pages of a file around a fault (fault-around), with A set, and a
// file's pages in the page cache are often physically contiguous: a fresh fill maps, in
// the same mmap, the run of pages beside it (in its aligned group of kAround) that the
// guest's tables already map to the next frames, with A set and the same host protection,
// sparing a host fault and an mmap for each (a library's or an executable's pages). A set
// makes this an access the CPU may have cached speculatively (SDM 4.10.2.3): the guest
// invalidates them as any entry (INVLPG, CR3), and they are recorded as any fill.
bool Shadow::fill_around(int w, uint32_t wp, const WalkResult& r) {
  Win& win = wins_[w];
  if (r.table == kNoTable || wp >= Window::kMirrorPage || win.entries.contains(wp)) return false;
  const uint32_t ppn = uint32_t(r.phys >> kPageShift);
  auto prot_of = [&](const WalkResult& q) {
    Entry e;
    e.ppn = uint32_t(q.phys >> kPageShift);
    e.pte = q.pte;
    e.write_ok = q.writable;
    return desired(e);
  };
  const uint8_t prot = prot_of(r);
  WalkResult q[kAround];
  const uint32_t first = wp & ~(kAround - 1);
  // Page first + i qualifies: not in the window, the same table, A set, the next frame.
  auto fits = [&](uint32_t i) {
    const uint32_t n = first + i;
    if (win.entries.contains(n) || transient(n)) return false;
    q[i] = walk(mem_, request(n << kPageShift, false, (w & 1) != 0, false));
    return q[i].ok && q[i].table == r.table && (q[i].pte & kPteA) && int64_t(q[i].phys >> kPageShift) == int64_t(ppn) + n - int64_t(wp) &&
           mem_.contains(q[i].phys, 1) && prot_of(q[i]) == prot;
  };
  uint32_t lo = wp - first, hi = lo;
  while (lo > 0 && fits(lo - 1)) lo--;
  while (hi + 1 < kAround && fits(hi + 1)) hi++;
  const uint32_t n = hi - lo + 1;
  if (n == 1 || over_budget(2)) return false;
  for (uint32_t i = lo; i <= hi; ++i) win.parked.erase(first + i);
  if (!win.w->map(first + lo, mem_.fd(), ppn - (wp - first - lo), host_prot(prot), n)) return false;
  q[wp - first] = r;
  for (uint32_t i = lo; i <= hi; ++i) install(w, first + i, q[i], false, prot);
  stats.fills++;
  stats.around += n - 1;
  return true;
}

// A #PF also drops the TLB entry of the address that faulted (SDM 4.10.4.1), and Linux
// relies on it: after a write-protection fault it makes the PTE writable without INVLPG
// (copy-on-write of a page nobody else maps). So a mapping still there is refreshed too;
// otherwise the retry would fault once more on the read-only copy (a write upgrade).
void Shadow::prefill(uint32_t linear, bool write, bool user) {
  if (active_ == kPhysSlot) return;
  PressureCheck pc(*this);
  const int w = 2 * active_ + (user ? 1 : 0);
  const uint32_t wp = linear >> kPageShift;
  const Entry* old = wins_[w].entries.find(wp);
  if (old && old->prot && (!write || old->prot == kRW)) return;
  WalkResult r = walk(mem_, request(linear, write, user, false));
  if (!r.ok || r.table == kNoTable || !(r.pte & kPteA) || (write && !(r.pte & kPteD))) return;
  if (!mem_.contains(r.phys, 1)) return;
  const uint32_t ppn = uint32_t(r.phys >> kPageShift);
  if (write && (mem_.page_flags(ppn) & (PhysMem::kPageTable | PhysMem::kPageCode))) return;
  if (old && old->prot) stats.prefill_upgrades++;
  else stats.prefills++;
  if (!old && fill_around(w, wp, r)) return;
  install(w, wp, r, false);
}

WalkResult Shadow::translate(uint32_t linear, bool write, bool user, bool set_ad) {
  if (!paging()) {
    WalkResult r;
    r.ok = true;
    r.phys = linear & a20_mask();
    r.writable = r.user_ok = r.dirty = true;
    return r;
  }
  return walk(mem_, request(linear, write, user, set_ad));
}

WalkRequest Shadow::request(uint32_t linear, bool write, bool user, bool set_ad) const {
  WalkRequest rq{linear, write, user, cpu_.cr0, cpu_.cr3, cpu_.cr4, set_ad};
  rq.efer = cpu_.efer;
  rq.pdpte = cpu_.pdpte;
  return rq;
}

bool Shadow::fetch(uint32_t linear, bool user, uint32_t& phys, uint32_t& error) {
  if (!paging()) {
    phys = linear & a20_mask();
    return true;
  }
  WalkRequest rq = request(linear, false, user, true);
  rq.fetch = true;  // XD applies
  WalkResult r = walk(mem_, rq);
  if (!r.ok) {
    error = r.error;
    return false;
  }
  phys = r.phys >> 32 ? 0xFFFFF000u | (linear & 0xFFFu) : uint32_t(r.phys);
  if (mem_.contains(r.phys, 1)) install(2 * active_ + (user ? 1 : 0), linear >> kPageShift, r, true);
  return true;
}

}  // namespace rs
