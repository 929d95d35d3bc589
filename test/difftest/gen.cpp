#include "difftest/gen.h"

#include <asmjit/x86.h>

#include <functional>
#include <random>
#include <stdexcept>
#include <string>

#include "difftest/gen16.h"

namespace difftest {

namespace {

using namespace asmjit;
namespace Inst = x86::Inst;

constexpr uint32_t OF = 1u << 11, SF = 1u << 7, ZF = 1u << 6, AF = 1u << 4, PF = 1u << 2, CF = 1u;
constexpr uint32_t kArith = OF | SF | ZF | AF | PF | CF;

struct Rng {
  std::mt19937_64 g;
  uint64_t u64() { return g(); }
  uint32_t u32() { return uint32_t(g()); }
  uint32_t below(uint32_t n) { return uint32_t(g() % n); }
  bool coin() { return g() & 1; }
};

// Registers the sequence may write: not ESP (the stack) and not EBP (the scratch base).
const int kWritable[6] = {0, 1, 2, 3, 6, 7};

x86::Gp reg(Rng& r, int size) {
  if (size == 1) return r.coin() ? x86::Gp(x86::gpb_lo(r.below(4))) : x86::Gp(x86::gpb_hi(r.below(4)));  // AL..BL, AH..BH
  int id = kWritable[r.below(6)];
  return size == 2 ? x86::Gp(x86::gpw(uint32_t(id))) : x86::Gp(x86::gpd(uint32_t(id)));
}

// A memory operand inside the scratch page: [ebp + disp] or an absolute address,
// sometimes with a DS, ES or SS override (all flat, natively and in the guest).
x86::Mem mem(Rng& r, int size, uint32_t align = 1) {
  uint32_t off = r.below(kScratchBytes - 64) & ~(align - 1);
  x86::Mem m = r.coin() ? x86::ptr(x86::ebp, int32_t(off), uint32_t(size))
                        : x86::ptr(uint64_t(kScratchAddr + off), uint32_t(size));
  switch (r.below(8)) {
    case 0: m.setSegment(x86::es); break;
    case 1: m.setSegment(x86::ss); break;
    case 2: m.setSegment(x86::ds); break;
    default: break;
  }
  return m;
}

Imm imm(Rng& r, int size) {
  switch (r.below(4)) {
    case 0: return Imm(0);
    case 1: return Imm(int32_t(r.below(3)) - 1);
    default: break;
  }
  uint32_t v = r.u32();
  if (size == 1) return Imm(int8_t(v));
  if (size == 2) return Imm(int16_t(v));
  return Imm(int32_t(v));
}

int size_of(Rng& r) {
  static const int s[3] = {1, 2, 4};
  return s[r.below(3)];
}

// What an instruction does to the arithmetic flags: which it writes (defined or not)
// and which of those the SDM leaves undefined.
struct Fx {
  uint32_t writes = 0, undef = 0;
};
constexpr Fx kNoFlags{};
constexpr Fx W(uint32_t undef, uint32_t writes = kArith) { return Fx{writes, undef}; }

// Each form emits one instruction (sometimes with a short setup). Forms that may read
// the arithmetic flags say so: the generator then first makes every flag defined, since
// what an instruction computes from undefined flags is itself undefined.
struct Form {
  std::function<Fx(x86::Assembler&, Rng&)> emit;
  bool reads_flags;
};

Fx alu2(x86::Assembler& a, Rng& r, InstId id, Fx fx) {
  int s = size_of(r);
  switch (r.below(5)) {
    case 0: a.emit(id, reg(r, s), reg(r, s)); break;
    case 1: a.emit(id, reg(r, s), mem(r, s)); break;
    case 2: a.emit(id, mem(r, s), reg(r, s)); break;
    case 3: a.emit(id, reg(r, s), imm(r, s)); break;
    default: a.emit(id, mem(r, s), imm(r, s)); break;
  }
  return fx;
}

// While a 16-bit case is generated (assembled at base 0): the instructions whose
// displacement or far pointer holds a code offset (`lea r32, [label]`, CS-relative reads,
// far jumps and calls), which the conversion (gen16.h) moves with the code, and the
// stretches that run as 32-bit code. ref_base: what the offsets are relative to there.
struct Gen16 {
  Code16Input* in = nullptr;
  uint32_t ref_base = 0;
} g16;
void note_code_ref(x86::Assembler& a) {
  if (g16.in) g16.in->refs.push_back({uint32_t(a.offset()), g16.ref_base});
}

Operand rm(x86::Assembler&, Rng& r, int s) { return r.coin() ? Operand(reg(r, s)) : Operand(mem(r, s)); }

// One string instruction of `s` bytes between src (DS:xSI) and dst (ES:xDI): rep 0 none,
// 1 REP/REPE, 2 REPNE (REP for the ones that do not compare); n is the count in xCX.
Fx string_op(x86::Assembler& a, InstId id, const x86::Mem& src, const x86::Mem& dst, int s, int rep, uint32_t n) {
  const x86::Gp acc = s == 1 ? x86::Gp(x86::al) : s == 2 ? x86::Gp(x86::ax) : x86::Gp(x86::eax);
  const bool compares = id == Inst::kIdCmps || id == Inst::kIdScas;
  if (compares) {
    if (rep == 1) a.repe();
    else if (rep == 2) a.repne();
  } else if (rep) {
    a.rep();
  }
  if (id == Inst::kIdMovs) a.emit(id, dst, src);
  else if (id == Inst::kIdStos) a.emit(id, dst, acc);
  else if (id == Inst::kIdLods) a.emit(id, acc, src);
  else if (id == Inst::kIdCmps) a.emit(id, src, dst);
  else a.emit(id, acc, dst);
  // A REP compare with a count of 0 does nothing, flags included.
  return compares && !(rep && n == 0) ? W(0) : kNoFlags;
}

const std::vector<Form>& forms() {
  static const std::vector<Form> f = {
      {[](x86::Assembler& a, Rng& r) { return alu2(a, r, Inst::kIdAdd, W(0)); }, false},
      {[](x86::Assembler& a, Rng& r) { return alu2(a, r, Inst::kIdOr, W(AF)); }, false},
      {[](x86::Assembler& a, Rng& r) { return alu2(a, r, Inst::kIdAdc, W(0)); }, true},
      {[](x86::Assembler& a, Rng& r) { return alu2(a, r, Inst::kIdSbb, W(0)); }, true},
      {[](x86::Assembler& a, Rng& r) { return alu2(a, r, Inst::kIdAnd, W(AF)); }, false},
      {[](x86::Assembler& a, Rng& r) { return alu2(a, r, Inst::kIdSub, W(0)); }, false},
      {[](x86::Assembler& a, Rng& r) { return alu2(a, r, Inst::kIdXor, W(AF)); }, false},
      {[](x86::Assembler& a, Rng& r) { return alu2(a, r, Inst::kIdCmp, W(0)); }, false},
      {[](x86::Assembler& a, Rng& r) { return alu2(a, r, Inst::kIdMov, kNoFlags); }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {
        int s = size_of(r);
        switch (r.below(3)) {
          case 0: a.test(reg(r, s), reg(r, s)); break;
          case 1: a.test(mem(r, s), reg(r, s)); break;
          default: a.emit(Inst::kIdTest, rm(a, r, s), imm(r, s)); break;
        }
        return W(AF);
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // unary
        static const InstId ids[4] = {Inst::kIdInc, Inst::kIdDec, Inst::kIdNeg, Inst::kIdNot};
        InstId id = ids[r.below(4)];
        a.emit(id, rm(a, r, size_of(r)));
        if (id == Inst::kIdNot) return kNoFlags;
        return id == Inst::kIdNeg ? W(0) : W(0, kArith & ~CF);
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // shifts and rotates by 1, an immediate or CL
        static const InstId ids[7] = {Inst::kIdShl, Inst::kIdShr, Inst::kIdSar, Inst::kIdRol,
                                      Inst::kIdRor, Inst::kIdRcl, Inst::kIdRcr};
        InstId id = ids[r.below(7)];
        int s = size_of(r);
        uint32_t count = r.below(4) == 0 ? 1 : r.below(40);
        Operand dst = rm(a, r, s);
        if (r.coin()) {
          a.mov(x86::cl, Imm(count));
          if (dst.isReg() && dst.as<x86::Gp>().id() == 1) dst = mem(r, s);  // keep CL the count
          a.emit(id, dst, x86::cl);
        } else {
          a.emit(id, dst, Imm(count));
        }
        const uint32_t masked = count & 31;
        if (masked == 0) return kNoFlags;
        const uint32_t of = masked == 1 ? 0 : OF;
        if (id == Inst::kIdShl || id == Inst::kIdShr || id == Inst::kIdSar) {
          // CF is undefined for SHL/SHR by the operand size or more.
          uint32_t cf = (id != Inst::kIdSar && masked >= uint32_t(8 * s)) ? CF : 0;
          return W(AF | of | cf);
        }
        return W(of, CF | OF);  // rotates touch only CF and OF
      }, true},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // one-operand MUL/IMUL, DIV/IDIV (#DE included)
        static const InstId ids[4] = {Inst::kIdMul, Inst::kIdImul, Inst::kIdDiv, Inst::kIdIdiv};
        InstId id = ids[r.below(4)];
        int s = size_of(r);
        Operand src = r.coin() ? Operand(x86::gpd(uint32_t(kWritable[1 + r.below(5)]))) : Operand(mem(r, s));
        if (src.isReg()) src = s == 1 ? Operand(x86::gpb_lo(src.as<x86::Gp>().id() & 3))
                             : s == 2 ? Operand(x86::gpw(src.as<x86::Gp>().id()))
                                      : src;
        if (!src.isReg()) src.as<x86::Mem>().setSize(uint32_t(s));
        if ((id == Inst::kIdDiv || id == Inst::kIdIdiv) && r.below(4) != 0) {
          a.mov(x86::edx, 0);  // mostly no overflow (MOV: the flags stay as they are)
          if (src.isReg() && src.as<x86::Gp>().id() == 2) src = mem(r, s);
        }
        a.emit(id, src);
        return id == Inst::kIdMul || id == Inst::kIdImul ? W(SF | ZF | AF | PF) : W(kArith);
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // IMUL r, r/m [, imm]
        int s = r.coin() ? 2 : 4;
        if (r.coin()) a.emit(Inst::kIdImul, reg(r, s), rm(a, r, s));
        else a.emit(Inst::kIdImul, reg(r, s), rm(a, r, s), imm(r, s));
        return W(SF | ZF | AF | PF);
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // SHLD/SHRD
        int s = r.coin() ? 2 : 4;
        InstId id = r.coin() ? Inst::kIdShld : Inst::kIdShrd;
        uint32_t count = r.below(uint32_t(s * 8));
        a.emit(id, rm(a, r, s), reg(r, s), Imm(count));
        if (count == 0) return kNoFlags;
        return W(AF | (count == 1 ? 0 : OF));
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // BT family: memory only with an immediate bit offset
        static const InstId ids[4] = {Inst::kIdBt, Inst::kIdBts, Inst::kIdBtr, Inst::kIdBtc};
        int s = r.coin() ? 2 : 4;
        if (r.coin()) a.emit(ids[r.below(4)], reg(r, s), reg(r, s));
        else a.emit(ids[r.below(4)], rm(a, r, s), Imm(r.below(64)));
        return W(OF | SF | AF | PF, kArith & ~ZF);  // ZF is not affected
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // BSF/BSR
        int s = r.coin() ? 2 : 4;
        a.emit(r.coin() ? Inst::kIdBsf : Inst::kIdBsr, reg(r, s), rm(a, r, s));
        return W(kArith & ~ZF);
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // SETcc / CMOVcc
        static const InstId setcc[16] = {Inst::kIdSeto, Inst::kIdSetno, Inst::kIdSetb, Inst::kIdSetnb, Inst::kIdSetz,
                                         Inst::kIdSetnz, Inst::kIdSetbe, Inst::kIdSetnbe, Inst::kIdSets, Inst::kIdSetns,
                                         Inst::kIdSetp, Inst::kIdSetnp, Inst::kIdSetl, Inst::kIdSetnl, Inst::kIdSetle,
                                         Inst::kIdSetnle};
        static const InstId cmovcc[16] = {Inst::kIdCmovo, Inst::kIdCmovno, Inst::kIdCmovb, Inst::kIdCmovnb,
                                          Inst::kIdCmovz, Inst::kIdCmovnz, Inst::kIdCmovbe, Inst::kIdCmovnbe,
                                          Inst::kIdCmovs, Inst::kIdCmovns, Inst::kIdCmovp, Inst::kIdCmovnp,
                                          Inst::kIdCmovl, Inst::kIdCmovnl, Inst::kIdCmovle, Inst::kIdCmovnle};
        if (r.coin()) a.emit(setcc[r.below(16)], rm(a, r, 1));
        else {
          int s = r.coin() ? 2 : 4;
          a.emit(cmovcc[r.below(16)], reg(r, s), rm(a, r, s));
        }
        return kNoFlags;
      }, true},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // XCHG, XADD, CMPXCHG, BSWAP, MOVZX/MOVSX
        int s = size_of(r);
        switch (r.below(6)) {
          case 0: a.xchg(reg(r, s), reg(r, s)); return kNoFlags;
          case 1: a.xchg(mem(r, s), reg(r, s)); return kNoFlags;
          case 2: a.emit(Inst::kIdXadd, rm(a, r, s), reg(r, s)); return W(0);
          case 3: a.emit(Inst::kIdCmpxchg, rm(a, r, s), reg(r, s)); return W(0);
          case 4: a.bswap(reg(r, 4)); return kNoFlags;
          default:
            a.emit(r.coin() ? Inst::kIdMovzx : Inst::kIdMovsx, reg(r, 4), rm(a, r, r.coin() ? 1 : 2));
            return kNoFlags;
        }
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // CMPXCHG8B
        a.cmpxchg8b(mem(r, 8));
        return W(0, ZF);
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // LEA with base, index and scale
        a.lea(reg(r, 4), x86::ptr(reg(r, 4), reg(r, 4), r.below(4), int32_t(r.u32())));
        return kNoFlags;
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // flag and accumulator one-byters
        static const InstId ids[10] = {Inst::kIdCbw, Inst::kIdCwde, Inst::kIdCwd, Inst::kIdCdq, Inst::kIdLahf,
                                       Inst::kIdSahf, Inst::kIdClc, Inst::kIdStc, Inst::kIdCmc, Inst::kIdCld};
        InstId id = ids[r.below(10)];
        if (id == Inst::kIdCbw) a.cbw();
        else if (id == Inst::kIdCwde) a.cwde();
        else if (id == Inst::kIdCwd) a.cwd();
        else if (id == Inst::kIdCdq) a.cdq();
        else a.emit(id);
        if (id == Inst::kIdSahf) return W(0, SF | ZF | AF | PF | CF);
        if (id == Inst::kIdClc || id == Inst::kIdStc || id == Inst::kIdCmc) return W(0, CF);
        return kNoFlags;
      }, true},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // stack
        switch (r.below(5)) {
          case 0: a.push(r.coin() ? reg(r, 4) : reg(r, 2)); a.pop(reg(r, 4)); break;
          case 1: a.push(imm(r, 4)); a.pop(mem(r, 4)); break;
          case 2: a.push(mem(r, r.coin() ? 2 : 4)); break;
          case 3: a.pushfd(); a.pop(reg(r, 4)); break;
          default: a.pushad(); a.popad(); break;
        }
        return kNoFlags;
      }, true},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // string ops, REP forms, both directions
        static const InstId ids[5] = {Inst::kIdMovs, Inst::kIdStos, Inst::kIdLods, Inst::kIdCmps, Inst::kIdScas};
        int s = size_of(r);
        bool down = r.coin();
        uint32_t n = r.below(24);
        uint32_t lo = 0x100, hi = kScratchBytes - 0x100;
        a.mov(x86::esi, Imm(kScratchAddr + lo + r.below(hi - lo)));
        a.mov(x86::edi, Imm(kScratchAddr + lo + r.below(hi - lo)));
        a.mov(x86::ecx, Imm(n));
        if (down) a.std();
        else a.cld();
        InstId id = ids[r.below(5)];
        x86::Mem src = x86::ptr(x86::esi, 0, uint32_t(s)), dst = x86::ptr(x86::edi, 0, uint32_t(s));
        dst.setSegment(x86::es);
        return string_op(a, id, src, dst, s, int(r.below(3)), n);
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // BCD (AAM 0 raises #DE)
        switch (r.below(6)) {
          case 0: a.daa(); return W(OF);
          case 1: a.das(); return W(OF);
          case 2: a.aaa(); return W(OF | SF | ZF | PF);
          case 3: a.aas(); return W(OF | SF | ZF | PF);
          case 4: a.aam(Imm(r.below(4) == 0 ? 0 : 1 + r.below(255))); return W(OF | AF | CF);
          default: a.aad(Imm(r.below(256))); return W(OF | AF | CF);
        }
      }, true},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // x87
        switch (r.below(16)) {
          case 0: a.fld1(); break;
          case 1: a.fldpi(); break;
          case 2: a.fld(mem(r, r.coin() ? 4 : r.coin() ? 8 : 10)); break;
          case 3: a.fadd(x86::st0, x86::st(r.below(8))); break;
          case 4: a.fmul(x86::st(r.below(8)), x86::st0); break;
          case 5: a.fdiv(x86::st0, x86::st(r.below(8))); break;
          case 6: a.fstp(mem(r, r.coin() ? 4 : r.coin() ? 8 : 10)); break;
          case 7: a.fsqrt(); break;
          case 8: a.fild(mem(r, r.coin() ? 2 : 4)); break;
          case 9: a.fistp(mem(r, r.coin() ? 4 : 8)); break;
          case 10: a.fxch(x86::st(r.below(8))); break;
          case 11: a.emit(r.coin() ? Inst::kIdFchs : Inst::kIdFrndint); break;
          case 12: a.fcomi(x86::st(r.below(8))); return W(0);
          case 13: a.fnstsw(x86::ax); break;
          case 14: a.fnstcw(mem(r, 2)); break;
          default: a.fwait(); break;  // reports a pending unmasked exception (#MF)
        }
        return kNoFlags;
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // SSE / SSE2 arithmetic, logic, shuffles, conversions
        static const InstId ps[] = {Inst::kIdAddps, Inst::kIdSubps, Inst::kIdMulps, Inst::kIdDivps, Inst::kIdMinps,
                                    Inst::kIdMaxps, Inst::kIdSqrtps, Inst::kIdAndps, Inst::kIdXorps, Inst::kIdAddsd,
                                    Inst::kIdMulsd, Inst::kIdDivsd, Inst::kIdPaddb, Inst::kIdPaddw, Inst::kIdPaddd,
                                    Inst::kIdPaddq, Inst::kIdPsubusb, Inst::kIdPmullw, Inst::kIdPmuludq, Inst::kIdPand,
                                    Inst::kIdPxor, Inst::kIdPunpcklbw, Inst::kIdPunpckhdq, Inst::kIdPacksswb,
                                    Inst::kIdPcmpeqb, Inst::kIdPcmpgtd, Inst::kIdCvtdq2ps, Inst::kIdCvttps2dq,
                                    Inst::kIdMovaps, Inst::kIdUnpcklps};
        x86::Xmm d = x86::xmm(r.below(8));
        switch (r.below(6)) {
          case 0: case 1: case 2: {
            InstId id = ps[r.below(sizeof ps / sizeof ps[0])];
            if (r.coin()) a.emit(id, d, x86::xmm(r.below(8)));
            else a.emit(id, d, mem(r, 16, 16));
            return kNoFlags;
          }
          case 3: a.emit(r.coin() ? Inst::kIdShufps : Inst::kIdPshufd, d, x86::xmm(r.below(8)), Imm(r.below(256))); return kNoFlags;
          case 4: a.emit(r.coin() ? Inst::kIdComiss : Inst::kIdUcomisd, d, x86::xmm(r.below(8))); return W(0);
          default:
            if (r.coin()) a.cvtsi2ss(d, reg(r, 4));
            else a.cvttss2si(reg(r, 4), d);
            return kNoFlags;
        }
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // MMX
        static const InstId ids[] = {Inst::kIdPaddb, Inst::kIdPsubw, Inst::kIdPmullw, Inst::kIdPxor, Inst::kIdPunpcklwd,
                                     Inst::kIdPsllq, Inst::kIdPcmpeqw};
        InstId id = ids[r.below(sizeof ids / sizeof ids[0])];
        if (id == Inst::kIdPsllq && r.coin()) a.emit(id, x86::mm(r.below(8)), Imm(r.below(70)));
        else if (r.coin()) a.emit(id, x86::mm(r.below(8)), x86::mm(r.below(8)));
        else a.emit(id, x86::mm(r.below(8)), mem(r, 8));
        return kNoFlags;
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // 16-bit addressing (0x67): [bx+si+disp] etc. in the low page
        // Only the low 16 bits of the registers count: set those, keep random upper halves.
        static const x86::Gp bases[2] = {x86::bx, x86::bp}, indexes[2] = {x86::si, x86::di};
        int kind = int(r.below(4));  // 0 [base+index+disp], 1 [base+disp], 2 [index+disp], 3 [disp16]
        x86::Gp base = bases[r.below(2)], index = indexes[r.below(2)];
        uint32_t target = kLowAddr + r.below(kLowBytes - 16);
        uint32_t b = kind <= 1 ? r.below(0x100) : 0, i = kind == 0 || kind == 2 ? r.below(0x100) : 0;
        int32_t disp = int32_t(target - b - i);
        if (kind <= 1) a.mov(base, Imm(b));
        if (kind == 0 || kind == 2) a.mov(index, Imm(i));
        x86::Mem m = kind == 0   ? x86::ptr(base, index, 0, disp)
                     : kind == 1 ? x86::ptr(base, disp)
                     : kind == 2 ? x86::ptr(index, disp)
                                 : x86::ptr(uint64_t(target));
        if (kind == 3) m.setSize(0);
        int s = size_of(r);
        m.setSize(uint32_t(s));
        if (kind == 3) {
          // asmjit has no 16-bit absolute form: [disp16] via [si+0] with SI = target.
          a.mov(x86::si, Imm(target));
          m = x86::ptr(x86::si, 0, uint32_t(s));
        }
        Fx fx = kNoFlags;
        switch (r.below(4)) {
          case 0: a.emit(Inst::kIdAdd, m, reg(r, s)); fx = W(0); break;
          case 1: a.emit(Inst::kIdMov, reg(r, s), m); break;
          case 2: a.emit(Inst::kIdXor, m, imm(r, s)); fx = W(AF); break;
          default: a.lea(reg(r, 4), m); break;
        }
        if (base == x86::bp && kind <= 1) a.mov(x86::bp, Imm(0));  // EBP is the scratch base again
        return fx;
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // segment registers: reads, pushes, valid reloads
        static const x86::SReg sregs[6] = {x86::es, x86::cs, x86::ss, x86::ds, x86::fs, x86::gs};
        switch (r.below(4)) {
          case 0: a.mov(reg(r, r.coin() ? 2 : 4), sregs[r.below(6)]); break;
          case 1: a.push(sregs[r.below(6)]); a.pop(reg(r, 4)); break;
          case 2: {  // reload DS/ES/SS with the selector one of them holds; FS/GS with null
            static const x86::SReg data[3] = {x86::es, x86::ss, x86::ds};
            a.push(data[r.below(3)]);
            a.pop(data[r.below(3)]);
            break;
          }
          default: a.push(0); a.pop(r.coin() ? x86::fs : x86::gs); break;
        }
        return kNoFlags;
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // CALL/RET (direct, through a register, through memory), JMP
        Label sub = a.newLabel(), after = a.newLabel();
        switch (r.below(3)) {
          case 0: a.call(sub); break;
          case 1: note_code_ref(a); a.lea(x86::esi, x86::ptr(sub)); a.call(x86::esi); break;
          default: {
            x86::Mem slot = mem(r, 4, 4);
            note_code_ref(a);
            a.lea(x86::edi, x86::ptr(sub));
            a.mov(slot, x86::edi);
            a.call(slot);
            break;
          }
        }
        a.jmp(after);
        a.bind(sub);
        a.add(reg(r, 4), imm(r, 4));
        if (r.coin()) {
          a.ret();
        } else {  // RET imm16 drops a pushed argument
          a.pop(x86::edi);
          a.push(r.u32() & 0xFFFF);
          a.push(x86::edi);
          a.ret(4);
        }
        a.bind(after);
        return W(0);
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // Jcc over an instruction
        static const InstId jcc[16] = {Inst::kIdJo, Inst::kIdJno, Inst::kIdJb, Inst::kIdJnb, Inst::kIdJz, Inst::kIdJnz,
                                       Inst::kIdJbe, Inst::kIdJnbe, Inst::kIdJs, Inst::kIdJns, Inst::kIdJp, Inst::kIdJnp,
                                       Inst::kIdJl, Inst::kIdJnl, Inst::kIdJle, Inst::kIdJnle};
        Label skip = a.newLabel();
        a.emit(jcc[r.below(16)], skip);
        a.not_(reg(r, 4));
        a.bind(skip);
        return kNoFlags;
      }, true},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // JECXZ/JCXZ and LOOP with ECX or (0x67) CX
        Label l = a.newLabel();
        bool cx = r.coin();
        // With CX counting, the upper half of ECX must not matter: make it random.
        uint32_t n = r.below(4) | (cx && r.coin() ? r.u32() & 0xFFFF0000u : 0);
        a.mov(x86::ecx, Imm(n));
        if (r.coin()) {
          a.jecxz(cx ? x86::Gp(x86::cx) : x86::Gp(x86::ecx), l);
          a.not_(x86::eax);
          a.bind(l);
        } else {
          Label top = a.newLabel();
          a.bind(top);
          a.add(x86::eax, imm(r, 4));
          if ((n & (cx ? 0xFFFFu : ~0u)) == 0) a.jmp(l);  // a zero count would loop 2^16 or 2^32 times
          a.loop(cx ? x86::Gp(x86::cx) : x86::Gp(x86::ecx), top);
          a.bind(l);
          return W(0);
        }
        return kNoFlags;
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // ENTER (levels 0 and 1) / LEAVE around a register op
        a.enter(Imm(r.below(64) * 4), Imm(r.below(2)));
        a.xor_(reg(r, 4), reg(r, 4));
        a.leave();
        return W(AF);
      }, false},
      {[](x86::Assembler& a, Rng& r) -> Fx {  // 16-bit stack ops, POPF with random flags (TF rarely)
        switch (r.below(4)) {
          case 0: a.push(reg(r, 2)); a.pop(reg(r, 2)); return kNoFlags;
          case 1: a.emit(Inst::kIdPush, Imm(int16_t(r.u32())).as<Imm>()); a.pop(mem(r, 4)); return kNoFlags;
          case 2: a.pushf(); a.pop(reg(r, 2)); return kNoFlags;
          default: {
            uint32_t v = r.u32() & ~(1u << 18);  // AC would raise #AC natively (CR0.AM is set)
            if (r.below(8)) v &= ~(1u << 8);     // TF: a single-step trap after the next instruction
            a.push(Imm(int32_t(v)));
            if (r.coin()) a.popfd();
            else { a.popf(); a.pop(x86::di); }
            a.add(reg(r, 4), imm(r, 4));
            return W(0);
          }
        }
      }, true},
  };
  return f;
}

