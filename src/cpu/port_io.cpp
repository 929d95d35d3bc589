// IN, OUT, INS, OUTS (with REP). At CPL 0 every port is accessible; the I/O
// permission bitmap arrives with the TSS.
#include "cpu/emulate.h"
#include "devices/io_bus.h"
#include "machine.h"

namespace rs {

uint32_t emulate_port_io(Ctx& c) {
  CpuState& cpu = c.cpu;
  const Insn& in = c.in;
  uint32_t iopl = (cpu.vflags & FL_IOPL) >> 12;
  if (cpu.cpl > iopl) return raise(c, kGP, 0, "I/O without privilege (no TSS bitmap yet)");
  IoBus& io = c.m.io();
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_IN: {
      int size = in.ops[0].size / 8;
      uint16_t port = uint16_t(in.ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE ? in.ops[1].imm.value.u : cpu.reg(EDX));
      write_gpr(cpu, in.ops[0].reg.value, io.in(port, size));
      break;
    }
    case ZYDIS_MNEMONIC_OUT: {
      int size = in.ops[1].size / 8;
      uint16_t port = uint16_t(in.ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE ? in.ops[0].imm.value.u : cpu.reg(EDX));
      io.out(port, size, read_gpr(cpu, in.ops[1].reg.value));
      break;
    }
    default: {
      // String I/O: ES:EDI for INS, DS:ESI (overridable) for OUTS.
      bool is_in = in.mn() == ZYDIS_MNEMONIC_INSB || in.mn() == ZYDIS_MNEMONIC_INSW || in.mn() == ZYDIS_MNEMONIC_INSD;
      int size = in.z.operand_width / 8;
      if (in.mn() == ZYDIS_MNEMONIC_INSB || in.mn() == ZYDIS_MNEMONIC_OUTSB) size = 1;
      if (in.z.address_width != 32) return raise(c, kUD, 0, "16-bit address-size string I/O is not supported yet");
      bool rep = in.has(ZYDIS_ATTRIB_HAS_REP);
      int32_t step = (cpu.rflags & FL_DF) ? -size : size;
      ZydisRegister seg = ZYDIS_REGISTER_DS;
      for (int i = 0; i < in.z.operand_count; ++i)
        if (in.ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && in.ops[i].mem.base == ZYDIS_REGISTER_ESI)
          seg = in.ops[i].mem.segment;
      uint16_t port = uint16_t(cpu.reg(EDX));
      while (!rep || cpu.reg(ECX) != 0) {
        uint32_t v = 0;
        if (is_in) {
          v = io.in(port, size);
          if (!c.m.write_linear(linear(cpu, ZYDIS_REGISTER_ES, cpu.reg(EDI)), &v, uint32_t(size)))
            return raise(c, kGP, 0, "INS buffer outside RAM");
          cpu.set_reg(EDI, cpu.reg(EDI) + uint32_t(step));
        } else {
          if (!c.m.read_linear(linear(cpu, seg, cpu.reg(ESI)), &v, uint32_t(size)))
            return raise(c, kGP, 0, "OUTS buffer outside RAM");
          io.out(port, size, v);
          cpu.set_reg(ESI, cpu.reg(ESI) + uint32_t(step));
        }
        if (!rep) break;
        cpu.set_reg(ECX, cpu.reg(ECX) - 1);
        if (c.m.stopping()) break;
      }
      break;
    }
  }
  if (c.m.stopping()) {
    cpu.eip = in.next();
    return uint32_t(Exit::Stop);
  }
  return 0;
}

}  // namespace rs
