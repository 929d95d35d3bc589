#include "machine.h"

#include <sys/mman.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <system_error>

#include <spdlog/spdlog.h>

#include "bios/multiboot.h"
#include "error.h"
#include "translator/fault.h"

namespace rs {

namespace {

const char* exception_name(int v) {
  static const char* names[] = {"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
                                "#BR bound range", "#UD invalid opcode", "#NM device not available",
                                "#DF double fault", "coprocessor segment overrun", "#TS invalid TSS",
                                "#NP segment not present", "#SS stack fault", "#GP general protection",
                                "#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
                                "#MC machine check", "#XM SIMD exception"};
  return v >= 0 && v < 20 ? names[v] : "exception";
}

}  // namespace

Machine::Machine(const MachineConfig& cfg) : mem_(cfg.ram_bytes), win_(mem_) {
  void* p = mmap(nullptr, sizeof(CpuPage), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap CPU state");
  page_ = new (p) CpuPage();
  CpuState& c = cpu();
  c.machine = this;
  c.window = win_.base();
  // An FXSAVE image of the reset x87/SSE state: FCW 0x037F, MXCSR 0x1F80, all registers empty.
  c.fpu[0] = 0x7F;
  c.fpu[1] = 0x03;
  uint32_t mxcsr = 0x1F80;
  std::memcpy(c.fpu + 24, &mxcsr, 4);
  update_segment_windows();

  debug_exit_ = std::make_unique<DebugExit>(*this);
  uart_ = std::make_unique<Uart16550>(cfg.uart_fd);
  io_.attach(DebugExit::kPort, 4, debug_exit_.get());
  io_.attach(Uart16550::kCom1, 8, uart_.get());
  tr_ = std::make_unique<Translator>(*this, mem_, win_, c);
}

Machine::~Machine() {
  attach_fault_handlers(nullptr, nullptr);
  tr_.reset();
  page_->~CpuPage();
  munmap(page_, sizeof(CpuPage));
}

void Machine::load_multiboot(const std::vector<uint8_t>& kernel, const std::string& kernel_name,
                             const std::string& cmdline, const std::vector<uint8_t>* initrd,
                             const std::string& initrd_name) {
  rs::load_multiboot(kernel, kernel_name, cmdline, initrd, initrd_name, mem_, cpu());
  update_segment_windows();
}

void Machine::update_segment_windows() {
  CpuState& c = cpu();
  for (int s = 0; s < 6; ++s) {
    c.seg_window[s] = c.window + c.seg[s].base;
    c.neg_seg_window[s] = uint64_t(0) - c.seg_window[s];
  }
}

void Machine::request_stop(int exit_status, const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  exit_status_ = exit_status;
  stop_reason_ = why;
}

uint32_t Machine::guest_exception(int vector, uint32_t error_code, const std::string& detail) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "guest exception %s (error code %#x) at EIP %#010x", exception_name(vector),
                error_code, cpu().eip);
  request_stop(kExitGuestError, std::string(buf) + (detail.empty() ? "" : ": " + detail) +
                                    " (exception delivery through the IDT is not implemented yet)");
  return uint32_t(Exit::Stop);
}

bool Machine::read_linear(uint32_t addr, void* dst, uint32_t len) { return mem_.read(addr, dst, len); }

bool Machine::write_linear(uint32_t addr, const void* src, uint32_t len) { return mem_.write(addr, src, len); }

std::string Machine::describe_fault() const {
  const CpuState& c = page_->cpu;
  char buf[200];
  switch (c.fault_signo) {
    case SIGFPE:
      std::snprintf(buf, sizeof buf, "guest exception #DE divide error at EIP %#010x", c.eip);
      return std::string(buf) + " (exception delivery through the IDT is not implemented yet)";
    case SIGSEGV:
      if (win_.in_span(c.fault_host_addr)) {
        std::snprintf(buf, sizeof buf, "guest access to physical address %#010x outside RAM at EIP %#010x",
                      c.fault_guest_addr, c.eip);
        return buf;
      }
      std::snprintf(buf, sizeof buf, "guest memory access outside its address space at EIP %#010x", c.eip);
      return buf;
    default:
      std::snprintf(buf, sizeof buf, "guest instruction at EIP %#010x raised host signal %u", c.eip, c.fault_signo);
      return buf;
  }
}

int Machine::run() {
  CpuState& c = cpu();
  attach_fault_handlers(tr_.get(), &win_);
  win_.activate();
  bool replay_one = false;
  while (!stopping_) {
    if (g_interrupt_signal) {
      request_stop(kExitInterrupted, std::string("interrupted by signal ") + std::to_string(g_interrupt_signal));
      break;
    }
    Block* b = nullptr;
    try {
      tr_->check_mode();
      if (replay_one) {
        b = tr_->translate(c.eip, true);
        if (!b) {
          tr_->flush();
          b = tr_->translate(c.eip, true);
        }
      } else {
        b = tr_->lookup_or_translate(c.eip);
      }
    } catch (const GuestError& e) {
      char buf[64];
      std::snprintf(buf, sizeof buf, " (at EIP %#010x)", c.eip);
      request_stop(kExitGuestError, e.what() + std::string(buf));
      break;
    }
    replay_one = false;
    stats_.dispatches++;
    auto why = Exit(tr_->runtime().enter(&c, b->code));
    switch (why) {
      case Exit::None:
      case Exit::Dispatch:
        break;
      case Exit::Halt:
        if (!c.vif) request_stop(kExitHalted, "guest halted with interrupts disabled");
        else request_stop(kExitHalted, "guest halted and no device can interrupt it yet");
        break;
      case Exit::Stop:
        break;
      case Exit::Smc:
        // The write hit a page with translations: drop them, then run the writing
        // instruction alone from an uncached block, so that it completes unprotected.
        tr_->drop_page(c.fault_guest_addr >> kPageShift);
        replay_one = true;
        stats_.smc_replays++;
        break;
      case Exit::Poll:
        clear_exit_request(c);
        stats_.polls++;
        break;
      case Exit::Fault:
        request_stop(kExitGuestError, describe_fault());
        break;
    }
  }
  uart_->flush();
  win_.activate();
  return exit_status_;
}

}  // namespace rs
