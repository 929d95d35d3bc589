// Emitter core: IDENT emission of guest instructions and the operand glue every family
// uses (re-encoding a ModRM operand, fs:/gs: and based-segment overrides, 16-bit
// addressing). Block exits and helper calls are emit_exits.cpp; 16-bit code and the
// stack outside flat modes are emit_code16.cpp.
#include <cstring>

#include "cpu/emulate.h"
#include "error.h"
#include "translator/emitter.h"

namespace rs {

using namespace asmjit;

Emitter::Emitter(Translator& t, Block& b, uint64_t base)
    : tr(t), blk(b), code(t.code_holder()), pending_(t.emit_scratch().pending), cold_(t.emit_scratch().cold), kept_(t.emit_scratch().kept),
      ics_(t.emit_scratch().ics), resolved(t.emit_scratch().resolved), map(t.emit_scratch().map) {
  pending_.clear();
  cold_.clear();
  kept_.clear();
  ics_.clear();
  resolved.clear();
  map.clear();
  code.reset(ResetPolicy::kSoft);
  code.init(Environment(Arch::kX64), base);
  code.attach(&a);
}

x86::Mem Emitter::guest(const x86::Gp& base32, int32_t disp, uint32_t size) {
  x86::Mem m(base32, disp, size);
  m.setSegment(x86::gs);
  return m;
}

namespace {

bool touches_memory(const Insn& in) {
  for (int i = 0; i < in.z.operand_count; ++i)
    if (in.ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY) return true;
  return false;
}

// The segment whose base must be added to the instruction's memory operand, or -1
// when GS (the window) already is right: FS and GS always (their bases are not part of
// the mode), DS and ES when the block's mode says their base is not 0.
int rebased_seg(const Insn& in, uint32_t mode) {
  for (int i = 0; i < in.z.operand_count; ++i) {
    if (in.ops[i].type != ZYDIS_OPERAND_TYPE_MEMORY || in.ops[i].mem.type == ZYDIS_MEMOP_TYPE_AGEN) continue;
    switch (in.ops[i].mem.segment) {
      case ZYDIS_REGISTER_FS: return FS;
      case ZYDIS_REGISTER_GS: return GS;
      case ZYDIS_REGISTER_DS: if (mode & kModeDsBase) return DS; break;
      case ZYDIS_REGISTER_ES: if (mode & kModeEsBase) return ES; break;
      // Outside flat modes CS and SS may have bases ([ebp+x], cs: overrides).
      case ZYDIS_REGISTER_SS: if (!(mode & kModeFlatStack)) return SS; break;
      case ZYDIS_REGISTER_CS: if (!(mode & kModeFlatStack)) return CS; break;
      default: break;
    }
  }
  return -1;
}

bool addr16_mem(const Insn& in) { return in.z.address_width == 16 && touches_memory(in); }

void require_addr32(const Insn& in) {
  if (addr16_mem(in) && !in.has(ZYDIS_ATTRIB_HAS_MODRM))
    throw GuestError("16-bit addressing without a ModRM operand is not supported yet: " + in.text());
}

// MOV AL/AX/EAX <-> [moffs] (A0..A3): the ModRM form of the same move, for when the
// address has to be computed (16-bit addressing).
bool is_moffs(const Insn& in) {
  const uint8_t op = in.bytes[in.z.raw.prefix_count];
  return in.z.encoding == ZYDIS_INSTRUCTION_ENCODING_LEGACY && op >= 0xA0 && op <= 0xA3 && in.mn() == ZYDIS_MNEMONIC_MOV;
}


x86::Gp host64(ZydisRegister r) { return x86::gpq(uint32_t(gpr_index(r))); }

// The bytes of a ModRM instruction with its memory operand replaced by the SIB
// absolute form [disp32 = 0]: with GS rebased to the operand, that is gs:[0].
unsigned rebuild_abs0(const Insn& in, uint8_t* out, unsigned n, unsigned op_start) {
  const auto& r = in.z.raw;
  unsigned mo = r.modrm.offset;
  for (unsigned i = op_start; i < mo; ++i) out[n++] = in.bytes[i];
  out[n++] = uint8_t((in.bytes[mo] & 0x38) | 4);
  out[n++] = 0x25;
  for (int i = 0; i < 4; ++i) out[n++] = 0;
  unsigned after = mo + 1 + (r.sib.offset ? 1 : 0) + r.disp.size / 8;
  for (unsigned i = after; i < in.len(); ++i) out[n++] = in.bytes[i];
  return n;
}

}  // namespace

void Emitter::seg_enter(const Insn& in) {
  int s = rebased_seg(in, blk.mode);
  if (s < 0) return;
  a.mov(x86::r10, cpu_field(offsetof(CpuState, seg_window) + 8 * s, 8));
  set_gs_base(a, x86::r10);
}

void Emitter::seg_leave(const Insn& in) {
  if (rebased_seg(in, blk.mode) >= 0) gs_restore();
}

void Emitter::ea16(const ZydisDecodedOperand& op, bool rebase) {
  const auto& mem = op.mem;
  int32_t disp = int32_t(mem.disp.value);
  bool b = mem.base != ZYDIS_REGISTER_NONE, i = mem.index != ZYDIS_REGISTER_NONE;
  if (b && i)
    a.lea(x86::r11d, x86::ptr(host64(mem.base), host64(mem.index), 0, disp));
  else if (b || i)
    a.lea(x86::r11d, x86::ptr(host64(b ? mem.base : mem.index), disp));
  else
    a.mov(x86::r11d, Imm(uint32_t(disp)));
  a.movzx(x86::r11d, x86::r11w);
  if (!rebase) return;
  int seg = seg_index(mem.segment);
  if (seg < 0) seg = DS;
  a.mov(x86::r10, cpu_field(offsetof(CpuState, seg_window) + 8 * size_t(seg), 8));
  a.lea(x86::r10, x86::ptr(x86::r10, x86::r11));
  set_gs_base(a, x86::r10);
}

void Emitter::gs_restore() { set_gs_to_window(a); }

void Emitter::flags_save() {
  if (!host_has_lahf64()) {
    a.mov(x86::r14, x86::rsp);
    a.mov(x86::rsp, cpu_field(offsetof(CpuState, host_rsp), 8));
    a.pushfq();
    return;
  }
  a.mov(x86::r14, x86::rax);
  a.lahf();                        // AH = SF ZF AF PF CF
  a.seto(x86::al);                 // AL = OF
}

void Emitter::flags_restore() {
  if (!host_has_lahf64()) {
    a.popfq();
    a.mov(x86::rsp, x86::r14);
    return;
  }
  a.add(x86::al, 0x7F);  // OF again: 1 + 7Fh overflows, 0 + 7Fh does not
  a.sahf();              // the others from AH
  a.mov(x86::rax, x86::r14);
}

void Emitter::ident(const Insn& in) {
  if (addr16_mem(in) && is_moffs(in)) {
    moffs16(in);
    return;
  }
  if (addr16_mem(in) && in.mn() == ZYDIS_MNEMONIC_XLAT) {
    xlat16(in);
    return;
  }
  require_addr32(in);
  if (in.code16) check_host_form(in);
  if (addr16_mem(in)) {
    const ZydisDecodedOperand* m = in.mem_operand();
    if (in.mn() == ZYDIS_MNEMONIC_LEA) {
      ea16(*m, false);
      if (in.z.operand_width == 16) a.mov(x86::gpw(uint32_t(in.gpr(0))), x86::r11w);
      else a.mov(x86::gpd(uint32_t(in.gpr(0))), x86::r11d);
      return;
    }
    ea16(*m, true);
    ident_gs0(in);
    gs_restore();
    return;
  }
  uint8_t out[24];
  const unsigned n = ident_plain_bytes(in, out);
  const int seg = rebased_seg(in, blk.mode);
  if (seg >= 0 && ident_rebased(in, seg)) return;
  seg_enter(in);
  a.embed(out, n);
  seg_leave(in);
}

// The bytes ident() runs for a 32-bit-addressed instruction: GS (the window) and 67
// on a memory operand, the host's prefixes, [disp32] in its SIB form. decode_ident's
// ident_host_bytes makes the same from its own decode (test_ident_decoder.cpp).
unsigned Emitter::ident_plain_bytes(const Insn& in, uint8_t* out) {
  const uint8_t* b = in.bytes;
  unsigned k = in.z.raw.prefix_count, len = in.len();
  bool mem = touches_memory(in);
  unsigned n = 0;
  if (mem) {
    out[n++] = 0x65;
    out[n++] = 0x67;
  }
  n = host_prefixes(in, out, n);
  unsigned op = k;
  // 0x82 is an alias of 0x80 that 64-bit mode does not have.
  if (in.z.encoding == ZYDIS_INSTRUCTION_ENCODING_LEGACY && b[op] == 0x82) {
    out[n++] = 0x80;
    ++op;
  }
  bool abs32 = mem && in.has(ZYDIS_ATTRIB_HAS_MODRM) && in.z.raw.modrm.mod == 0 && in.z.raw.modrm.rm == 5;
  if (abs32) {
    // [disp32] means RIP-relative in 64-bit mode; the SIB form with no base and no index does not.
    unsigned mo = in.z.raw.modrm.offset;
    for (unsigned i = op; i < mo; ++i) out[n++] = b[i];
    out[n++] = uint8_t((b[mo] & 0xF8) | 4);
    out[n++] = 0x25;
    for (unsigned i = mo + 1; i < len; ++i) out[n++] = b[i];
  } else {
    for (unsigned i = op; i < len; ++i) out[n++] = b[i];
  }
  return n;
}

// An operand whose segment has a base (fs:/gs:, DS/ES in a based mode) as [R10 + R11]:
// R10 = window + segment base, R11 = the 32-bit offset. Switching the GS base there and
// back costs ~20 ns; the Linux kernel reaches its per-CPU data this way all the time.
// Needs a REX prefix, so not with AH/CH/DH/BH (REX turns them into SPL..DIL).
bool Emitter::ident_rebased(const Insn& in, int seg) {
  const auto& r = in.z.raw;
  if (in.z.encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY || in.z.address_width != 32) return false;
  if (is_moffs(in)) {  // mov al/eax, fs:[x] (A0..A3): per-CPU data in Linux; the ModRM form
    static constexpr uint8_t kModrmForm[4] = {0x8A, 0x8B, 0x88, 0x89};
    a.mov(x86::r10, cpu_field(offsetof(CpuState, seg_window) + 8 * size_t(seg), 8));
    a.mov(x86::r11d, Imm(uint32_t(in.mem_operand()->mem.disp.value)));
    uint8_t out[8];
    unsigned n = host_prefixes(in, out, 0);
    out[n++] = 0x43;  // REX.X (index R11) and REX.B (base R10)
    out[n++] = kModrmForm[in.bytes[r.prefix_count] - 0xA0];
    out[n++] = 0x04;  // AL/EAX, SIB follows
    out[n++] = 0x1A;  // scale 1, index R11, base R10
    a.embed(out, n);
    return true;
  }
  if (!in.has(ZYDIS_ATTRIB_HAS_MODRM) || r.modrm.mod == 3) return false;
  for (int i = 0; i < in.z.operand_count; ++i) {
    const auto& op = in.ops[i];
    if (op.type == ZYDIS_OPERAND_TYPE_REGISTER &&
        (op.reg.value == ZYDIS_REGISTER_AH || op.reg.value == ZYDIS_REGISTER_CH || op.reg.value == ZYDIS_REGISTER_DH ||
         op.reg.value == ZYDIS_REGISTER_BH))
      return false;
  }
  const ZydisDecodedOperand* m = in.mem_operand();
  if (!m) return false;
  rebased_operand(*m, seg);
  uint8_t out[24];
  unsigned n = host_prefixes(in, out, 0);
  out[n++] = 0x43;  // REX.X (index R11) and REX.B (base R10)
  unsigned op = r.prefix_count;
  if (in.bytes[op] == 0x82) {
    out[n++] = 0x80;
    ++op;
  }
  const unsigned mo = r.modrm.offset;
  for (unsigned k = op; k < mo; ++k) out[n++] = in.bytes[k];
  out[n++] = uint8_t((in.bytes[mo] & 0x38) | 4);  // mod 00, SIB follows
  out[n++] = 0x1A;                                 // scale 1, index R11, base R10
  for (unsigned k = mo + 1 + (r.sib.offset ? 1 : 0) + r.disp.size / 8; k < in.len(); ++k) out[n++] = in.bytes[k];
  a.embed(out, n);
  return true;
}

// R10 = window + the segment's base, R11d = the operand's 32-bit offset.
void Emitter::rebased_operand(const ZydisDecodedOperand& op, int seg) {
  const auto& mem = op.mem;
  const int32_t disp = int32_t(mem.disp.value);
  a.mov(x86::r10, cpu_field(offsetof(CpuState, seg_window) + 8 * size_t(seg), 8));
  const bool b = mem.base != ZYDIS_REGISTER_NONE, i = mem.index != ZYDIS_REGISTER_NONE;
  const uint32_t shift = mem.scale == 8 ? 3 : mem.scale == 4 ? 2 : mem.scale == 2 ? 1 : 0;
  if (b && i)
    a.lea(x86::r11d, x86::ptr(host64(mem.base), host64(mem.index), shift, disp));
  else if (i)
    a.lea(x86::r11d, x86::ptr(x86::Gp(), host64(mem.index), shift, disp));
  else if (b)
    a.lea(x86::r11d, x86::ptr(host64(mem.base), disp));
  else
    a.mov(x86::r11d, Imm(uint32_t(disp)));
}

void Emitter::ident_gs0(const Insn& in) {
  uint8_t out[24];
  unsigned n = 0;
  out[n++] = 0x65;
  out[n++] = 0x67;
  n = host_prefixes(in, out, n);
  unsigned op = in.z.raw.prefix_count;
  if (in.z.encoding == ZYDIS_INSTRUCTION_ENCODING_LEGACY && in.bytes[op] == 0x82) {
    out[n++] = 0x80;
    ++op;
  }
  n = rebuild_abs0(in, out, n, op);
  a.embed(out, n);
}

void Emitter::modrm_op(const Insn& in, std::initializer_list<uint8_t> opcode, int reg, int32_t disp_adjust,
                       bool opsize16, bool guest_mem) {
  require_addr32(in);
  const auto& r = in.z.raw;
  uint8_t out[24];
  unsigned n = 0;
  bool mem = r.modrm.mod != 3;
  if (mem && in.z.address_width == 16) {
    const ZydisDecodedOperand* m = in.mem_operand();
    if (opcode.size() == 1 && *opcode.begin() == 0x8D) {  // LEA: the address itself
      ea16(*m, false);
      a.mov(x86::gpd(uint32_t(reg)), x86::r11d);
      return;
    }
    ea16(*m, true);
    // The SIB absolute form ignores ESP-relative displacement adjustments: the
    // rebased address was computed from the registers as they are now.
    if (disp_adjust) {
      a.lea(x86::r10, x86::ptr(x86::r10, disp_adjust));
      set_gs_base(a, x86::r10);
    }
    out[n++] = 0x65;
    out[n++] = 0x67;
    if (opsize16) out[n++] = 0x66;
    if (reg >= 8) out[n++] = 0x44;
    for (uint8_t o : opcode) out[n++] = o;
    out[n++] = uint8_t((reg & 7) << 3 | 4);
    out[n++] = 0x25;
    for (int i = 0; i < 4; ++i) out[n++] = 0;
    a.embed(out, n);
    gs_restore();
    return;
  }
  if (mem) {
    if (guest_mem) out[n++] = 0x65;
    out[n++] = 0x67;
  }
  if (opsize16) out[n++] = 0x66;
  if (reg >= 8) out[n++] = 0x44;  // REX.R only: the r/m side keeps its guest registers
  for (uint8_t o : opcode) out[n++] = o;
  uint8_t mod = r.modrm.mod, rm = r.modrm.rm, regf = uint8_t((reg & 7) << 3);
  if (!mem) {
    out[n++] = uint8_t(0xC0 | regf | rm);
  } else {
    int64_t disp = r.disp.value + disp_adjust;
    bool has_sib = rm == 4;
    uint8_t sib = has_sib ? in.bytes[r.sib.offset] : 0;
    bool no_base = (mod == 0 && rm == 5) || (has_sib && mod == 0 && (sib & 7) == 5);
    if (mod == 0 && rm == 5) {
      has_sib = true;
      sib = 0x25;
      rm = 4;
    }
    uint8_t dsize;
    if (no_base) {
      mod = 0;
      dsize = 4;
    } else if (disp_adjust == 0) {
      dsize = mod == 1 ? 1 : mod == 2 ? 4 : 0;
    } else {
      mod = 2;
      dsize = 4;
    }
    out[n++] = uint8_t(mod << 6 | regf | rm);
    if (has_sib) out[n++] = sib;
    int32_t d32 = int32_t(disp);
    for (unsigned i = 0; i < dsize; ++i) out[n++] = uint8_t(uint32_t(d32) >> (8 * i));
  }
  a.embed(out, n);
}

void Emitter::load_rm(const Insn& in, int width) {
  const int seg = in.z.raw.modrm.mod != 3 && in.z.address_width == 32 ? rebased_seg(in, blk.mode) : -1;
  if (seg >= 0) {  // call *%gs:0x10 (the vDSO entry in glibc's TLS) and the like, without WRGSBASE
    rebased_operand(*in.mem_operand(), seg);
    if (width == 16)
      a.movzx(x86::r9d, x86::word_ptr(x86::r10, x86::r11));
    else
      a.mov(x86::r9d, x86::dword_ptr(x86::r10, x86::r11));
    return;
  }
  if (in.z.raw.modrm.mod != 3) seg_enter(in);
  modrm_op(in, {0x8B}, kR9, 0, width == 16);
  if (in.z.raw.modrm.mod != 3) seg_leave(in);
  if (width == 16) a.movzx(x86::r9d, x86::r9w);
}

}  // namespace rs
