// The built-in gdbstub: the GDB remote serial protocol over TCP, for one CPU in
// all-stop mode. The machine runs until the stub asks it to stop (a connection, Ctrl-C)
// or it stops on its own (breakpoint, single step, watchpoint); then stopped() serves
// gdb's commands until gdb resumes, detaches or kills. Guest memory is read and
// written by linear address through the current page tables without side effects, and
// breakpoints live in the translator, never in guest memory.
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "cpu/cpu_state.h"
#include "gdbstub/packet.h"

namespace rs::gdb {

struct Watchpoint {
  enum Type { Write = 2, Read = 3, Access = 4 } type;
  uint32_t addr, len;
  bool operator<(const Watchpoint& o) const {
    return type != o.type ? type < o.type : addr != o.addr ? addr < o.addr : len < o.len;
  }
};

// What the stub needs from the machine.
class Target {
 public:
  virtual ~Target() = default;
  virtual CpuState& debug_cpu() = 0;
  // Linear-address access through the current page tables, as a supervisor, setting no
  // accessed/dirty bits and touching no device: false when any byte is not RAM.
  virtual bool debug_read(uint32_t addr, uint8_t* buf, uint32_t len) = 0;
  virtual bool debug_write(uint32_t addr, const uint8_t* buf, uint32_t len) = 0;
  virtual void debug_breakpoints(const std::set<uint32_t>& addrs) = 0;
  virtual void debug_watchpoints(const std::set<Watchpoint>& w) = 0;
  // Registers changed by gdb (EIP, EFLAGS...): the machine re-derives what depends on them.
  virtual void debug_registers_changed() = 0;
};

struct StopReason {
  enum Kind { Signal, SwBreak, HwBreak, Watch, Step } kind = Signal;
  int signal = 5;  // SIGTRAP; SIGINT (2) for Ctrl-C and a fresh connection
  Watchpoint::Type watch_type = Watchpoint::Write;
  uint32_t watch_addr = 0;
};

enum class Resume { Continue, Step, Detach, Kill };

class GdbStub {
 public:
  // Listens on host:port (throws UsageError when that is impossible). A host other than
  // a loopback address gets a warning: anyone who can connect controls the guest.
  GdbStub(Target& t, const std::string& host, uint16_t port);
  ~GdbStub();
  GdbStub(const GdbStub&) = delete;
  GdbStub& operator=(const GdbStub&) = delete;

  bool connected() const { return conn_ >= 0; }
  // Blocks until gdb connects (for -S). False if interrupted by a signal.
  bool wait_for_connection();
  // While the guest runs: accepts a connection or sees Ctrl-C. True: stop the guest.
  bool poll(StopReason& why);
  // The guest stopped: tell gdb why and serve it until it resumes the guest.
  Resume stopped(const StopReason& why);
  // The machine is ending: W packet with the exit status, then close.
  void exited(int status);
  bool in_hw_set(uint32_t eip) const { return hw_.count(eip) > 0; }

 private:
  enum class Reply { Stay, Resume };
  bool accept_pending(bool block);
  void close_conn();
  void send_packet(const std::string& payload);
  bool read_some(bool block);  // feeds the parser; false when the connection is gone
  Reply handle(const std::string& p, Resume& how);
  Reply reply(const std::string& r);  // sends r; gdb stays stopped
  Reply resume(const std::string& p, Resume& how);
  Reply v_packet(const std::string& p, Resume& how);
  Reply query(const std::string& p);
  void resume_at(const std::string& addr);
  void detach();
  std::string stop_reply(const StopReason& why) const;
  std::string read_registers();
  std::string write_registers(const std::string& p);
  std::string read_one_register(const std::string& p);
  std::string write_one_register(const std::string& p);
  std::string read_memory(const std::string& args);
  std::string write_memory(const std::string& args, bool binary);
  std::string breakpoint(const std::string& p);
  std::string xfer(const std::string& p);

  Target& t_;
  int listen_ = -1, conn_ = -1;
  bool no_ack_ = false;
  bool resumed_ = false;  // gdb resumed the guest and waits for a stop reply
  PacketParser parser_;
  std::vector<std::string> packets_;  // received, not yet handled
  bool interrupt_ = false;
  std::string last_sent_;
  StopReason last_stop_;
  std::set<uint32_t> sw_, hw_;
  std::set<Watchpoint> watch_;
};

}  // namespace rs::gdb
