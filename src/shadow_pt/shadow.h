// Shadow page tables on the host MMU (docs/design.md, "Paging").
//
// Each cached guest address space (a "slot", keyed by the page directory CR3 points
// to) has two windows: a supervisor view (CPL 0-2) and a user view (CPL 3). A window
// starts empty; a host fault in it walks the guest page tables and either maps the
// guest physical page there (read-only until the guest PTE is dirty, and while the
// page holds translated code or guest page tables) or becomes a guest #PF. Switching
// address space or privilege is a new GS base.
//
// Coherence: every guest page-table page (directory or table) that an entry was
// filled from is write-protected in all its host aliases ("watched"). The first guest
// write to a watched page makes it writable ("unsync") and puts it on the unsync list of
// every address space with entries through it; the active one keeps its entries as a TLB
// would (the guest must INVLPG or reload CR3 after changing a live entry). An address
// space's listed pages are compared with its entries at its next CR3 load, or when it
// becomes active again (a CR3 load flushes the TLB then too): stale entries are updated or
// dropped, and a page is watched again once it has cooled down. A page that keeps being
// written (a forking process's page tables) stays writable and listed, which costs a
// compare per switch instead of a trap and two mprotects per write burst.
//
// A per-physical-page reverse map finds every alias (code pages, page-table pages),
// and a budget bounds the number of host mappings (vm.max_map_count): over budget,
// the least recently used address space, or else the active one, is emptied.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cpu/cpu_state.h"
#include "mmu/page_walk.h"
#include "mmu/phys_mem.h"
#include "shadow_pt/window.h"
#include "shadow_pt/window_map.h"

namespace rs {

class Shadow {
 public:
  static constexpr int kSlots = 16;         // cached address spaces
  static constexpr int kPhysSlot = kSlots;  // "slot" of the physical window (paging off)
  // The budget counts host VMAs (Window::vmas), what vm.max_map_count limits: the
  // address spaces' windows may split into half of what the host allows less 1,024 for
  // the rest of the process (the reservations, the physical window, libraries). The
  // other half is room for the protection changes between two fills (each may split a
  // VMA in three); a map or protect that fails for want of VMAs all the same empties the
  // windows (relieve_pressure). Boots and pie_script map ~4-5 pages a VMA.
  static constexpr size_t kReservedVmas = 1024;
  static constexpr size_t kDefaultBudget = (65530 - kReservedVmas) / 2;
  // The budget for this host's vm.max_map_count (kDefaultBudget at Linux's default).
  static size_t host_budget();
  // A fault in a 4 MiB guest page maps this many of its 4 KiB pages at once (one mmap).
  static constexpr uint32_t kLargeChunk = 16;
  // A fill also maps the pages beside it in an aligned group of this many (fill_around).
  static constexpr uint32_t kAround = 8;

  enum class Outcome { Filled, PageFault, Smc, Mmio, NotOurs };
  struct Fault {
    Outcome outcome = Outcome::NotOurs;
    uint32_t linear = 0, error = 0, phys = 0;
  };

  struct Stats {
    uint64_t fill_ticks = 0;  // host TSC ticks spent in on_fault (--stats)
    uint64_t fills = 0, prefills = 0, unparks = 0, chunk_fills = 0, write_upgrades = 0, guest_faults = 0, table_writes = 0, resyncs = 0, resync_drops = 0, resync_updates = 0,
             switches = 0, slot_evictions = 0, slot_reuses = 0, revalidations = 0, budget_evictions = 0, invlpgs = 0, full_flushes = 0;
    // Table writes by whom the written page mattered to: the active address space (it
    // becomes unsync), only inactive ones (their entries go), nobody any more.
    uint64_t tw_active = 0, tw_inactive = 0, tw_idle = 0;
    uint64_t prefill_upgrades = 0;  // prefills that refreshed a read-only mapping after a write #PF
    uint64_t hot_unwatched = 0;     // page-table pages left writable at a resync (hot)
    uint64_t hot_fills = 0;         // fills through a page table that stayed writable (not watched)
    uint64_t around = 0;            // pages mapped beside a fill by its mmap (fill_around)
    uint64_t invlpg_drops = 0;      // INVLPGs that dropped an entry
    uint64_t dir_resyncs = 0, dir_groups_checked = 0;  // written directories checked, and their 2 MiB groups whose entries were
    uint64_t window_clears = 0;     // windows emptied whole by one drop (an exit, a slot reused)
    uint64_t pressure_flushes = 0;  // every window emptied because a map or protect hit vm.max_map_count
    int64_t vmas_peak = 0;          // the most VMAs the budget counted (slot_vmas, at a fill)
  };