void raw(x86::Assembler& a, std::initializer_list<uint8_t> bytes) {
  for (uint8_t b : bytes) a.db(b);
}

// A CS-relative read of the case's own code: the offset of the instruction about to be
// emitted, or 0, noted as a code reference so that the conversion moves it too.
uint32_t code_ref_to_self(x86::Assembler& a, Rng& r) {
  note_code_ref(a);
  return r.coin() ? 0 : uint32_t(a.offset());
}

// A segment-override prefix for DS, ES or SS (all flat), or none.
void data_seg_prefix(x86::Assembler& a, Rng& r) {
  static const uint8_t seg[3] = {0x26, 0x36, 0x3E};
  if (r.below(4) == 0) a.db(seg[r.below(3)]);
}

// Forms only 16-bit cases have. They are written as 32-bit code with the prefixes a
// 16-bit form needs there (67 for 16-bit addresses, 66 for 16-bit operands), so that
// the conversion (gen16.h) turns them into plain 16-bit encodings.
const std::vector<Form>& forms16() {
  static const std::vector<Form> f = [] {
    std::vector<Form> v = forms();
    v.push_back({[](x86::Assembler& a, Rng& r) -> Fx {  // every 16-bit ModRM base and [disp16], sums wrapping at 64 KiB
      static const x86::Gp kBase[8] = {x86::bx, x86::bx, x86::bp, x86::bp, x86::si, x86::di, x86::bp, x86::bx};
      static const x86::Gp kIndex[4] = {x86::si, x86::di, x86::si, x86::di};
      const uint32_t target = kLowAddr + r.below(kLowBytes - 16);
      const int kind = int(r.below(9));  // [bx+si] [bx+di] [bp+si] [bp+di] [si] [di] [bp] [bx], 8: [disp16]
      const int s = size_of(r);
      if (kind == 8) {
        // asmjit has no [disp16]: the bytes. A CS override reads this case's own code.
        struct Op { uint8_t opcode; bool byte_form, reads; Fx fx; };
        static const Op ops[] = {{0x8B, true, true, kNoFlags}, {0x89, true, false, kNoFlags},
                                 {0x03, true, true, W(0)},     {0x01, true, false, W(0)},
                                 {0x33, true, true, W(AF)},    {0x3B, true, true, W(0)},
                                 {0x85, true, true, W(AF)},    {0x8D, false, true, kNoFlags}};
        const Op& op = ops[r.below(sizeof ops / sizeof ops[0])];
        const int size = op.byte_form ? s : (r.coin() ? 2 : 4);
        uint32_t at = target;
        const bool cs = op.reads && r.below(8) == 0;
        // CS reads also as [disp32] (67 in 16-bit code: the rebased 32-bit-address path).
        const bool addr32 = cs && r.coin();
        if (cs) at = code_ref_to_self(a, r);
        if (size == 2) a.db(0x66);
        if (!addr32) a.db(0x67);
        if (cs) {
          a.db(0x2E);
        } else {
          data_seg_prefix(a, r);
        }
        const uint32_t regno = size == 1 ? r.below(8) : uint32_t(kWritable[r.below(6)]);
        raw(a, {uint8_t(size == 1 ? op.opcode - 1 : op.opcode), uint8_t((addr32 ? 0x05 : 0x06) | regno << 3),
                uint8_t(at), uint8_t(at >> 8)});
        if (addr32) raw(a, {0, 0});
        return op.fx;
      }
      int32_t disp = 0;
      switch (r.below(3)) {
        case 0: break;
        case 1: disp = int8_t(r.u32()); break;
        default: disp = int16_t(r.u32()); break;
      }
      // asmjit encodes [bp+0] as mod 00 rm 110, which is [disp16]: keep [bp] a disp8 form.
      if (kind == 6 && disp == 0) disp = 1;
      const x86::Gp base = kBase[kind];
      const uint32_t rest = (target - uint32_t(disp)) & 0xFFFF;
      x86::Mem m;
      if (kind < 4) {
        const x86::Gp index = kIndex[kind];
        const uint32_t i = r.coin() ? r.u32() & 0xFFFF : r.below(0x100);  // random: the sum wraps
        a.mov(index, Imm(i));
        a.mov(base, Imm((rest - i) & 0xFFFF));
        m = x86::ptr(base, index, 0, disp, uint32_t(s));
      } else {
        a.mov(base, Imm(rest));
        m = x86::ptr(base, disp, uint32_t(s));
      }
      static const x86::SReg segs[3] = {x86::es, x86::ss, x86::ds};
      if (r.below(4) == 0) m.setSegment(segs[r.below(3)]);
      Fx fx = kNoFlags;
      switch (r.below(8)) {
        case 0: a.emit(Inst::kIdAdd, m, reg(r, s)); fx = W(0); break;
        case 1: a.emit(Inst::kIdMov, reg(r, s), m); break;
        case 2: a.emit(Inst::kIdXor, m, imm(r, s)); fx = W(AF); break;
        case 3: a.emit(Inst::kIdCmp, reg(r, s), m); fx = W(0); break;
        case 4: a.emit(r.coin() ? Inst::kIdInc : Inst::kIdDec, m); fx = W(0, kArith & ~CF); break;
        case 5: m.setSize(0); a.lea(reg(r, r.coin() ? 2 : 4), m); break;
        case 6: {
          const int ds = r.coin() ? 2 : 4;
          m.setSize(ds == 2 ? 1 : uint32_t(1 + r.below(2)));
          a.emit(r.coin() ? Inst::kIdMovzx : Inst::kIdMovsx, reg(r, ds), m);
          break;
        }
        default: a.emit(Inst::kIdMov, m, reg(r, s)); break;
      }
      if (base == x86::bp) a.mov(x86::bp, Imm(0));  // EBP is the scratch base again
      return fx;
    }, false});
    v.push_back({[](x86::Assembler& a, Rng& r) -> Fx {  // string ops with 16-bit addresses: SI, DI, CX
      static const InstId ids[5] = {Inst::kIdMovs, Inst::kIdStos, Inst::kIdLods, Inst::kIdCmps, Inst::kIdScas};
      const int s = size_of(r);
      const uint32_t n = r.below(24);
      const uint32_t lo = 0x100, hi = kLowBytes - 0x100;
      // 16-bit moves: the upper halves of ESI, EDI and ECX stay random and must not count.
      a.mov(x86::si, Imm(kLowAddr + lo + r.below(hi - lo)));
      a.mov(x86::di, Imm(kLowAddr + lo + r.below(hi - lo)));
      a.mov(x86::cx, Imm(n));
      if (r.coin()) a.std();
      else a.cld();
      const InstId id = ids[r.below(5)];
      x86::Mem src = x86::ptr(x86::si, 0, uint32_t(s)), dst = x86::ptr(x86::di, 0, uint32_t(s));
      dst.setSegment(x86::es);
      static const x86::SReg segs[3] = {x86::es, x86::ss, x86::ds};
      if (r.below(4) == 0) src.setSegment(segs[r.below(3)]);
      return string_op(a, id, src, dst, s, int(r.below(3)), n);
    }, false});
    v.push_back({[](x86::Assembler& a, Rng& r) -> Fx {  // 16-bit ENTER/LEAVE (BP, 2-byte slots; ESP: SS.B = 1)
      // EBP's upper half is the stack's for the frame, and the scratch base again after.
      a.push(x86::ebp);
      a.mov(x86::ebp, x86::esp);
      a.db(0x66);
      a.enter(Imm(r.below(64) * 2), Imm(r.below(3)));
      a.xor_(reg(r, 2), reg(r, 2));
      a.db(0x66);
      a.leave();
      a.pop(x86::ebp);
      return W(AF);
    }, false});
    v.push_back({[](x86::Assembler& a, Rng& r) -> Fx {  // XLAT and MOV AL/AX/EAX <-> [moffs16]
      if (r.coin()) {
        a.mov(x86::bx, Imm(kLowAddr + r.below(kLowBytes - 0x100)));  // + AL stays in the low page
        if (r.coin()) a.mov(x86::al, Imm(r.below(256)));
        data_seg_prefix(a, r);
        raw(a, {0x67, 0xD7});
        return kNoFlags;
      }
      const int s = size_of(r);
      const bool store = r.coin();
      uint32_t at = kLowAddr + r.below(kLowBytes - 16);
      const bool cs = !store && r.below(8) == 0;
      if (cs) at = code_ref_to_self(a, r);
      if (s == 2) a.db(0x66);
      a.db(0x67);
      if (cs) {
        a.db(0x2E);
      } else {
        data_seg_prefix(a, r);
      }
      raw(a, {uint8_t(0xA0 + (store ? 2 : 0) + (s == 1 ? 0 : 1)), uint8_t(at), uint8_t(at >> 8)});
      return kNoFlags;
    }, false});
    v.push_back({[](x86::Assembler& a, Rng& r) -> Fx {  // 16-bit stack: PUSHA/POPA, PUSH/POP m16, PUSH sreg, PUSH SP
      switch (r.below(5)) {
        case 0: a.pusha(); a.popa(); break;
        case 1: a.pusha(); a.pop(reg(r, 2)); a.pop(reg(r, 4)); break;
        case 2: a.push(mem(r, 2)); a.pop(mem(r, 2)); break;
        case 3:  // PUSH SP/ESP pushes the value before the push
          a.push(r.coin() ? x86::Gp(x86::sp) : x86::Gp(x86::esp));
          a.pop(reg(r, r.coin() ? 2 : 4));
          break;
        default: {
          static const x86::SReg sregs[6] = {x86::es, x86::cs, x86::ss, x86::ds, x86::fs, x86::gs};
          a.db(0x66);
          a.push(sregs[r.below(6)]);
          a.pop(reg(r, 2));
          break;
        }
      }
      return kNoFlags;
    }, false});
    v.push_back({[](x86::Assembler& a, Rng& r) -> Fx {  // LOOPE/LOOPNE with CX or (67) ECX
      Label top = a.newLabel(), out = a.newLabel();
      const bool cx = r.coin();
      const uint32_t n = r.below(4) | (cx && r.coin() ? r.u32() & 0xFFFF0000u : 0);
      a.mov(x86::ecx, Imm(n));
      a.bind(top);
      a.add(x86::eax, imm(r, 4));
      if ((n & (cx ? 0xFFFFu : ~0u)) == 0) a.jmp(out);
      const x86::Gp counter = cx ? x86::Gp(x86::cx) : x86::Gp(x86::ecx);
      if (r.coin()) a.loope(counter, top);
      else a.loopne(counter, top);
      a.bind(out);
      return W(0);
    }, false});
    v.push_back({[](x86::Assembler& a, Rng& r) -> Fx {  // LAR/LSL/VERR/VERW: CS (the LDT's 16-bit segment), DS, none
      static const x86::SReg sregs[3] = {x86::cs, x86::ds, x86::ss};
      const x86::Gp sel = reg(r, 2);
      if (r.below(4)) a.mov(sel, sregs[r.below(3)]);
      else a.mov(sel, Imm(r.coin() ? 0x0F : 0));  // past the LDT's limit, null
      switch (r.below(4)) {
        case 0: {
          if (r.coin()) {
            a.lar(reg(r, 2), sel);
            break;
          }
          // Bits 19:16 of a 32-bit LAR are undefined (the host returns the limit's, ringshift 0).
          const x86::Gp dst = reg(r, 4);
          a.lar(dst, sel);
          a.and_(dst, 0xFFF0FFFF);
          return W(AF);
        }
        case 1: a.lsl(reg(r, r.coin() ? 2 : 4), sel); break;
        case 2: a.verr(sel); break;
        default: a.verw(sel); break;
      }
      return W(0, ZF);
    }, false});
    v.push_back({[](x86::Assembler& a, Rng& r) -> Fx {  // far JMP/CALL/RET and IRET within CS 7
      // Written as 32-bit code with 66, so that the case has the 16-bit forms (ptr16:16,
      // m16:16, 2-byte stack slots); label offsets in them are code references.
      Label sub = a.newLabel(), after = a.newLabel();
      // A far pointer to a label placed later: the bytes now, the offset once it is known.
      auto far_ptr = [&](uint8_t opcode) {
        const size_t at = a.offset();
        note_code_ref(a);
        raw(a, {0x66, opcode, 0, 0, uint8_t(kCode16Sel), 0});
        return at;
      };
      auto patch = [&](size_t at, uint8_t opcode, size_t target) {
        const size_t end = a.offset();
        a.setOffset(at);
        raw(a, {0x66, opcode, uint8_t(target), uint8_t(target >> 8), uint8_t(kCode16Sel), 0});
        a.setOffset(end);
      };
      auto push_cs_ip = [&](Label l) {  // CS, then IP = the label's offset (lea si, [label])
        a.db(0x66);
        a.push(x86::cs);
        note_code_ref(a);
        a.lea(x86::si, x86::ptr(l));
        a.push(x86::si);
      };
      const uint32_t kind = r.below(5);
      if (kind == 0) {  // JMP ptr16:16 over an instruction
        const size_t at = far_ptr(0xEA);
        a.not_(reg(r, 4));
        patch(at, 0xEA, a.offset());
        return kNoFlags;
      }
      if (kind == 1) {  // RETF to a pushed CS:IP
        push_cs_ip(after);
        raw(a, {0x66, 0xCB});
        a.bind(after);
        return kNoFlags;
      }
      if (kind == 2) {  // IRET with a 16-bit frame: FLAGS (not TF, NT), CS, IP
        // NT (a POPF may have set it) would make IRET a task return, which IA-32e mode refuses.
        a.pushf();
        a.and_(x86::word_ptr(x86::esp), Imm(0xBFFF));
        a.popf();
        const uint32_t flags = 2 | (r.u32() & (kArith | 0x400));
        raw(a, {0x66, 0x68, uint8_t(flags), uint8_t(flags >> 8)});  // a 2-byte push in the case
        push_cs_ip(after);
        raw(a, {0x66, 0xCF});
        a.bind(after);
        return W(0);
      }
      // CALL ptr16:16 or CALL m16:16 (from the scratch page); RETF, or RETF 2 dropping an argument.
      const bool arg = r.coin();
      if (arg) raw(a, {0x66, 0x68, uint8_t(r.u32()), uint8_t(r.u32())});  // the argument RETF 2 drops
      size_t at = 0;
      if (kind == 3) {
        at = far_ptr(0x9A);
      } else {
        const uint32_t slot = kScratchAddr + (r.below(kScratchBytes - 64) & ~3u);
        note_code_ref(a);
        a.lea(x86::si, x86::ptr(sub));
        a.mov(x86::word_ptr(uint64_t(slot)), x86::si);
        a.mov(x86::word_ptr(uint64_t(slot + 2)), x86::cs);
        raw(a, {0x66, 0xFF, 0x1D, uint8_t(slot), uint8_t(slot >> 8), uint8_t(slot >> 16), uint8_t(slot >> 24)});
      }
      a.jmp(after);
      a.bind(sub);
      if (kind == 3) patch(at, 0x9A, a.offset());
      a.add(reg(r, 4), imm(r, 4));
      if (arg) raw(a, {0x66, 0xCA, 2, 0});
      else raw(a, {0x66, 0xCB});
      a.bind(after);
      return W(0);
    }, true});  // reads the flags: the IRET form pushes them
    v.push_back({[](x86::Assembler& a, Rng& r) -> Fx {  // LES/LDS/LFS/LGS from m16:16 or (66) m16:32
      // Selectors: DS's (flat) for ES/DS, null for FS/GS (natively they keep a 64-bit base).
      static const InstId ids[4] = {Inst::kIdLes, Inst::kIdLds, Inst::kIdLfs, Inst::kIdLgs};
      const uint32_t which = r.below(4);
      const int s = r.coin() ? 2 : 4;
      x86::Mem slot = mem(r, s, 2);
      a.mov(slot.cloneAdjusted(0), imm(r, s));
      x86::Mem sel = slot.cloneAdjusted(s);
      sel.setSize(2);
      if (which < 2) a.mov(sel, x86::ds);
      else a.mov(sel, Imm(0));
      slot.setSize(uint32_t(s + 2));
      a.emit(ids[which], reg(r, s), slot);
      return kNoFlags;
    }, false});
    v.push_back({[](x86::Assembler& a, Rng& r) -> Fx {  // BOUND (#BR), ARPL, INTO (#OF)
      switch (r.below(3)) {
        case 0: {  // random bounds, or (mostly passing) bounds around a small index
          const int s = r.coin() ? 2 : 4;
          const x86::Gp index = reg(r, s);
          x86::Mem m = mem(r, s, 2);
          if (r.coin()) {
            a.mov(index, Imm(r.below(8)));
            a.mov(m, Imm(int32_t(r.below(4)) - 2));
            a.mov(m.cloneAdjusted(s), Imm(r.below(8) + 1));
          }
          m.setSize(uint32_t(2 * s));
          a.emit(Inst::kIdBound, index, m);
          return kNoFlags;
        }
        case 1: {
          const x86::Gp src = reg(r, 2);
          if (r.coin()) a.mov(src, Imm(r.below(0x10000)));
          a.emit(Inst::kIdArpl, rm(a, r, 2), src);
          return W(0, ZF);
        }
        default: a.into(); return kNoFlags;
      }
    }, true});
    v.push_back({[](x86::Assembler& a, Rng& r) -> Fx {  // MOVZX/MOVSX to a 16-bit register
      a.emit(r.coin() ? Inst::kIdMovzx : Inst::kIdMovsx, reg(r, 2), rm(a, r, 1));
      return kNoFlags;
    }, false});
    return v;
  }();
  return f;
}

