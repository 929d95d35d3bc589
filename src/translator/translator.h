// The binary translator: guest basic blocks -> host code in the translation cache.
// Blocks are keyed by guest EIP + mode bits + the physical page the code came from,
// so that one physical page's translations can be found and dropped when any alias
// of it is written. Direct branches are chained when both ends are known, and with
// paging on only within one page: a branch to another page may land elsewhere after
// the guest remaps it, so it goes through the indirect-branch table of the current
// address space (one table per shadow slot, cleared when a mapping code was fetched
// through goes away).
#pragma once
#include <array>
#include <bitset>
#include <cstdio>
#include <x86intrin.h>

#include <asmjit/core.h>
#include <set>
#include <span>
#include <cstdint>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "cpu/cpu_state.h"
#include "host/jitdump.h"
#include "symbols.h"
#include "decoder/decoder.h"
#include "mmu/phys_mem.h"
#include "shadow_pt/shadow.h"
#include <unordered_set>
#include "translator/block_map.h"
#include "translator/code_cache.h"
#include "translator/object_pool.h"

namespace rs {

struct Block;
class Emitter;
struct EmitScratch;

// Mode bits: the CPU state that generated code depends on. Blocks are keyed by
// EIP + mode, and instructions that change the mode leave translated code.
// A helper result besides Exit values: go on at cpu->ret_addr, with GS = cpu->window
// (the helper changed the privilege view or the address space).
inline constexpr uint32_t kResumeNewView = 0x100;

inline constexpr uint32_t kModeCpl = 3;            // CPL
inline constexpr uint32_t kModeCode32 = 1u << 2;   // CS.D
// Flat: CS and SS bases are 0 and SS is a 32-bit stack. Blocks in a flat mode use
// ESP-relative gs: accesses for the stack and the indirect-branch table; others
// (real mode, 16-bit stacks, based code) address the stack through SS's window and
// look indirect targets up in C++ (a block's EIP is an offset in its code segment).
inline constexpr uint32_t kModeFlatStack = 1u << 3;
inline constexpr uint32_t kModePE = 1u << 4;       // CR0.PE
inline constexpr uint32_t kModeIoRestricted = 1u << 5;  // CPL > IOPL: CLI/STI fault, POPF keeps IF
inline constexpr uint32_t kModeFpuTrap = 1u << 6;  // CR0.TS or CR0.EM: x87/MMX/SSE go through #NM/#UD checks
inline constexpr uint32_t kModeTscSlow = 1u << 7;  // RDTSC needs emulation (CR4.TSD at CPL > 0, or a TSC offset)
inline constexpr uint32_t kModeDsBase = 1u << 8;   // DS base is not 0: DS accesses are rebased
inline constexpr uint32_t kModeEsBase = 1u << 9;   // ES base is not 0
inline constexpr uint32_t kModeNoFxsr = 1u << 10;  // CR4.OSFXSR clear: SSE instructions raise #UD
inline constexpr uint32_t kModePaging = 1u << 11;  // CR0.PG: no chaining across pages
inline constexpr uint32_t kModeStack16 = 1u << 12;  // SS.B = 0: the stack pointer is SP

// Instruction fetch hit a page the guest cannot execute from: a #PF at `linear`.
struct FetchFault {
  uint32_t linear;
  uint32_t error;
};

// Helper ABI: called from translated code through the helper stub with the guest
// state saved in CpuState. Returns 0 to resume translated code at cpu->ret_addr,
// or an Exit code to return to the C++ run loop (cpu->eip then says where to go on).
using HelperFn = uint32_t (*)(CpuState* cpu, uint32_t arg, const void* data);
uint32_t helper_debug_break(CpuState* cpu, uint32_t, const void* data);

// A patchable direct exit (jmp rel32 / jcc rel32) of a block.
struct ExitSite {
  Block* from = nullptr;
  uint8_t* rel32 = nullptr;  // the rel32 field to patch
  uint8_t* stub = nullptr;   // the exit stub the site points to when unchained
  uint32_t target = 0;
  Block* to = nullptr;
  // A shared block's same-page exit whose target is never chained (it runs into the next
  // page) has its stub's jmp at alt_rel32 aimed at jt_tail, an indirect-branch lookup.
  uint8_t* alt_rel32 = nullptr;
  uint8_t* jt_tail = nullptr;
  // Kernel code's exit to another page: its stub looks the target up in the kernel's
  // table; it is chained only while that table holds the target (Translator::kernel_link).
  bool kernel_xpage = false;
  // A user inline cache (Translator::ic_link, emit_inline_cache.cpp): `ic` is its head,
  // `rel32` the final jump to the learnt block, `stub` the learning stub. It is learnt for
  // one address space (a table: ic_slot, and that slot's ic_gen) and target EIP (ic_eip);
  // ic_count counts its misses down to the next learning (translated code decrements it).
  uint8_t* ic = nullptr;
  uint32_t ic_eip = 0, ic_gen = 0;
  uint32_t ic_count = 0;
  int8_t ic_slot = -1;
  uint8_t ic_learns = 0;  // learnt again in the same address space: a polymorphic site
  RS_POOLED(ExitSite)
};

// Maps a host instruction range back to the guest instruction it came from.
struct InsnRecord {
  uint32_t host_off;
  uint32_t eip;
  uint8_t kind;     // kPlain or kRebasedString
  uint8_t src_seg;  // for rebased string ops: segment of the source (DS:ESI), or kNoSource
  int16_t esp_lag = 0;  // guest ESP = host RSP + this at the instruction (Emitter::esp_lag)
};
inline constexpr uint8_t kPlain = 0, kRebasedString = 1;
inline constexpr uint8_t kNoSource = 0xFF;  // STOS/SCAS: ESI is not touched, so not rebased

struct Block {
  uint32_t eip = 0, mode = 0;
  uint32_t cs_base = 0;  // the code segment's base: eip is an offset, pages are linear
  uint32_t page_first = 0, page_last = 0;  // linear pages
  uint32_t phys_start = 0;  // the physical address of the first byte (in the key)
  uint32_t phys_last = 0;   // the physical page of the last byte (the next page, for a block that runs into it)
  uint32_t phys_first() const { return phys_start >> kPageShift; }
  uint8_t* code = nullptr;
  uint32_t size = 0;
  uint32_t guest_insns = 0;
  uint32_t guest_len = 0;  // bytes of guest code, from phys_start (into the next page for the last instruction)
  bool cached = true;  // false: a one-off block (SMC replay) that nothing links to
  bool dead = false;
  // In the translator's record arena (Translator::maps_), which fills and empties with
  // the code cache, as the code does (a heap vector was one malloc a block); a
  // one-instruction block's is Translator::single_map_.
  std::span<const InsnRecord> map;
  // Decoded instructions that translated code points at (helper data), at stable
  // addresses; the others are not kept (an Insn is about 1 KiB). A one-instruction
  // block keeps its instruction first.
  // One allocation each (a std::deque allocated a 1.2 KiB node even while empty: 80 MiB
  // for a Linux boot's 70 000 blocks).
  std::vector<std::unique_ptr<Insn>> kept;
  std::vector<std::unique_ptr<ExitSite>> exits;
  std::vector<ExitSite*> incoming;
  // A shared block (user code, flat, paging: design.md 4.2) serves every linear address
  // its physical bytes are mapped at; eip, page_first and page_last are those of the
  // address it was translated for. It forms guest EIPs from CpuState::page_base, which
  // its outer entry (`head` bytes, for the indirect-branch table: target EIP in R9d)
  // sets; chained jumps and the run loop enter at entry() with page_base already right.
  bool shared = false;
  uint32_t head = 0;
  // Compares its guest bytes with those it was translated from each time it is entered,
  // instead of write-protecting its pages (a page of code among busy data: emit_self_check.cpp).
  bool self_check = false;
  uint8_t* entry() const { return code + head; }
  // Where guest EIP `eip` of this translation runs now, the block entered at page_base.
  uint32_t eip_here(uint32_t eip, uint32_t page_base) const {
    return shared ? eip - (this->eip & ~(kPageSize - 1)) + page_base : eip;
  }
  RS_POOLED(Block)
};

inline constexpr size_t kHugePage = size_t(2) << 20;
inline constexpr uint32_t kJTableBits = 16;
// An indirect-branch table: 65,536 buckets (the low 16 bits of EIP) of two ways, the most
// recently filled first (two hot targets that share a bucket no longer evict each other
// on every call). A bucket is 32 bytes, its two ways' keys and code pointers side by
// side: one cache line holds all a lookup or a fill reads. (Four arrays indexed by
// bucket saved the lookup an LEA, but a fill touched two lines an entry: process-heavy
// work ran 5% slower.)
// A key is -(mode << 32 | EIP) when valid, 0 when empty: the lookup adds the target's
// key and tests for 0. Tables serve flat modes only, whose keys have kModeFlatStack set
// and are never 0, so an empty entry matches nothing, and a fresh zero page of the table
// is empty (the 20 MiB of tables are not written at start-up: 5,000 host faults saved).
struct JTable {
  static constexpr uint32_t kBuckets = 1u << kJTableBits;
  struct Way {
    uint64_t neg_key, code;
  };
  Way way[2 * kBuckets];  // way[2 * bucket + w]
  // Entry i = 2 * bucket + way, as jt_pages_ lists them.
  uint64_t& key_at(uint32_t i) { return way[i].neg_key; }
  uint64_t& code_at(uint32_t i) { return way[i].code; }
  void clear(uint32_t i) { key_at(i) = code_at(i) = 0; }
  void move(uint32_t from, uint32_t to) {
    key_at(to) = key_at(from);
    code_at(to) = code_at(from);
  }
};
static_assert(sizeof(JTable) == kHugePage, "a table is one huge page");
// The table index of a target: the low 16 bits of EIP (one flag-free MOVZX in
// Emitter::jtable_jump). Mixing in the high half (BSWAP/LEA) missed no less with two ways
// and cost ~1 ns per indirect branch.
inline uint32_t jtable_index(uint32_t eip) { return eip & 0xFFFF; }

// Adds the TSC ticks of a scope (or up to stop()) to a counter: per-phase translation
// cost. Off (on = false) it reads no clock: the phases of only one block in
// kPhaseSample are timed, as the ~25 RDTSCs of timing every phase of every instruction
// cost ~300 ns a block, 6% of translating it.
struct TscSpan {
  uint64_t& acc;
  uint64_t t0;
  TscSpan(uint64_t& a, bool on) : acc(a), t0(on ? __rdtsc() : 0) {}
  void stop() {
    if (t0) acc += __rdtsc() - t0;
    t0 = 0;
  }
  ~TscSpan() { stop(); }
};

// Addresses of the runtime stubs generated at start-up.
struct Runtime {
  using EnterFn = uint32_t (*)(CpuState* cpu, const void* code);
  EnterFn enter = nullptr;
  uint8_t* helper_stub = nullptr;       // saves XMM0-7/MXCSR only: for helpers that leave x87 alone
  uint8_t* helper_stub_full = nullptr;  // FXSAVE image in CpuState::fpu during the helper
  uint8_t* leave_async = nullptr;
};

struct TranslatorStats {
  uint64_t blocks = 0, guest_insns = 0, flushes = 0, pages_dropped = 0, chains = 0;
  uint64_t guest_bytes = 0, host_bytes = 0, translate_ns = 0;
  // Where translation time goes, in TSC ticks: fetching and decoding guest instructions,
  // emitting host code for them, assembling it into the cache (exit stubs, asmjit's
  // flatten/relocate, the copy), and entering the block in the maps and tables. The rest
  // of translate_ns is setup (the Block, the Emitter, the first fetch).
  // The phases are timed in phase_blocks of the blocks (one in kPhaseSample), the total in all.
  uint64_t decode_ticks = 0, emit_ticks = 0, assemble_ticks = 0, bookkeeping_ticks = 0, total_ticks = 0;
  uint64_t phase_blocks = 0;
  uint64_t fast_decodes = 0;  // instructions copied after decode_ident, without Zydis
  uint64_t phase_total_ticks = 0;  // total_ticks of the sampled blocks alone: setup is their remainder
  // Blocks by translation time, in buckets of kTickBucket TSC ticks (the last: that or more):
  // the median, which a few slow blocks (a huge page's first touch) do not move as they
  // move the mean.
  static constexpr uint32_t kTickBucket = 16, kTickBuckets = 4096;
  std::array<uint32_t, kTickBuckets> tick_hist{};
  uint64_t percentile_ticks(unsigned pct) const;  // the block at pct% of them, sorted by time
  uint64_t median_ticks() const { return percentile_ticks(50); }
  uint64_t indirect_misses = 0, indirect_misses_kernel = 0, direct_lookups = 0, jtable_page_clears = 0;
  // Lookups answered by a shared block translated at another linear address (another
  // process's mapping of the same library page).
  uint64_t shared_hits = 0;
  // Writes into code pages resolved by dropping only the blocks they changed, and those blocks.
  uint64_t smc_partial = 0, smc_blocks_dropped = 0;
  // Pages of code among busy data made self-checking, blocks translated there with the
  // check, and checks that found their bytes changed (emit_self_check.cpp).
  uint64_t self_check_pages = 0, self_check_blocks = 0, self_check_fails = 0;
  // Translations that replaced a live block of the same key, and blocks unlinked by lookup
  // because the page their last instruction runs into maps elsewhere now.
  uint64_t replaced = 0, cross_unlinks = 0;
  uint64_t kernel_xpage_chains = 0, kernel_xpage_unchains = 0;  // kernel exits to another page (kernel_link)
  // User inline caches: sites emitted, learnt (helper calls), unlearnt because the table
  // forgot their target, and given up as polymorphic (Translator::ic_link).
  uint64_t ic_sites = 0, ic_learns = 0, ic_unlinks = 0, ic_megamorphic = 0;
  // Pages dropped, and the blocks that went with them, by why (DropWhy); C++ writes
  // (kDropCppWrite) drop only the blocks in the bytes written.
  uint64_t drop_pages[4] = {}, drop_blocks[4] = {};
  // Translations of code that has a live block at the same physical address in another
  // mode (CPL, CR0.TS, IOPL, segment bases...).
  uint64_t mode_variants = 0;
  // CALLs to a get-PC thunk translated inline (emit_pc_thunk.cpp).
  uint64_t pc_thunk_sites = 0;
  // Global TLB flushes that checked the kernel table (kernel_jtable_global_flush), and
  // the pages they found remapped.
  uint64_t kernel_jtable_checks = 0, kernel_jtable_stale_pages = 0;
  // Guest accesses that found GS on the guard after a host context switch (host/gs_guard.h).
  uint64_t gs_restores = 0;
};

// Why a whole page of translations goes: C++ wrote the page (device DMA, a helper's
// store), a write into code the partial path does not take (code among busy data; a
// second page written by one replayed instruction), or something else (MMIO found, the
// A20 gate).
enum DropWhy : int { kDropCppWrite = 0, kDropSmcMixed, kDropSmcSecond, kDropOther };

class Translator {
 public:
  static constexpr size_t kCacheBytes = 256u << 20;
  static constexpr int kMaxBlockInsns = 64;
  // Blocks start on a cache-line boundary: where a hot loop's block falls within a line
  // moved its speed by 20% from one build to the next.
  static constexpr size_t kBlockAlign = 64;
  static constexpr uint32_t kPhaseSample = 16;  // TscSpan

