// The helpers of block exits: a direct exit not chained yet (translate the target,
// chain the site when that is safe), an indirect-branch table miss, a one-instruction
// block's indirect exit, and a debugger breakpoint.
#include "translator/translator.h"

namespace rs {

// The target is in R9d (arg): a shared block's targets depend on where it runs.
uint32_t helper_dispatch_direct(CpuState* cpu, uint32_t target, const void* data) {
  auto* site = static_cast<const ExitSite*>(data);
  auto& tr = *static_cast<Translator*>(cpu->translator);
  tr.stats.direct_lookups++;
  cpu->eip = target;
  // A one-instruction block returns to the loop as completed, even when an exit is requested.
  if (!site->from->cached) return uint32_t(Exit::Dispatch);
  if (cpu->exit_request) return uint32_t(Exit::Poll);
  try {
    // With paging, only a branch within the page is bound for good (see the header).
    Block* from = site->from;
    const uint32_t from_page = from->shared ? cpu->page_base >> kPageShift : from->page_first;
    const bool same_page = !(from->mode & kModePaging) || ((from->cs_base + target) >> kPageShift) == from_page;
    Block* b = tr.lookup(target);
    if (!b && !tr.fetch_fault()) b = tr.translate(target);
    if (!b) return uint32_t(Exit::Dispatch);  // the run loop delivers the #PF or flushes
    // A shared block that runs into the next page is checked at every lookup: another
    // process may map something else there.
    const bool checked_only = b->shared && b->page_last != b->page_first;
    if (from->cached && !from->dead && b->mode == from->mode && same_page) {
      if (!checked_only)
        tr.chain(const_cast<ExitSite*>(site), b);
      else if (site->alt_rel32)  // from now on through the table, which is checked per address space
        tr.aim_at_lookup(site);
    }
    cpu->ret_addr = uint64_t(b->entry());
    return 0;
  } catch (...) {
    return uint32_t(Exit::Dispatch);  // the run loop translates again and reports the error
  }
}

namespace {

// Goes on at target: its block, found or translated, becomes the helper's return address
// (0), or the run loop takes over (its exit). `found` (when asked) is told the block first.
template <class Found>
uint32_t continue_at(CpuState* cpu, Translator& tr, uint32_t target, Found found) {
  cpu->eip = target;
  if (cpu->exit_request) return uint32_t(Exit::Poll);
  try {
    Block* b = tr.lookup(target);
    if (!b && !tr.fetch_fault()) b = tr.translate(target);
    if (!b) return uint32_t(Exit::Dispatch);  // the run loop delivers the #PF or flushes
    found(b);
    cpu->ret_addr = uint64_t(b->entry());
    return 0;
  } catch (...) {
    return uint32_t(Exit::Dispatch);  // the run loop translates again and reports the error
  }
}

uint32_t continue_at(CpuState* cpu, Translator& tr, uint32_t target) {
  return continue_at(cpu, tr, target, [](Block*) {});
}

}  // namespace

uint32_t helper_dispatch_indirect(CpuState* cpu, uint32_t target, const void*) {
  auto& tr = *static_cast<Translator*>(cpu->translator);
  tr.stats.indirect_misses++;
  if (cpu->cpl == 0) tr.stats.indirect_misses_kernel++;
  return continue_at(cpu, tr, target);
}

// The site's guard failed, or it has not learnt a target yet: look the target up as a
// table miss would, and let the site learn it (Translator::ic_link).
uint32_t helper_ic_learn(CpuState* cpu, uint32_t target, const void* data) {
  auto* site = const_cast<ExitSite*>(static_cast<const ExitSite*>(data));
  auto& tr = *static_cast<Translator*>(cpu->translator);
  site->ic_count = Translator::kIcMisses;  // the count is at 0: whatever happens, start it again
  return continue_at(cpu, tr, target, [&](Block* b) { tr.ic_link(site, b, target); });
}

// A self-checking block found its guest bytes changed (emit_self_check.cpp): it goes,
// and the code there now is translated and run instead. Nothing of the block has run.
uint32_t helper_self_check(CpuState* cpu, uint32_t eip, const void* data) {
  auto& tr = *static_cast<Translator*>(cpu->translator);
  tr.self_check_failed(const_cast<Block*>(static_cast<const Block*>(data)));
  return continue_at(cpu, tr, eip);
}

uint32_t helper_debug_break(CpuState* cpu, uint32_t, const void* data) {
  cpu->eip = static_cast<const Insn*>(data)->eip;
  return uint32_t(Exit::Debug);
}

uint32_t helper_leave_indirect(CpuState* cpu, uint32_t target, const void*) {
  cpu->eip = target;
  return uint32_t(Exit::Dispatch);
}

}  // namespace rs
