// Guest CPU state. Translated code addresses it through host R15, so the layout is
// part of the translator's ABI: offsets are taken with offsetof, never hard-coded.
#pragma once
#include <cstddef>
#include <cstdint>

namespace rs {

class GuestEnv;
class Translator;

enum Reg : int { EAX = 0, ECX, EDX, EBX, ESP, EBP, ESI, EDI };
enum SegReg : int { ES = 0, CS, SS, DS, FS, GS };

// EFLAGS bits.
inline constexpr uint32_t FL_CF = 1u << 0, FL_PF = 1u << 2, FL_AF = 1u << 4, FL_ZF = 1u << 6,
                          FL_SF = 1u << 7, FL_TF = 1u << 8, FL_IF = 1u << 9, FL_DF = 1u << 10,
                          FL_OF = 1u << 11, FL_IOPL = 3u << 12, FL_NT = 1u << 14, FL_RF = 1u << 16,
                          FL_VM = 1u << 17, FL_AC = 1u << 18, FL_ID = 1u << 21;
// Bits that live in host RFLAGS while translated code runs.
inline constexpr uint32_t FL_HOST = FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_DF | FL_OF;
// Bits kept virtually in CpuState (never loaded into host RFLAGS): IF in vif, the rest in vflags.
inline constexpr uint32_t FL_VIRT = FL_TF | FL_IF | FL_IOPL | FL_NT | FL_RF | FL_AC | FL_ID;

struct Segment {
  uint16_t sel = 0;
  uint16_t attr = 0;  // descriptor bits 40..55 (type, S, DPL, P, AVL, L, D/B, G) packed as in the GDT
  uint32_t base = 0;
  uint32_t limit = 0;  // byte-granular, already scaled by G
};

// One entry of the descriptor cache that lets translated code load DS/ES/FS/GS without
// a helper (translator/emit_segment.cpp). The C++ segment load fills it; translated code
// uses it while the descriptor in guest RAM still holds the value it was made from.
struct SegLoadEntry {
  const uint64_t* desc = nullptr;  // host address of the GDT entry in guest RAM
  uint64_t raw = 0;                // its value when the entry was made
  Segment seg;                     // what the load produced
  uint32_t key = 0;                // selector | CPL << 16 | kSegKeyValid; 0 = empty
};
static_assert(sizeof(SegLoadEntry) == 32);
inline constexpr uint32_t kSegCacheEntries = 32, kSegKeyValid = 1u << 24;

struct DescTable {
  uint32_t base = 0;
  uint16_t limit = 0;
};

// Interrupts inhibited after STI, MOV SS or POP SS (SDM vol. 3, 6.8.3).
inline constexpr uint8_t kInhibitSti = 1, kInhibitMovSs = 2;

// IA32_MISC_ENABLE (MSR 1A0h, SDM vol. 4, table 2-2): fast strings on (bit 0), no branch
// trace store or PEBS (bits 11 and 12, read-only). Bits 3, 16 and 23 (thermal control,
// SpeedStep, xTPR) change nothing here and keep what is written; bits 22 (limit CPUID
// maxval) and 34 (XD disable) stay 0: they would change what CPUID and paging show.
inline constexpr uint64_t kMiscEnableReset = (1u << 0) | (1u << 11) | (1u << 12);
inline constexpr uint64_t kMiscEnableWritable = (1u << 0) | (1u << 3) | (1u << 16) | (1u << 23);

// Why translated code returned to the C++ run loop.
enum class Exit : int {
  None = 0,
  Dispatch,     // cpu->eip holds the next guest EIP; look it up
  Halt,         // guest executed HLT
  Stop,         // machine stop requested (debug exit, fatal guest error); see Machine
  Smc,          // guest wrote to a page holding translations; replay one instruction
  Poll,         // asynchronous exit request (signal, timer)
  Fault,        // host fault that is not ours to fix in place; see fault_* fields
  Exception,    // a helper raised a guest exception (GuestEnv::raise_event); state is pre-instruction
  PageFault,    // guest #PF found by the shadow fill: fault_guest_addr (CR2), fault_err (error code)
  Mmio,         // first access to device memory at fault_phys: retranslate with the device path
  Debug,        // a debugger breakpoint at cpu->eip, before the instruction runs
};

struct alignas(4096) CpuState {
  // --- hot fields used by generated code ---
  uint64_t regs[8];     // guest EAX..EDI, zero-extended (host encoding order)
  uint64_t rflags;      // host RFLAGS image: only FL_HOST bits (+ reserved bit 1) are meaningful
  uint64_t host_rsp;    // host stack pointer at entry to translated code (16-byte aligned)
  uint64_t ret_addr;    // where the helper stub resumes translated code
  uint64_t window;      // host address of the current guest address-space window (GS base)
  uint64_t jtable;      // indirect-branch lookup table of the address space
  uint64_t kjtable;     // the one of kernel code, kept across CR3 loads (Translator::kernel_table)
  uint64_t views[2];    // the address space's supervisor and user windows (inline SYSENTER/SYSEXIT)
  uint64_t seg_window[6];      // window + segment base, loaded into GS for fs:/gs: overrides
  uint64_t neg_seg_window[6];  // their negations, to turn rebased string pointers back
  uint64_t gs_base;            // what translated code last put in GS (host/gs_guard.h)
  uint32_t eip;
  // The linear page (address & ~0xFFF) the running block was entered at: blocks of user
  // code serve every address their physical page is mapped at and form guest EIPs from it.
  uint32_t page_base;
  uint32_t vflags;      // virtual EFLAGS bits (FL_VIRT) + reserved bit 1
  uint32_t host_mxcsr;
  uint32_t exit_arg;
  uint8_t vif;          // EFLAGS.IF, a byte of its own so CLI/STI are one flag-free store
  volatile uint8_t exit_request;  // set (with the poll page closed) to leave translated code
  // An interrupt is pending but IF was 0: instructions that set IF (STI, POPF) leave
  // translated code when they see it.
  volatile uint8_t irq_waiting;
  uint8_t pad0[5];
  GuestEnv* env;        // the machine as the CPU helpers see it (cpu/guest_env.h)
  Translator* translator;  // for the dispatch helpers and the fault handler

