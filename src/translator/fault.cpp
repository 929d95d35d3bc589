#include "translator/fault.h"

#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "error.h"
#include "host/console.h"
#include "host/gs_guard.h"
#include "host/signals.h"
#include "profile.h"
#include "shadow_pt/shadow.h"

namespace rs {

namespace {

Translator* g_tr = nullptr;

void write_str(const char* s) {
  ssize_t r = ::write(2, s, strlen(s));
  (void)r;
}

void write_hex(uint64_t v) {
  char buf[19] = "0x";
  for (int i = 0; i < 16; ++i) buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
  buf[18] = 0;
  write_str(buf);
}

[[noreturn]] void internal_fault(int sig, uint64_t rip, uint64_t addr) {
  restore_host_terminal();
  write_str("ringshift: internal error: signal ");
  write_hex(uint64_t(sig));
  write_str(" at ");
  write_hex(rip);
  write_str(" address ");
  write_hex(addr);
  write_str("\n");
  _exit(kExitInternal);
}

void on_fault(int sig, siginfo_t* si, void* ctx) {
  auto* uc = static_cast<ucontext_t*>(ctx);
  greg_t* g = uc->uc_mcontext.gregs;
  uint64_t rip = uint64_t(g[REG_RIP]);
  uint64_t addr = uint64_t(si->si_addr);
  Translator* tr = g_tr;
  if (!tr || !tr->cache().contains(rip)) internal_fault(sig, rip, addr);
  CpuState& cpu = tr->cpu();

  // GS on the guard: the host switched tasks since translated code last set it.
  if (sig == SIGSEGV && gs_guard_hit(addr)) {
    if (gs_guard_hit(cpu.gs_base)) internal_fault(sig, rip, addr);
    gs_restore_base(cpu.gs_base);
    tr->stats.gs_restores++;
    return;
  }

  // A fault in a window: most are shadow fills, and the instruction simply runs again.
  Shadow::Fault sf;
  Shadow& shadow = tr->shadow();
  const uint64_t poll = uint64_t(&cpu) + uint64_t(kPollOffset);
  const bool in_window = sig == SIGSEGV && addr - poll >= 4096 && shadow.owns(addr);
  if (in_window) {
    const uint64_t t0 = g_profiling ? __rdtsc() : 0;
    sf = shadow.on_fault(addr, g[REG_ERR] & 2);
    if (g_profiling) shadow.stats.fill_ticks += __rdtsc() - t0;
    if (sf.outcome == Shadow::Outcome::Filled) return;
  }
  // Not filled: the guest state is rebuilt from the block's records (a fill needs none;
  // finding them is a search over every block).
  const Block* b = tr->block_at(rip);
  if (!b) internal_fault(sig, rip, addr);
  const InsnRecord* rec = Translator::record_at(b, rip);

  static const int kRegs[8] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI};
  for (int r = 0; r < 8; ++r) cpu.regs[r] = uint32_t(g[kRegs[r]]);
  cpu.regs[ESP] = uint32_t(uint32_t(g[REG_RSP]) + uint32_t(int32_t(rec->esp_lag)));  // a run of PUSH/POP
  // Only inside the string instruction's own code are ESI/EDI host pointers: the poll
  // read at the block's start comes before the first record and takes its EIP only.
  if (rec->kind == kRebasedString && rip - uint64_t(b->code) >= rec->host_off) {
    if (rec->src_seg != kNoSource) cpu.regs[ESI] = uint32_t(uint64_t(g[REG_RSI]) + cpu.neg_seg_window[rec->src_seg]);
    cpu.regs[EDI] = uint32_t(uint64_t(g[REG_RDI]) + cpu.neg_seg_window[ES]);
  }
  cpu.rflags = (uint64_t(g[REG_EFL]) & FL_HOST) | 2;
  if (uc->uc_mcontext.fpregs) std::memcpy(cpu.fpu, uc->uc_mcontext.fpregs, sizeof cpu.fpu);
  // A shared block's records hold the EIPs it was translated at: move them to where it runs
  // (page_base lives in R13 while translated code runs).
  cpu.page_base = uint32_t(g[REG_R13]);
  cpu.eip = b->eip_here(rec->eip, cpu.page_base);
  cpu.fault_rip = rip;
  cpu.fault_signo = uint32_t(sig);
  cpu.fault_host_addr = addr;
  cpu.fault_err = uint32_t(g[REG_ERR]);
  cpu.fault_trapno = uint32_t(g[REG_TRAPNO]);
  cpu.fault_guest_addr = in_window ? sf.linear : uint32_t(addr - cpu.window);
  cpu.fault_phys = sf.phys;

  Exit why = Exit::Fault;
  if (sig == SIGSEGV && addr - poll < 4096) {
    why = Exit::Poll;
  } else if (in_window) {
    switch (sf.outcome) {
      case Shadow::Outcome::PageFault:
        why = Exit::PageFault;
        cpu.fault_err = sf.error;
        break;
      case Shadow::Outcome::Smc: why = Exit::Smc; break;
      case Shadow::Outcome::Mmio: why = Exit::Mmio; break;
      default: break;
    }
  }
  cpu.exit_arg = uint32_t(why);
  g[REG_RSP] = greg_t(cpu.host_rsp);
  g[REG_RIP] = greg_t(tr->runtime().leave_async);
  g[REG_EFL] = 0x202;  // DF, AC, TF clear for the C++ side
  g[REG_R15] = greg_t(&cpu);
}

}  // namespace

void attach_fault_handlers(Translator* tr) {
  // Installed on every attach: a test framework (or a library) may have replaced them.
  if (tr) {
    gs_guard_install();
    for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP}) install_signal_handler(s, on_fault);
  }
  g_tr = tr;
}

}  // namespace rs
