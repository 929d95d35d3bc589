// The virtual machine: guest RAM, the address-space window, the devices, the CPU
// state and the translator, and the run loop that ties them together.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cpu/cpu_state.h"
#include "devices/debug_exit.h"
#include "devices/io_bus.h"
#include "devices/uart16550.h"
#include "error.h"
#include "mmu/phys_mem.h"
#include "shadow_pt/window.h"
#include "translator/translator.h"

namespace rs {

struct MachineConfig {
  uint64_t ram_bytes = 128ull << 20;
  int uart_fd = 1;
};

struct RunStats {
  uint64_t smc_replays = 0, polls = 0, dispatches = 0;
};

class Machine : public MachineControl {
 public:
  explicit Machine(const MachineConfig& cfg);
  ~Machine() override;

  // Loads a multiboot kernel (file contents already read) and sets the CPU to its entry state.
  void load_multiboot(const std::vector<uint8_t>& kernel, const std::string& kernel_name, const std::string& cmdline,
                      const std::vector<uint8_t>* initrd, const std::string& initrd_name);

  // Runs until the guest stops; returns the process exit status.
  int run();

  void request_stop(int exit_status, const std::string& why) override;
  bool stopping() const { return stopping_; }
  const std::string& stop_reason() const { return stop_reason_; }

  // Ends the run because of a guest exception (Step 1 has no IDT delivery yet).
  uint32_t guest_exception(int vector, uint32_t error_code, const std::string& detail);

  // Guest linear memory as C++ sees it (paging off: linear == physical).
  bool read_linear(uint32_t addr, void* dst, uint32_t len);
  bool write_linear(uint32_t addr, const void* src, uint32_t len);

  // Recomputes the GS windows for fs:/gs: overrides after a segment load.
  void update_segment_windows();

  CpuState& cpu() { return page_->cpu; }
  PhysMem& mem() { return mem_; }
  IoBus& io() { return io_; }
  Translator& translator() { return *tr_; }
  const RunStats& stats() const { return stats_; }

 private:
  std::string describe_fault() const;

  CpuPage* page_ = nullptr;
  PhysMem mem_;
  Window win_;
  IoBus io_;
  std::unique_ptr<DebugExit> debug_exit_;
  std::unique_ptr<Uart16550> uart_;
  std::unique_ptr<Translator> tr_;
  bool stopping_ = false;
  int exit_status_ = kExitHalted;
  std::string stop_reason_;
  RunStats stats_;
};

}  // namespace rs