void random_state(Rng& r, Case& c) {
  for (int i = 0; i < 8; ++i) c.in.gpr[i] = r.below(4) == 0 ? r.below(16) : r.u32();
  c.in.gpr[4] = kStackTop;
  c.in.gpr[5] = kScratchAddr;
  c.in.eflags = 2 | (r.u32() & (kArith | (1u << 10)));
  fill_state(c, r.u64());
}

}  // namespace

void fill_state(Case& c, uint64_t fill_seed) {
  c.fill_seed = fill_seed;
  Rng r{std::mt19937_64(fill_seed)};
  std::memset(c.in.fx, 0, sizeof c.in.fx);
  // Mostly the reset control words; sometimes other rounding/precision modes, FTZ/DAZ,
  // and unmasked exceptions (which end the sequence with #MF or #XM).
  uint16_t fcw = 0x037F;
  uint32_t mxcsr = 0x1F80;
  if (r.below(4) == 0) fcw = uint16_t(0x0040 | (r.u32() & 0x0F3F) | (r.below(4) ? 0x3F : 0));
  if (r.below(4) == 0) mxcsr = (r.u32() & 0xFFC0) | (r.below(4) ? 0x1F80 : 0);
  std::memcpy(c.in.fx + 0, &fcw, 2);
  std::memcpy(c.in.fx + 24, &mxcsr, 4);
  for (int i = 0; i < 8 * 16; i += 4) {  // XMM0-7: random bits, often small integers or floats
    uint32_t v = r.below(3) == 0 ? r.below(100) : r.u32();
    std::memcpy(c.in.fx + 160 + i, &v, 4);
  }
  for (uint32_t i = 0; i < kScratchBytes; i += 4) {
    uint32_t v = r.below(4) == 0 ? r.below(256) : r.u32();
    std::memcpy(c.scratch + i, &v, 4);
  }
  for (uint32_t i = 0; i < kStackBytes; ++i) c.stack[i] = uint8_t(i * 7);
  for (uint32_t i = 0; i < kLowBytes; ++i) c.low[i] = uint8_t(r.u32());
  // The entry trampoline loads EFLAGS with POPFD from just below ESP (the guest side writes
  // the same value there), so the stack images start out equal.
  std::memcpy(c.stack + (kStackTop - 4 - kStackAddr), &c.in.eflags, 4);
}

