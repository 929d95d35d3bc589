// What every boot path shares: reading little-endian header fields, the error for a bad
// image, and the state a 32-bit boot loader leaves the CPU in.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "cpu/cpu_state.h"
#include "mmu/phys_mem.h"

namespace rs {

template <typename T>
T load_le(const std::vector<uint8_t>& b, size_t off) {
  T v;
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}

[[noreturn]] void bad_image(const std::string& name, const std::string& why);

// Writes a GDT at gdt_addr with flat 4 GiB code and data descriptors at the given
// selectors, and leaves the CPU in 32-bit protected mode: paging off, IF clear, CPL 0,
// every segment register loaded (CS with code_sel, the others with data_sel), the
// general registers zero.
void enter_flat_protected_mode(PhysMem& mem, CpuState& cpu, uint32_t gdt_addr, uint16_t code_sel, uint16_t data_sel);

}  // namespace rs
