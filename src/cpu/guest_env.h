// What the CPU helpers (src/cpu) may ask of the machine around them, and nothing more:
// guest linear memory as the CPU sees it, the changes of CPU state that other rooms
// must follow, events for the run loop, the I/O-port bus and the interrupt line.
// Machine implements it; unit tests pass a fake (test/test_cpu_helpers.cpp); the BIOS
// services use it too. Helpers find it through CpuState::env.
#pragma once
#include <cstdint>
#include <string>

#include "cpu/cpu_state.h"

namespace rs {

struct Profile;
enum class EventKind : uint8_t;

class GuestEnv {
 public:
  virtual ~GuestEnv() = default;

  // --- memory ---
  // Guest linear memory through the guest's page tables with the current privilege
  // (supervisor: an implicit supervisor access such as a descriptor table or TSS read),
  // A/D bits set as the CPU does. Every page is checked before anything is written.
  // On a #PF: false, and the fault waits for take_page_fault(). Physical addresses
  // with nothing behind them read as all ones and ignore writes, as on a PC.
  virtual bool read_linear(uint32_t addr, void* dst, uint32_t len, bool supervisor = false) = 0;
  virtual bool write_linear(uint32_t addr, const void* src, uint32_t len, bool supervisor = false) = 0;
  // The #PF of the last failed access, if any (sets CR2); clears it.
  virtual bool take_page_fault(uint32_t& error) = 0;
  virtual void clear_page_fault() = 0;
  // One page-table walk for an access of this kind (A/D bits set); false with the #PF error code.
  virtual bool translate(uint32_t linear, bool write, bool user, uint32_t& phys, uint32_t& error) = 0;
  // Physical memory, RAM or device registers (the device-memory path).
  virtual void phys_access(uint32_t phys, void* buf, uint32_t len, bool write) = 0;
  // Host address of len bytes of guest RAM at a linear address, found without setting
  // A/D bits (the inline descriptor cache watches GDT entries there); null if none.
  virtual const void* ram_pointer(uint32_t linear, uint32_t len) = 0;

  // --- CPU state that other rooms follow ---
  // CR0, CR3 or CR4 changed: new address space or rules; the windows and tables follow.
  virtual void paging_changed(uint32_t old_cr0, uint32_t old_cr4) = 0;
  virtual void invlpg(uint32_t linear) = 0;
  // A segment register or CPL changed: the GS windows for segment-relative accesses follow.
  virtual void segments_changed() = 0;
  // The translation mode bits for the current state (translator.h kMode*).
  virtual uint32_t mode() const = 0;

  // --- events for the run loop ---
  // A guest exception or software interrupt, delivered once the helper has returned
  // the Exit::Exception this returns. insn_eip is the raising instruction.
  virtual uint32_t raise_event(int vector, EventKind kind, uint32_t error_code, uint32_t insn_eip,
                               const std::string& detail) = 0;
  virtual void request_stop(int exit_status, const std::string& why) = 0;
  // The guest needs something ringshift does not implement: stop with a clear message.
  virtual void unsupported(const std::string& what) = 0;
  virtual void triple_fault(const std::string& why) = 0;
  // Whether the current block must end for the run loop (stop or reset requested).
  virtual bool must_leave() const = 0;

  // --- ports and the interrupt line ---
  virtual uint32_t port_in(uint16_t port, int size) = 0;
  virtual void port_out(uint16_t port, int size, uint32_t value) = 0;
  // After port I/O: timers may have been reprogrammed; whether an interrupt can be taken now.
  virtual bool ports_settled() = 0;
  // The x87 error with CR0.NE = 0: the PC's FERR# line raises IRQ 13.
  virtual void ferr_irq() = 0;

  // --- after kernel entries and exits ---
  // An IRET completed (the page its return faulted on may be mapped ahead).
  virtual void after_iret() = 0;
  // After a helper that changed CPL or the address space: the block for cpu.eip when the
  // run loop has nothing to do first (kResumeNewView, cpu.ret_addr set), else Exit::Dispatch.
  virtual uint32_t continue_after_helper() = 0;

  // Where --stats accounts helper and port time.
  virtual Profile& profile() = 0;
};

}  // namespace rs
