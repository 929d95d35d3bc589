// The translator's front door: the mode key, lookup by EIP + mode + physical page,
// and translate(), which runs the frontend (frontend.cpp) and installs the block in the
// cache (block_cache.cpp).
#include "translator/translator.h"

#include <sys/mman.h>
#include <x86intrin.h>

#include <algorithm>
#include <chrono>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "error.h"
#include "translator/emitter.h"

namespace rs {

using namespace asmjit;

Translator::Translator(PhysMem& mem, Shadow& shadow, CpuState& cpu)
    : mem_(mem), shadow_(shadow), cpu_(cpu), cache_(kCacheBytes), maps_(kCacheBytes / 2, false) {
  emit_scratch_ = std::make_unique<EmitScratch>();
  constexpr size_t jbytes = sizeof(JTable);
  for (auto& t : jtables_) {
    // Aligned to 2 MiB and advised as a huge page: a lookup's bucket is anywhere in the
    // table, and with 4 KiB pages each hot target cost its own TLB entry (the lookup's
    // load was the hottest instruction of call-heavy user code). And at an address whose
    // low 32 bits are 0: an inline cache adds a target EIP to it and gets a key naming
    // both the address space and the target (emit_inline_cache.cpp).
    constexpr size_t span = (size_t(1) << 32) + jbytes;
    void* p = mmap(nullptr, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap jump table");
    const uintptr_t at = (uintptr_t(p) + (size_t(1) << 32) - 1) & ~((uintptr_t(1) << 32) - 1);
    if (at > uintptr_t(p)) munmap(p, at - uintptr_t(p));
    if (uintptr_t(p) + span > at + jbytes) munmap(reinterpret_cast<void*>(at + jbytes), uintptr_t(p) + span - at - jbytes);
    if (mmap(reinterpret_cast<void*>(at), jbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
        MAP_FAILED)
      throw std::system_error(errno, std::generic_category(), "mmap jump table");
    madvise(reinterpret_cast<void*>(at), jbytes, MADV_HUGEPAGE);  // advice only
    t = reinterpret_cast<JTable*>(at);  // zero pages: every entry empty
  }
  build_runtime();
  select_jtable();
  cpu_.translator = this;
}

Translator::~Translator() {
  if (perf_map_) std::fclose(perf_map_);
  for (auto* t : jtables_) munmap(t, sizeof(JTable));
}

uint32_t Translator::fetch_phys(uint32_t linear, bool user) {
  uint32_t phys = 0, error = 0;
  if (!shadow_.fetch(linear, user, phys, error)) throw FetchFault{linear, error};
  return phys;
}

bool Translator::peek_code(uint32_t linear, bool user, uint8_t* out, uint32_t n) {
  uint32_t phys = 0, error = 0;
  if (!shadow_.fetch(linear, user, phys, error) || !mem_.contains(phys, n) || is_mmio(phys)) return false;
  mem_.read(phys, out, n);
  return true;
}

void Translator::mark_mmio(uint32_t phys) {
  mmio_insns_.insert(phys);
  drop_page(phys >> kPageShift);
}

uint32_t Translator::mode() const {
  const CpuState& c = cpu_;
  const Segment* s = c.seg;
  uint32_t m = c.cpl;
  if ((s[CS].attr >> 14) & 1) m |= kModeCode32;
  const bool stack16 = !((s[SS].attr >> 14) & 1);
  if (stack16) m |= kModeStack16;
  if (s[CS].base == 0 && s[SS].base == 0 && !stack16) m |= kModeFlatStack;
  if (c.cr0 & 1) m |= kModePE;
  if (c.cpl > ((c.vflags & FL_IOPL) >> 12)) m |= kModeIoRestricted;
  if (c.cr0 & 0xC) m |= kModeFpuTrap;
  if (!(c.cr4 & 0x200)) m |= kModeNoFxsr;
  if (c.tsc_offset != 0 || ((c.cr4 & 4) && c.cpl > 0)) m |= kModeTscSlow;
  if (s[DS].base) m |= kModeDsBase;
  if (s[ES].base) m |= kModeEsBase;
  if (c.cr0 & 0x80000000u) m |= kModePaging;
  return m;
}

Block* Translator::lookup(uint32_t eip) {
  const uint32_t m = mode();
  const bool user = cpu_.cpl == 3;
  const uint32_t linear = cpu_.seg[CS].base + eip;
  uint32_t phys = 0, error = 0;
  lookup_faulted_ = !shadow_.fetch(linear, user, phys, error);
  if (lookup_faulted_) {
    lookup_fault_ = FetchFault{linear, error};
    return nullptr;
  }
  // (Blocks of a self-checking page are not shared: translate() makes them so.)
  const bool shared = shares(m) && !self_checking(phys >> kPageShift);
  Block* b = blocks_.find(Key{mode_eip(m, eip, shared), phys});
  if (!b) return nullptr;
  // A block that runs into the next page is only good while that page maps the same.
  uint32_t next = 0;
  if (b->page_last != b->page_first &&
      (!shadow_.fetch(linear + kPageSize, user, next, error) || (next >> kPageShift) != b->phys_last)) {
    stats.cross_unlinks++;
    unlink(b);
    return nullptr;
  }
  if (b->eip != eip) stats.shared_hits++;
  remember(b, eip);
  if (b->shared) remember_page(b, linear & ~(kPageSize - 1));
  cpu_.page_base = linear & ~(kPageSize - 1);  // the caller enters b at entry()
  return b;
}

// RINGSHIFT_SELF_CHECK_ALL=1 (a testing aid) makes every page self-checking.
bool Translator::self_checking(uint32_t ppn) const {
  static const bool all = std::getenv("RINGSHIFT_SELF_CHECK_ALL") != nullptr;
  if (all) return true;
  // No page has been dropped kSelfCheckAfter times (the count only grows: mixed_drops_
  // forgets nothing): no map lookup on every lookup and translation.
  if (stats.self_check_pages == 0) return false;
  const auto it = mixed_drops_.find(ppn);
  return it != mixed_drops_.end() && it->second >= kSelfCheckAfter;
}

// User code in flat, paged modes: the translation of a page serves every process that
// maps it, wherever (address-space randomization). Kernel code runs at one address and
// keeps its EIPs as constants.
bool Translator::shares(uint32_t m) const {
  return (m & kModeCpl) == 3 && (m & kModeCode32) && (m & kModeFlatStack) && (m & kModePaging) &&
         breakpoints_.empty();
}

Block* Translator::lookup_or_translate(uint32_t eip) {
  if (Block* b = lookup(eip)) return b;
  if (lookup_faulted_) throw lookup_fault_;
  if (Block* b = translate(eip)) return b;
  flush();
  if (Block* b = translate(eip)) return b;
  throw std::runtime_error("translation cache too small for one block");
}

Block* Translator::translate(uint32_t eip, bool single) {
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t tsc0 = __rdtsc();
  time_phases_ = ++translations_ % kPhaseSample == 0;
  const uint32_t m = mode();
  if (cpu_.vflags & FL_VM) throw GuestError("virtual-8086 mode is not supported yet");
  Fetch f;
  f.user = cpu_.cpl == 3;
  f.cs_base = cpu_.seg[CS].base;
  const uint32_t linear = f.cs_base + eip;
  f.page0 = linear >> kPageShift;
  f.phys0 = fetch_phys(linear, f.user);
  if (!mem_.contains(f.phys0, 1)) throw GuestError("execution outside guest RAM");
  // The table entry remember() will read and write once the block is made: a bucket
  // anywhere in 2 MiB, a miss to memory that was ~10% of translating a block. Asked for
  // now, it arrives while the block is decoded and emitted.
  if (!single && (m & kModeFlatStack))
    __builtin_prefetch(&jtables_[table_for(m)]->way[2 * jtable_index(eip)], 1);
  for (int limit = single ? 1 : kMaxBlockInsns;;) {
    auto blk = std::make_unique<Block>();
    blk->eip = eip;
    blk->mode = m;
    blk->cs_base = f.cs_base;
    blk->phys_start = f.phys0;
    blk->cached = !single;
    // A page of code among busy data: the block checks its bytes instead (not shared: its
    // EIPs are constants).
    blk->self_check = !single && self_checking(f.phys0 >> kPageShift);
    blk->shared = !single && !blk->self_check && shares(m);
    blk->page_first = blk->page_last = f.page0;
    blk->phys_last = f.phys0 >> kPageShift;
    // One-instruction blocks always go to the same scratch area: they run once, return
    // to the run loop, and are replaced by the next one.
    if (!single) cache_.align(kBlockAlign);
    uint8_t* base = single ? scratch_ : cache_.cursor();
    Emitter e(*this, *blk, uint64_t(base));
    if (blk->shared) {  // the outer entry: page_base = the target EIP in R9d less the offset
      e.a.lea(x86::r13d, x86::ptr(x86::r9, -int32_t(linear & (kPageSize - 1))));
      blk->head = uint32_t(e.a.offset());
    }
    e.a.mov(x86::r10b, x86::byte_ptr(x86::r15, kPollOffset));
    Label check, body_start;
    if (blk->self_check) {  // to the check after the body, which comes back
      check = e.a.newLabel();
      body_start = e.a.newLabel();
      e.a.jmp(check);
      e.a.bind(body_start);
    }
    const Body body = emit_body(e, f, limit, single);
    if (body.retry) {  // an instruction cannot be translated: the block ends before it
      limit = body.insns;
      continue;
    }
    blk->guest_insns = uint32_t(body.insns);
    blk->guest_len = body.end - eip;  // IP wraps in 16-bit code: only exact when it did not
    if (blk->self_check) emit_self_check(e, check, body_start);
    Block* b = install(std::move(blk), e, base, single);
    if (!b) return nullptr;
    cpu_.page_base = linear & ~(kPageSize - 1);  // the caller enters b at entry()
    stats.blocks++;
    stats.phase_blocks += time_phases_;
    stats.guest_insns += uint64_t(body.insns);
    stats.guest_bytes += body.end - eip;
    stats.host_bytes += b->size;
    stats.translate_ns +=
        uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
    const uint64_t ticks = __rdtsc() - tsc0;
    stats.total_ticks += ticks;
    if (time_phases_) stats.phase_total_ticks += ticks;
    stats.tick_hist[std::min<uint64_t>(ticks / TranslatorStats::kTickBucket, TranslatorStats::kTickBuckets - 1)]++;
    return b;
  }
}

uint64_t TranslatorStats::percentile_ticks(unsigned pct) const {
  uint64_t seen = 0;
  for (uint32_t i = 0; i < kTickBuckets; ++i)
    if ((seen += tick_hist[i]) * 100 >= uint64_t(pct) * blocks) return uint64_t(i) * kTickBucket + kTickBucket / 2;
  return uint64_t(kTickBuckets) * kTickBucket;
}

// A block's name for host profilers: "guest_EIP" ("_user" at CPL 3), after the guest
// kernel's symbol when there is one.
void Translator::write_perf_map(const Block& b) {
  const std::string sym = symbols_ && cpu_.cpl != 3 ? symbols_->describe(b.eip) : std::string();
  char name[48];
  std::snprintf(name, sizeof name, "guest_%08x%s", b.eip, cpu_.cpl == 3 ? "_user" : "");
  const std::string full = sym.empty() ? std::string(name) : sym + "_" + name;
  if (perf_map_) std::fprintf(perf_map_, "%lx %x %s\n", (unsigned long)uint64_t(b.code), unsigned(b.size), full.c_str());
  if (jitdump_) jitdump_->load(full, b.code, b.size);
}

void Translator::open_jitdump(const SymbolTable* symbols) {
  symbols_ = symbols;
  if (!jitdump_) jitdump_ = std::make_unique<JitDump>();
}

void Translator::open_perf_map(const SymbolTable* symbols) {
  symbols_ = symbols;
  if (perf_map_) return;
  const std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
  perf_map_ = std::fopen(path.c_str(), "w");
  if (!perf_map_) throw std::runtime_error("cannot write " + path);
  std::setvbuf(perf_map_, nullptr, _IOFBF, 1 << 16);
}

void Translator::set_breakpoints(const std::set<uint32_t>& addrs) {
  if (addrs == breakpoints_) return;
  breakpoints_ = addrs;
  flush();  // blocks translated before were built without (or with) these stops
}

}  // namespace rs
