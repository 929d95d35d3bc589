// Far transfers in protected mode: far JMP and CALL to a code segment, far RET and
// IRET to the same or an outer privilege level (with the outer stack and the data
// segments the new CPL may not use nulled), as the SDM describes them. Call gates,
// task switches and virtual-8086 mode stop the machine with a message.
#include "cpu/emulate.h"
#include "cpu/segments.h"

namespace rs {

namespace {

// Far JMP/CALL to sel:offset. Only code segments (no call gates or task switches):
// a non-conforming one at the current privilege level or a conforming one at or above it.
uint32_t real_mode_jump(Ctx& c, uint16_t sel, uint32_t offset);

uint32_t load_code_segment(Ctx& c, uint16_t sel, uint32_t offset) {
  CpuState& cpu = c.cpu;
  if (!(cpu.cr0 & 1)) return real_mode_jump(c, sel, offset);
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
  if (!(cpu.cr0 & 1)) return real_mode_jump(c, sel, offset);
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

bool pop(Ctx& c, uint32_t bytes, uint32_t& v) {
  v = 0;
  if (!c.env.read_linear(stack_linear(c.cpu, 0), &v, bytes)) return false;
  set_stack_pointer(c.cpu, c.cpu.reg(ESP) + bytes);
  return true;
}

bool push(Ctx& c, uint32_t bytes, uint32_t v) {
  if (!c.env.write_linear(stack_linear(c.cpu, -int32_t(bytes)), &v, bytes)) return false;
  set_stack_pointer(c.cpu, c.cpu.reg(ESP) - bytes);
  return true;
}

// Real mode: CS = sel, base sel << 4; nothing is checked (the limit and attributes
// the descriptor cache holds stay, as for data segments).
uint32_t real_mode_jump(Ctx& c, uint16_t sel, uint32_t offset) {
  c.cpu.seg[CS].sel = sel;
  c.cpu.seg[CS].base = uint32_t(sel) << 4;
  c.cpu.eip = offset;
  c.env.segments_changed();
  return uint32_t(Exit::Dispatch);
}

// Far JMP and CALL (a direct pointer or m16:32).
uint32_t far_jmp_call(Ctx& c) {
  CpuState& cpu = c.cpu;
  const Insn& in = c.in;
  const uint32_t bytes = in.z.operand_width / 8;
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

// Far RET (imm16), to the same or an outer privilege level.
uint32_t far_ret(Ctx& c) {
  CpuState& cpu = c.cpu;
  const Insn& in = c.in;
  const uint32_t bytes = in.z.operand_width / 8;
  uint32_t esp0 = cpu.reg(ESP), off, sel, new_esp = 0, new_ss = 0;
  uint32_t imm = in.z.operand_count_visible ? uint32_t(in.ops[0].imm.value.u & 0xFFFF) : 0;
  if (!pop(c, bytes, off) || !pop(c, bytes, sel)) {
    cpu.set_reg(ESP, esp0);
    return outside_ram(c);
  }
  bool outer = (cpu.cr0 & 1) && (sel & 3) > cpu.cpl;
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
  if (outer)
    cpu.set_reg(ESP, cpu.reg(ESP) + imm);
  else
    set_stack_pointer(cpu, after + imm);
  return r;
}

// IRET/IRETD in protected mode: the frame, the outer stack, and which flags may change.
// IRET in real mode: IP, CS, FLAGS from the stack; every flag may change but VM (and
// RF, which is not kept).
uint32_t iret_real(Ctx& c) {
  CpuState& cpu = c.cpu;
  const uint32_t bytes = c.in.z.operand_width / 8;
  const uint32_t esp0 = cpu.reg(ESP);
  uint32_t off, sel, fl;
  if (!pop(c, bytes, off) || !pop(c, bytes, sel) || !pop(c, bytes, fl)) {
    cpu.set_reg(ESP, esp0);
    return outside_ram(c);
  }
  uint32_t changeable = FL_HOST | FL_VIRT;
  if (bytes == 2) changeable &= 0xFFFF;
  cpu.set_eflags(((cpu.eflags() & ~changeable) | (fl & changeable)) & ~(FL_RF | FL_VM));
  return real_mode_jump(c, uint16_t(sel), bytes == 2 ? off & 0xFFFF : off);
}

uint32_t iret(Ctx& c) {
  CpuState& cpu = c.cpu;
  const Insn& in = c.in;
  if (!(cpu.cr0 & 1)) return iret_real(c);
  const uint32_t bytes = in.z.operand_width / 8;
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

}  // namespace

uint32_t emulate_far_transfer(Ctx& c) {
  switch (c.in.mn()) {
    case ZYDIS_MNEMONIC_JMP:
    case ZYDIS_MNEMONIC_CALL:
      return far_jmp_call(c);
    case ZYDIS_MNEMONIC_RET:
      return far_ret(c);
    case ZYDIS_MNEMONIC_IRET:
    case ZYDIS_MNEMONIC_IRETD:
      return iret(c);
    default:
      return raise(c, kUD, 0, "unhandled far transfer");
  }
}

}  // namespace rs
