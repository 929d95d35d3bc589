// Segment register loads (MOV/POP sreg, LDS..LSS), far transfers at the same
// privilege level, and descriptor queries (LAR, LSL, VERR, VERW, ARPL).
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

// Makes the descriptor-cache entry for a DS/ES/FS/GS load that succeeded, so that
// translated code repeats it inline while the GDT entry stays the same (raw is the
// entry with its accessed bit set, as the load left it).
void fill_seg_cache(GuestEnv& env, CpuState& cpu, int s, uint16_t sel, uint64_t raw) {
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
  e.seg = cpu.seg[s];
  e.key = sel | uint32_t(cpu.cpl) << 16 | kSegKeyValid;
}

bool fetch_descriptor(Ctx& c, uint16_t sel, uint64_t& raw) { return read_descriptor(c.env, c.cpu, sel, raw); }

// Loads a data/stack segment register with the checks of the SDM (MOV Sreg).
uint32_t load_data_segment(Ctx& c, int s, uint16_t sel) {
  CpuState& cpu = c.cpu;
  if ((sel & ~3u) == 0) {
    if (s == SS) return raise(c, kGP, 0, "null selector loaded into SS");
    cpu.seg[s] = Segment{};
    cpu.seg[s].sel = sel;
    fill_seg_cache(c.env, cpu, s, sel, 0);
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
  fill_seg_cache(c.env, cpu, s, sel, raw | (1ull << 40));
  return 0;
}

// Far JMP/CALL to sel:offset. Only code segments (no call gates or task switches):
// a non-conforming one at the current privilege level or a conforming one at or above it.
uint32_t load_code_segment(Ctx& c, uint16_t sel, uint32_t offset) {
  CpuState& cpu = c.cpu;
  if ((sel & ~3u) == 0) return raise(c, kGP, 0, "null code selector");
  uint64_t raw;
  if (!fetch_descriptor(c, sel, raw)) return raise(c, kGP, sel & ~3u, "code selector outside the descriptor table");
  Segment d = decode_descriptor(sel, raw);
  if (seg_is_system(d)) {
    int type = d.attr & 0xF;
    if (type == 4 || type == 12 || type == 5 || type == 1 || type == 9)
      return unsupported_insn(c, c.in, "call gates and task switches");
    return raise(c, kGP, sel & ~3u, "far transfer to a system descriptor");
  }
  if (!seg_is_code(d)) return raise(c, kGP, sel & ~3u, "far transfer to a data segment");
  bool conforming = d.attr & 4;
  if (conforming ? seg_dpl(d) > cpu.cpl : (seg_dpl(d) != cpu.cpl || (sel & 3) > cpu.cpl))
    return raise(c, kGP, sel & ~3u, "far transfer to another privilege level");
  if (!seg_present(d)) return raise(c, kNP, sel & ~3u, "code segment not present");
  if (offset > d.limit) return raise(c, kGP, 0, "far transfer beyond the segment limit");
  d.sel = uint16_t((sel & ~3u) | cpu.cpl);
  cpu.seg[CS] = d;
  cpu.eip = offset;
  c.env.segments_changed();
  return uint32_t(Exit::Dispatch);
}

// After a return to an outer ring, data segment registers the new CPL may not use
// are loaded with the null selector (SDM, RET and IRET).
void null_inaccessible_segments(CpuState& cpu) {
  for (int s : {ES, DS, FS, GS}) {
    const Segment& d = cpu.seg[s];
    bool conforming_code = seg_is_code(d) && (d.attr & 4);
    if ((d.sel & ~3u) != 0 && !conforming_code && seg_dpl(d) < cpu.cpl) {
      cpu.seg[s] = Segment{};
    } else if ((d.sel & ~3u) == 0 && d.attr != 0) {
      cpu.seg[s] = Segment{};
    }
  }
}

// Far RET / IRET to sel:offset. A return to an outer ring (RPL > CPL) also takes the
// stack from ss_sel:esp. Checks come before any state changes.
uint32_t return_far(Ctx& c, uint16_t sel, uint32_t offset, uint16_t ss_sel, uint32_t esp) {
  CpuState& cpu = c.cpu;
  if ((sel & ~3u) == 0) return raise(c, kGP, 0, "return to a null code selector");
  uint64_t raw;
  if (!fetch_descriptor(c, sel, raw)) return raise(c, kGP, sel & ~3u, "return selector outside the descriptor table");
  Segment d = decode_descriptor(sel, raw);
  int rpl = sel & 3;
  if (!seg_is_code(d) || seg_is_system(d)) return raise(c, kGP, sel & ~3u, "return to a non-code segment");
  if (rpl < cpu.cpl) return raise(c, kGP, sel & ~3u, "return to an inner privilege level");
  bool conforming = d.attr & 4;
  if (conforming ? seg_dpl(d) > rpl : seg_dpl(d) != rpl) return raise(c, kGP, sel & ~3u, "return CS DPL mismatch");
  if (!seg_present(d)) return raise(c, kNP, sel & ~3u, "return code segment not present");
  Segment ss{};
  if (rpl > cpu.cpl) {
    if ((ss_sel & ~3u) == 0) return raise(c, kGP, 0, "return to a null stack selector");
    uint64_t ss_raw;
    if (!fetch_descriptor(c, ss_sel, ss_raw)) return raise(c, kGP, ss_sel & ~3u, "stack selector outside the table");
    ss = decode_descriptor(ss_sel, ss_raw);
    bool writable_data = !seg_is_system(ss) && !seg_is_code(ss) && (ss.attr & 2);
    if ((ss_sel & 3) != rpl || seg_dpl(ss) != rpl || !writable_data)
      return raise(c, kGP, ss_sel & ~3u, "bad stack segment for the outer ring");
    if (!seg_present(ss)) return raise(c, kSS, ss_sel & ~3u, "stack segment not present");
  }
  if (offset > d.limit) return raise(c, kGP, 0, "return beyond the segment limit");
  cpu.seg[CS] = d;
  cpu.eip = offset;
  if (rpl > cpu.cpl) {
    cpu.seg[SS] = ss;
    cpu.set_reg(ESP, esp);
    cpu.cpl = uint8_t(rpl);
    null_inaccessible_segments(cpu);
  }
  c.env.segments_changed();
  return uint32_t(Exit::Dispatch);
}

// MOV SS and POP SS hold off interrupts (and single-step traps) for one instruction,
// so that the ESP load that follows runs first.
uint32_t inhibit_interrupts(Ctx& c) {
  c.cpu.irq_inhibit = kInhibitMovSs;
  c.cpu.eip = c.in.next();
  return uint32_t(Exit::Dispatch);
}

bool pop(Ctx& c, uint32_t bytes, uint32_t& v) {
  v = 0;
  uint32_t esp = c.cpu.reg(ESP);
  if (!c.env.read_linear(linear(c.cpu, ZYDIS_REGISTER_SS, esp), &v, bytes)) return false;
  c.cpu.set_reg(ESP, esp + bytes);
  return true;
}

bool push(Ctx& c, uint32_t bytes, uint32_t v) {
  uint32_t esp = c.cpu.reg(ESP) - bytes;
  if (!c.env.write_linear(linear(c.cpu, ZYDIS_REGISTER_SS, esp), &v, bytes)) return false;
  c.cpu.set_reg(ESP, esp);
  return true;
}

// Reads the 16:32 (or 16:16) far pointer at the memory operand.
bool far_pointer(Ctx& c, const ZydisDecodedOperand& op, uint16_t& sel, uint32_t& off) {
  uint32_t bytes = c.in.z.operand_width / 8;
  uint32_t lin = linear(c.cpu, op.mem.segment, c.ea);
  off = 0;
  if (!c.env.read_linear(lin, &off, bytes) || !c.env.read_linear(lin + bytes, &sel, 2)) return false;
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
    case ZYDIS_MNEMONIC_POP: {
      int dst = seg_index(in.ops[0].reg.value);
      uint32_t esp = cpu.reg(ESP), v = 0;
      if (!c.env.read_linear(linear(cpu, ZYDIS_REGISTER_SS, esp), &v, bytes)) return outside_ram(c);
      if (uint32_t r = load_data_segment(c, dst, uint16_t(v))) return r;
      cpu.set_reg(ESP, esp + bytes);
      return dst == SS ? inhibit_interrupts(c) : 0;
    }
    case ZYDIS_MNEMONIC_LDS: case ZYDIS_MNEMONIC_LES: case ZYDIS_MNEMONIC_LFS: case ZYDIS_MNEMONIC_LGS:
    case ZYDIS_MNEMONIC_LSS: {
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
    case ZYDIS_MNEMONIC_JMP:
    case ZYDIS_MNEMONIC_CALL: {
      uint16_t sel;
      uint32_t off;
      if (in.ops[0].type == ZYDIS_OPERAND_TYPE_POINTER) {
        sel = in.ops[0].ptr.segment;
        off = in.ops[0].ptr.offset;
      } else if (!far_pointer(c, in.ops[0], sel, off)) {
        return outside_ram(c);
      }
      if (in.mn() == ZYDIS_MNEMONIC_CALL) {
        uint32_t esp = cpu.reg(ESP);
        if (!push(c, bytes, cpu.seg[CS].sel) || !push(c, bytes, in.next())) {
          cpu.set_reg(ESP, esp);
          return outside_ram(c);
        }
        uint32_t r = load_code_segment(c, sel, off);
        if (r != uint32_t(Exit::Dispatch)) cpu.set_reg(ESP, esp);
        return r;
      }
      return load_code_segment(c, sel, off);
    }
    case ZYDIS_MNEMONIC_RET: {
      uint32_t esp0 = cpu.reg(ESP), off, sel, new_esp = 0, new_ss = 0;
      uint32_t imm = in.z.operand_count_visible ? uint32_t(in.ops[0].imm.value.u & 0xFFFF) : 0;
      if (!pop(c, bytes, off) || !pop(c, bytes, sel)) {
        cpu.set_reg(ESP, esp0);
        return outside_ram(c);
      }
      bool outer = (sel & 3) > cpu.cpl;
      if (outer) {
        cpu.set_reg(ESP, cpu.reg(ESP) + imm);
        if (!pop(c, bytes, new_esp) || !pop(c, bytes, new_ss)) {
          cpu.set_reg(ESP, esp0);
          return outside_ram(c);
        }
      }
      uint32_t after = cpu.reg(ESP);
      cpu.set_reg(ESP, esp0);  // a fault reports the state before the instruction
      if (bytes == 2) off &= 0xFFFF;
      uint32_t r = return_far(c, uint16_t(sel), off, uint16_t(new_ss), new_esp);
      if (r != uint32_t(Exit::Dispatch)) return r;
      cpu.set_reg(ESP, (outer ? cpu.reg(ESP) : after) + imm);
      return r;
    }
    case ZYDIS_MNEMONIC_IRET:
    case ZYDIS_MNEMONIC_IRETD: {
      uint32_t esp0 = cpu.reg(ESP), off, sel, fl, new_esp = 0, new_ss = 0;
      if (!pop(c, bytes, off) || !pop(c, bytes, sel) || !pop(c, bytes, fl)) {
        cpu.set_reg(ESP, esp0);
        return outside_ram(c);
      }
      if (cpu.vflags & FL_NT) {
        cpu.set_reg(ESP, esp0);
        return unsupported_insn(c, in, "IRET with NT set (a task return)");
      }
      if (bytes == 4 && (fl & FL_VM) && cpu.cpl == 0) {
        cpu.set_reg(ESP, esp0);
        return unsupported_insn(c, in, "IRET to virtual-8086 mode");
      }
      bool outer = (sel & 3) > cpu.cpl;
      if (outer && (!pop(c, bytes, new_esp) || !pop(c, bytes, new_ss))) {
        cpu.set_reg(ESP, esp0);
        return outside_ram(c);
      }
      uint32_t after = cpu.reg(ESP);
      cpu.set_reg(ESP, esp0);
      if (bytes == 2) off &= 0xFFFF;
      const uint32_t old_flags = cpu.eflags();
      const int old_cpl = cpu.cpl;
      uint32_t r = return_far(c, uint16_t(sel), off, uint16_t(new_ss), new_esp);
      if (r != uint32_t(Exit::Dispatch)) return r;
      if (!outer) cpu.set_reg(ESP, after);
      // Which flags IRET may change depends on the privilege level it ran at.
      // RF would only hold off instruction breakpoints (none yet) for one instruction and
      // is then cleared: it is not kept, so it cannot stick in later frames.
      uint32_t changeable = FL_HOST | FL_TF | FL_NT | FL_RF | FL_AC | FL_ID;
      if (old_cpl == 0) changeable |= FL_IOPL;
      if (old_cpl <= int((old_flags & FL_IOPL) >> 12)) changeable |= FL_IF;
      if (bytes == 2) changeable &= 0xFFFF;
      cpu.set_eflags(((old_flags & ~changeable) | (fl & changeable)) & ~FL_RF);
      return r;
    }
    case ZYDIS_MNEMONIC_ARPL: {
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
    case ZYDIS_MNEMONIC_LAR: case ZYDIS_MNEMONIC_LSL: case ZYDIS_MNEMONIC_VERR: case ZYDIS_MNEMONIC_VERW: {
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
