// A small decoder for the common integer instructions of 32-bit code that the
// translator copies as they are (IDENT): ALU, MOV, LEA, TEST, shifts, MUL/DIV, IMUL,
// MOVZX/MOVSX, CMOVcc, SETcc, BT*, SHLD/SHRD, CMPXCHG, XADD, BSWAP, NOP. It finds the
// length and where the ModRM memory operand is, and nothing else: that is all IDENT
// needs, and Zydis's full decode costs 250-350 ns an instruction on the hosts measured
// (docs/design.md 4.2). Anything else (a prefix other than one 66, a segment override,
// LOCK, REP, control flow, the stack, FPU/SIMD, system instructions, forms Zydis would
// reject) is declined: decode_flow (below) takes the common branches, calls, returns,
// pushes and pops, and Zydis the rest. test/test_ident_decoder.cpp checks every
// accepted form against Zydis and the translator's own instruction families.
#pragma once
#include <cstddef>
#include <cstdint>

namespace rs {

struct IdentForm {
  uint8_t len = 0;     // bytes of the instruction
  uint8_t opcode = 0;  // offset of the opcode (1 after a 66 prefix)
  uint8_t modrm = 0;   // offset of the ModRM byte, 0 when there is none
  bool mem = false;    // ModRM names memory (mod != 3), or a moffs form (A0..A3)
  bool abs32 = false;  // ModRM [disp32] (mod 0, rm 5): RIP-relative in 64-bit mode
};

// Decodes 32-bit code (CS.D = 1) at p (avail bytes readable). False: not a form this
// decoder knows; the caller decodes it with Zydis.
bool decode_ident(const uint8_t* p, size_t avail, IdentForm& out);

// The host bytes of an accepted form as the translator runs it in a flat mode: a memory
// operand gets GS (the guest window) and 67 (32-bit addresses), [disp32] its SIB form.
// out has room for 24 bytes. Returns the count.
unsigned ident_host_bytes(const uint8_t* p, const IdentForm& f, uint8_t* out);

// The control transfers that end most blocks and the register pushes and pops around
// calls, in 32-bit code without prefixes: Jcc rel8/rel32, JMP rel8/rel32, CALL rel32,
// RET, RET imm16, PUSH/POP r32 (not ESP), PUSH imm8/imm32. The translator rewrites
// these (emit_control.cpp, emit_stack.cpp); it needs only what is decoded here.
struct FlowForm {
  enum Kind : uint8_t { kJcc, kJmp, kCall, kRet, kPush, kPop, kPushImm };
  Kind kind = kJmp;
  uint8_t len = 0;
  uint8_t arg = 0;     // kJcc: the condition (low nibble of the opcode); kPush/kPop: the register
  int32_t value = 0;   // the displacement of a branch, RET's imm16, the pushed immediate
};

bool decode_flow(const uint8_t* p, size_t avail, FlowForm& out);

}  // namespace rs
