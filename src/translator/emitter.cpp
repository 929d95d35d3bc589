// Emitter core: IDENT emission of guest instructions and the operand glue every family
// uses (re-encoding a ModRM operand, fs:/gs: and based-segment overrides, 16-bit
// addressing). Block exits and helper calls are emit_exits.cpp.
#include <cstring>

#include "error.h"
#include "translator/emitter.h"

namespace rs {

using namespace asmjit;

Emitter::Emitter(Translator& t, Block& b, uint64_t base) : tr(t), blk(b), code(t.code_holder()) {
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

bool is_seg_prefix(uint8_t p) {
  return p == 0x26 || p == 0x2E || p == 0x36 || p == 0x3E || p == 0x64 || p == 0x65;
}

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

// The instruction's legacy prefixes for the host, without segment overrides and 67
// (the memory operand is rebuilt). 16-bit code (CS.D = 0) has the opposite default
// operand size to the host's: an operand-size 66 goes, and one is added where the
// guest operand is 16 bits wide. A mandatory 66 (SSE) stays as it is.
unsigned Emitter::host_prefixes(const Insn& in, uint8_t* out, unsigned n) {
  bool had66 = false;
  for (unsigned i = 0; i < in.z.raw.prefix_count; ++i) {
    const uint8_t p = in.bytes[i];
    if (is_seg_prefix(p) || p == 0x67) continue;
    if (in.code16 && p == 0x66 && in.z.raw.prefixes[i].type != ZYDIS_PREFIX_TYPE_MANDATORY) {
      had66 = true;
      continue;
    }
    out[n++] = p;
  }
  // MMX and SSE forms have no operand size (Zydis still says 16): there a 66 would select
  // another instruction (psubw mm -> psubw xmm).
  auto simd = [&] { return in.fpu_use() == Insn::kMmx || in.fpu_use() == Insn::kXmm; };
  if (in.code16 && !had66 && in.z.operand_width == 16 && !in.has(ZYDIS_ATTRIB_HAS_OPERANDSIZE) && !simd()) {
    // The prefix goes first: other prefixes (F2/F3 with a mandatory role) must stay next to the opcode.
    for (unsigned i = n; i > 0; --i) out[i] = out[i - 1];
    out[0] = 0x66;
    ++n;
  }
  return n;
}

void Emitter::seg_enter(const Insn& in) {
  int s = rebased_seg(in, blk.mode);
  if (s < 0) return;
  a.mov(x86::r10, cpu_field(offsetof(CpuState, seg_window) + 8 * s, 8));
  a.wrgsbase(x86::r10);
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
  a.wrgsbase(x86::r10);
}

x86::Mem Emitter::Stack::rel(const x86::Gp& base64, int32_t disp, uint32_t size) {
  if (flat) return Emitter::guest(base64.r32(), disp, size);
  e.a.lea(x86::r11d, x86::ptr(base64, disp));
  if (sp16) e.a.movzx(x86::r11d, x86::r11w);
  e.a.mov(x86::r10, cpu_field(offsetof(CpuState, seg_window) + 8 * SS, 8));
  return x86::Mem(x86::r10, x86::r11, 0, 0, size);
}

void Emitter::Stack::set_sp(const x86::Gp& base64, int32_t delta) {
  if (!sp16) {
    e.a.lea(x86::esp, x86::ptr(base64, delta));
    return;
  }
  e.a.lea(x86::r11d, x86::ptr(base64, delta));
  e.a.mov(x86::sp, x86::r11w);  // the high half of ESP stays
}

void Emitter::gs_restore() {
  a.mov(x86::r10, cpu_field(offsetof(CpuState, window), 8));
  a.wrgsbase(x86::r10);
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
  const uint8_t* b = in.bytes;
  unsigned k = in.z.raw.prefix_count, len = in.len();
  bool mem = touches_memory(in);
  uint8_t out[24];
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
  const int seg = rebased_seg(in, blk.mode);
  if (seg >= 0 && ident_rebased(in, seg)) return;
  seg_enter(in);
  a.embed(out, n);
  seg_leave(in);
}

// An operand whose segment has a base (fs:/gs:, DS/ES in a based mode) as [R10 + R11]:
// R10 = window + segment base, R11 = the 32-bit offset. Switching the GS base there and
// back costs ~20 ns; the Linux kernel reaches its per-CPU data this way all the time.
// Needs a REX prefix, so not with AH/CH/DH/BH (REX turns them into SPL..DIL).
bool Emitter::ident_rebased(const Insn& in, int seg) {
  const auto& r = in.z.raw;
  if (in.z.encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY || !in.has(ZYDIS_ATTRIB_HAS_MODRM) || r.modrm.mod == 3 ||
      in.z.address_width != 32)
    return false;
  for (int i = 0; i < in.z.operand_count; ++i) {
    const auto& op = in.ops[i];
    if (op.type == ZYDIS_OPERAND_TYPE_REGISTER &&
        (op.reg.value == ZYDIS_REGISTER_AH || op.reg.value == ZYDIS_REGISTER_CH || op.reg.value == ZYDIS_REGISTER_DH ||
         op.reg.value == ZYDIS_REGISTER_BH))
      return false;
  }
  const ZydisDecodedOperand* m = in.mem_operand();
  if (!m) return false;
  const auto& mem = m->mem;
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

// MOV between AL/AX/EAX and [moffs16]: GS rebased to the segment + offset, then the
// ModRM form (8A/8B/88/89 /0) at gs:[0].
void Emitter::moffs16(const Insn& in) {
  const ZydisDecodedOperand* m = nullptr;
  for (int i = 0; i < in.z.operand_count; ++i)
    if (in.ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY) m = &in.ops[i];
  ea16(*m, true);
  static const uint8_t modrm_form[] = {0x8A, 0x8B, 0x88, 0x89};
  uint8_t out[16];
  unsigned n = 0;
  out[n++] = 0x65;
  out[n++] = 0x67;
  n = host_prefixes(in, out, n);
  out[n++] = modrm_form[in.bytes[in.z.raw.prefix_count] - 0xA0];
  out[n++] = 0x04;  // reg = AL/AX/EAX, SIB follows
  out[n++] = 0x25;  // no base, no index: [disp32]
  for (int i = 0; i < 4; ++i) out[n++] = 0;
  a.embed(out, n);
  gs_restore();
}

// XLAT with 16-bit addressing: AL = seg:[(BX + AL) mod 64 KiB].
void Emitter::xlat16(const Insn& in) {
  int seg = DS;
  for (int i = 0; i < in.z.operand_count; ++i)
    if (in.ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && seg_index(in.ops[i].mem.segment) >= 0)
      seg = seg_index(in.ops[i].mem.segment);
  a.movzx(x86::r11d, x86::al);
  a.lea(x86::r11d, x86::ptr(x86::rbx, x86::r11));
  a.movzx(x86::r11d, x86::r11w);
  a.mov(x86::r10, cpu_field(offsetof(CpuState, seg_window) + 8 * size_t(seg), 8));
  a.mov(x86::al, x86::byte_ptr(x86::r10, x86::r11));
}

// 16-bit code runs as host code with its operand size turned around (host_prefixes).
// The host's reading of the result must be the guest's: same mnemonic, operand size
// and operands; anything else is refused rather than run wrong.
void Emitter::check_host_form(const Insn& in) {
  uint8_t out[24];
  unsigned n = 0;
  // The ModRM bytes as they are: 16-bit addressing needs 67 to read the same in 32-bit code.
  if (in.z.address_width == 16) out[n++] = 0x67;
  n = host_prefixes(in, out, n);
  const unsigned k = in.z.raw.prefix_count;
  for (unsigned i = k; i < in.len(); ++i) out[n++] = in.bytes[i];
  Insn host;
  // The visible operands only: the hidden ones (FLAGS vs EFLAGS, SP vs ESP) differ by mode.
  if (!tr.decoder().decode(out, n, 0, true, host) || host.mn() != in.mn() ||
      host.z.operand_count_visible != in.z.operand_count_visible)
    throw GuestError("16-bit form not translatable: " + in.text());
  for (int i = 0; i < in.z.operand_count_visible; ++i) {
    if (host.ops[i].type != in.ops[i].type || host.ops[i].size != in.ops[i].size)
      throw GuestError("16-bit form not translatable: " + in.text());
    if (in.ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER && host.ops[i].reg.value != in.ops[i].reg.value)
      throw GuestError("16-bit form not translatable: " + in.text());
  }
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
      a.wrgsbase(x86::r10);
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
  if (in.z.raw.modrm.mod != 3) seg_enter(in);
  modrm_op(in, {0x8B}, kR9, 0, width == 16);
  if (in.z.raw.modrm.mod != 3) seg_leave(in);
  if (width == 16) a.movzx(x86::r9d, x86::r9w);
}

}  // namespace rs
