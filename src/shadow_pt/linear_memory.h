// Guest linear memory as C++ sees it (CPU helpers, the BIOS, the debugger): addresses
// go through the guest's page tables (Shadow::translate, which keeps the shadow in step
// when it sets A/D bits) to RAM or device registers. It lives beside the shadow because
// every such walk must keep the shadow coherent.
#pragma once
#include <cstdint>

#include "cpu/cpu_state.h"
#include "devices/mmio_bus.h"
#include "mmu/phys_mem.h"
#include "shadow_pt/shadow.h"

namespace rs {

class LinearMemory {
 public:
  LinearMemory(PhysMem& mem, MmioBus& mmio, Shadow& shadow, CpuState& cpu)
      : mem_(mem), mmio_(mmio), shadow_(shadow), cpu_(cpu) {}

  // An access as the CPU makes it, with the current privilege (supervisor: an implicit
  // supervisor access such as a descriptor table or TSS read), A/D bits set. All pages
  // are checked before anything is written. On a #PF: false, and the fault waits for
  // take_page_fault(). Addresses with nothing behind them read as all ones and
  // ignore writes (the device bus's floating value).
  bool read(uint32_t addr, void* dst, uint32_t len, bool supervisor = false);
  bool write(uint32_t addr, const void* src, uint32_t len, bool supervisor = false);
  // The #PF of the last failed access, if any (sets CR2); clears it.
  bool take_page_fault(uint32_t& error);
  void clear_page_fault() { fault_.valid = false; }

  // One walk for an access of this kind (A/D set): false with the #PF error code.
  bool translate(uint32_t linear, bool write, bool user, uint32_t& phys, uint32_t& error);
  // Physical memory: RAM, or device registers in naturally sized pieces of up to 8 bytes.
  void phys_access(uint32_t phys, void* buf, uint32_t len, bool write);
  // Host address of len bytes of RAM at a linear address, found without setting A/D.
  const void* ram_pointer(uint32_t linear, uint32_t len);

  // The debugger's view: supervisor probes that set no A/D bits and reach RAM only.
  // A write checks every page first, so a failing one changes nothing.
  bool debug_read(uint32_t addr, uint8_t* buf, uint32_t len);
  bool debug_write(uint32_t addr, const uint8_t* buf, uint32_t len);

 private:
  bool access(uint32_t addr, void* buf, uint32_t len, bool write, bool supervisor);
  bool probe(uint32_t linear, uint32_t& phys);

  struct Fault {
    bool valid = false;
    uint32_t addr = 0, error = 0;
  };
  PhysMem& mem_;
  MmioBus& mmio_;
  Shadow& shadow_;
  CpuState& cpu_;
  Fault fault_;
};

}  // namespace rs
