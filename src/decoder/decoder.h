// Guest instruction decoding with Zydis. Knows nothing about translation.
#pragma once
#include <Zydis/Zydis.h>

#include <cstdint>
#include <string>

namespace rs {

struct Insn {
  ZydisDecodedInstruction z;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
  uint32_t eip;
  uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH];
  bool code16 = false;  // decoded with 16-bit default sizes (CS.D = 0): IP wraps at 64 KiB

  uint32_t len() const { return z.length; }
  uint32_t next() const { return code16 ? (eip + z.length) & 0xFFFF : eip + z.length; }
  ZydisMnemonic mn() const { return z.mnemonic; }
  bool has(uint64_t attrib) const { return (z.attributes & attrib) != 0; }
  // The explicit memory operand, or nullptr.
  const ZydisDecodedOperand* mem_operand() const;
  // Index (0..7) of the guest GPR of operand i, or -1 when it is not a GPR.
  int gpr(int i) const;
  std::string text() const;
  // Which register file the instruction touches: x87 (incl. FXSAVE/FWAIT), MMX, or
  // XMM/MXCSR. CR0.TS/EM and CR4.OSFXSR make these fault with #NM or #UD.
  enum FpuUse { kNoFpu = 0, kX87 = 1, kMmx = 2, kXmm = 4 };
  FpuUse fpu_use() const;
};

class Decoder {
 public:
  Decoder();
  // Decodes at most `avail` bytes at `p`. code32 selects 32- or 16-bit default sizes.
  bool decode(const uint8_t* p, size_t avail, uint32_t eip, bool code32, Insn& out) const;

 private:
  ZydisDecoder d32_, d16_;
};

// Maps a Zydis 8/16/32-bit GPR to its guest register number (0..7) and width.
int gpr_index(ZydisRegister r);
// Maps a Zydis segment register to its number (ES=0, CS, SS, DS, FS, GS=5), or -1.
int seg_index(ZydisRegister r);

}  // namespace rs
