// PAE paging (Intel SDM vol. 3, 4.4): the CR3 load of the four PDPTEs and the 2-level
// walk below them with 64-bit entries, 2 MiB pages and the XD bit (4.6, 4.7).
#include <cstring>

#include "mmu/page_walk.h"

namespace rs {

namespace {

constexpr uint64_t kXd = 1ull << 63;
// Address bits 35:12 of an entry (the rest up to 62 is reserved).
constexpr uint64_t kAddr = ((1ull << kMaxPhysAddr) - 1) & ~0xFFFull;
constexpr uint64_t kAboveMax = ((1ull << 63) - 1) & ~((1ull << kMaxPhysAddr) - 1);  // bits 62:36

// Entries outside RAM read as not present (unassigned addresses read as all ones on a
// PC, but a walk through them would then find reserved bits everywhere; a real chipset
// answers page walks to nowhere with zeros).
uint64_t read_entry(const PhysMem& mem, uint64_t addr) {
  uint64_t v = 0;
  if (!mem.read(addr, &v, 8)) return 0;
  return v;
}

// The CPU's own A/D updates (a locked write of the low dword: A and D are bits 5, 6).
void write_entry(PhysMem& mem, uint64_t addr, uint64_t v) {
  if (uint8_t* p = mem.ptr(addr, 8)) std::memcpy(p, &v, 8);
}

// The CPU sets A in every level it used, and D in the leaf on a write.
void set_accessed(PhysMem& mem, uint64_t addr, uint64_t& e, bool dirty) {
  const uint64_t want = e | kPteA | (dirty ? kPteD : 0);
  if (want == e) return;
  e = want;
  write_entry(mem, addr, e);
}

// Reserved bits of a present PDE or PTE: above MAXPHYADDR, XD without NXE, and for a
// 2 MiB PDE bits 20:13.
bool reserved(uint64_t e, bool nxe, bool large_pde) {
  if (e & kAboveMax) return true;
  if (!nxe && (e & kXd)) return true;
  return large_pde && (e & 0x1FE000ull);
}

}  // namespace

bool pdptes_valid(const uint64_t p[4]) {
  for (int i = 0; i < 4; ++i)
    // Bits 2:1 and 8:5 are reserved in a PDPTE, and so is XD: PDPTEs have none.
    if ((p[i] & 1) && (p[i] & (0x1E6ull | kAboveMax | kXd))) return false;
  return true;
}

bool load_pdptes(const PhysMem& mem, uint32_t cr3, uint64_t out[4]) {
  uint64_t p[4];
  for (int i = 0; i < 4; ++i) p[i] = read_entry(mem, (cr3 & ~0x1Fu) + 8u * uint32_t(i));
  if (!pdptes_valid(p)) return false;
  std::memcpy(out, p, sizeof p);
  return true;
}

WalkResult walk_pae(PhysMem& mem, const WalkRequest& r) {
  WalkResult res;
  const bool nxe = r.efer & kEferNxe;
  // I/D is reported only when XD can apply (NXE; SMEP does not exist here).
  const uint32_t access = (r.write ? kPfWrite : 0) | (r.user ? kPfUser : 0) | (r.fetch && nxe ? kPfFetch : 0);
  const uint64_t pdpte = r.pdpte ? r.pdpte[r.linear >> 30] : 0;
  if (!(pdpte & 1)) return res.error = access, res;
  const uint64_t pde_addr = (pdpte & kAddr) + ((r.linear >> 21) & 0x1FF) * 8;
  uint64_t pde = read_entry(mem, pde_addr);
  if (!(pde & kPteP)) {
    res.error = access;
    return res;
  }
  const bool large = pde & kPtePS;  // PS always means 2 MiB under PAE (CR4.PSE does not matter)
  if (reserved(pde, nxe, large)) {
    res.error = access | kPfPresent | kPfReserved;
    return res;
  }
  uint64_t pte_addr = 0, pte = 0;
  uint64_t rights = pde;
  if (!large) {
    pte_addr = (pde & kAddr) + ((r.linear >> 12) & 0x1FF) * 8;
    pte = read_entry(mem, pte_addr);
    if (!(pte & kPteP)) {
      res.error = access;
      return res;
    }
    if (reserved(pte, nxe, false)) {
      res.error = access | kPfPresent | kPfReserved;
      return res;
    }
    rights &= pte;
  }
  const uint64_t xd = nxe ? (pde | pte) & kXd : 0;  // XD in either level forbids fetches
  const bool wp = r.cr0 & 0x10000;
  res.user_ok = rights & kPteUS;
  res.writable = (rights & kPteRW) || (!r.user && !wp);
  res.exec_ok = !xd;
  if ((r.user && !res.user_ok) || (r.write && !res.writable) || (r.fetch && xd)) {
    res.error = access | kPfPresent;
    return res;
  }
  if (r.set_ad) {
    set_accessed(mem, pde_addr, pde, large && r.write);
    if (!large) set_accessed(mem, pte_addr, pte, r.write);
  }
  const uint64_t leaf = large ? pde : pte;
  res.ok = true;
  res.large = large;
  res.global = (r.cr4 & 0x80) && (leaf & kPteG);
  res.dirty = leaf & kPteD;
  res.pde = pde;
  res.pte = leaf;
  res.table = large ? kNoTable : uint32_t(pte_addr >> 12);
  res.directory = uint32_t(pde_addr >> 12);
  res.phys = large ? (pde & kAddr & ~0x1FFFFFull) | (r.linear & 0x1FFFFFu) : (pte & kAddr) | (r.linear & 0xFFFu);
  return res;
}

}  // namespace rs
