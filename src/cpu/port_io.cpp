// IN, OUT, INS, OUTS (with REP), with the IOPL and TSS I/O-permission-bitmap checks.
#include "cpu/emulate.h"
#include "profile.h"
#include "cpu/guest_env.h"

namespace rs {

namespace {

// With CPL > IOPL, every port of the access must be allowed by the TSS bitmap (SDM 20.5.2).
bool io_permitted(Ctx& c, uint16_t port, int size) {
  const CpuState& cpu = c.cpu;
  if (cpu.cpl <= ((cpu.vflags & FL_IOPL) >> 12)) return true;
  const Segment& tr = cpu.tr;
  if ((tr.sel & ~3u) == 0 || ((tr.attr & 0xF) != 0xB && (tr.attr & 0xF) != 0x9) || tr.limit < 0x67) return false;
  uint16_t map_base = 0;
  if (!c.env.read_linear(tr.base + 0x66, &map_base, 2, true)) return false;
  uint32_t at = map_base + port / 8u;
  if (at + 1 > tr.limit) return false;
  uint16_t bits = 0;
  if (!c.env.read_linear(tr.base + at, &bits, 2, true)) return false;
  uint32_t mask = ((1u << size) - 1) << (port & 7);
  return (bits & mask) == 0;
}

uint16_t port_of(const Insn& in, const CpuState& cpu, int op) {
  return uint16_t(in.ops[op].type == ZYDIS_OPERAND_TYPE_IMMEDIATE ? in.ops[op].imm.value.u : cpu.reg(EDX));
}

// INS, OUTS, with REP: ES:EDI for INS, DS:ESI (overridable) for OUTS, one element at a
// time through the port, ending early when the machine must stop.
uint32_t string_port_io(Ctx& c) {
  CpuState& cpu = c.cpu;
  const Insn& in = c.in;
  GuestEnv& io = c.env;
  bool is_in = in.mn() == ZYDIS_MNEMONIC_INSB || in.mn() == ZYDIS_MNEMONIC_INSW || in.mn() == ZYDIS_MNEMONIC_INSD;
  int size = in.z.operand_width / 8;
  if (in.mn() == ZYDIS_MNEMONIC_INSB || in.mn() == ZYDIS_MNEMONIC_OUTSB) size = 1;
  // 16-bit addressing: SI, DI and CX wrap at 64 KiB.
  const uint32_t amask = in.z.address_width == 16 ? 0xFFFFu : 0xFFFFFFFFu;
  auto bump = [&](int r, uint32_t delta) { cpu.set_reg(r, (cpu.reg(r) & ~amask) | ((cpu.reg(r) + delta) & amask)); };
  bool rep = in.has(ZYDIS_ATTRIB_HAS_REP);
  int32_t step = (cpu.rflags & FL_DF) ? -size : size;
  ZydisRegister seg = ZYDIS_REGISTER_DS;
  for (int i = 0; i < in.z.operand_count; ++i)
    if (in.ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && in.ops[i].mem.base == ZYDIS_REGISTER_ESI)
      seg = in.ops[i].mem.segment;
  uint16_t port = uint16_t(cpu.reg(EDX));
  while (!rep || (cpu.reg(ECX) & amask) != 0) {
    uint32_t v = 0;
    if (is_in) {
      v = io.port_in(port, size);
      if (!c.env.write_linear(linear(cpu, ZYDIS_REGISTER_ES, cpu.reg(EDI) & amask), &v, uint32_t(size)))
        return outside_ram(c);
      bump(EDI, uint32_t(step));
    } else {
      if (!c.env.read_linear(linear(cpu, seg, cpu.reg(ESI) & amask), &v, uint32_t(size)))
        return outside_ram(c);
      io.port_out(port, size, v);
      bump(ESI, uint32_t(step));
    }
    if (!rep) break;
    bump(ECX, uint32_t(-1));
    if (c.env.must_leave()) break;
    // A signal or a due timer: restart here later, as an interrupt would find it.
    if (cpu.exit_request && (cpu.reg(ECX) & amask) != 0) {
      cpu.eip = in.eip;
      return uint32_t(Exit::Dispatch);
    }
  }
  return 0;
}

}  // namespace

uint32_t emulate_port_io(Ctx& c) {
  CpuState& cpu = c.cpu;
  const Insn& in = c.in;
  uint16_t first_port;
  {
    int size = in.z.operand_width / 8;
    uint16_t port = uint16_t(cpu.reg(EDX));
    if (in.mn() == ZYDIS_MNEMONIC_IN) size = in.ops[0].size / 8, port = port_of(in, cpu, 1);
    if (in.mn() == ZYDIS_MNEMONIC_OUT) size = in.ops[1].size / 8, port = port_of(in, cpu, 0);
    if (in.mn() == ZYDIS_MNEMONIC_INSB || in.mn() == ZYDIS_MNEMONIC_OUTSB) size = 1;
    if (!io_permitted(c, port, size)) return raise(c, kGP, 0, "I/O port not permitted at this CPL");
    first_port = port;
  }
  Timed timed(c.env.profile().ports[first_port]);
  GuestEnv& io = c.env;
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_IN: {
      int size = in.ops[0].size / 8;
      uint16_t port = uint16_t(in.ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE ? in.ops[1].imm.value.u : cpu.reg(EDX));
      if (!vmware_backdoor(c, port, size)) write_gpr(cpu, in.ops[0].reg.value, io.port_in(port, size));
      break;
    }
    case ZYDIS_MNEMONIC_OUT: {
      int size = in.ops[1].size / 8;
      uint16_t port = uint16_t(in.ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE ? in.ops[0].imm.value.u : cpu.reg(EDX));
      io.port_out(port, size, read_gpr(cpu, in.ops[1].reg.value));
      break;
    }
    default:
      if (uint32_t r = string_port_io(c)) return r;
      break;
  }
  if (c.env.must_leave()) {
    cpu.eip = in.next();
    return uint32_t(Exit::Stop);
  }
  // An EOI or unmask may have made an interrupt deliverable: take it now, as hardware would.
  if (c.env.ports_settled()) {
    cpu.eip = in.next();
    return uint32_t(Exit::Dispatch);
  }
  return 0;
}

}  // namespace rs