  Shadow(PhysMem& mem, CpuState& cpu, size_t budget = kDefaultBudget);
  ~Shadow();
  Shadow(const Shadow&) = delete;
  Shadow& operator=(const Shadow&) = delete;

  // CR0, CR3 or CR4 was written (values already in CpuState): picks the address space,
  // drops what the change makes stale, and says what a TLB would have lost.
  enum class Flush {
    NonGlobal,  // a CR3 load: translations of global pages stay
    Global,     // CR4.PGE changed: global ones go too, under the same rules of the walk
    All,        // paging went on or off, or CR0.WP, CR4.PSE/PAE or EFER changed the walk
  };
  Flush paging_changed(uint32_t old_cr0, uint32_t old_cr4);
  void invlpg(uint32_t linear);
  // Machine reset: everything dropped, paging off.
  void reset();

  bool paging() const { return cpu_.cr0 & 0x80000000u; }
  // The A20 gate (port 0x92, the keyboard controller's output port). Off, physical
  // address bit 20 reads as 0, so FFFF:0010 and up wrap to 0 as on an 8086. ringshift
  // applies it where real-mode code can see it: paging off, and in the physical window
  // to the 64 KiB above 1 MiB (HMA) that segment:offset addressing reaches.
  void set_a20(bool on);
  // The HMA: the first pages above 1 MiB, which A20 off shows pages 0.. through.
  static constexpr uint32_t kHmaPage = 0x100, kHmaPages = 16;
  bool a20() const { return a20_; }
  uint32_t a20_mask() const { return a20_ ? ~0u : ~0x100000u; }
  int active() const { return active_; }
  // Host address of linear 0 for code running at cpl.
  uint64_t view_base(int cpl) const;
  uint64_t phys_base() const { return phys_.base(); }
  bool owns(uint64_t host_addr) const;

  // A host fault in a window (SIGSEGV handler, translated code interrupted). Filled:
  // resume the faulting instruction.
  Fault on_fault(uint64_t host_addr, bool write);
  // Ends a public entry point (PressureCheck): a window operation that failed for want of
  // VMAs empties every address space, which frees them and leaves no host mapping that
  // disagrees with its entry. True when it did.
  bool relieve_pressure();

  // The guest's #PF handler returned to the instruction that faulted at linear: map the
  // page now if the guest's tables allow the access, sparing the host fault the retry
  // would take. Only with A (and D for a write) already set, so no A/D bit is skipped.
  void prefill(uint32_t linear, bool write, bool user);
  // C++ accesses: the walk as the CPU does it (A/D set), nothing recorded.
  WalkResult translate(uint32_t linear, bool write, bool user, bool set_ad = true);
  // Code fetch by the translator: also recorded, so that on_exec_drop reports when the
  // mapping of a page code was fetched from changes.
  bool fetch(uint32_t linear, bool user, uint32_t& phys, uint32_t& error);

  // A physical page starts / stops holding translated code.
  void protect_code(uint32_t ppn);
  void unprotect_code(uint32_t ppn);
  // C++ (not translated code) is about to write a watched page-table page.
  void table_written(uint32_t ppn);

  size_t mapped() const { return mapped_; }  // pages
  static int64_t vmas() { return Window::total_vmas(); }
  size_t budget() const { return budget_; }
  void set_budget(size_t b) { budget_ = b; }