namespace {

// Assembles 1-6 random forms at `base`. A 16-bit case (g16.in set) sometimes runs a
// stretch of 32-bit forms in CS 0x23 in the middle: a far jump there and one back.
void assemble(Rng& r, Case& c, const std::vector<Form>& f, uint64_t base) {
  CodeHolder code;
  code.init(Environment(Arch::kX86), base);
  x86::Assembler a(&code);
  int n = 1 + int(r.below(6));
  uint32_t undef = 0;  // flags undefined now
  const bool code16 = g16.in != nullptr;
  const int stretch_at = code16 && r.below(6) == 0 ? int(r.below(uint32_t(n))) : -1;
  auto one_form = [&](const Form& form, uint32_t eip_base) {
    if (form.reads_flags && undef) {
      a.cmp(reg(r, 4), reg(r, 4));  // defines all six
      undef = 0;
    }
    // A fault inside the form leaves the flags as they were before it.
    c.undef_before.push_back({uint32_t(eip_base + a.offset()), undef});
    Fx fx = form.emit(a, r);
    undef = (undef & ~fx.writes) | fx.undef;
  };
  for (int i = 0; i < n; ++i) {
    if (i == stretch_at) {
      const uint32_t from = uint32_t(a.offset()) + 7, m = 1 + r.below(3);
      g16.ref_base = kCodeAddr;
      note_code_ref(a);
      raw(a, {0xEA, uint8_t(from), uint8_t(from >> 8), 0, 0, uint8_t(kCs32), 0});  // jmp 0x23:kCodeAddr + from
      for (uint32_t k = 0; k < m; ++k) one_form(forms()[r.below(uint32_t(forms().size()))], kCodeAddr);
      g16.ref_base = 0;
      const uint32_t back = uint32_t(a.offset()), to = back + (r.coin() ? 6 : 7);
      note_code_ref(a);
      if (to == back + 6) raw(a, {0x66, 0xEA, uint8_t(to), uint8_t(to >> 8), uint8_t(kCode16Sel), 0});
      else raw(a, {0xEA, uint8_t(to), uint8_t(to >> 8), 0, 0, uint8_t(kCode16Sel), 0});
      g16.in->verbatim.push_back({from, to});
    }
    one_form(f[r.below(uint32_t(f.size()))], uint32_t(base));
  }
  a.int3();
  code.flatten();
  code.resolveUnresolvedLinks();
  code.relocateToBase(base);
  c.code.resize(code.codeSize());
  code.copyFlattenedData(c.code.data(), c.code.size());
  c.flags_undefined = undef;
}

}  // namespace

