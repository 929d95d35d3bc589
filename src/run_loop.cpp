// The run loop: before each block, what comes first (a signal, a reset, the debugger,
// an interrupt, HLT); then pick the block (one instruction alone when TF, an interrupt
// shadow, a code-page replay or the debugger asks for it), run it, and handle why it
// came back. Exceptions and interrupts are delivered here, between blocks.
#include <cstdio>

#include <spdlog/spdlog.h>

#include "devices/clock.h"
#include "devices/pic8259.h"
#include "host/signals.h"
#include "machine.h"
#include "translator/fault.h"

namespace rs {

namespace {

constexpr uint32_t kDr6SingleStep = 1u << 14;

}  // namespace

int Machine::run() {
  CpuState& c = cpu();
  attach_fault_handlers(tr_.get());
  attach_host_signals(&c);
  run_thread_ = pthread_self();
  running_ = true;
  replay_one_ = false;
  while (!stopping_) {
    if (!before_block()) continue;  // it had something to do first: look again
    Step s;
    if (!pick_block(s)) continue;
    const auto why = Exit(tr_->runtime().enter(&c, s.block->entry()));
    Timed timed(prof_.exits[size_t(why) & 15]);
    after_block(s, handle_exit(why));
  }
  timer_.arm(UINT64_MAX);
  running_ = false;
  console_->finish();
  debug_->exited(exit_status_);
  return exit_status_;
}

// What comes before the next block. False when it did something (the loop looks again).
bool Machine::before_block() {
  CpuState& c = cpu();
  if (g_interrupt_signal) {
    request_stop(kExitInterrupted, std::string("interrupted by signal ") + std::to_string(g_interrupt_signal));
    return false;
  }
  if (reset_pending_) {
    reset();
    replay_one_ = false;
    return false;
  }
  if (debug_->stop_pending()) {
    hold_for_debugger();
    return false;
  }
  if (c.exit_request) clear_exit_request(c);
  // A debugger's single step keeps interrupts out (as QEMU's gdbstub does), unless the
  // CPU is halted: then the interrupt is what the step runs into.
  if (poll_devices() && !replay_one_ && (!debug_->stepping() || halted_)) {
    deliver(pc_.pic->acknowledge(), EventKind::External, 0, "", c.eip);
    if (debug_->stepping()) debug_->step_into_interrupt();
    return false;
  }
  if (halted_) {
    if (!c.vif) request_stop(kExitHalted, "guest halted with interrupts disabled");
    else wait_for_interrupt();
    return false;
  }
  return true;
}

// One instruction at a time while TF is set, in an interrupt shadow, to replay a write
// into a code page, or for the debugger (a step, resuming from a breakpoint, watchpoints).
bool Machine::single_step_needed() const {
  const CpuState& c = page_->cpu;
  // A shadow matters only to what could arrive in it: with IF and TF clear (mode-switch
  // code after CLI loading SS), the next block runs whole.
  const bool shadow = c.irq_inhibit && (c.vif || (c.vflags & FL_TF));
  return (c.vflags & FL_TF) || shadow || replay_one_ || debug_->single();
}

// The next instruction cannot be fetched: the guest's #PF.
bool Machine::fetch_fault(const FetchFault& f) {
  CpuState& c = cpu();
  c.cr2 = f.linear;
  stats_.page_faults++;
  replay_one_ = false;
  deliver(14, EventKind::Fault, f.error, "page fault on instruction fetch", c.eip);
  return false;
}

bool Machine::pick_block(Step& s) {
  CpuState& c = cpu();
  s.tf = c.vflags & FL_TF;
  s.debug = debug_->single();
  s.single = single_step_needed();
  tr_->skip_breakpoint(debug_->skip_breakpoint());
  // A whole block ends the shadow for good (single_step_needed: nothing can arrive in it).
  s.inhibit_in = s.single ? c.irq_inhibit : 0;
  c.irq_inhibit = 0;
  s.replay = replay_one_;
  if (!replay_one_) tr_->end_code_write();  // a replay that was abandoned (a fault before it ran)
  try {
    if (s.single) {
      s.block = tr_->translate(c.eip, true);
      if (!s.block) {
        tr_->flush();
        s.block = tr_->translate(c.eip, true);
      }
      stats_.steps++;
    } else {
      s.block = tr_->lookup(c.eip);
      if (const FetchFault* f = s.block ? nullptr : tr_->fetch_fault()) return fetch_fault(*f);
      if (!s.block) s.block = tr_->lookup_or_translate(c.eip);
    }
  } catch (const GuestError& e) {
    request_stop(kExitGuestError, e.what() + at_eip(c.eip));
    return false;
  } catch (const FetchFault& f) {
    return fetch_fault(f);
  }
  replay_one_ = false;
  stats_.dispatches++;
  s.events_before = events_;
  if (s.debug) debug_->before_insn(s.block->kept.empty() ? nullptr : s.block->kept.front().get());
  return true;
}

// Why the block came back. True when its last instruction completed.
bool Machine::handle_exit(Exit why) {
  CpuState& c = cpu();
  switch (why) {
    case Exit::None:
    case Exit::Dispatch:
      return true;
    case Exit::Halt:
      halted_ = true;
      return true;
    case Exit::Stop:
      return false;
    case Exit::Smc:
      // The write hit a page with translations: drop them, then run the writing
      // instruction alone from an uncached block, so that it completes unprotected.
      tr_->begin_code_write(c.fault_phys >> kPageShift);
      replay_one_ = true;
      stats_.smc_replays++;
      return false;
    case Exit::Poll:
      stats_.polls++;
      return false;
    case Exit::Fault:
      host_fault();
      return false;
    case Exit::Exception:
      deliver_pending();
      return false;
    case Exit::PageFault:
      c.cr2 = c.fault_guest_addr;
      stats_.page_faults++;
      faulted_ = FaultedAccess{true, c.fault_guest_addr, c.eip, c.cr3, (c.fault_err & 2) != 0, (c.fault_err & 4) != 0};
      deliver(14, EventKind::Fault, c.fault_err, "page fault", c.eip);
      return false;
    case Exit::Mmio:
      mmio_exit();
      return false;
    case Exit::Debug:
      debug_->breakpoint_hit();
      return false;
  }
  return false;
}

void Machine::after_block(const Step& s, bool completed) {
  CpuState& c = cpu();
  if (s.replay) tr_->end_code_write();  // what the write into a code page changed goes
  const bool raised = events_ != s.events_before;
  // The instruction ran, or raised an exception now delivered (a step stops at the
  // handler's first instruction).
  if (s.debug && (completed || raised)) debug_->after_insn();
  // An interrupt shadow lasts until the instruction after it has completed (a poll exit
  // or a code-page replay did not run it).
  if (!completed && !c.irq_inhibit && !raised) c.irq_inhibit = s.inhibit_in;
  // The single-step trap comes after an instruction that started with TF set and
  // completed without an exception (and not after MOV SS / POP SS).
  if (s.single && s.tf && completed && !raised && !(c.irq_inhibit & kInhibitMovSs) && !stopping_) {
    c.dr[6] |= kDr6SingleStep;
    deliver(1, EventKind::Trap, 0, "single step", c.eip);
  }
}

// After a helper that changed CPL or the address space (SYSENTER, IRET, MOV CR3...):
// what the run loop would do before the next block, minus its cost (an exit to C++
// and back is an FXSAVE, an FXRSTOR and a lookup), when it would have nothing to do.
uint32_t Machine::continue_after_helper() {
  CpuState& c = cpu();
  if (c.exit_request || must_leave() || debug_->stop_pending() || single_step_needed() || check_interrupts())
    return uint32_t(Exit::Dispatch);
  try {
    Block* b = tr_->lookup(c.eip);
    if (!b && tr_->fetch_fault()) return uint32_t(Exit::Dispatch);  // the loop delivers the #PF
    if (!b) b = tr_->lookup_or_translate(c.eip);
    if (!b) return uint32_t(Exit::Dispatch);
    c.ret_addr = uint64_t(b->entry());
    c.irq_inhibit = 0;  // a MOV SS shadow with IF and TF clear: the block runs whole (single_step_needed)
    return kResumeNewView;
  } catch (...) {
    return uint32_t(Exit::Dispatch);  // the loop translates again and delivers the fault
  }
}

// Brings the timers up to date (raising due IRQs, re-arming the host timer for the
// next event), serves the console and the debugger, and says whether an interrupt can
// be taken now. Runs at every exit to the loop and after port I/O.
bool Machine::poll_devices() {
  const uint64_t now = monotonic_ns();
  // The timers need a look only when one is due or the guest has just programmed a
  // device (port I/O): this runs at every exit, and each look reads the clock again.
  if (io_touched_ || now >= next_event_ || board_.overdue()) {
    io_touched_ = false;
    board_.update_timers();
    next_event_ = board_.next_deadline();
    // The guest runs at least kMinSlice between timer signals: an exit and a re-entry
    // (two mprotects of the poll page, a signal) cost more than the 10 us period of a
    // 100 kHz PIT on a slow host, and the guest never got past its next block head. Edges
    // that come due meanwhile are the PIT's backlog.
    timer_.arm(std::max(next_event_, now + kMinSlice));
  }
  if (console_->service(now)) request_stop(kExitHalted, "quit from the console (Ctrl-A x)");
  debug_->poll(now);
  return check_interrupts();
}

// Whether an interrupt can be taken now (IF set, no interrupt shadow, a PIC request),
// and, from the same look at the PIC, CpuState::irq_waiting: with IF = 0 and a request
// waiting, STI and POPF that set IF leave translated code.
bool Machine::check_interrupts() {
  CpuState& c = cpu();
  const bool pending = pc_.pic->pending();
  c.irq_waiting = pending && !c.vif;
  return pending && c.vif && !c.irq_inhibit;
}

void Machine::hold_for_debugger() {
  if (!debug_->take_stop()) return;
  timer_.arm(UINT64_MAX);  // no timer signals while gdb holds the machine
  io_touched_ = true;      // and the next poll arms the timer again
  console_->flush();
  if (!debug_->serve()) request_stop(kExitHalted, "killed by gdb");
}

// HLT with IF = 1: sleep until the next device deadline or a key, at most 100 ms at a
// time (a signal that lands just before the sleep is seen soon).
void Machine::wait_for_interrupt() {
  stats_.halts++;
  console_->flush();
  const uint64_t deadline = board_.next_deadline();
  const uint64_t now = monotonic_ns();
  if (deadline <= now) return;
  console_->idle(std::min<uint64_t>(deadline - now, 100000000u));
}

// The first access of an instruction to device memory: from now on that instruction
// is translated with a direct call to the device (emit_mmio.cpp).
void Machine::mmio_exit() {
  CpuState& c = cpu();
  stats_.mmio_exits++;
  // An address with nothing behind it takes the device path too: the bus reads it as
  // all ones and ignores writes, as a PC does.
  uint32_t phys = 0, error = 0;
  if (!shadow_->fetch(c.seg[CS].base + c.eip, c.cpl == 3, phys, error)) {
    request_stop(kExitInternal, "internal error: the instruction that touched device memory cannot be fetched");
    return;
  }
  if (tr_->is_mmio(phys)) {
    request_stop(kExitInternal, "internal error: a device-memory instruction faulted again" + at_eip(c.eip));
    return;
  }
  tr_->mark_mmio(phys);
}

std::string Machine::describe_fault() const {
  const CpuState& c = page_->cpu;
  char buf[320];
  if (c.fault_signo == SIGSEGV && shadow_->owns(c.fault_host_addr)) {
    std::snprintf(buf, sizeof buf, "guest access to physical address %#010x outside RAM at EIP %#010x",
                  c.fault_phys, c.eip);
    return buf;
  }
  if (c.fault_signo == SIGSEGV) {
    // The host addresses say which part of the VMM the translated code reached for.
    std::snprintf(buf, sizeof buf,
                  "guest memory access outside its address space at EIP %#010x (host address %#llx, window %#llx, "
                  "code %#llx)",
                  c.eip, static_cast<unsigned long long>(c.fault_host_addr), static_cast<unsigned long long>(c.window),
                  static_cast<unsigned long long>(c.fault_rip));
    return buf;
  }
  std::snprintf(buf, sizeof buf, "guest instruction at EIP %#010x raised host signal %u (trap %u)", c.eip,
                c.fault_signo, c.fault_trapno);
  return buf;
}

// A host exception in translated code that is the guest's own: reflect it into the guest.
void Machine::host_fault() {
  CpuState& c = cpu();
  switch (c.fault_signo) {
    case SIGFPE:
      if (c.fault_trapno == 0) return deliver(0, EventKind::Fault, 0, "divide error", c.eip);
      if (c.fault_trapno == 16) {
        if (c.cr0 & 0x20) return deliver(16, EventKind::Fault, 0, "x87 floating-point error", c.eip);
        ferr_irq();  // CR0.NE = 0: the PC's FERR# line raises IRQ 13
        return;
      }
      if (c.fault_trapno == 19) {
        if (c.cr4 & 0x400) return deliver(19, EventKind::Fault, 0, "SIMD floating-point exception", c.eip);
        return deliver(6, EventKind::Fault, 0, "SIMD exception without CR4.OSXMMEXCPT", c.eip);
      }
      break;
    case SIGILL:
      return deliver(6, EventKind::Fault, 0, "invalid opcode", c.eip);
    default:
      break;
  }
  request_stop(kExitGuestError, describe_fault());
}

void Machine::deliver(int vector, EventKind kind, uint32_t error, const std::string& detail, uint32_t insn_eip) {
  ++events_;
  if (kind == EventKind::External) stats_.interrupts++;
  else stats_.exceptions++;
  if (!detail.empty())
    spdlog::debug("{} (vector {}, error {:#x}){}: {}", vector_name(vector), vector, error, at_eip(cpu().eip), detail);
  halted_ = false;
  deliver_event(*this, cpu(), vector, kind, error, insn_eip);
}

void Machine::deliver_pending() {
  if (!pending_.valid) return;
  PendingEvent e = std::move(pending_);
  pending_ = PendingEvent{};
  deliver(e.vector, e.kind, e.error, e.detail, e.insn_eip);
}

}  // namespace rs
