// The guest's page tables: the walk the MMU does on a TLB miss (Intel SDM vol. 3, 4.3
// 32-bit paging, 4.4 PAE paging in page_walk_pae.cpp, and 4.6). 32-bit paging: 4 KiB
// and, with CR4.PSE, 4 MiB pages. PAE: four PDPTEs loaded at MOV CR3 (load_pdptes),
// 64-bit entries, 4 KiB and 2 MiB pages, the XD bit with IA32_EFER.NXE;
// U/S and R/W checked in both levels, supervisor writes to read-only pages allowed
// unless CR0.WP; the accessed and dirty bits set as the CPU sets them; the #PF
// error code when the access is not allowed. The shadow page tables (src/shadow_pt)
// fill host mappings from its results.
#pragma once
#include <cstdint>

#include "mmu/phys_mem.h"

namespace rs {

// #PF error code bits.
inline constexpr uint32_t kPfPresent = 1, kPfWrite = 2, kPfUser = 4, kPfReserved = 8, kPfFetch = 16;
// IA32_EFER (MSR C000_0080h): no-execute enable.
inline constexpr uint64_t kEferNxe = 1u << 11;
// The physical-address width of this CPU (CPUID 80000008h): entry bits from here up
// to 62 are reserved. 36, as the PAE processors of the i686 era.
inline constexpr int kMaxPhysAddr = 36;

// Page-table entry bits.
inline constexpr uint32_t kPteP = 1u << 0, kPteRW = 1u << 1, kPteUS = 1u << 2, kPteA = 1u << 5, kPteD = 1u << 6,
                          kPtePS = 1u << 7, kPteG = 1u << 8;

struct WalkRequest {
  uint32_t linear;
  bool write;
  bool user;          // CPL 3 (implicit supervisor accesses such as descriptor loads are not user)
  uint32_t cr0, cr3, cr4;
  bool set_ad = true;  // false: a probe (debugger, C++ helper dry run) that changes nothing
  bool fetch = false;        // an instruction fetch: XD applies, and the error code says so
  uint64_t efer = 0;         // IA32_EFER
  const uint64_t* pdpte = nullptr;  // PAE (CR4.PAE): the four PDPTEs of the last CR3 load
};

struct WalkResult {
  bool ok = false;
  uint64_t phys = 0;        // the translated address (valid when ok; PAE may go past 4 GiB)
  uint32_t error = 0;       // #PF error code (when !ok)
  bool large = false;       // a 4 MiB page (2 MiB under PAE)
  bool global = false;      // G set and CR4.PGE: survives CR3 loads
  bool writable = false;    // this access mode may write the page (R/W in both levels, or WP=0 supervisor)
  bool user_ok = false;     // U/S set in both levels
  bool dirty = false;       // D was already set (or has been set by this write)
  bool exec_ok = true;      // XD clear in every level (or NXE off): code may be fetched
  uint64_t pde = 0, pte = 0;  // the entries as the walk left them (pte = pde for a large page)
  uint32_t table = 0;         // page number of the page table used (kNoTable for a large page)
  uint32_t directory = 0;     // page number of the page directory used
};
inline constexpr uint32_t kNoTable = ~0u;

// Dispatches on CR4.PAE.
WalkResult walk(PhysMem& mem, const WalkRequest& r);
WalkResult walk_pae(PhysMem& mem, const WalkRequest& r);

// MOV CR3 (and setting CR0.PG or CR4.PAE) under PAE: the four PDPTEs at CR3 bits 31:5.
// False when a present one has a reserved bit set (bits 2:1, 8:5, or above
// kMaxPhysAddr): the load is a #GP(0) and changes nothing.
bool load_pdptes(const PhysMem& mem, uint32_t cr3, uint64_t out[4]);
// The same check on four PDPTEs already read.
bool pdptes_valid(const uint64_t p[4]);

}  // namespace rs
