// The virtual machine: guest RAM, the address-space window, the devices, the CPU
// state and the translator, and the run loop that ties them together: it runs
// blocks, delivers exceptions and interrupts at block boundaries, single-steps
// (TF, interrupt shadows), sleeps in HLT until the next timer event, and resets
// the machine on a triple fault.
#pragma once
#include <time.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cpu/cpu_state.h"
#include "cpu/guest_env.h"
#include "cpu/interrupts.h"
#include "decoder/decoder.h"
#include "devices/debug_exit.h"
#include "devices/io_bus.h"
#include "devices/mmio_bus.h"
#include "devices/mmio_testdev.h"
#include "devices/pic8259.h"
#include "devices/i8042.h"
#include "devices/pci_host.h"
#include "devices/pit8254.h"
#include "devices/port92.h"
#include "devices/rtc_cmos.h"
#include "devices/port61.h"
#include "devices/uart16550.h"
#include "error.h"
#include "gdbstub/gdbstub.h"
#include "host_console.h"
#include "profile.h"
#include "mmu/phys_mem.h"
#include "shadow_pt/shadow.h"
#include "translator/translator.h"

namespace rs {

struct MachineConfig {
  uint64_t ram_bytes = 128ull << 20;
  int uart_fd = 1;
  int console_in_fd = -1;  // host input for the serial console (a terminal goes raw); -1: none
  bool no_reboot = false;  // a triple fault stops the machine instead of resetting it
  size_t map_budget = Shadow::kDefaultBudget;  // host mappings the shadow page tables may hold
};

struct RunStats {
  uint64_t page_faults = 0, mmio_exits = 0, smc_replays = 0, polls = 0, dispatches = 0, exceptions = 0, interrupts = 0, halts = 0, resets = 0,
           steps = 0;
};

class Machine : public MachineControl, public gdb::Target, public GuestEnv {
 public:
  explicit Machine(const MachineConfig& cfg);
  ~Machine() override;

  // Loads a multiboot kernel (file contents already read) and sets the CPU to its entry
  // state. The image is kept so that a reset can boot it again.
  void load_multiboot(const std::vector<uint8_t>& kernel, const std::string& kernel_name, const std::string& cmdline,
                      const std::vector<uint8_t>* initrd, const std::string& initrd_name);

  // Loads a Linux bzImage by the 32-bit boot protocol (see boot/linux_boot.h).
  void load_linux(const std::vector<uint8_t>& kernel, const std::string& kernel_name, const std::string& cmdline,
                  const std::vector<uint8_t>* initrd, const std::string& initrd_name);

  // Starts the gdbstub on host:port; with wait, the guest stays stopped before its
  // first instruction until gdb connects and resumes it.
  void enable_gdb(const std::string& host, uint16_t port, bool wait);

  // gdb::Target
  CpuState& debug_cpu() override { return cpu(); }
  bool debug_read(uint32_t addr, uint8_t* buf, uint32_t len) override;
  bool debug_write(uint32_t addr, const uint8_t* buf, uint32_t len) override;
  void debug_breakpoints(const std::set<uint32_t>& addrs) override;
  void debug_watchpoints(const std::set<gdb::Watchpoint>& w) override;
  void debug_registers_changed() override;

  // Runs until the guest stops; returns the process exit status.
  int run();

  // GuestEnv: what the CPU helpers may ask (see cpu/guest_env.h).
  bool read_linear(uint32_t addr, void* dst, uint32_t len, bool supervisor = false) override;
  bool write_linear(uint32_t addr, const void* src, uint32_t len, bool supervisor = false) override;
  bool take_page_fault(uint32_t& error) override;
  void clear_page_fault() override { mem_fault_.valid = false; }
  bool translate(uint32_t linear, bool write, bool user, uint32_t& phys, uint32_t& error) override;
  void phys_access(uint32_t phys, void* buf, uint32_t len, bool write) override;
  const void* ram_pointer(uint32_t linear, uint32_t len) override;
  void paging_changed(uint32_t old_cr0, uint32_t old_cr4) override;
  void invlpg(uint32_t linear) override;
  void segments_changed() override { update_segment_windows(); }
  uint32_t mode() const override;
  uint32_t raise_event(int vector, EventKind kind, uint32_t error_code, uint32_t insn_eip,
                       const std::string& detail) override;
  void request_stop(int exit_status, const std::string& why) override;
  void unsupported(const std::string& what) override;
  void triple_fault(const std::string& why) override;
  bool must_leave() const override { return stopping_ || reset_pending_; }
  uint32_t port_in(uint16_t port, int size) override { return io_.in(port, size); }
  void port_out(uint16_t port, int size, uint32_t value) override { io_.out(port, size, value); }
  bool ports_settled() override {
    io_touched_ = true;
    return poll_devices();
  }
  void ferr_irq() override { pic_->pulse_irq(13); }
  void after_iret() override;
  uint32_t continue_after_helper() override;
  Profile& profile() override { return prof_; }

