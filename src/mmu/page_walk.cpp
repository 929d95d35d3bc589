#include "mmu/page_walk.h"

#include <cstring>

namespace rs {

namespace {

// Page-table memory outside RAM reads as not present (unassigned addresses).
uint32_t read_entry(const PhysMem& mem, uint32_t addr) {
  uint32_t v = 0;
  if (!mem.read(addr, &v, 4)) return 0;
  return v;
}

// The CPU's own A/D updates: not a guest write, so no watched-page hooks.
void write_entry(PhysMem& mem, uint32_t addr, uint32_t v) {
  if (uint8_t* p = mem.ptr(addr, 4)) std::memcpy(p, &v, 4);
}

}  // namespace

WalkResult walk(PhysMem& mem, const WalkRequest& r) {
  if (r.cr4 & 0x20) return walk_pae(mem, r);
  WalkResult res;
  const uint32_t access = (r.write ? kPfWrite : 0) | (r.user ? kPfUser : 0);
  const bool pse = r.cr4 & 0x10, pge = r.cr4 & 0x80, wp = r.cr0 & 0x10000;
  const uint32_t pde_addr = (r.cr3 & 0xFFFFF000u) + ((r.linear >> 22) << 2);
  uint32_t pde = read_entry(mem, pde_addr);
  if (!(pde & kPteP)) {
    res.error = access;
    return res;
  }
  const bool large = pse && (pde & kPtePS);
  // Without PSE-36 (not in this CPU's CPUID), bits 21:13 of a 4 MiB PDE are reserved.
  if (large && (pde & 0x003FE000u)) {
    res.error = access | kPfPresent | kPfReserved;
    return res;
  }
  uint32_t pte_addr = 0, pte = 0;
  uint32_t rights = pde;  // R/W and U/S combine as the AND of both levels
  if (!large) {
    pte_addr = (pde & 0xFFFFF000u) + (((r.linear >> 12) & 0x3FF) << 2);
    pte = read_entry(mem, pte_addr);
    if (!(pte & kPteP)) {
      res.error = access;
      return res;
    }
    rights &= pte;
  }
  res.user_ok = rights & kPteUS;
  res.writable = (rights & kPteRW) || (!r.user && !wp);
  if ((r.user && !res.user_ok) || (r.write && !res.writable)) {
    res.error = access | kPfPresent;
    return res;
  }
  const uint32_t leaf = large ? pde : pte;
  if (r.set_ad) {
    // The CPU sets A in every level it used, and D in the leaf on a write.
    if (!(pde & kPteA) || (large && r.write && !(pde & kPteD))) {
      pde |= kPteA | (large && r.write ? kPteD : 0);
      write_entry(mem, pde_addr, pde);
    }
    if (!large && (!(pte & kPteA) || (r.write && !(pte & kPteD)))) {
      pte |= kPteA | (r.write ? kPteD : 0);
      write_entry(mem, pte_addr, pte);
    }
  }
  const uint32_t leaf_now = large ? pde : pte;
  res.ok = true;
  res.large = large;
  res.global = pge && (leaf & kPteG);
  res.dirty = leaf_now & kPteD;
  res.pde = pde;
  res.pte = large ? pde : pte;
  res.table = large ? kNoTable : pte_addr >> 12;
  res.directory = r.cr3 >> 12;
  res.phys = large ? (pde & 0xFFC00000u) | (r.linear & 0x3FFFFFu) : (pte & 0xFFFFF000u) | (r.linear & 0xFFFu);
  return res;
}

}  // namespace rs