  // Sets cpu.translator. The machine wires the memory events it must hear about
  // (drop_page, clear_jtable, clear_jtables).
  Translator(PhysMem& mem, Shadow& shadow, CpuState& cpu);
  ~Translator();
  asmjit::CodeHolder& code_holder() { return holder_; }
  EmitScratch& emit_scratch() { return *emit_scratch_; }

  // Current translation mode of the CPU (bits of state the generated code depends on).
  uint32_t mode() const;
  // The block for eip in the current mode and address space (and enters it into the
  // indirect-branch table). nullptr when there is none, or when eip cannot be fetched:
  // then fetch_fault() says so (no exception: a forked child meets its unmapped text
  // this way on every page it runs).
  Block* lookup(uint32_t eip);
  const FetchFault* fetch_fault() const { return lookup_faulted_ ? &lookup_fault_ : nullptr; }
  // Translates the block at eip. Returns nullptr when the cache is full (call flush()).
  // A one-off block (single = true) holds one instruction, is not cached and does not
  // write-protect its page: used to replay a write into a code page.
  Block* translate(uint32_t eip, bool single = false);
  Block* lookup_or_translate(uint32_t eip);
  // Points the indirect-branch lookups at the active address space's table.
  void select_jtable();
  // Kernel code (CPL 0, paging, flat) has one indirect-branch table for every address
  // space (CpuState::kjtable): Linux maps its kernel alike in all of them, on global pages,
  // which the CPU keeps in its TLB across CR3 loads. Each new process then no longer
  // learns the kernel's targets again. Entries of code that is not on global pages
  // (or runs into the next page) go at every CR3 load; the others at what flushes a
  // global TLB entry: INVLPG of the page (of the whole 4 MiB page), a change of
  // CR4.PGE, PSE or PAE, CR0.PG or WP, or EFER.
  static bool kernel_table(uint32_t mode) {
    return (mode & kModeCpl) == 0 && (mode & kModePaging) && (mode & kModeFlatStack);
  }
  // The table a block of this mode is entered in: the kernel's, or the active slot's.
  int table_for(uint32_t mode) const { return kernel_table(mode) ? kKernelTable : shadow_.active(); }
  void kernel_jtable_invlpg(uint32_t lpage);
  // A user inline cache (ExitSite::ic) met target EIP `eip`, now block b in the active
  // address space: aims the site at b for this table and EIP, until the table forgets
  // eip's page (forget_page, clear_jtables) or b goes (unlink). A site learns again after
  // kIcMisses misses; learnt kIcLearns times within one address space, it looks every
  // target up in the table from then on.
  static constexpr uint8_t kIcLearns = 8;
  static constexpr uint32_t kIcMisses = 32;
  // Offsets in an inline cache's code (emit_inline_cache.cpp): the key immediate, the
  // miss jump's rel32, the jump to the block's rel32, the lookup.
  static constexpr uint32_t kIcKey = 10, kIcMiss = 29, kIcJump = 37, kIcLookup = 41;
  static const uint8_t kIcPolymorphic[5];  // the head's jump to the lookup
  void ic_link(ExitSite* s, Block* b, uint32_t eip);
  // Chains a kernel exit to another page when the kernel table holds its target, else
  // keeps it waiting for remember() to put the target there.
  void kernel_link(ExitSite* s);
  void kernel_jtable_cr3_load();
  void kernel_jtable_flush();
  // Global TLB entries were flushed (CR4.PGE toggled) under the same paging rules: the
  // kernel table keeps the pages that still map the frames their entries were made for.
  void kernel_jtable_global_flush();
  // The instruction at physical address phys touched device memory: retranslate it
  // with the device path.
  void mark_mmio(uint32_t phys);
  // Guest code bytes at a linear address, as this address space fetches them (false:
  // not fetchable or not RAM); n bytes within one page.
  bool peek_code(uint32_t linear, bool user, uint8_t* out, uint32_t n);
  bool is_mmio(uint32_t phys) const { return mmio_insns_.count(phys) != 0; }

