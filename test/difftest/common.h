// The differential tester's shared definitions: where a test case lives in the
// 32-bit address space (identical natively and in the guest, so that addresses in
// registers and memory compare equal), and the machine state compared.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace difftest {

inline constexpr uint32_t kCodeAddr = 0x00300000;     // the sequence, ended by INT3
inline constexpr uint32_t kCodeBytes = 0x1000;
inline constexpr uint32_t kScratchAddr = 0x00400000;  // memory operands point here
inline constexpr uint32_t kScratchBytes = 0x1000;
inline constexpr uint32_t kLowAddr = 0x00008000;      // 16-bit addressing ([bx+si]...) reaches here
inline constexpr uint32_t kLowBytes = 0x1000;
inline constexpr uint32_t kStackAddr = 0x004F0000;    // the stack page
inline constexpr uint32_t kStackBytes = 0x1000;
inline constexpr uint32_t kStackTop = kStackAddr + kStackBytes - 0x400;  // ESP at entry

// The code selectors, natively and in the guest: Linux's 32-bit user CS, and the 16-bit
// code segment of 16-bit cases (LDT entry 0, RPL 3).
inline constexpr uint16_t kCs32 = 0x23, kCode16Sel = 0x07;

// Registers, flags and x87/SSE state: at entry, and where the sequence stopped.
struct State {
  uint32_t gpr[8] = {};  // EAX ECX EDX EBX ESP EBP ESI EDI
  uint32_t eflags = 2;
  uint8_t fx[512] = {};  // FXSAVE image (legacy area: FCW FSW FTW, ST0-7, MXCSR, XMM0-7)
};

struct Outcome {
  State st;
  uint32_t eip = 0;
  int vector = -1;       // 3 with eip == the end: completed; otherwise the exception
  uint32_t error = 0;
  uint8_t scratch[kScratchBytes];
  uint8_t stack[kStackBytes];
  uint8_t low[kLowBytes];
};

struct Case {
  std::vector<uint8_t> code;  // ends with INT3
  std::string text;           // disassembly, for reports
  State in;
  uint8_t scratch[kScratchBytes];
  uint8_t stack[kStackBytes];
  uint8_t low[kLowBytes];
  uint64_t fill_seed = 0;        // x87/SSE, scratch and stack contents (gen.h fill_state)
  // Run as 16-bit code: a code segment with D = 0 based at kCodeAddr, so EIP is the
  // offset from kCodeAddr (DS, ES and SS stay flat; SS.B = 1, so the stack uses ESP).
  bool code16 = false;
  uint32_t flags_undefined = 0;  // EFLAGS bits the SDM leaves undefined at the end
  // Where each generated form starts (EIP) and which flags are undefined there (for faults).
  std::vector<std::pair<uint32_t, uint32_t>> undef_before;
  uint32_t end_eip() const { return (code16 ? 0 : kCodeAddr) + uint32_t(code.size()); }
  uint32_t undefined_at(uint32_t eip) const {
    if (eip == end_eip() || undef_before.empty()) return flags_undefined;
    // The form that starts last at or before eip (a 16-bit case's 32-bit stretch has
    // linear addresses, above the offsets of the 16-bit forms).
    uint32_t u = 0, best = 0;
    for (auto& [at, mask] : undef_before)
      if (at <= eip && at >= best) u = mask, best = at;
    return u;
  }
};

}  // namespace difftest