  // The mapping of linear page lpage that code was fetched from in slot changed.
  std::function<void(int slot, uint32_t lpage)> on_exec_drop;
  // Every mapping of slot is gone (the slot was emptied or given to another CR3), or
  // every one of its user view.
  std::function<void(int slot)> on_slot_flush;
  Stats stats;

 private:
  struct Entry {
    uint32_t ppn = 0;
    uint32_t table = kNoTable;  // page table the walk went through
    uint64_t pde = 0, pte = 0;  // as the walk left them
    uint8_t prot = 0;           // host protection now: 0 unmapped, kR, kRW
    bool write_ok = false;      // the guest may write through this view
    bool exec = false;          // the translator fetched code through it
  };
  struct Win {
    std::unique_ptr<Window> w;
    WindowMap<Entry> entries;  // by window page
    std::unordered_map<uint32_t, uint32_t> parked;  // window page -> ppn mapped there PROT_NONE (see drop)
    size_t mapped = 0;
    // 4 MiB regions with entries from a 4 MiB page: INVLPG anywhere in one drops them all.
    std::vector<uint8_t> large = std::vector<uint8_t>(1024, 0);
  };
  struct Slot {
    bool used = false;
    uint32_t pd = 0;     // the key: CR3's page directory page, or under PAE CR3 >> 5 (the PDPT)
    uint64_t lru = 0;
    bool pae = false;
    uint64_t pdpte[4] = {};  // PAE: the PDPTE registers this address space was filled with
  };
  static constexpr uint8_t kR = 1, kRW = 3;
  static uint32_t ref(int w, uint32_t wp) { return uint32_t(w) << 21 | wp; }
  static int ref_win(uint32_t r) { return int(r >> 21); }
  static uint32_t ref_page(uint32_t r) { return r & 0x1FFFFF; }