  void chain(ExitSite* site, Block* to);
  void aim_at_lookup(const ExitSite* site);
  // Drops every translation of guest physical page `page`.
  void drop_page(uint32_t page, DropWhy why = kDropOther);
  // A self-checking block found its guest bytes changed: it goes (helper_self_check).
  void self_check_failed(Block* b);
  void drop_range(uint32_t page, uint32_t lo, uint32_t hi);  // C++ writes those bytes
  // A guest instruction is about to write into `page`, which holds translations, in a
  // replay of its own; end_code_write() after it drops only the blocks whose bytes it
  // changed (code_writes.cpp).
  void begin_code_write(uint32_t page);
  void end_code_write();
  bool code_write_pending() const { return write_pending_; }
  // A mapping that code was fetched through went away in address-space slot `slot`:
  // forget that page's (and the page before's) indirect-branch entries.
  void clear_jtable(int slot, uint32_t lpage);
  // Slot `slot` now holds another address space (or the kernel's table is flushed): the
  // whole table goes.
  void clear_jtables(int slot);
  void flush();
  // Debugger breakpoints (linear EIPs): translated code stops before them with
  // Exit::Debug. skip_breakpoint(true) lets a one-instruction block run the instruction
  // at a breakpoint, to resume from it.
  void set_breakpoints(const std::set<uint32_t>& addrs);
  void skip_breakpoint(bool on) { skip_breakpoint_ = on; }
  // Writes /tmp/perf-<pid>.map so that host perf names translated code by guest EIP
  // (and, with symbols, by the guest kernel's symbol: "name+0xoff_guest_EIP").
  void open_perf_map(const SymbolTable* symbols = nullptr);
  // Writes /tmp/jit-<pid>.dump (host/jitdump.h): the same names with each block's host
  // code, for `perf inject --jit` and `perf annotate` of translated code.
  void open_jitdump(const SymbolTable* symbols = nullptr);
  void flush_jtable();

