// The i386 register file as gdb sees it: the target description (core: general,
// EIP, EFLAGS, segment and x87 registers; sse: XMM0-7 and MXCSR) and the conversion
// between CpuState (FXSAVE image for x87/SSE) and gdb's register numbering.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cpu/cpu_state.h"

namespace rs::gdb {

// gdb's program counter: EIP in protected mode; in real mode the linear address
// CS * 16 + IP, so that gdb's $pc, its disassembly and its breakpoints (linear
// addresses, as gdb knows no segments) all name the same bytes from F000:FFF0 on.
uint32_t gdb_pc(const CpuState& cpu);
void set_gdb_pc(CpuState& cpu, uint32_t pc);

// The target description. gdb reads it once, when it connects: a CPU in real mode
// then gets architecture i8086 (16-bit disassembly from the first instruction on);
// after a switch to protected mode, `set architecture i386` in gdb.
const std::string& target_xml(bool real_mode);
int register_count();
// Register n in target byte order; empty when n is out of range.
std::vector<uint8_t> read_register(const CpuState& cpu, int n);
// Writes register n; false when n is out of range, the size is wrong, or the
// register cannot be changed that way (a segment register to a new selector).
bool write_register(CpuState& cpu, int n, const std::vector<uint8_t>& v);

}  // namespace rs::gdb
