#include "translator/translator.h"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "error.h"
#include "translator/emitter.h"

namespace rs {

using namespace asmjit;

Translator::Translator(PhysMem& mem, Shadow& shadow, CpuState& cpu)
    : mem_(mem), shadow_(shadow), cpu_(cpu), cache_(kCacheBytes) {
  size_t jbytes = sizeof(JTableEntry) * kJTableEntries;
  for (auto& t : jtables_) {
    void* p = mmap(nullptr, jbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap jump table");
    t = static_cast<JTableEntry*>(p);
  }
  flush_jtable();
  blocks_.reserve(1u << 17);  // a Linux boot translates ~70 000 blocks: no rehash on the way
  build_runtime();
  select_jtable();
  cpu_.translator = this;
}

Translator::~Translator() {
  if (perf_map_) std::fclose(perf_map_);
  for (auto* t : jtables_) munmap(t, sizeof(JTableEntry) * kJTableEntries);
}

void Translator::select_jtable() { cpu_.jtable = uint64_t(jtables_[shadow_.active()]); }

void Translator::clear_jtables(int slot) {
  for (uint32_t i = 0; i < kJTableEntries; ++i) jtables_[slot][i] = {1, 0};
  jt_pages_[slot].clear();
}

// Entries are indexed by the low 16 bits of EIP; jt_pages_ lists, per slot and linear
// page, the indexes filled for it, so that forgetting a page (and the page before,
// whose blocks may run into it) touches only those.
void Translator::clear_jtable(int slot, uint32_t lpage) {
  stats.jtable_page_clears++;
  JTableEntry* t = jtables_[slot];
  auto& pages = jt_pages_[slot];
  for (uint32_t p : {lpage - 1, lpage}) {
    auto it = pages.find(p);
    if (it == pages.end()) continue;
    for (uint32_t i : it->second) {
      const uint32_t eip = uint32_t(uint64_t(0) - t[i].neg_key);
      if (t[i].code && (eip >> kPageShift) == p) t[i] = {1, 0};
    }
    pages.erase(it);
  }
}

void Translator::remember(Block* b) {
  if (!b->cached) return;
  JTableEntry* t = reinterpret_cast<JTableEntry*>(cpu_.jtable);
  const uint32_t i = 2 * jtable_index(b->eip);
  const uint64_t neg_key = uint64_t(0) - ((uint64_t(b->mode) << 32) | b->eip);
  auto& pages = jt_pages_[shadow_.active()];
  auto note = [&](uint32_t at, uint32_t eip) {
    auto& v = pages[eip >> kPageShift];
    if (std::find(v.begin(), v.end(), at) == v.end()) v.push_back(at);
  };
  if (t[i].code && t[i].neg_key != neg_key) {  // the older target moves to the second way
    t[i + 1] = t[i];
    note(i + 1, uint32_t(uint64_t(0) - t[i].neg_key));
  }
  t[i].neg_key = neg_key;
  t[i].code = uint64_t(b->code);
  note(i, b->eip);
}

uint32_t Translator::fetch_phys(uint32_t linear, bool user) {
  uint32_t phys = 0, error = 0;
  if (!shadow_.fetch(linear, user, phys, error)) throw FetchFault{linear, error};
  return phys;
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
  if (s[CS].base == 0 && s[SS].base == 0) m |= kModeFlatStack;
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
  const uint32_t phys = fetch_phys(eip, user);
  auto it = blocks_.find(key(eip, m, phys >> kPageShift));
  if (it == blocks_.end()) return nullptr;
  Block* b = it->second.get();
  // A block that runs into the next page is only good while that page maps the same.
  if (b->page_last != b->page_first && (fetch_phys(b->page_last << kPageShift, user) >> kPageShift) != b->phys_last) {
    unlink(b);
    return nullptr;
  }
  remember(b);
  return b;
}

Block* Translator::lookup_or_translate(uint32_t eip) {
  if (Block* b = lookup(eip)) return b;
  if (Block* b = translate(eip)) return b;
  flush();
  if (Block* b = translate(eip)) return b;
  throw std::runtime_error("translation cache too small for one block");
}

namespace {

bool emit_insn(Emitter& e, const Insn& in) {
  const Insn::FpuUse fpu = in.fpu_use();
  if (((e.blk.mode & kModeFpuTrap) && fpu != Insn::kNoFpu) || ((e.blk.mode & kModeNoFxsr) && fpu == Insn::kXmm)) {
    e.call_helper(in, &helper_fpu_unavailable, false, &in);
    e.exit_direct(in.next());
    return true;
  }
  if (in.mn() == ZYDIS_MNEMONIC_RDTSC && (e.blk.mode & kModeTscSlow)) return emit_system(e, in);
  // Instructions start in the block's first page.
  if (e.tr.is_mmio((e.blk.phys_first << kPageShift) | (in.eip & (kPageSize - 1)))) return emit_mmio(e, in);
  if (is_string(in)) return emit_string(e, in);
  if (is_stack(in)) return emit_stack(e, in);
  if (is_control(in)) return emit_control(e, in);
  if (is_legacy(in)) return emit_legacy(e, in);
  if (is_system(in)) return emit_system(e, in);
  e.ident(in);
  return false;
}

}  // namespace

Block* Translator::translate(uint32_t eip, bool single) {
  const auto t0 = std::chrono::steady_clock::now();
  uint32_t m = mode();
  if (!(m & kModePE)) throw GuestError("real mode is not supported yet");
  if (!(m & kModeCode32)) throw GuestError("16-bit protected-mode code is not supported yet");
  if (!(m & kModeFlatStack)) throw GuestError("CS or SS segment bases other than zero are not supported yet");
  const bool user = cpu_.cpl == 3;
  const uint32_t phys0 = fetch_phys(eip, user);
  if (!mem_.contains(phys0, 1)) throw GuestError("execution outside guest RAM");
  const uint32_t page0 = eip >> kPageShift;
  uint32_t next_phys = 0;  // physical page after page0, once fetched
  bool next_ok = false;

  int limit = single ? 1 : kMaxBlockInsns;
  for (;;) {
    auto blk = std::make_unique<Block>();
    std::vector<Insn>& insns = scratch_insns_;
    insns.clear();
    insns.reserve(kMaxBlockInsns + 1);
    blk->eip = eip;
    blk->mode = m;
    blk->cached = !single;
    blk->page_first = blk->page_last = page0;
    blk->phys_first = blk->phys_last = phys0 >> kPageShift;
    // One-instruction blocks always go to the same scratch area: they run once, return
    // to the run loop, and are replaced by the next one.
    if (!single) cache_.align(kBlockAlign);
    uint8_t* base = single ? scratch_ : cache_.cursor();
    Emitter e(*this, *blk, uint64_t(base));
    e.a.mov(x86::r10b, x86::byte_ptr(x86::r15, kPollOffset));

    uint32_t pc = eip;
    int n = 0;
    bool retry = false;
    for (;;) {
      if (n == limit || (n > 0 && (pc >> kPageShift) != page0)) {
        e.exit_direct(pc);
        break;
      }
      // The instruction's bytes: from this page, and from the next one only when it
      // does not fit (the next page is fetched, and may fault, only then).
      uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH] = {};
      const uint32_t here = std::min<uint32_t>(kPageSize - (pc & (kPageSize - 1)), ZYDIS_MAX_INSTRUCTION_LENGTH);
      const uint32_t pa = (phys0 & ~(kPageSize - 1)) | (pc & (kPageSize - 1));
      size_t avail = std::min<uint64_t>(here, mem_.contains(pa, 0) ? mem_.size() - pa : 0);
      mem_.read(pa, buf, avail);
      Insn& in = insns.emplace_back();
      bool ok = dec_.decode(buf, avail, pc, true, in);
      bool next_fault = false;
      uint32_t fetch_error = 0;
      if (!ok && avail == here && here < ZYDIS_MAX_INSTRUCTION_LENGTH) {
        if (!next_ok) next_ok = shadow_.fetch((page0 + 1) << kPageShift, user, next_phys, fetch_error);
        next_fault = !next_ok;
        if (next_ok && mem_.read(next_phys & ~(kPageSize - 1), buf + here, ZYDIS_MAX_INSTRUCTION_LENGTH - here))
          ok = dec_.decode(buf, ZYDIS_MAX_INSTRUCTION_LENGTH, pc, true, in);
      }
      if (!ok) {
        if (n > 0) {
          insns.pop_back();
          e.exit_direct(pc);
          break;
        }
        if (next_fault) throw FetchFault{(page0 + 1) << kPageShift, fetch_error};
        in = Insn{};  // length 0: the helper raises #UD
        in.eip = pc;
        blk->map.push_back({uint32_t(e.a.offset()), pc, kPlain, 0});
        e.call_helper(in, &helper_emulate, false, &in);
        e.exit_direct(pc);
        ++n;
        break;
      }
      if (single && n == 0) e.keep(in);  // the run loop looks at it (watchpoints)
      if (!breakpoints_.empty() && breakpoints_.count(pc) && !(single && n == 0 && skip_breakpoint_)) {
        // A debugger breakpoint: the block ends before it, and a block that starts there
        // stops for the debugger before running the instruction.
        if (n > 0) {
          insns.pop_back();
          e.exit_direct(pc);
          break;
        }
        blk->map.push_back({uint32_t(e.a.offset()), pc, kPlain, 0});
        e.call_helper(in, &helper_debug_break, false, &in);
        e.exit_direct(pc);
        ++n;
        break;
      }
      blk->map.push_back({uint32_t(e.a.offset()), pc, kPlain, 0});
      bool end;
      try {
        end = emit_insn(e, in);
      } catch (const GuestError&) {
        if (n == 0) throw;
        limit = n;  // stop the block before it; the error surfaces if execution gets there
        retry = true;
        break;
      }
      ++n;
      if (((pc + in.len() - 1) >> kPageShift) != page0) {
        blk->page_last = page0 + 1;
        blk->phys_last = next_phys >> kPageShift;
      }
      pc = in.next();
      if (end) break;
    }
    if (retry) continue;
    blk->guest_insns = uint32_t(n);

    e.finish_exits();
    e.code.flatten();
    e.code.resolveUnresolvedLinks();
    uint8_t* dst = base;
    e.code.relocateToBase(uint64_t(dst));
    size_t size = e.code.codeSize();
    if (single ? size > kScratchBytes : !cache_.alloc(size)) {
      if (single) throw std::runtime_error("one-instruction block larger than its scratch area");
      return nullptr;
    }
    e.code.copyFlattenedData(dst, size);
    e.resolve();
    blk->code = dst;
    blk->size = uint32_t(size);
    for (auto& r : e.resolved) {
      r.info->rel32 = dst + r.rel32_off;
      r.info->stub = dst + r.stub_off;
      int32_t rel = int32_t(r.info->stub - (r.info->rel32 + 4));
      std::memcpy(r.info->rel32, &rel, 4);
    }

    Block* b = blk.get();
    by_host_[uint64_t(dst)] = b;
    if (perf_map_ && !single) {
      const std::string sym = symbols_ && cpu_.cpl != 3 ? symbols_->describe(eip) : std::string();
      std::fprintf(perf_map_, "%lx %x %s%sguest_%08x%s\n", (unsigned long)uint64_t(dst), unsigned(size), sym.c_str(),
                   sym.empty() ? "" : "_", eip, cpu_.cpl == 3 ? "_user" : "");
    }
    stats.blocks++;
    stats.guest_insns += uint64_t(n);
    stats.guest_bytes += pc - eip;
    stats.host_bytes += size;
    stats.translate_ns +=
        uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
    if (single) {
      single_ = std::move(blk);  // frees the previous one
      return b;
    }
    auto k = key(eip, m, b->phys_first);
    if (auto old = blocks_.find(k); old != blocks_.end()) unlink(old->second.get());
    blocks_[k] = std::move(blk);
    for (uint32_t p : {b->phys_first, b->phys_last}) {
      auto& v = by_page_[p];
      if (v.empty() || v.back() != b) v.push_back(b);
      shadow_.protect_code(p);
    }
    remember(b);
    return b;
  }
}

void Translator::open_perf_map(const SymbolTable* symbols) {
  symbols_ = symbols;
  if (perf_map_) return;
  const std::string path = "/tmp/perf-" + std::to_string(getpid()) + ".map";
  perf_map_ = std::fopen(path.c_str(), "w");
  if (!perf_map_) throw std::runtime_error("cannot write " + path);
  std::setvbuf(perf_map_, nullptr, _IOFBF, 1 << 16);
}

void Translator::chain(ExitSite* site, Block* to) {
  if (site->to == to) return;
  int32_t rel = int32_t(to->code - (site->rel32 + 4));
  std::memcpy(site->rel32, &rel, 4);
  site->to = to;
  to->incoming.push_back(site);
  stats.chains++;
}

void Translator::unlink(Block* b) {
  b->dead = true;
  auto unpatch = [](ExitSite* s) {
    int32_t rel = int32_t(s->stub - (s->rel32 + 4));
    std::memcpy(s->rel32, &rel, 4);
    s->to = nullptr;
  };
  for (ExitSite* s : b->incoming) unpatch(s);
  b->incoming.clear();
  for (auto& s : b->exits) {
    if (s->to) {
      auto& inc = s->to->incoming;
      inc.erase(std::remove(inc.begin(), inc.end(), s.get()), inc.end());
    }
    if (s->rel32) unpatch(s.get());
  }
  for (JTableEntry* t : jtables_) {
    for (uint32_t w = 0; w < 2; ++w) {
      JTableEntry& j = t[2 * jtable_index(b->eip) + w];
      if (j.code == uint64_t(b->code)) j = {1, 0};
    }
  }
  for (uint32_t p : {b->phys_first, b->phys_last}) {
    auto it = by_page_.find(p);
    if (it == by_page_.end()) continue;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), b), v.end());
  }
  auto it = blocks_.find(key(b->eip, b->mode, b->phys_first));
  if (it != blocks_.end() && it->second.get() == b) {
    graveyard_.push_back(std::move(it->second));
    blocks_.erase(it);
  }
}