  // The block and guest instruction that host address rip belongs to (signal-safe: read only).
  const Block* block_at(uint64_t rip) const;
  static const InsnRecord* record_at(const Block* b, uint64_t rip);

  const Runtime& runtime() const { return rt_; }
  const CodeCache& cache() const { return cache_; }
  CpuState& cpu() { return cpu_; }
  PhysMem& mem() { return mem_; }
  Shadow& shadow() { return shadow_; }
  const Decoder& decoder() const { return dec_; }
  TranslatorStats stats;

 private:
  std::FILE* perf_map_ = nullptr;
  std::unique_ptr<JitDump> jitdump_;
  const SymbolTable* symbols_ = nullptr;
  std::set<uint32_t> breakpoints_;
  bool skip_breakpoint_ = false;
  asmjit::CodeHolder holder_;         // shared by the Emitters of successive blocks
  std::unique_ptr<EmitScratch> emit_scratch_;  // likewise
  uint32_t translations_ = 0;
  bool time_phases_ = false;  // this block's phases are timed (TscSpan)
  std::vector<Insn> scratch_insns_;  // the block being translated (capacity fixed: no moves)
  using Key = BlockMap::Key;
  // The pages a block's code is fetched from (frontend.cpp).
  struct Fetch {
    bool user = false;
    uint32_t cs_base = 0;
    uint32_t page0 = 0, phys0 = 0;   // the first page (linear) and where it maps
    bool next_ok = false;            // the next page was fetched: next_phys
    uint32_t next_phys = 0;
    bool next_fault = false;         // the last instruction needed the next page, which faulted
    uint32_t next_error = 0;
  };
  struct Body {
    int insns;      // guest instructions emitted
    uint32_t end;   // EIP after the last one
    bool retry;     // instruction `insns` cannot be translated: make the block without it
  };
  bool fetch_insn(Fetch& f, uint32_t pc, bool code32, Insn& in);
  Body emit_body(Emitter& e, Fetch& f, int limit, bool single);
  Block* install(std::unique_ptr<Block> blk, Emitter& e, uint8_t* dst, bool single);
  void enter_block(std::unique_ptr<Block> blk);
 public:
  // Whether blocks translated in this mode are shared (Block::shared).
  bool shares(uint32_t mode) const;
  // The blocks_ key of a block (shared ones leave the EIP out).
  static uint64_t mode_eip(uint32_t mode, uint32_t eip, bool shared) {
    return (uint64_t(mode) << 32) | (shared ? 0 : eip);
  }
 private:
  void write_perf_map(const Block& b);
  void build_runtime();
  void unlink(Block* b);
  std::vector<Block*> blocks_touching(uint32_t page, uint32_t lo, uint32_t hi) const;
  void remember(Block* b, uint32_t eip);
  void remember_page(const Block* hit, uint32_t linear_page);
  void table_put(int table, std::vector<uint32_t>& own, uint32_t mode, uint32_t eip, uint64_t code, bool search);
  void forget_page(int table, uint32_t lpage);  // its entries in the table
  uint32_t fetch_phys(uint32_t linear, bool user);
  // phys is where the block's first byte is: with a code segment base, the same offset
  // and mode can hold other code, and the same bytes seen through two bases are the
  // same translation.
  static Key key(const Block& b) { return Key{mode_eip(b.mode, b.eip, b.shared), b.phys_start}; }

