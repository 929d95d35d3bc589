// 16-bit code (CS.D = 0) from a generated 32-bit sequence, by prefixes: every
// instruction whose operand or address size depends on them gets its 66 and 67 turned
// around, so that it means in 16-bit code what it meant in 32-bit code (a 16-bit ALU op
// loses its 66, a 32-bit one gains it; [bx+si] loses its 67, [ebp+8] gains it). Which
// prefixes an instruction needs is found by decoding the candidates in 16-bit mode and
// comparing operands with the 32-bit decode, so SSE's mandatory 66 and prefix-blind
// forms (x87, MMX) stay as they are. Near branches take the 16-bit operand size (IP-sized
// targets, 2-byte return addresses) or, with o32, 66; their displacements are
// recomputed for the new layout, rel32 becoming rel16 without 66. Far transfers and IRET
// are ordinary instructions here (66 picks ptr16:16 or ptr16:32, the frame's slot size).
// Label offsets held in displacements and far pointers move with the code; stretches
// that run as 32-bit code (entered by a far jump to CS 0x23) are kept byte for byte.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace difftest {

struct Code16 {
  std::vector<uint8_t> code;
  // new_offset[old] for every instruction start of the 32-bit code and its end; ~0u elsewhere.
  std::vector<uint32_t> new_offset;
};

// An instruction whose displacement (lea r32, [label]; a CS-relative read) or far pointer
// offset holds a code offset of the 32-bit code; it becomes base + the new offset.
struct CodeRef {
  uint32_t at;    // the instruction's offset
  uint32_t base;  // 0 for 16-bit code (CS based at kCodeAddr), kCodeAddr for CS 0x23
};

struct Code16Input {
  std::vector<uint8_t> code;  // assembled at base 0
  std::vector<CodeRef> refs;
  // [start, end) ranges that run as 32-bit code (reached by a far jump to CS 0x23): kept
  // byte for byte, only their code references change.
  std::vector<std::pair<uint32_t, uint32_t>> verbatim;
};

// Fails (with why) on an instruction with no 16-bit equivalent or a rel8 that no longer reaches.
bool to_code16(const Code16Input& in, bool o32, Code16& out, std::string& why);

}  // namespace difftest