void Translator::drop_page(uint32_t page) {
  auto it = by_page_.find(page);
  if (it != by_page_.end()) {
    std::vector<Block*> victims = it->second;
    for (Block* b : victims) unlink(b);
    by_page_.erase(page);
  }
  shadow_.unprotect_code(page);
  stats.pages_dropped++;
}

void Translator::flush() {
  for (auto& [p, v] : by_page_) {
    (void)v;
    shadow_.unprotect_code(p);
  }
  by_page_.clear();
  blocks_.clear();
  graveyard_.clear();
  by_host_.clear();
  single_.reset();
  flush_jtable();
  cache_.reset_to(blocks_start_);
  stats.flushes++;
}

void Translator::flush_jtable() {
  for (JTableEntry* t : jtables_)
    for (uint32_t i = 0; i < kJTableEntries; ++i) t[i] = {1, 0};
  for (auto& m : jt_pages_) m.clear();
}

const Block* Translator::block_at(uint64_t rip) const {
  auto it = by_host_.upper_bound(rip);
  if (it == by_host_.begin()) return nullptr;
  --it;
  const Block* b = it->second;
  return rip < uint64_t(b->code) + b->size ? b : nullptr;
}

const InsnRecord* Translator::record_at(const Block* b, uint64_t rip) {
  uint64_t off = rip - uint64_t(b->code);
  const InsnRecord* best = b->map.empty() ? nullptr : &b->map.front();
  for (const auto& r : b->map)
    if (r.host_off <= off) best = &r;
  return best;
}

