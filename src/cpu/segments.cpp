// Segment register loads (MOV/POP sreg, LDS..LSS), with the descriptor checks of the
// SDM and the inline descriptor cache; descriptor queries (LAR, LSL, VERR, VERW, ARPL).
// Far transfers are far_transfer.cpp.
#include "cpu/segments.h"

#include "cpu/emulate.h"
#include "error.h"
#include "cpu/guest_env.h"

namespace rs {

Segment decode_descriptor(uint16_t sel, uint64_t d) {
  Segment s;
  s.sel = sel;
  s.base = uint32_t(((d >> 16) & 0xFFFFFF) | ((d >> 32) & 0xFF000000));
  uint32_t limit = uint32_t((d & 0xFFFF) | ((d >> 32) & 0xF0000));
  s.attr = uint16_t((d >> 40) & 0xF0FF);
  if (s.attr & 0x8000) limit = (limit << 12) | 0xFFF;
  s.limit = limit;
  return s;
}

Segment flat_segment(uint16_t sel, bool code) {
  return decode_descriptor(sel, code ? 0x00CF9A000000FFFFull : 0x00CF92000000FFFFull);
}

// The flat CS and SS that SYSENTER (to ring 0) and SYSEXIT (to ring 3) load, derived
// from IA32_SYSENTER_CS as the SDM specifies. The inline translations of both
// (translator/emit_fast_call.cpp) store these same values.
void fast_call_segments(uint32_t sysenter_cs, bool to_user, Segment& cs, Segment& ss) {
  const uint16_t base = uint16_t(sysenter_cs & 0xFFFC);
  if (!to_user) {
    cs = flat_segment(base, true);
    ss = flat_segment(uint16_t(base + 8), false);
    cs.attr |= 1;  // types 11 and 3: accessed
    ss.attr |= 1;
  } else {
    cs = flat_segment(uint16_t((base + 16) | 3), true);
    ss = flat_segment(uint16_t((base + 24) | 3), false);
    cs.attr |= (3 << 5) | 1;  // DPL 3, accessed
    ss.attr |= (3 << 5) | 1;
  }
}

bool read_descriptor(GuestEnv& env, const CpuState& cpu, uint16_t sel, uint64_t& raw) {
  const bool ldt = sel & 4;
  uint32_t base = ldt ? cpu.ldtr.base : cpu.gdtr.base;
  uint32_t limit = ldt ? cpu.ldtr.limit : cpu.gdtr.limit;
  if (ldt && !(cpu.ldtr.attr & 0x80)) return false;
  uint32_t off = sel & ~7u;
  if (off + 7 > limit) return false;
  return env.read_linear(base + off, &raw, 8, true);
}

void write_descriptor(GuestEnv& env, const CpuState& cpu, uint16_t sel, uint64_t raw) {
  uint32_t base = (sel & 4) ? cpu.ldtr.base : cpu.gdtr.base;
  env.write_linear(base + (sel & ~7u), &raw, 8, true);
}

namespace {

// Makes the descriptor-cache entry for a DS/ES/FS/GS load that succeeded (or, from
// VERR/VERW, one that would succeed now), so that translated code repeats it inline while
// the GDT entry stays the same (raw is the entry with its accessed bit set, as the load
// left it; `loaded` is what the load puts in the segment register).
void fill_seg_cache(GuestEnv& env, CpuState& cpu, int s, uint16_t sel, uint64_t raw, const Segment& loaded) {
  if (s == SS || s == CS || (sel & 4) || !(cpu.cr0 & 1)) return;
  SegLoadEntry& e = cpu.seg_cache[(sel >> 3) % kSegCacheEntries];
  const uint64_t* desc = &cpu.zero_desc;
  if ((sel & ~3u) != 0) {
    const uint32_t lin = cpu.gdtr.base + (sel & ~7u);
    if ((lin & 0xFFF) > 0xFF8) return;  // split across two pages
    desc = static_cast<const uint64_t*>(env.ram_pointer(lin, 8));
    if (!desc) return;
  } else {
    raw = 0;
  }
  e.desc = desc;
  e.raw = raw;
  e.seg = loaded;
  e.key = sel | uint32_t(cpu.cpl) << 16 | kSegKeyValid;
}


// MOV SS and POP SS hold off interrupts (and single-step traps) for one instruction,
// so that the ESP load that follows runs first.
uint32_t inhibit_interrupts(Ctx& c) {
  c.cpu.irq_inhibit = kInhibitMovSs;
  c.cpu.eip = c.in.next();
  return uint32_t(Exit::Dispatch);
}


// MOV to or from a segment register.
uint32_t mov_sreg(Ctx& c) {
  CpuState& cpu = c.cpu;
  const Insn& in = c.in;
  bool ok = true;
  int dst = seg_index(in.ops[0].reg.value);
  if (in.ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER && dst >= 0) {
    if (dst == CS) return raise(c, kUD, 0, "MOV to CS");
    uint16_t sel = uint16_t(read_op(c, 1, ok));
    if (!ok) return outside_ram(c);
    if (uint32_t r = load_data_segment(c, dst, sel)) return r;
    return dst == SS ? inhibit_interrupts(c) : 0;
  }
  int src = seg_index(in.ops[1].reg.value);
  uint32_t v = cpu.seg[src].sel;
  // To a register with 32-bit operand size the selector is zero-extended; to memory 16 bits are written.
  if (in.ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY) {
    if (!c.env.write_linear(linear(cpu, in.ops[0].mem.segment, c.ea), &v, 2))
      return outside_ram(c);
  } else {
    write_gpr(cpu, in.ops[0].reg.value, v);
  }
  return 0;
}

// POP into a segment register.
uint32_t pop_sreg(Ctx& c) {
  CpuState& cpu = c.cpu;
  const Insn& in = c.in;
  const uint32_t bytes = in.z.operand_width / 8;
  int dst = seg_index(in.ops[0].reg.value);
  uint32_t esp = cpu.reg(ESP), v = 0;
  if (!c.env.read_linear(stack_linear(cpu, 0), &v, bytes)) return outside_ram(c);
  if (uint32_t r = load_data_segment(c, dst, uint16_t(v))) return r;
  set_stack_pointer(cpu, esp + bytes);
  return dst == SS ? inhibit_interrupts(c) : 0;
}

// LDS, LES, LFS, LGS, LSS: a far pointer into a segment register and a GPR.
uint32_t load_far_pointer(Ctx& c) {
  CpuState& cpu = c.cpu;
  const Insn& in = c.in;
  static const int target[] = {DS, ES, FS, GS, SS};
  int s = target[in.mn() == ZYDIS_MNEMONIC_LDS ? 0 : in.mn() == ZYDIS_MNEMONIC_LES ? 1 : in.mn() == ZYDIS_MNEMONIC_LFS ? 2
                 : in.mn() == ZYDIS_MNEMONIC_LGS ? 3 : 4];
  uint16_t sel;
  uint32_t off;
  if (!far_pointer(c, in.ops[1], sel, off)) return outside_ram(c);
  if (uint32_t r = load_data_segment(c, s, sel)) return r;
  write_gpr(cpu, in.ops[0].reg.value, off);
  return 0;
}

// ARPL: raise the RPL of a selector.
uint32_t arpl(Ctx& c) {
  CpuState& cpu = c.cpu;
  bool ok = true;
  uint32_t dst = read_op(c, 0, ok);
  uint32_t src = read_op(c, 1, ok);
  if (!ok) return outside_ram(c);
  if ((dst & 3) < (src & 3)) {
    write_op(c, 0, (dst & ~3u) | (src & 3));
    cpu.rflags |= FL_ZF;
  } else {
    cpu.rflags &= ~uint64_t(FL_ZF);
  }
  return 0;
}

// LAR, LSL, VERR, VERW: what a selector's descriptor allows, in ZF.
uint32_t descriptor_query(Ctx& c) {
  CpuState& cpu = c.cpu;
  const Insn& in = c.in;
  bool ok = true;
  bool verify = in.mn() == ZYDIS_MNEMONIC_VERR || in.mn() == ZYDIS_MNEMONIC_VERW;
  uint16_t sel = uint16_t(read_op(c, verify ? 0 : 1, ok));
  if (!ok) return outside_ram(c);
  uint64_t raw = 0;
  bool valid = (sel & ~3u) != 0 && fetch_descriptor(c, sel, raw);
  Segment d = decode_descriptor(sel, raw);
  if (valid) {
    bool conforming_code = seg_is_code(d) && (d.attr & 4);
    if (!conforming_code && (seg_dpl(d) < cpu.cpl || seg_dpl(d) < (sel & 3))) valid = false;
    if (seg_is_system(d)) {
      int type = d.attr & 0xF;  // LAR/LSL accept LDT and TSS descriptors (and gates for LAR)
      bool lsl_ok = type == 1 || type == 2 || type == 3 || type == 9 || type == 11;
      bool lar_ok = lsl_ok || type == 4 || type == 5 || type == 12;
      valid = valid && !verify && (in.mn() == ZYDIS_MNEMONIC_LSL ? lsl_ok : lar_ok);
    } else if (in.mn() == ZYDIS_MNEMONIC_VERR) {
      valid = valid && (!seg_is_code(d) || (d.attr & 2));
    } else if (in.mn() == ZYDIS_MNEMONIC_VERW) {
      valid = valid && !seg_is_code(d) && (d.attr & 2);
    }
  }
  // Translated VERW answers from the DS-load cache (translator/emit_segment.cpp): enter
  // the selector when a DS load of it would succeed now without writing the accessed bit.
  if (verify && (sel & ~3u) != 0 && (raw & (1ull << 40))) {
    const bool readable = !seg_is_system(d) && (!seg_is_code(d) || (d.attr & 2));
    const bool conforming = seg_is_code(d) && (d.attr & 4);
    if (readable && seg_present(d) && (conforming || (seg_dpl(d) >= cpu.cpl && seg_dpl(d) >= (sel & 3))))
      fill_seg_cache(c.env, cpu, DS, sel, raw, d);
  }
  if (!valid) {
    cpu.rflags &= ~uint64_t(FL_ZF);
    return 0;
  }
  cpu.rflags |= FL_ZF;
  if (in.mn() == ZYDIS_MNEMONIC_LAR) write_op(c, 0, uint32_t(raw >> 32) & 0x00F0FF00u);
  if (in.mn() == ZYDIS_MNEMONIC_LSL) write_op(c, 0, d.limit);
  return 0;
}

}  // namespace

bool fetch_descriptor(Ctx& c, uint16_t sel, uint64_t& raw) { return read_descriptor(c.env, c.cpu, sel, raw); }

// Loads a data/stack segment register with the checks of the SDM (MOV Sreg).
uint32_t load_data_segment(Ctx& c, int s, uint16_t sel) {
  CpuState& cpu = c.cpu;
  if (!(cpu.cr0 & 1)) {
    // Real mode: only the selector and the base change; the limit and attributes the
    // descriptor cache holds stay ("unreal mode" keeps a 4 GiB limit this way).
    cpu.seg[s].sel = sel;
    cpu.seg[s].base = uint32_t(sel) << 4;
    c.env.segments_changed();
    return 0;
  }
  if ((sel & ~3u) == 0) {
    if (s == SS) return raise(c, kGP, 0, "null selector loaded into SS");
    cpu.seg[s] = Segment{};
    cpu.seg[s].sel = sel;
    fill_seg_cache(c.env, cpu, s, sel, 0, cpu.seg[s]);
    return 0;
  }
  uint64_t raw;
  if (!fetch_descriptor(c, sel, raw)) return raise(c, kGP, sel & ~3u, "selector outside the descriptor table");
  Segment d = decode_descriptor(sel, raw);
  int rpl = sel & 3;
  if (seg_is_system(d)) return raise(c, kGP, sel & ~3u, "system descriptor loaded into a data segment register");
  if (s == SS) {
    bool writable_data = !seg_is_code(d) && (d.attr & 2);
    if (rpl != cpu.cpl || seg_dpl(d) != cpu.cpl || !writable_data)
      return raise(c, kGP, sel & ~3u, "bad stack segment");
    if (!seg_present(d)) return raise(c, kSS, sel & ~3u, "stack segment not present");
  } else {
    bool readable = !seg_is_code(d) || (d.attr & 2);
    bool conforming = seg_is_code(d) && (d.attr & 4);
    if (!readable || (!conforming && (rpl > seg_dpl(d) || cpu.cpl > seg_dpl(d))))
      return raise(c, kGP, sel & ~3u, "segment not accessible");
    if (!seg_present(d)) return raise(c, kNP, sel & ~3u, "segment not present");
  }
  // Set the accessed bit, as the CPU does.
  if (!(raw & (1ull << 40))) write_descriptor(c.env, cpu, sel, raw | (1ull << 40));
  cpu.seg[s] = d;
  c.env.segments_changed();
  fill_seg_cache(c.env, cpu, s, sel, raw | (1ull << 40), cpu.seg[s]);
  return 0;
}

// Reads the 16:32 (or 16:16) far pointer at the memory operand.
bool far_pointer(Ctx& c, const ZydisDecodedOperand& op, uint16_t& sel, uint32_t& off) {
  uint32_t bytes = c.in.z.operand_width / 8;
  uint32_t lin = linear(c.cpu, op.mem.segment, c.ea);
  off = 0;
  if (!c.env.read_linear(lin, &off, bytes) || !c.env.read_linear(lin + bytes, &sel, 2)) return false;
  return true;
}

uint32_t emulate_segments(Ctx& c) {
  switch (c.in.mn()) {
    case ZYDIS_MNEMONIC_MOV:
      return mov_sreg(c);
    case ZYDIS_MNEMONIC_POP:
      return pop_sreg(c);
    case ZYDIS_MNEMONIC_LDS: case ZYDIS_MNEMONIC_LES: case ZYDIS_MNEMONIC_LFS: case ZYDIS_MNEMONIC_LGS:
    case ZYDIS_MNEMONIC_LSS:
      return load_far_pointer(c);
    case ZYDIS_MNEMONIC_ARPL:
      return arpl(c);
    case ZYDIS_MNEMONIC_LAR: case ZYDIS_MNEMONIC_LSL: case ZYDIS_MNEMONIC_VERR: case ZYDIS_MNEMONIC_VERW:
      return descriptor_query(c);
    default:
      return raise(c, kUD, 0, "unhandled segment instruction");
  }
}


}  // namespace rs
