// What every C++ helper works with: guest registers and operands (registers, memory
// through the operand's segment, immediates), and the ways a helper ends an instruction
// that cannot complete (a guest exception, an access outside RAM, a missing feature).
#include <cstdio>

#include "cpu/emulate.h"
#include "cpu/interrupts.h"
#include "error.h"

namespace rs {

uint32_t read_gpr(const CpuState& cpu, ZydisRegister r) {
  int w = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LEGACY_32, r);
  if (w == 32) return cpu.reg(r - ZYDIS_REGISTER_EAX);
  if (w == 16) return cpu.reg(r - ZYDIS_REGISTER_AX) & 0xFFFF;
  int i = r - ZYDIS_REGISTER_AL;  // AL CL DL BL AH CH DH BH
  return i < 4 ? cpu.reg(i) & 0xFF : (cpu.reg(i - 4) >> 8) & 0xFF;
}

void write_gpr(CpuState& cpu, ZydisRegister r, uint32_t v) {
  int w = ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LEGACY_32, r);
  if (w == 32) return cpu.set_reg(r - ZYDIS_REGISTER_EAX, v);
  if (w == 16) {
    int i = r - ZYDIS_REGISTER_AX;
    return cpu.set_reg(i, (cpu.reg(i) & 0xFFFF0000u) | (v & 0xFFFF));
  }
  int i = r - ZYDIS_REGISTER_AL;
  if (i < 4) return cpu.set_reg(i, (cpu.reg(i) & ~0xFFu) | (v & 0xFF));
  cpu.set_reg(i - 4, (cpu.reg(i - 4) & ~0xFF00u) | ((v & 0xFF) << 8));
}

uint32_t linear(const CpuState& cpu, ZydisRegister seg, uint32_t offset) {
  int s = seg_index(seg);
  if (s < 0) s = DS;
  return cpu.seg[s].base + offset;
}

uint32_t stack_linear(const CpuState& cpu, int32_t disp) {
  const uint32_t off = cpu.reg(ESP) + uint32_t(disp);
  return cpu.seg[SS].base + ((cpu.seg[SS].attr & 0x4000) ? off : off & 0xFFFF);
}

void set_stack_pointer(CpuState& cpu, uint32_t value) {
  if (cpu.seg[SS].attr & 0x4000)
    cpu.set_reg(ESP, value);
  else
    cpu.set_reg(ESP, (cpu.reg(ESP) & 0xFFFF0000u) | (value & 0xFFFF));
}

uint32_t read_op(Ctx& c, int i, bool& ok) {
  const auto& op = c.in.ops[i];
  switch (op.type) {
    case ZYDIS_OPERAND_TYPE_REGISTER:
      return read_gpr(c.cpu, op.reg.value);
    case ZYDIS_OPERAND_TYPE_IMMEDIATE:
      return uint32_t(op.imm.value.u);
    case ZYDIS_OPERAND_TYPE_MEMORY: {
      uint32_t v = 0;
      if (!c.env.read_linear(linear(c.cpu, op.mem.segment, c.ea), &v, op.size / 8)) ok = false;
      return v;
    }
    default:
      ok = false;
      return 0;
  }
}

bool write_op(Ctx& c, int i, uint32_t v) {
  const auto& op = c.in.ops[i];
  if (op.type == ZYDIS_OPERAND_TYPE_REGISTER) {
    write_gpr(c.cpu, op.reg.value, v);
    return true;
  }
  if (op.type == ZYDIS_OPERAND_TYPE_MEMORY) return c.env.write_linear(linear(c.cpu, op.mem.segment, c.ea), &v, op.size / 8);
  return false;
}

uint32_t raise(Ctx& c, int vector, uint32_t error_code, const std::string& detail) {
  c.cpu.eip = c.in.eip;
  // A memory access that missed in the guest's page tables comes first: whatever the
  // instruction would have raised next, the CPU stopped at the #PF.
  if (uint32_t pf_error = 0; c.env.take_page_fault(pf_error)) {
    vector = kPF;
    error_code = pf_error;
  }
  std::string d = detail;
  if (c.in.z.length) d += (d.empty() ? "" : " in ") + c.in.text();
  return c.env.raise_event(vector, EventKind::Fault, error_code, c.in.eip, d);
}

uint32_t raise_after(Ctx& c, int vector, bool software) {
  c.cpu.eip = c.in.next();
  return c.env.raise_event(vector, software ? EventKind::Software : EventKind::Trap, 0, c.in.eip, "");
}

uint32_t outside_ram(Ctx& c) {
  if (uint32_t pf_error = 0; c.env.take_page_fault(pf_error)) {
    c.cpu.eip = c.in.eip;
    return c.env.raise_event(kPF, EventKind::Fault, pf_error, c.in.eip, "page fault in " + c.in.text());
  }
  c.cpu.eip = c.in.eip;
  c.env.request_stop(kExitGuestError, "guest access outside RAM by " + c.in.text() + at_eip(c.in.eip));
  return uint32_t(Exit::Stop);
}

uint32_t unsupported_insn(Ctx& c, const Insn& in, const std::string& what) {
  c.cpu.eip = in.eip;
  c.env.unsupported(what + " (" + in.text() + ")");
  return uint32_t(Exit::Stop);
}

}  // namespace rs