Case generate(uint64_t seed, uint64_t index, bool code16) {
  const uint64_t mix = seed * 0x9E3779B97F4A7C15ull ^ (index + 1) * 0xD1B54A32D192ED03ull;
  if (!code16) {
    Rng r{std::mt19937_64(mix)};
    Case c;
    random_state(r, c);
    assemble(r, c, forms(), kCodeAddr);
    return c;
  }
  // 16-bit: the forms assembled at base 0, then converted (gen16.h); a case the
  // conversion refuses (a rel8 out of reach) is drawn again.
  for (uint64_t attempt = 0;; ++attempt) {
    Rng r{std::mt19937_64(mix ^ (0x16 + attempt) * 0x94D049BB133111EBull)};
    Case c;
    random_state(r, c);
    Code16Input in;
    g16 = Gen16{&in, 0};
    assemble(r, c, forms16(), 0);
    g16 = Gen16{};
    in.code = c.code;
    // A quarter of the cases use 32-bit near branches (66 CALL/RET/Jcc): 4-byte return addresses.
    const bool o32 = r.below(4) == 0;
    Code16 conv;
    std::string why;
    if (!to_code16(in, o32, conv, why)) {
      if (attempt < 100) continue;
      throw std::runtime_error("difftest: no 16-bit case for seed " + std::to_string(seed) + " index " +
                               std::to_string(index) + ": " + why);
    }
    c.code = std::move(conv.code);
    // Entries of the 32-bit stretch are linear (kCodeAddr + offset), the others offsets.
    for (auto& [at, mask] : c.undef_before)
      at = at >= kCodeAddr ? kCodeAddr + conv.new_offset[at - kCodeAddr] : conv.new_offset[at];
    c.code16 = true;
    return c;
  }
}

}  // namespace difftest
