#include "cpu/reset.h"

#include <cstring>

namespace rs {

void cpu_reset(CpuState& c) {
  for (auto& r : c.regs) r = 0;
  c.set_eflags(2);
  c.eip = 0xFFF0;
  // Real mode: every segment a 64 KiB read/write data segment at base 0, CS = F000.
  // The CPU starts with CS base FFFF0000 until the first far jump; ringshift starts at
  // the same ROM bytes through base F0000, where the BIOS image sits (src/bios).
  for (auto& s : c.seg) s = Segment{0, 0x93, 0, 0xFFFF};
  c.seg[CS] = Segment{0xF000, 0x93, 0xF0000, 0xFFFF};
  c.gdtr = c.idtr = DescTable{};
  c.idtr.limit = 0x3FF;
  c.clear_seg_cache();
  c.ldtr = Segment{0, 0x82, 0, 0xFFFF};
  c.tr = Segment{0, 0x8B, 0, 0xFFFF};
  c.cr0 = 0x60000010;
  c.cr2 = c.cr3 = c.cr4 = 0;
  c.efer = 0;
  for (auto& p : c.pdpte) p = 0;
  c.cpl = 0;
  c.irq_inhibit = 0;
  c.irq_waiting = 0;
  c.sysenter_cs = c.sysenter_esp = c.sysenter_eip = 0;
  c.tsc_offset = 0;
  c.amd_nb_cfg = 0;
  c.misc_enable = kMiscEnableReset;
  static const CpuState fresh{};
  std::memcpy(c.dr, fresh.dr, sizeof c.dr);
  // An FXSAVE image of the reset x87/SSE state: FCW 0x037F, MXCSR 0x1F80, all registers empty.
  std::memset(c.fpu, 0, sizeof c.fpu);
  c.fpu[0] = 0x7F;
  c.fpu[1] = 0x03;
  uint32_t mxcsr = 0x1F80;
  std::memcpy(c.fpu + 24, &mxcsr, 4);
}

}  // namespace rs
