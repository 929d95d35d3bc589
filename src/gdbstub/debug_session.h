// The machine's side of a gdb session: when the guest stops for the debugger (gdb's
// Ctrl-C or a new connection, a breakpoint, a single step, a watchpoint) and gdb's view
// of the guest (gdb::Target: memory through LinearMemory's side-effect-free probes,
// breakpoints in the translator). The run loop asks it whether the next block must be
// one instruction, and tells it when that instruction is done.
#pragma once
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cpu/cpu_state.h"
#include "cpu/guest_env.h"
#include "decoder/decoder.h"
#include "gdbstub/gdbstub.h"
#include "shadow_pt/linear_memory.h"

namespace rs {

class Translator;

class DebugSession : public gdb::Target {
 public:
  DebugSession(CpuState& cpu, LinearMemory& mem, Translator& tr, GuestEnv& env)
      : cpu_(cpu), mem_(mem), tr_(tr), env_(env) {}

  // Starts the stub on host:port; with wait, the guest stays stopped before its first
  // instruction until gdb connects and resumes it.
  void enable(const std::string& host, uint16_t port, bool wait);

  // While the guest runs: a connection or Ctrl-C asks for a stop (looked for at most
  // every 5 ms, or at once after SIGIO), and translated code is left at the next block.
  void poll(uint64_t now);
  // A stop is due (the run loop calls take_stop, then serve).
  bool stop_pending() const { return stop_; }
  // Clears the pending stop; whether gdb is there to be served.
  bool take_stop();
  // The guest is held: serve gdb until it resumes. False: gdb killed the guest.
  bool serve();

  // The next block must be one instruction: a step, the instruction gdb resumes at (it
  // may sit on a breakpoint), or watchpoints to check after every instruction.
  bool single() const { return step_ || resume_ || !watch_.empty(); }
  bool stepping() const { return step_; }
  // Whether the run loop has debugger work before the next block (continue_after_helper).
  bool busy() const { return stop_ || single(); }
  // The one-instruction block may run its instruction even on a breakpoint.
  bool skip_breakpoint() const { return resume_; }

  // Around an instruction run alone: what the watchpoints see before, and the check after
  // it completed or raised an exception (a step then stops at the handler).
  void before_insn(const Insn* in);
  void after_insn();
  // A step ran into an interrupt (the CPU was halted): stop at its handler.
  void step_into_interrupt();
  // Exit::Debug: a breakpoint at cpu.eip.
  void breakpoint_hit();
  // The machine is ending.
  void exited(int status);

  // gdb::Target
  CpuState& debug_cpu() override { return cpu_; }
  bool debug_read(uint32_t addr, uint8_t* buf, uint32_t len) override { return mem_.debug_read(addr, buf, len); }
  bool debug_write(uint32_t addr, const uint8_t* buf, uint32_t len) override { return mem_.debug_write(addr, buf, len); }
  void debug_breakpoints(const std::set<uint32_t>& addrs) override;
  void debug_watchpoints(const std::set<gdb::Watchpoint>& w) override { watch_ = w; }
  void debug_registers_changed() override { env_.segments_changed(); }

 private:
  struct MemAccess {
    uint32_t linear, size;
    bool read, write;
  };
  std::vector<MemAccess> memory_operands(const Insn* in) const;
  std::vector<uint8_t> watch_snapshot();
  bool watch_hit(gdb::StopReason& why);
  void stop(const gdb::StopReason& why) {
    stop_ = true;
    why_ = why;
  }

  CpuState& cpu_;
  LinearMemory& mem_;
  Translator& tr_;
  GuestEnv& env_;
  std::unique_ptr<gdb::GdbStub> stub_;
  bool stop_ = false;    // stop for the debugger at the next loop iteration
  gdb::StopReason why_;
  bool step_ = false;    // run exactly one instruction, then stop
  bool resume_ = false;  // first instruction after a stop: may sit on a breakpoint
  std::set<gdb::Watchpoint> watch_;
  uint64_t next_poll_ = 0;
  // The instruction being run alone: watched bytes before it and its memory operands.
  std::vector<uint8_t> watched_;
  std::vector<MemAccess> accesses_;
};

}  // namespace rs
