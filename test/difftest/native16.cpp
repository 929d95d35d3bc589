#include "difftest/native16.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "difftest/native.h"

namespace difftest {

namespace {

constexpr uint32_t kCF = 1, kZF = 1u << 6, kSF = 1u << 7, kOF = 1u << 11;

struct Check {
  const char* what;
  std::vector<uint8_t> code;  // 16-bit code; INT3 is appended
  uint32_t eax, ebx, esi;     // inputs (the rest zero, ESP = kStackTop)
  // Expected: EAX, EBX, ESP, flags (under flag_mask), and a 16-bit word in the low region.
  uint32_t out_eax, out_ebx, out_esp, flags, flag_mask;
  int low_off;  // -1: no memory check
  uint16_t low_word;
};

int failures = 0;

void expect(const char* what, const char* field, uint32_t got, uint32_t want) {
  if (got == want) return;
  std::printf("native16: %s: %s is %#x, expected %#x\n", what, field, got, want);
  ++failures;
}

}  // namespace

int native16_check() {
  NativeRunner native;
  if (!native.code16_ok()) {
    std::printf("native16: modify_ldt is not available: 16-bit code cannot run natively here\n");
    return 1;
  }
  const uint32_t top = kStackTop;
  const std::vector<Check> checks = {
      // The operand size is 16 bits: the carry leaves bit 16, the upper half stays.
      {"add ax, 1 wraps at 16 bits", {0x05, 0x01, 0x00}, 0xABCDFFFF, 0, 0, 0xABCD0000, 0, top, kCF | kZF,
       kCF | kZF | kSF | kOF, -1, 0},
      // 66 selects the 32-bit operand size in 16-bit code.
      {"66 mov eax, imm32", {0x66, 0xB8, 0x78, 0x56, 0x34, 0x12}, 0, 0, 0, 0x12345678, 0, top, 0, 0, -1, 0},
      // PUSH/POP move 2 bytes; SS.B = 1, so ESP (not SP) is the pointer.
      {"push ax / pop bx", {0x50, 0x5B}, 0x1111BEEF, 0x22220000, 0, 0x1111BEEF, 0x2222BEEF, top, 0, 0, -1, 0},
      {"push ax leaves 2 bytes", {0x50}, 0x0000CAFE, 0, 0, 0x0000CAFE, 0, top - 2, 0, 0, -1, 0},
      // 16-bit addressing: [bx+si] wraps at 64 KiB.
      {"lea ax, [bx+si] wraps", {0x8D, 0x00}, 0x55550000, 0xFFFF, 2, 0x55550001, 0xFFFF, top, 0, 0, -1, 0},
      // A store through DS:[bx] with a 16-bit address reaches the low region.
      {"mov word [bx], 0x1234", {0xC7, 0x07, 0x34, 0x12}, 0, kLowAddr + 0x10, 0, 0, kLowAddr + 0x10, top, 0, 0, 0x10,
       0x1234},
      // INC r16 (opcode 40+r is INC here, not a REX prefix) sets OF at 0x7FFF.
      {"inc ax overflows at 0x7FFF", {0x40}, 0x00007FFF, 0, 0, 0x00008000, 0, top, kOF | kSF, kOF | kSF | kZF, -1, 0},
  };
  native.begin_batch();
  for (const Check& k : checks) {
    Case c{};
    c.code = k.code;
    c.code.push_back(0xCC);
    c.code16 = true;
    c.in.gpr[0] = k.eax;
    c.in.gpr[3] = k.ebx;
    c.in.gpr[4] = top;
    c.in.gpr[6] = k.esi;
    c.in.eflags = 0x202;
    c.in.fx[0] = 0x7F, c.in.fx[1] = 0x03;  // FCW
    const uint32_t mxcsr = 0x1F80;
    std::memcpy(c.in.fx + 24, &mxcsr, 4);
    Outcome o = native.run(c);
    expect(k.what, "trap", uint32_t(o.vector), 3);
    expect(k.what, "EIP (offset in the 16-bit segment)", o.eip, uint32_t(c.code.size()));
    expect(k.what, "EAX", o.st.gpr[0], k.out_eax);
    expect(k.what, "EBX", o.st.gpr[3], k.out_ebx);
    expect(k.what, "ESP", o.st.gpr[4], k.out_esp);
    expect(k.what, "flags", o.st.eflags & k.flag_mask, k.flags);
    if (k.low_off >= 0) {
      uint16_t w;
      std::memcpy(&w, o.low + k.low_off, 2);
      expect(k.what, "word in memory", w, k.low_word);
    }
  }
  native.end_batch();
  std::printf("native16: %zu checks, %d failures\n", checks.size(), failures);
  return failures ? 1 : 0;
}

}  // namespace difftest
