#include "boot/boot_common.h"

#include <algorithm>

#include "cpu/segments.h"
#include "error.h"

namespace rs {

void bad_image(const std::string& name, const std::string& why) {
  throw UsageError("kernel image '" + name + "': " + why);
}

void enter_flat_protected_mode(PhysMem& mem, CpuState& cpu, uint32_t gdt_addr, uint16_t code_sel, uint16_t data_sel) {
  std::vector<uint64_t> gdt(std::max(code_sel, data_sel) / 8 + 1, 0);
  gdt[code_sel / 8] = 0x00CF9A000000FFFFull;  // base 0, limit 4 GiB, execute/read, 32-bit
  gdt[data_sel / 8] = 0x00CF92000000FFFFull;  // base 0, limit 4 GiB, read/write
  mem.write(gdt_addr, gdt.data(), gdt.size() * 8);
  cpu.set_eflags(0x2);
  cpu.gdtr = {gdt_addr, uint16_t(gdt.size() * 8 - 1)};
  cpu.idtr = {0, 0x3FF};
  cpu.cr0 = 0x11;  // PE | ET
  cpu.cr4 = 0;
  cpu.cpl = 0;
  for (int s = 0; s < 6; ++s) cpu.seg[s] = flat_segment(s == CS ? code_sel : data_sel, s == CS);
  for (auto& r : cpu.regs) r = 0;
}

}  // namespace rs
