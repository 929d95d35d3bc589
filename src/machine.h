// The virtual machine: the coordinator of the rooms. It owns the CPU page, guest RAM,
// the shadow page tables, the board with its devices, the translator, the debug
// session and the host console and timer, wires them together in one place (the
// constructor), and runs the loop: pick a block, run it, handle why it came back
// (run_loop.cpp). It is the GuestEnv of the CPU helpers and the BoardControl of the
// devices.
#pragma once
#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bios/bios.h"
#include "cpu/cpu_state.h"
#include "cpu/guest_env.h"
#include "cpu/interrupts.h"
#include "devices/device.h"
#include "devices/dma.h"
#include "error.h"
#include "gdbstub/debug_session.h"
#include "host/frontend.h"
#include "host/timer.h"
#include "shadow_pt/linear_memory.h"
#include "mmu/phys_mem.h"
#include "platform/board.h"
#include "platform/pc.h"
#include "profile.h"
#include "shadow_pt/shadow.h"
#include "translator/translator.h"

namespace rs {

struct MachineConfig {
  uint64_t ram_bytes = 128ull << 20;
  int uart_fd = 1;
  int console_in_fd = -1;  // host input for the serial console (a terminal goes raw); -1: none
  bool text_display = false;  // -display curses: the VGA screen and the keyboard on the terminal, not COM1
  bool no_reboot = false;  // a triple fault stops the machine instead of resetting it
  size_t map_budget = Shadow::kDefaultBudget;  // host mappings the shadow page tables may hold
  std::vector<PcDrive> drives;  // the disk controllers' drives (images owned by the caller)
};

struct RunStats {
  uint64_t page_faults = 0, mmio_exits = 0, smc_replays = 0, polls = 0, dispatches = 0, exceptions = 0, interrupts = 0, halts = 0, resets = 0,
           steps = 0;
};

class Machine : public GuestEnv, public BoardControl {
 public:
  explicit Machine(const MachineConfig& cfg);
  ~Machine() override;

  // Loads a multiboot kernel (file contents already read) and sets the CPU to its entry
  // state. The image is kept so that a reset can boot it again.
  void load_multiboot(const std::vector<uint8_t>& kernel, const std::string& kernel_name, const std::string& cmdline,
                      const std::vector<uint8_t>* initrd, const std::string& initrd_name);
  // Loads a Linux bzImage by the 32-bit boot protocol (see boot/linux_boot.h).
  // Boots through ringshift's BIOS (src/bios) from the disks in cfg, from the reset vector.
  void load_bios(BiosConfig cfg);
  // A firmware image (-bios) in the top of the first megabyte, run from the reset vector.
  void load_firmware(const std::vector<uint8_t>& rom, const std::string& name);
  void load_linux(const std::vector<uint8_t>& kernel, const std::string& kernel_name, const std::string& cmdline,
                  const std::vector<uint8_t>* initrd, const std::string& initrd_name);
  // A Linux kernel by the 16-bit boot protocol: the BIOS (cfg: its drives) runs POST,
  // then int 19h places the kernel and enters its real-mode setup code
  // (boot/linux_boot16.h). The image is checked here, before the guest starts.
  void load_linux16(const std::vector<uint8_t>& kernel, const std::string& kernel_name, const std::string& cmdline,
                    const std::vector<uint8_t>* initrd, const std::string& initrd_name, BiosConfig cfg);
  // Starts the gdbstub on host:port; with wait, the guest stays stopped before its
  // first instruction until gdb connects and resumes it.
  void enable_gdb(const std::string& host, uint16_t port, bool wait) { debug_->enable(host, port, wait); }

  // Runs until the guest stops; returns the process exit status (run_loop.cpp).
  int run();
  bool stopping() const { return stopping_; }
  const std::string& stop_reason() const { return stop_reason_; }

  // BoardControl: what devices ask.
  void request_stop(int exit_status, const std::string& why) override;
  // A reset line pulled by a device: the machine restarts, or with --no-reboot ringshift
  // exits with status 0.
  void request_reset(const std::string& how) override;
  void set_a20(bool on) override;