  // The small per-entry steps are defined here so that the loops of all three .cpp files
  // (fills, mappings, resync) inline them.
  // Read-only while the guest PTE is clean (so the first write sets D), and while the
  // page holds translations or guest page tables (so writes are seen).
  uint8_t desired(const Entry& e) const {
    if (!e.write_ok || !(e.pte & kPteD)) return kR;
    if (mem_.page_flags(e.ppn) & (PhysMem::kPageCode | PhysMem::kPageTable)) return kR;
    return kRW;
  }
  // Host protection changes of consecutive pages of one window that get the same
  // protection, gathered into one mprotect (a fork write-protects whole ranges).
  struct ProtRun {
    int w = -1;
    uint32_t first = 0, n = 0;
    int prot = 0;
  };
  void prot_add(ProtRun& run, int w, uint32_t wp, int prot);
  void prot_flush(ProtRun& run);
  // With run, an active slot's change waits in it (the caller flushes it).
  void set_prot(int w, uint32_t wp, Entry& e, uint8_t prot, ProtRun* run = nullptr);
  void apply_pending_prot(int s);
  Entry* find(uint32_t r) { return wins_[ref_win(r)].entries.find(ref_page(r)); }
  // mapped_prot: the caller has mapped the page with this protection already.
  bool install(int w, uint32_t wp, const WalkResult& r, bool exec, uint8_t mapped_prot = 0);
  bool fill_around(int w, uint32_t wp, const WalkResult& r);
  bool install_large_chunk(int w, uint32_t wp, const WalkResult& r);
  void drop(int w, uint32_t wp);
  // Forgets the entry; the page its host mapping (still there, to be removed) maps,
  // or kNotMapped.
  static constexpr uint32_t kNotMapped = ~0u;
  uint32_t forget(int w, uint32_t wp);
  bool map_page(int w, uint32_t wp, uint32_t ppn, uint8_t prot);
  void park(int w, uint32_t wp, uint32_t ppn);
  static constexpr uint32_t kParkRun = 16;  // drop_refs parks runs with up to this many pages
  static constexpr uint32_t kMergeGap = 256;  // drop_refs joins runs this close (pages without entries)
  static constexpr size_t kMaxParked = 256;  // per window: parked mappings still cost VMAs
  // Drops many entries (refs, sorted here), removing host mappings run by run.
  void drop_refs(std::vector<uint32_t>& refs);
  void clear_whole_windows(std::vector<uint32_t>& refs);
  void flush_slot(int s);
  void revalidate(int s);
  // The walk as the CPU does it now (CR0, CR3, CR4, EFER, the PDPTE registers).
  WalkRequest request(uint32_t linear, bool write, bool user, bool set_ad) const;
  // Slot s's directory entry for linear page lpage (PDE, or under PAE the PDE the
  // slot's PDPTE points to; 0 when not present), and entry lpage of page table `table`.
  uint64_t dir_entry(int s, uint32_t lpage) const;
  uint64_t table_entry(int s, uint32_t table, uint32_t lpage) const;
  // dir_entry for scans in window-page order (revalidate, resync): the entries under one
  // directory entry are neighbours, so it is read once for all of them.
  struct DirReader {
    const Shadow& sh;
    int s;
    uint32_t key = ~0u;
    uint64_t v = 0;
    uint64_t operator()(uint32_t lpage) {
      if (lpage >> 9 != key) key = lpage >> 9, v = sh.dir_entry(s, lpage);
      return v;
    }
  };
  // Whether ppn is one of slot s's directory pages (the PD, or under PAE the PDs its
  // PDPTEs name), and watching them.
  bool is_dir(int s, uint32_t ppn) const;
  static int dir_pages(const Slot& sl, uint32_t out[4]);
  void watch_dirs(int s);
  uint32_t key() const { return (cpu_.cr4 & kCr4PAE) ? cpu_.cr3 >> 5 : cpu_.cr3 >> kPageShift; }
  void flush_all();
  // Slot s now has entries through page-table page ppn: write-protect it, unless it is
  // written so often (hot) that s rather checks it at its next TLB flush (unsync list).
  void watch(uint32_t ppn, int s);
  void protect_table(uint32_t ppn);
  void unwatch(uint32_t ppn);
  bool needed(uint32_t ppn) const;
  bool depends(int s, uint32_t ppn) const;
  void add_unsync(uint32_t ppn, int s);
  // Checks slot s's entries through the pages on its unsync list against the guest's
  // tables (at a CR3 load of s, or when s becomes active again).
  void resync(int s);
  void resync_entries(int s, std::vector<uint32_t>& victims);
  void resync_done(int s, const std::vector<uint32_t>& pages, const std::vector<uint8_t>& changed);
  void verify(const char* where);
  void activate();
  void make_room(int w);
  // The budget counts the address spaces' mappings: their windows' VMAs beyond each
  // one's reservation (what make_room can free).
  int64_t slot_vmas() const {
    int64_t n = 0;
    for (const Win& w : wins_) n += w.w->vmas() - 1;
    return n;
  }
  bool over_budget(int64_t more) const { return slot_vmas() + more > int64_t(budget_); }
  Fault walk_fault(uint64_t host_addr, bool write);
  int pressure_depth_ = 0;
  int pressure_streak_ = 0;  // relieved faults in a row: a window that cannot hold one page gives up
  bool relieved_ = false;    // this on_fault's operation was relieved
  struct PressureCheck {
    Shadow& s;
    explicit PressureCheck(Shadow& sh) : s(sh) { ++s.pressure_depth_; }
    ~PressureCheck() {
      if (--s.pressure_depth_ == 0) s.relieve_pressure();
    }
  };
  void note_mapped(int w, uint32_t wp, uint32_t ppn);  // a new host mapping: reverse map and counts
  void protect_phys_code();
  uint32_t read_phys32(uint32_t addr) const {
    uint32_t v = 0;
    mem_.read(addr, &v, 4);
    return v;
  }
  uint64_t read_phys64(uint64_t addr) const {
    uint64_t v = 0;
    mem_.read(addr, &v, 8);
    return v;
  }
  static constexpr uint32_t kCr4PAE = 0x20;
  uint64_t efer_ = 0;  // the EFER the entries were filled under (NXE changes what may run)