  bool stopping() const { return stopping_; }
  const std::string& stop_reason() const { return stop_reason_; }

  // A reset line pulled by a device (keyboard controller, port 0x92, 0xCF9): the
  // machine restarts, or with --no-reboot ringshift exits with status 0.
  void guest_reset(const std::string& how);
  // Whether an interrupt could be taken now (IF set, PIC has a request): helpers that
  // change the PIC or IF end the block so that it is delivered at once.
  bool interrupt_ready();
  // Brings the timers up to date (raising due IRQs, re-arming the host timer for the
  // next event) and says whether an interrupt can be taken now. Called at every exit
  // to the run loop and after port I/O, which may have reprogrammed a device.
  bool poll_devices();

  // Recomputes the GS windows for segment-relative accesses after a segment load.
  void update_segment_windows();

  CpuState& cpu() { return page_->cpu; }
  PhysMem& mem() { return mem_; }
  IoBus& io() { return io_; }
  MmioBus& mmio() { return mmio_; }
  Shadow& shadow() { return *shadow_; }
  Pic8259& pic() { return *pic_; }
  Pit8254& pit() { return *pit_; }
  Translator& translator() { return *tr_; }
  const RunStats& stats() const { return stats_; }

 private:
  struct PendingEvent {
    bool valid = false;
    int vector = 0;
    EventKind kind = EventKind::Fault;
    uint32_t error = 0;
    uint32_t insn_eip = 0;
    std::string detail;
  };
  struct MemFault {
    bool valid = false;
    uint32_t addr = 0, error = 0;
  };
  bool access_linear(uint32_t addr, void* buf, uint32_t len, bool write, bool supervisor);
  void mmio_exit();
  std::string describe_fault() const;
  void host_fault();
  void deliver(int vector, EventKind kind, uint32_t error, const std::string& detail, uint32_t insn_eip);
  void deliver_pending();
  void set_boot(std::function<void()> load);
  void reset_cpu();
  void reset();
  void service_timers();
  void service_gdb(uint64_t now);
  bool debug_translate(uint32_t addr, uint32_t& phys);
  void debug_stop();
  struct MemAccess {
    uint32_t linear, size;
    bool read, write;
  };
  std::vector<MemAccess> memory_operands(const Insn* in);
  bool watch_hit(const std::vector<MemAccess>& accesses, const std::vector<uint8_t>& before, gdb::StopReason& why);
  std::vector<uint8_t> watch_snapshot();
  uint64_t next_deadline() const;
  void service_console(uint64_t now);
  void wait_for_interrupt();
  void arm_timer(uint64_t deadline_ns);

  MachineConfig cfg_;
  CpuPage* page_ = nullptr;
  PhysMem mem_;
  std::unique_ptr<Shadow> shadow_;
  IoBus io_;
  MmioBus mmio_;
  MmioTestDev mmio_testdev_;
  MemFault mem_fault_;
  std::unique_ptr<DebugExit> debug_exit_;
  std::unique_ptr<Uart16550> uart_;
  std::unique_ptr<HostConsole> console_;
  std::unique_ptr<gdb::GdbStub> gdb_;
  bool dbg_stop_ = false;        // stop for the debugger at the next loop iteration
  gdb::StopReason dbg_why_;
  bool dbg_step_ = false;        // run exactly one instruction, then stop
  bool dbg_resume_ = false;      // first instruction after a stop: may sit on a breakpoint
  std::set<gdb::Watchpoint> watch_;
  uint64_t next_gdb_poll_ = 0;
  uint64_t next_input_check_ = 0;
  uint64_t next_event_ = 0;   // earliest timer deadline as of the last look
  bool io_touched_ = true;    // port I/O since the last look: deadlines may have moved
  std::unique_ptr<Pic8259> pic_;
  std::unique_ptr<Pit8254> pit_;
  std::unique_ptr<Port61> port61_;
  std::unique_ptr<RtcCmos> rtc_;
  std::unique_ptr<I8042> i8042_;
  std::unique_ptr<Port92> port92_;
  std::unique_ptr<PciHost> pci_;
  std::unique_ptr<Translator> tr_;
  std::function<void()> boot_;
  PendingEvent pending_;
  timer_t timer_{};
  bool timer_ok_ = false;
  uint64_t timer_armed_ = UINT64_MAX;
  bool halted_ = false;
  uint64_t partial_since_ = 0;  // when the UART's unflushed partial line was first seen
  struct FaultedAccess {
    bool valid = false;
    uint32_t linear = 0, eip = 0, cr3 = 0;
    bool write = false, user = false;
  } faulted_;  // the last shadow fault that became a guest #PF
  bool reset_pending_ = false;
  uint64_t events_ = 0;  // events delivered so far (to tell a completed instruction from a faulted one)
  bool stopping_ = false;
  int exit_status_ = kExitHalted;
  std::string stop_reason_;
  RunStats stats_;
  Profile prof_;
};

}  // namespace rs