  // --- system state ---
  Segment seg[6];
  DescTable gdtr, idtr;
  Segment ldtr, tr;
  uint32_t cr0 = 0, cr2 = 0, cr3 = 0, cr4 = 0;
  uint64_t efer = 0;       // IA32_EFER (only NXE exists here)
  uint64_t pdpte[4] = {};  // PAE: the PDPTE registers, loaded from CR3 by MOV CR3/CR0/CR4
  uint8_t cpl = 0;
  // Interrupts are inhibited for one instruction after STI, MOV SS and POP SS; after
  // MOV SS / POP SS debug traps too (SDM vol. 3, 6.8.3).
  uint8_t irq_inhibit = 0;
  uint32_t sysenter_cs = 0, sysenter_esp = 0, sysenter_eip = 0;
  uint64_t amd_nb_cfg = 0;  // MSR C001_001F (AMD hosts only: the guest sees an AMD family)
  uint64_t misc_enable = kMiscEnableReset;  // IA32_MISC_ENABLE (Intel hosts only)
  int64_t tsc_offset = 0;  // guest TSC = host TSC + offset (WRMSR to IA32_TIME_STAMP_COUNTER)
  uint32_t dr[8] = {0, 0, 0, 0, 0xFFFF0FF0u, 0x400, 0xFFFF0FF0u, 0x400};  // reset values; DR4/DR5 alias DR6/DR7
  // Indexed by selector bits 3..7. Emptied whenever the GDT's linear address or its
  // page mapping may have changed (LGDT, CR0/CR3/CR4 writes, INVLPG, reset).
  SegLoadEntry seg_cache[kSegCacheEntries];
  uint64_t zero_desc = 0;  // what null-selector entries point at
  void clear_seg_cache() {
    for (auto& e : seg_cache) e = SegLoadEntry{};
  }

  // --- fault bookkeeping (filled by the SIGSEGV handler) ---
  uint64_t fault_host_addr;
  uint64_t fault_rip;
  uint32_t fault_guest_addr;
  uint32_t fault_err;
  uint32_t fault_signo;
  uint32_t fault_trapno;  // the host exception vector (0 #DE, 16 #MF, 19 #XM...)
  uint32_t fault_phys;    // guest physical address (Smc, Mmio)

  // --- device memory accesses (MMIO instructions run against this buffer at gs:[0]) ---
  uint32_t mmio_phys = 0, mmio_size = 0;
  alignas(16) uint8_t mmio_buf[64];

  alignas(64) uint8_t fpu[512];  // FXSAVE image of the guest x87/SSE state
  // The light helper stub keeps the guest's XMM0-7 and MXCSR here (C++ uses SSE, never
  // x87: the x87 registers stay live); the image above is completed on the way out.
  alignas(16) uint8_t xmm_spill[8 * 16];
  uint32_t mxcsr_spill;

  uint32_t eflags() const { return (uint32_t(rflags) & FL_HOST) | (vflags & FL_VIRT & ~FL_IF) | (vif ? FL_IF : 0) | 2u; }
  void set_eflags(uint32_t v) {
    rflags = (v & FL_HOST) | 2u;
    vflags = (v & FL_VIRT & ~FL_IF) | 2u;
    vif = (v & FL_IF) ? 1 : 0;
  }
  uint32_t reg(int r) const { return uint32_t(regs[r]); }
  void set_reg(int r, uint32_t v) { regs[r] = v; }
};

// The page after CpuState is the poll page: block heads read it, and an exit
// request makes it inaccessible, so the check costs one load and no flags.
struct alignas(4096) CpuPage {
  CpuState cpu;
  alignas(4096) uint8_t poll[4096];
};
static_assert(offsetof(CpuPage, poll) % 4096 == 0);
inline constexpr int32_t kPollOffset = int32_t(offsetof(CpuPage, poll));

}  // namespace rs
