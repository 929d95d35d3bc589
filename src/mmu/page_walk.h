// The guest's 2-level 32-bit page tables (no PAE): the walk the MMU does on a TLB
// miss (Intel SDM vol. 3, 4.3 and 4.6). 4 KiB and, with CR4.PSE, 4 MiB pages;
// U/S and R/W checked in both levels, supervisor writes to read-only pages allowed
// unless CR0.WP; the accessed and dirty bits set as the CPU sets them; the #PF
// error code when the access is not allowed. The shadow page tables (src/shadow_pt)
// fill host mappings from its results.
#pragma once
#include <cstdint>

#include "mmu/phys_mem.h"

namespace rs {

// #PF error code bits.
inline constexpr uint32_t kPfPresent = 1, kPfWrite = 2, kPfUser = 4, kPfReserved = 8;

// Page-table entry bits.
inline constexpr uint32_t kPteP = 1u << 0, kPteRW = 1u << 1, kPteUS = 1u << 2, kPteA = 1u << 5, kPteD = 1u << 6,
                          kPtePS = 1u << 7, kPteG = 1u << 8;

struct WalkRequest {
  uint32_t linear;
  bool write;
  bool user;          // CPL 3 (implicit supervisor accesses such as descriptor loads are not user)
  uint32_t cr0, cr3, cr4;
  bool set_ad = true;  // false: a probe (debugger, C++ helper dry run) that changes nothing
};

struct WalkResult {
  bool ok = false;
  uint32_t phys = 0;        // the translated address (valid when ok)
  uint32_t error = 0;       // #PF error code (when !ok)
  bool large = false;       // a 4 MiB page
  bool global = false;      // G set and CR4.PGE: survives CR3 loads
  bool writable = false;    // this access mode may write the page (R/W in both levels, or WP=0 supervisor)
  bool user_ok = false;     // U/S set in both levels
  bool dirty = false;       // D was already set (or has been set by this write)
  uint32_t pde = 0, pte = 0;  // the entries as the walk left them (pte = pde for a 4 MiB page)
  uint32_t table = 0;         // page number of the page table used (kNoTable for a 4 MiB page)
};
inline constexpr uint32_t kNoTable = ~0u;

WalkResult walk(PhysMem& mem, const WalkRequest& r);

}  // namespace rs