  PhysMem& mem_;
  Shadow& shadow_;
  CpuState& cpu_;
  FetchFault lookup_fault_{};
  bool lookup_faulted_ = false;
  Decoder dec_;
  CodeCache cache_;
  CodeCache maps_;  // Block::map records (not executable), reset with cache_ at a flush
  std::vector<InsnRecord> single_map_;
  Runtime rt_;
  uint8_t* blocks_start_ = nullptr;
  // One table per address-space slot, the physical window's, and the kernel's.
  static constexpr int kKernelTable = Shadow::kSlots + 1, kTables = Shadow::kSlots + 2;
  JTable* jtables_[kTables] = {};
  std::unordered_map<uint32_t, std::vector<uint32_t>> jt_pages_[kTables];  // see clear_jtable
  // The 4 KiB pages of each table that table_put has written (the only writer of a new
  // entry). unlink looks a dead block up in every table: reading a page never written
  // would make the host map it (a fault each, 18 tables x 512 pages), to find it empty.
  static constexpr size_t kTablePages = sizeof(JTable) / kPageSize;
  std::bitset<kTablePages> jt_written_[kTables];
  static size_t table_page(uint32_t i) { return size_t(i) * sizeof(JTable::Way) / kPageSize; }
  std::unordered_set<uint32_t> jt_full_pages_[kTables];  // see remember_page
  std::unordered_set<uint32_t> kernel_local_pages_;  // kernel table pages to forget at a CR3 load
  // Kernel exits to another page (ExitSite::kernel_xpage): chained ones by the target's
  // linear page, to unchain when the kernel table forgets it; unchained ones by target EIP,
  // to chain when the table gets it.
  std::unordered_map<uint32_t, std::vector<ExitSite*>> kernel_chained_, kernel_waiting_;
  // A filter in front of kernel_waiting_, which every new kernel block asks about its EIP:
  // a bit per hash of the target EIPs it has held (kept when they go), 128 KiB that stay
  // in the cache where the map's lookup was two misses (~7% of translating a block).
  std::bitset<size_t(1) << 20> kernel_waiting_bits_;
  static size_t waiting_bit(uint32_t eip) { return (eip * 0x9E3779B1u) >> 12; }
  void kernel_wait(ExitSite* s) {
    kernel_waiting_[s->target].push_back(s);
    kernel_waiting_bits_.set(waiting_bit(s->target));
  }
  void kernel_unchain_page(uint32_t lpage);
  void kernel_unchain_all();
  // Learnt user inline caches by table and target page (ic_link); entries of sites
  // learnt again elsewhere since are skipped when the list is walked.
  std::unordered_map<uint32_t, std::vector<ExitSite*>> ic_linked_[kTables];
  uint32_t ic_gen_[kTables] = {};  // a slot's address spaces, counted at each clear_jtables
  void ic_unlink(ExitSite* s);
  void ic_forget_page(int table, uint32_t lpage);
  void ic_forget_all(int table);
  // Kernel table pages (and the pages their blocks run into) -> the frame each mapped
  // when an entry was made: what kernel_jtable_global_flush checks.
  std::map<uint32_t, uint32_t> kernel_page_frames_;
  // The last page noted there: a kernel page's blocks are translated one after another,
  // and the map's insert was a walk of misses for each (~4% of translating a block).
  // Reset whenever the map loses entries.
  struct FrameMemo {
    uint32_t page = 0, frame = 0;
    bool valid = false;
  } frame_memo_;
  void note_kernel_frame(uint32_t page, uint32_t frame) {
    if (frame_memo_.valid && frame_memo_.page == page && frame_memo_.frame == frame) return;
    kernel_page_frames_[page] = frame;
    frame_memo_ = {page, frame, true};
  }
  bool kernel_all_local_ = false;  // checked while CR4.PGE was off: a CR3 load drops every entry
  std::vector<uint8_t> kernel_large_ = std::vector<uint8_t>(1024, 0);  // 4 MiB regions with entries from 4 MiB pages
  // Shared blocks within one page, by physical page, as remember_page enters them (no
  // Block is touched: a miss each, for a page's hundred blocks).
  struct PageEntry {
    uint64_t code;
    uint32_t mode, offset;
  };
  static bool in_page_list(const Block& b) { return b.shared && b.page_last == b.page_first; }
  std::unordered_map<uint32_t, std::vector<PageEntry>> shared_by_page_;
  BlockMap blocks_;
  std::unordered_set<uint32_t> mmio_insns_;
  std::vector<std::unique_ptr<Block>> graveyard_;  // dropped blocks: code may still be running
  std::unique_ptr<Block> single_;                  // the one-instruction block in scratch_
  uint8_t* scratch_ = nullptr;
  static constexpr size_t kScratchBytes = 16384;
  // Cached blocks by code address, in the order the cache was filled (so sorted).
  std::vector<std::pair<uint64_t, Block*>> by_host_;
  bool write_pending_ = false;  // begin_code_write: write_page_ as it was, before the replay
  uint32_t write_page_ = 0;
  std::array<uint8_t, kPageSize> write_before_{};
  std::unordered_map<uint32_t, uint8_t> data_writes_;  // code-page writes that changed no translated byte
  std::unordered_map<uint32_t, std::vector<Block*>> by_page_;
  // Pages dropped as code among busy data (begin_code_write), and how often. One dropped
  // so kSelfCheckAfter times is self-checking: its blocks check their own bytes and it
  // stays writable (emit_self_check.cpp).
  std::unordered_map<uint32_t, uint32_t> mixed_drops_;
  bool self_checking(uint32_t ppn) const;
  static constexpr uint32_t kSelfCheckAfter = 16;  // see begin_code_write
  // After emit_body: the check a self-checking block's head jumps to (at `check`), then
  // back to `body`.
  void emit_self_check(Emitter& e, asmjit::Label check, asmjit::Label body);
};

// The helpers every block exit uses.
uint32_t helper_dispatch_direct(CpuState* cpu, uint32_t, const void* site);
uint32_t helper_dispatch_indirect(CpuState* cpu, uint32_t target, const void*);
// The indirect exit of a one-instruction block: back to the run loop.
uint32_t helper_leave_indirect(CpuState* cpu, uint32_t target, const void*);
// A user inline cache's guard failed (or it is not learnt yet): look up, and learn.
uint32_t helper_ic_learn(CpuState* cpu, uint32_t target, const void* site);
// A self-checking block's bytes changed: translate them again and go on there.
uint32_t helper_self_check(CpuState* cpu, uint32_t eip, const void* block);

}  // namespace rs
