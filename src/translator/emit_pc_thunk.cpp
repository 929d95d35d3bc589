// CALLs to a get-PC thunk, inline. Position-independent i386 code (every Debian
// library and PIE program) finds its data with `call __x86.get_pc_thunk.bx` (the thunk
// is `mov ebx, [esp]; ret`), 12-15% of all its calls. As a call and a return the pair
// ends the block twice and returns through the indirect-branch table to a different
// caller each time, which the host predicts badly; natively the return stack buffer
// predicts it. Inline, it is what the pair does: the return address stored below ESP
// and loaded into the register, ESP and the flags unchanged.
//
// The thunk is on another page as a rule, and a shared block runs wherever its page is
// mapped, so whether the target still is that thunk is checked where the block runs:
//  - the target is in the current address space's indirect-branch table, which holds
//    only code this address space may fetch now (entries go with the page's mapping);
//  - its bytes are the thunk's (read where the CPU would fetch them).
// Otherwise the CALL runs as usual (push, exit to the target), with the CPU's own fault
// order: the push, then the fetch at the target.
#include <cstring>

#include "translator/emitter.h"

namespace rs {

using namespace asmjit;

namespace {

// `mov r32, [esp]; ret` as bytes: 8B /r with ModRM 00 reg 100, SIB 24, then C3.
bool thunk_register(const uint8_t b[4], int& reg) {
  if (b[0] != 0x8B || (b[1] & 0xC7) != 0x04 || b[2] != 0x24 || b[3] != 0xC3) return false;
  reg = (b[1] >> 3) & 7;
  return reg != ESP;
}

}  // namespace

bool emit_pc_thunk_call(Emitter& e, const Insn& in) {
  // Shared blocks only: user code in flat, paged modes, cached, with no debugger
  // breakpoints (a breakpoint on the thunk must stop there).
  if (in.z.operand_width != 32 || in.ops[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE) return false;
  return emit_pc_thunk_call(e, in.next(), in.next() + uint32_t(int32_t(in.ops[0].imm.value.s)));
}

bool emit_pc_thunk_call(Emitter& e, uint32_t next, uint32_t target) {
  if (!e.blk.shared || !e.blk.cached) return false;
  if ((target & (kPageSize - 1)) > kPageSize - 4) return false;  // the thunk would run into the next page
  uint8_t bytes[4];
  int reg = 0;
  if (!e.tr.peek_code(e.blk.cs_base + target, true, bytes, 4) || !thunk_register(bytes, reg)) return false;
  uint32_t pattern;
  std::memcpy(&pattern, bytes, 4);
  e.tr.stats.pc_thunk_sites++;

  x86::Assembler& a = e.a;
  Label slow = a.newLabel(), found = a.newLabel();
  Emitter::Stack st(e);
  // The push, as the CALL makes it (and faults on it) whichever way it goes on.
  e.eip_to(x86::r11d, next);
  a.mov(st.at(-4, 4), x86::r11d);
  // Is the target code of this address space, in this mode?
  e.eip_to(x86::r9d, target);
  a.mov(x86::r8, Imm(uint64_t(e.blk.mode) << 32));
  e.jtable_find(slow);
  // And still the thunk? RCX is borrowed for JRCXZ (kept in R11): the flags stay the guest's.
  a.mov(x86::r11, x86::rcx);
  a.mov(x86::ecx, Emitter::guest(x86::r9d, 0, 4));
  a.lea(x86::ecx, x86::ptr(x86::rcx, int32_t(0u - pattern)));
  a.jecxz(x86::rcx, found);
  a.mov(x86::rcx, x86::r11);
  a.bind(slow);
  st.adjust(-4);
  e.exit_direct(target);
  a.bind(found);
  a.mov(x86::rcx, x86::r11);
  e.eip_to(x86::gpd(uint32_t(reg)), next);
  return true;
}

}  // namespace rs
