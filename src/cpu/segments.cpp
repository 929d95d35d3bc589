// Segment register loads (MOV/POP sreg, LDS..LSS), far transfers at the same
// privilege level, and descriptor queries (LAR, LSL, VERR, VERW, ARPL).
#include "cpu/segments.h"

#include "cpu/emulate.h"
#include "error.h"
#include "machine.h"
#include "translator/translator.h"

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

namespace {


// Reads the descriptor for sel from the GDT or LDT. Returns false when sel is outside the table.
bool fetch_descriptor(Ctx& c, uint16_t sel, uint64_t& raw) {
  const bool ldt = sel & 4;
  uint32_t base = ldt ? c.cpu.ldtr.base : c.cpu.gdtr.base;
  uint32_t limit = ldt ? c.cpu.ldtr.limit : c.cpu.gdtr.limit;
  uint32_t off = sel & ~7u;
  if (off + 7 > limit) return false;
  return c.m.read_linear(base + off, &raw, 8);
}

// Loads a data/stack segment register with the checks of the SDM (MOV Sreg).
uint32_t load_data_segment(Ctx& c, int s, uint16_t sel) {
  CpuState& cpu = c.cpu;
  if ((sel & ~3u) == 0) {
    if (s == SS) return raise(c, kGP, 0, "null selector loaded into SS");
    cpu.seg[s] = Segment{};
    cpu.seg[s].sel = sel;
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
  if (!(raw & (1ull << 40))) {
    raw |= 1ull << 40;
    uint32_t base = (sel & 4) ? cpu.ldtr.base : cpu.gdtr.base;
    c.m.write_linear(base + (sel & ~7u), &raw, 8);
  }
  cpu.seg[s] = d;
  c.m.update_segment_windows();
  return 0;
}

// Far transfer to sel:offset at the same privilege level (JMP/CALL/RET far, IRET).
uint32_t load_code_segment(Ctx& c, uint16_t sel, uint32_t offset) {
  CpuState& cpu = c.cpu;
  if ((sel & ~3u) == 0) return raise(c, kGP, 0, "null code selector");
  uint64_t raw;
  if (!fetch_descriptor(c, sel, raw)) return raise(c, kGP, sel & ~3u, "code selector outside the descriptor table");
  Segment d = decode_descriptor(sel, raw);
  if (seg_is_system(d)) return raise(c, kGP, sel & ~3u, "call gates and task switches are not supported yet");
  if (!seg_is_code(d)) return raise(c, kGP, sel & ~3u, "far transfer to a data segment");
  bool conforming = d.attr & 4;
  if (conforming ? seg_dpl(d) > cpu.cpl : seg_dpl(d) != cpu.cpl)
    return raise(c, kGP, sel & ~3u, "far transfer to another privilege level is not supported yet");
  if (!seg_present(d)) return raise(c, kNP, sel & ~3u, "code segment not present");
  if (offset > d.limit) return raise(c, kGP, 0, "far transfer beyond the segment limit");
  d.sel = uint16_t((sel & ~3u) | cpu.cpl);
  cpu.seg[CS] = d;
  cpu.eip = offset;
  c.m.update_segment_windows();
  return uint32_t(Exit::Dispatch);
}

bool pop(Ctx& c, uint32_t bytes, uint32_t& v) {
  v = 0;
  uint32_t esp = c.cpu.reg(ESP);
  if (!c.m.read_linear(linear(c.cpu, ZYDIS_REGISTER_SS, esp), &v, bytes)) return false;
  c.cpu.set_reg(ESP, esp + bytes);
  return true;
}

bool push(Ctx& c, uint32_t bytes, uint32_t v) {
  uint32_t esp = c.cpu.reg(ESP) - bytes;
  if (!c.m.write_linear(linear(c.cpu, ZYDIS_REGISTER_SS, esp), &v, bytes)) return false;
  c.cpu.set_reg(ESP, esp);
  return true;
}

// Reads the 16:32 (or 16:16) far pointer at the memory operand.
bool far_pointer(Ctx& c, const ZydisDecodedOperand& op, uint16_t& sel, uint32_t& off) {
  uint32_t bytes = c.in.z.operand_width / 8;
  uint32_t lin = linear(c.cpu, op.mem.segment, c.ea);
  off = 0;
  if (!c.m.read_linear(lin, &off, bytes) || !c.m.read_linear(lin + bytes, &sel, 2)) return false;
  return true;
}

}  // namespace

uint32_t emulate_segments(Ctx& c) {
  CpuState& cpu = c.cpu;
  const Insn& in = c.in;
  uint32_t bytes = in.z.operand_width / 8;
  bool ok = true;
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_MOV: {
      int dst = seg_index(in.ops[0].reg.value);
      if (in.ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER && dst >= 0) {
        if (dst == CS) return raise(c, kUD, 0, "MOV to CS");
        uint16_t sel = uint16_t(read_op(c, 1, ok));
        if (!ok) return raise(c, kGP, 0, "operand outside RAM");
        if (uint32_t r = load_data_segment(c, dst, sel)) return r;
        return 0;
      }
      int src = seg_index(in.ops[1].reg.value);
      uint32_t v = cpu.seg[src].sel;
      // To a register with 32-bit operand size the selector is zero-extended; to memory 16 bits are written.
      if (in.ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY) {
        if (!c.m.write_linear(linear(cpu, in.ops[0].mem.segment, c.ea), &v, 2))
          return raise(c, kGP, 0, "operand outside RAM");
      } else {
        write_gpr(cpu, in.ops[0].reg.value, v);
      }
      return 0;
    }
    case ZYDIS_MNEMONIC_POP: {
      int dst = seg_index(in.ops[0].reg.value);
      uint32_t esp = cpu.reg(ESP), v = 0;
      if (!c.m.read_linear(linear(cpu, ZYDIS_REGISTER_SS, esp), &v, bytes)) return raise(c, kSS, 0, "stack outside RAM");
      if (uint32_t r = load_data_segment(c, dst, uint16_t(v))) return r;
      cpu.set_reg(ESP, esp + bytes);
      return 0;
    }
    case ZYDIS_MNEMONIC_LDS: case ZYDIS_MNEMONIC_LES: case ZYDIS_MNEMONIC_LFS: case ZYDIS_MNEMONIC_LGS:
    case ZYDIS_MNEMONIC_LSS: {
      static const int target[] = {DS, ES, FS, GS, SS};
      int s = target[in.mn() == ZYDIS_MNEMONIC_LDS ? 0 : in.mn() == ZYDIS_MNEMONIC_LES ? 1 : in.mn() == ZYDIS_MNEMONIC_LFS ? 2
                     : in.mn() == ZYDIS_MNEMONIC_LGS ? 3 : 4];
      uint16_t sel;
      uint32_t off;
      if (!far_pointer(c, in.ops[1], sel, off)) return raise(c, kGP, 0, "operand outside RAM");
      if (uint32_t r = load_data_segment(c, s, sel)) return r;
      write_gpr(cpu, in.ops[0].reg.value, off);
      return 0;
    }
    case ZYDIS_MNEMONIC_JMP:
    case ZYDIS_MNEMONIC_CALL: {
      uint16_t sel;
      uint32_t off;
      if (in.ops[0].type == ZYDIS_OPERAND_TYPE_POINTER) {
        sel = in.ops[0].ptr.segment;
        off = in.ops[0].ptr.offset;
      } else if (!far_pointer(c, in.ops[0], sel, off)) {
        return raise(c, kGP, 0, "operand outside RAM");
      }
      if (in.mn() == ZYDIS_MNEMONIC_CALL) {
        uint32_t esp = cpu.reg(ESP);
        if (!push(c, bytes, cpu.seg[CS].sel) || !push(c, bytes, in.next())) {
          cpu.set_reg(ESP, esp);
          return raise(c, kSS, 0, "stack outside RAM");
        }
        uint32_t r = load_code_segment(c, sel, off);
        if (r != uint32_t(Exit::Dispatch)) cpu.set_reg(ESP, esp);
        return r;
      }
      return load_code_segment(c, sel, off);
    }
    case ZYDIS_MNEMONIC_RET: {
      uint32_t esp = cpu.reg(ESP), off, sel;
      if (!pop(c, bytes, off) || !pop(c, bytes, sel)) {
        cpu.set_reg(ESP, esp);
        return raise(c, kSS, 0, "stack outside RAM");
      }
      if (in.z.operand_count_visible) cpu.set_reg(ESP, cpu.reg(ESP) + uint32_t(in.ops[0].imm.value.u & 0xFFFF));
      uint32_t r = load_code_segment(c, uint16_t(sel), off);
      if (r != uint32_t(Exit::Dispatch)) cpu.set_reg(ESP, esp);
      return r;
    }
    case ZYDIS_MNEMONIC_IRET:
    case ZYDIS_MNEMONIC_IRETD: {
      uint32_t esp = cpu.reg(ESP), off, sel, fl;
      if (!pop(c, bytes, off) || !pop(c, bytes, sel) || !pop(c, bytes, fl)) {
        cpu.set_reg(ESP, esp);
        return raise(c, kSS, 0, "stack outside RAM");
      }
      if (cpu.vflags & FL_NT) return raise(c, kGP, 0, "IRET with NT set (task return) is not supported yet");
      if ((sel & 3) != cpu.cpl) return raise(c, kGP, 0, "IRET to another privilege level is not supported yet");
      uint32_t r = load_code_segment(c, uint16_t(sel), off);
      if (r != uint32_t(Exit::Dispatch)) {
        cpu.set_reg(ESP, esp);
        return r;
      }
      uint32_t keep = bytes == 2 ? 0xFFFF0000u : 0;
      uint32_t v = (cpu.eflags() & keep) | (fl & ~keep);
      v = (v & ~(FL_VM | FL_RF)) | (cpu.eflags() & FL_VM);
      cpu.set_eflags(v);
      return r;
    }
    case ZYDIS_MNEMONIC_ARPL: {
      uint32_t dst = read_op(c, 0, ok);
      uint32_t src = read_op(c, 1, ok);
      if (!ok) return raise(c, kGP, 0, "operand outside RAM");
      if ((dst & 3) < (src & 3)) {
        write_op(c, 0, (dst & ~3u) | (src & 3));
        cpu.rflags |= FL_ZF;
      } else {
        cpu.rflags &= ~uint64_t(FL_ZF);
      }
      return 0;
    }
    case ZYDIS_MNEMONIC_LAR: case ZYDIS_MNEMONIC_LSL: case ZYDIS_MNEMONIC_VERR: case ZYDIS_MNEMONIC_VERW: {
      bool verify = in.mn() == ZYDIS_MNEMONIC_VERR || in.mn() == ZYDIS_MNEMONIC_VERW;
      uint16_t sel = uint16_t(read_op(c, verify ? 0 : 1, ok));
      if (!ok) return raise(c, kGP, 0, "operand outside RAM");
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
      if (!valid) {
        cpu.rflags &= ~uint64_t(FL_ZF);
        return 0;
      }
      cpu.rflags |= FL_ZF;
      if (in.mn() == ZYDIS_MNEMONIC_LAR) write_op(c, 0, uint32_t(raw >> 32) & 0x00F0FF00u);
      if (in.mn() == ZYDIS_MNEMONIC_LSL) write_op(c, 0, d.limit);
      return 0;
    }
    default:
      return raise(c, kUD, 0, "unhandled segment instruction");
  }
}

}  // namespace rs