uint32_t helper_dispatch_direct(CpuState* cpu, uint32_t, const void* data) {
  auto* site = static_cast<const ExitSite*>(data);
  auto& tr = *static_cast<Translator*>(cpu->translator);
  tr.stats.direct_lookups++;
  cpu->eip = site->target;
  // A one-instruction block returns to the loop as completed, even when an exit is requested.
  if (!site->from->cached) return uint32_t(Exit::Dispatch);
  if (cpu->exit_request) return uint32_t(Exit::Poll);
  try {
    Block* b = tr.lookup(site->target);
    if (!b) b = tr.translate(site->target);
    if (!b) return uint32_t(Exit::Dispatch);
    // With paging, only a branch within the page is bound for good (see the header).
    Block* from = site->from;
    const bool same_page = !(from->mode & kModePaging) || (site->target >> kPageShift) == from->page_first;
    if (from->cached && !from->dead && b->mode == from->mode && same_page) tr.chain(const_cast<ExitSite*>(site), b);
    cpu->ret_addr = uint64_t(b->code);
    return 0;
  } catch (...) {
    return uint32_t(Exit::Dispatch);  // the run loop translates again and reports the error
  }
}

uint32_t helper_dispatch_indirect(CpuState* cpu, uint32_t target, const void*) {
  auto& tr = *static_cast<Translator*>(cpu->translator);
  tr.stats.indirect_misses++;
  cpu->eip = target;
  if (cpu->exit_request) return uint32_t(Exit::Poll);
  try {
    Block* b = tr.lookup(target);
    if (!b) b = tr.translate(target);
    if (!b) return uint32_t(Exit::Dispatch);
    cpu->ret_addr = uint64_t(b->code);
    return 0;
  } catch (...) {
    return uint32_t(Exit::Dispatch);
  }
}

uint32_t helper_debug_break(CpuState* cpu, uint32_t, const void* data) {
  cpu->eip = static_cast<const Insn*>(data)->eip;
  return uint32_t(Exit::Debug);
}

void Translator::set_breakpoints(const std::set<uint32_t>& addrs) {
  if (addrs == breakpoints_) return;
  breakpoints_ = addrs;
  flush();  // blocks translated before were built without (or with) these stops
}

uint32_t helper_leave_indirect(CpuState* cpu, uint32_t target, const void*) {
  cpu->eip = target;
  return uint32_t(Exit::Dispatch);
}

}  // namespace rs