  PhysMem& mem_;
  CpuState& cpu_;
  size_t budget_;
  size_t mapped_ = 0;
  Window phys_;
  Win wins_[2 * kSlots];
  Slot slots_[kSlots];
  int active_ = kPhysSlot;
  bool a20_ = true;
  void apply_a20();
  void protect_phys_page(uint32_t ppn, bool read_only);
  uint64_t tick_ = 0;
  std::vector<std::vector<uint32_t>> rmap_;                 // ppn -> mapped aliases
  std::unordered_map<uint32_t, std::vector<uint32_t>> deps_;  // page table ppn -> entries filled through it
  // Per slot, the page-table pages that are not write-protected although the slot has
  // entries through them (written since: the active slot keeps its entries as a TLB
  // would; hot pages stay so). unsync_bits_[ppn] has bit s set while ppn is on list s.
  std::vector<uint32_t> unsync_[kSlots];
  std::vector<uint32_t> unsync_bits_;  // a bit per slot
  static_assert(kSlots <= 32);
  // Per page: how hot it is as a page table (written since watched, or found changed at a
  // resync: up; its entries found unchanged, kCoolTicks after its last trap: down). A hot
  // page is not watched again.
  std::vector<uint8_t> heat_;
  static constexpr uint8_t kHot = 3;
  // Per page: the activation (tick_) of its last write trap. A check that finds nothing
  // stale cools a page only once it has not trapped for kCoolTicks CR3 loads: checks run
  // when an address space is entered, and a page written and written back in between
  // (text_poke's PTE, set and cleared around each patch) looks unchanged to them.
  std::vector<uint64_t> trapped_at_;
  static constexpr uint64_t kCoolTicks = 64;
  std::vector<uint32_t> pending_prot_[kSlots];  // entries of inactive slots whose protection may be stale
  // Linear pages whose entry an INVLPG has dropped: a mapping the guest makes and
  // unmaps again and again (early_memremap's fixmap slots, kmap_atomic), which
  // fill_around does not map beside another fill. Otherwise each of its neighbours would
  // cost an mprotect at its own INVLPG: Linux's smp_scan_config maps 8 fixmap pages per
  // 16-byte step and touches one, 26,000 drops before init. One bit per linear page for
  // every slot, never cleared.
  std::vector<uint64_t> transient_ = std::vector<uint64_t>((1u << 20) / 64, 0);
  bool transient(uint32_t lp) const { return (transient_[lp >> 6] >> (lp & 63)) & 1; }

  // Per slot, the directory entries its entries were last checked against, by group of
  // 512 linear pages (lpage >> 9: a PAE PDE; a non-PAE PDE covers two groups), and the
  // groups that may hold an entry filled through another value since (dirty). A resync of
  // a written directory compares the directory with this copy and checks the entries of
  // the groups that changed, instead of every entry of the slot (the entries' cache misses
  // were resync's hottest loop: a slot of a process-heavy run holds thousands).
  static constexpr uint32_t kGroups = 2048;
  struct DirCopy {
    std::vector<uint64_t> pde = std::vector<uint64_t>(kGroups, 0);
    std::vector<uint64_t> dirty = std::vector<uint64_t>(kGroups / 64, ~uint64_t(0));
  };
  DirCopy dir_copy_[kSlots];
  // An entry of slot s at linear page lpage now records directory entry pde.
  void note_pde(int s, uint32_t lpage, uint64_t pde) {
    DirCopy& d = dir_copy_[s];
    const uint32_t g = lpage >> 9;
    if (d.pde[g] != pde) d.dirty[g >> 6] |= uint64_t(1) << (g & 63);
  }
  // Slot s's entries all match its directory as it is now (revalidate checked them) or
  // it has none (flush_slot): the copy becomes the directory, nothing dirty.
  void reset_dir_copy(int s);
  // Directory page p of slot s was written: the entries of the groups whose directory
  // entry differs from the copy (or that are dirty) that no longer match go to victims;
  // checked gets (group, directory entry now) for each group looked at.
  void resync_dir(int s, uint32_t p, std::vector<uint32_t>& victims, std::vector<std::pair<uint32_t, uint64_t>>& checked);
};

}  // namespace rs