  // GuestEnv: what the CPU helpers ask (see cpu/guest_env.h).
  bool read_linear(uint32_t addr, void* dst, uint32_t len, bool supervisor = false) override {
    return linear_->read(addr, dst, len, supervisor);
  }
  bool write_linear(uint32_t addr, const void* src, uint32_t len, bool supervisor = false) override {
    return linear_->write(addr, src, len, supervisor);
  }
  bool take_page_fault(uint32_t& error) override;
  void clear_page_fault() override { linear_->clear_page_fault(); }
  bool translate(uint32_t linear, bool write, bool user, uint32_t& phys, uint32_t& error) override {
    return linear_->translate(linear, write, user, phys, error);
  }
  void phys_access(uint32_t phys, void* buf, uint32_t len, bool write) override {
    linear_->phys_access(phys, buf, len, write);
  }
  const void* ram_pointer(uint32_t linear, uint32_t len) override { return linear_->ram_pointer(linear, len); }
  void paging_changed(uint32_t old_cr0, uint32_t old_cr4) override;
  void invlpg(uint32_t linear) override;
  void recheck_seg_cache();  // after the page tables changed: the entries whose GDT entry moved go
  void segments_changed() override;
  uint32_t mode() const override { return tr_->mode(); }
  uint32_t raise_event(int vector, EventKind kind, uint32_t error_code, uint32_t insn_eip,
                       const std::string& detail) override;
  void unsupported(const std::string& what) override;
  void triple_fault(const std::string& why) override;
  bool must_leave() const override { return stopping_ || reset_pending_; }
  uint32_t port_in(uint16_t port, int size) override { return board_.io().in(port, size); }
  void port_out(uint16_t port, int size, uint32_t value) override;
  bool ports_settled() override;
  void ferr_irq() override;
  void after_iret() override;
  uint32_t continue_after_helper() override;
  Profile& profile() override { return prof_; }

  CpuState& cpu() { return page_->cpu; }
  PhysMem& mem() { return mem_; }
  IoBus& io() { return board_.io(); }
  Shadow& shadow() { return *shadow_; }
  Translator& translator() { return *tr_; }
  const RunStats& stats() const { return stats_; }
  // The process is about to exit: the translator (every block with its exits, records and
  // page lists, several allocations each) is left to the exit instead of being freed
  // piece by piece, which took ~0.15 s after a pie_script run and grows with the blocks.
  // Nothing runs after this but the destructor.
  void leave_translations_to_exit();

 private:
  // A guest exception or software interrupt raised by a helper, delivered by the run
  // loop once the helper has returned.
  struct PendingEvent {
    bool valid = false;
    int vector = 0;
    EventKind kind = EventKind::Fault;
    uint32_t error = 0;
    uint32_t insn_eip = 0;
    std::string detail;
  };
  // The last shadow fault that became a guest #PF (after_iret maps its page ahead).
  struct FaultedAccess {
    bool valid = false;
    uint32_t linear = 0, eip = 0, cr3 = 0;
    bool write = false, user = false;
  };
  // What the run loop decided for the next block (run_loop.cpp).
  struct Step {
    Block* block = nullptr;
    bool single = false;      // one instruction (TF, interrupt shadow, replay, debugger)
    bool tf = false;          // it started with TF set
    bool debug = false;       // for the debugger: checked after the instruction
    bool replay = false;      // the replay of a write into a code page (Translator::begin_code_write)
    uint8_t inhibit_in = 0;   // the interrupt shadow it started with
    uint64_t events_before = 0;
  };

  // run_loop.cpp
  bool before_block();
  bool single_step_needed() const;
  bool pick_block(Step& s);
  bool fetch_fault(const FetchFault& f);
  bool handle_exit(Exit why);
  void after_block(const Step& s, bool completed);
  void host_fault();
  void mmio_exit();
  std::string describe_fault() const;
  void deliver(int vector, EventKind kind, uint32_t error, const std::string& detail, uint32_t insn_eip);
  void deliver_pending();
  bool poll_devices();
  bool check_interrupts();
  void hold_for_debugger();
  void wait_for_interrupt();

  // machine.cpp
  void set_boot(std::function<void()> load);
  void reset();

  MachineConfig cfg_;
  CpuPage* page_ = nullptr;
  PhysMem mem_;
  DmaSpace dma_{mem_};
  Board board_;
  PcDevices pc_;
  std::unique_ptr<Shadow> shadow_;
  std::unique_ptr<LinearMemory> linear_;
  std::unique_ptr<Translator> tr_;
  std::unique_ptr<DebugSession> debug_;
  std::unique_ptr<HostFrontend> console_;
  HostTimer timer_;
  std::function<void()> boot_;
  std::unique_ptr<Bios> bios_;

  PendingEvent pending_;
  FaultedAccess faulted_;
  bool replay_one_ = false;   // run the instruction that wrote a code page alone, next
  bool halted_ = false;
  bool reset_pending_ = false;
  std::atomic<pthread_t> run_thread_{};  // the thread in run(): where I/O completions send their wake-up
  std::atomic<bool> running_{false};
  uint64_t events_ = 0;       // events delivered so far (to tell a completed instruction from a faulted one)
  uint64_t next_event_ = 0;   // earliest timer deadline as of the last look
  static constexpr uint64_t kMinSlice = 50000;  // ns of guest time between timer signals (poll_devices)
  bool io_touched_ = true;    // port I/O since the last look: deadlines may have moved
  bool stopping_ = false;
  int exit_status_ = kExitHalted;
  std::string stop_reason_;
  RunStats stats_;
  Profile prof_;
};

}  // namespace rs
