// The helpers translated code calls (cpu/helpers.h): helper_emulate finds the family
// of a sensitive instruction and, when it changed the CPU mode or only the address
// space, decides how translated code goes on; helper_fpu_unavailable raises #NM/#UD;
// helper_irq_window leaves for a waiting interrupt.
#include "cpu/emulate.h"
#include "cpu/helpers.h"
#include "cpu/interrupts.h"
#include "error.h"
#include "profile.h"

namespace rs {

namespace {

// MOV to or from a debug register (operand i). They hold their values; breakpoints in
// them are not armed yet.
uint32_t mov_dr(Ctx& c, int i) {
  CpuState& cpu = c.cpu;
  const Insn& in = c.in;
  if (cpu.cpl) return raise(c, kGP);
  int n = in.ops[i].reg.value - ZYDIS_REGISTER_DR0;
  if (n == 4 || n == 5) {
    if (cpu.cr4 & 8) return raise(c, kUD, 0, "DR4/DR5 with CR4.DE");
    n += 2;
  }
  if (i == 0) {
    uint32_t v = read_gpr(cpu, in.ops[1].reg.value);
    cpu.dr[n] = n == 6 ? (v | 0xFFFF0FF0u) : n == 7 ? ((v | 0x400) & ~0x1000u) : v;
  } else {
    write_gpr(cpu, in.ops[0].reg.value, cpu.dr[n]);
  }
  return 0;
}

// BOUND: #BR when the index lies outside the signed bounds pair in memory.
uint32_t bound(Ctx& c) {
  const Insn& in = c.in;
  bool ok = true;
  int32_t idx = int32_t(read_op(c, 0, ok));
  uint32_t lin = linear(c.cpu, in.ops[1].mem.segment, c.ea);
  int32_t lo = 0, hi = 0;
  if (in.z.operand_width == 16) {
    int16_t l16, h16;
    ok = ok && c.env.read_linear(lin, &l16, 2) && c.env.read_linear(lin + 2, &h16, 2);
    lo = l16, hi = h16, idx = int16_t(idx);
  } else {
    ok = ok && c.env.read_linear(lin, &lo, 4) && c.env.read_linear(lin + 4, &hi, 4);
  }
  if (!ok) return outside_ram(c);
  if (idx < lo || idx > hi) return raise(c, kBR);
  c.cpu.eip = in.next();
  return uint32_t(Exit::Dispatch);
}

uint32_t emulate(Ctx& c) {
  const Insn& in = c.in;
  if (in.z.length == 0) return raise(c, kUD, 0, "undecodable instruction");
  if (in.z.encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY && in.z.encoding != ZYDIS_INSTRUCTION_ENCODING_3DNOW)
    return raise(c, kUD, 0, "VEX/EVEX/XOP instructions are not in this CPU's CPUID");
  if (is_string_insn(in)) return emulate_string(c);
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_CPUID:
      return emulate_cpuid(c);
    case ZYDIS_MNEMONIC_IN: case ZYDIS_MNEMONIC_OUT:
    case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW: case ZYDIS_MNEMONIC_INSD:
    case ZYDIS_MNEMONIC_OUTSB: case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
      return emulate_port_io(c);
    case ZYDIS_MNEMONIC_DAA: case ZYDIS_MNEMONIC_DAS: case ZYDIS_MNEMONIC_AAA: case ZYDIS_MNEMONIC_AAS:
    case ZYDIS_MNEMONIC_AAM: case ZYDIS_MNEMONIC_AAD:
      return emulate_bcd(c);
    case ZYDIS_MNEMONIC_POP:
    case ZYDIS_MNEMONIC_LDS: case ZYDIS_MNEMONIC_LES: case ZYDIS_MNEMONIC_LFS: case ZYDIS_MNEMONIC_LGS:
    case ZYDIS_MNEMONIC_LSS:
    case ZYDIS_MNEMONIC_ARPL: case ZYDIS_MNEMONIC_LAR: case ZYDIS_MNEMONIC_LSL:
    case ZYDIS_MNEMONIC_VERR: case ZYDIS_MNEMONIC_VERW:
      return emulate_segments(c);
    case ZYDIS_MNEMONIC_JMP: case ZYDIS_MNEMONIC_CALL: case ZYDIS_MNEMONIC_RET:
    case ZYDIS_MNEMONIC_IRET: case ZYDIS_MNEMONIC_IRETD:
      return emulate_far_transfer(c);
    case ZYDIS_MNEMONIC_MOV:
      for (int i = 0; i < 2; ++i) {
        if (in.ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER) continue;
        const ZydisRegisterClass rc = ZydisRegisterGetClass(in.ops[i].reg.value);
        if (rc == ZYDIS_REGCLASS_SEGMENT) return emulate_segments(c);
        if (rc == ZYDIS_REGCLASS_DEBUG) return mov_dr(c, i);
      }
      return emulate_system(c);
    case ZYDIS_MNEMONIC_BOUND:
      return bound(c);
    default:
      return emulate_system(c);
  }
}

}  // namespace

namespace {

// Instructions whose Exit::Dispatch means only "the mode or the view changed": nothing
// for the run loop to do (port I/O, by contrast, may need the timers serviced).
bool continues_in_place(const Insn& in) {
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_SYSENTER: case ZYDIS_MNEMONIC_SYSEXIT:
    case ZYDIS_MNEMONIC_IRET: case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_MOV: case ZYDIS_MNEMONIC_POP:  // to CR0/CR3/CR4 or a segment register
      return true;
    default:
      return false;
  }
}

}  // namespace

uint32_t helper_emulate(CpuState* cpu, uint32_t ea, const void* data) {
  GuestEnv& m = *cpu->env;
  const Insn& in = *static_cast<const Insn*>(data);
  Ctx c{m, *cpu, in, ea};
  Timed timed(m.profile().helper(in.z, in.ops));
  m.clear_page_fault();
  try {
    const uint32_t mode = m.mode();
    uint32_t r = emulate(c);
    // The block was translated for `mode`, and so is any block its exits are chained to:
    // an instruction that changed it (a segment load giving DS a base...) must not go on.
    if (r == 0 && m.mode() != mode) {
      cpu->eip = in.next();
      r = uint32_t(Exit::Dispatch);
    }
    if (r == uint32_t(Exit::Dispatch) && (in.mn() == ZYDIS_MNEMONIC_IRETD || in.mn() == ZYDIS_MNEMONIC_IRET)) m.after_iret();
    // Kernel entries and exits go straight on to the next block.
    if (r == uint32_t(Exit::Dispatch) && continues_in_place(in)) return m.continue_after_helper();
    return r;
  } catch (const std::exception& e) {
    // Nothing may unwind through the generated frames.
    m.request_stop(kExitInternal, std::string("internal error in instruction emulation: ") + e.what());
    return uint32_t(Exit::Stop);
  }
}

uint32_t helper_fpu_unavailable(CpuState* cpu, uint32_t, const void* data) {
  GuestEnv& m = *cpu->env;
  const Insn& in = *static_cast<const Insn*>(data);
  Ctx c{m, *cpu, in, 0};
  const bool em = cpu->cr0 & 4, ts = cpu->cr0 & 8, mp = cpu->cr0 & 2;
  if (in.mn() == ZYDIS_MNEMONIC_FWAIT) {
    if (ts && mp) return raise(c, kNM, 0, "WAIT with CR0.TS and CR0.MP");
    // WAIT runs: it only reports a pending unmasked x87 exception (FSW.ES).
    if (cpu->fpu[2] & 0x80) {
      if (cpu->cr0 & 0x20) return raise(c, kMF, 0, "pending x87 exception at WAIT");
      m.ferr_irq();
    }
    return 0;  // the block goes on after the WAIT
  } else if (in.fpu_use() != Insn::kX87) {
    if (em) return raise(c, kUD, 0, "MMX/SSE with CR0.EM");
    if (in.fpu_use() == Insn::kXmm && !(cpu->cr4 & 0x200)) return raise(c, kUD, 0, "SSE with CR4.OSFXSR clear");
    if (ts) return raise(c, kNM, 0, "CR0.TS");
  } else if (em || ts) {
    return raise(c, kNM, 0, em ? "x87 with CR0.EM" : "CR0.TS");
  }
  m.request_stop(kExitInternal, "internal error: FPU trap block for an instruction that may run: " + in.text());
  return uint32_t(Exit::Stop);
}

uint32_t helper_irq_window(CpuState* cpu, uint32_t next_eip, const void* sti) {
  cpu->eip = next_eip;
  if (sti) cpu->irq_inhibit = kInhibitSti;
  return uint32_t(Exit::Dispatch);
}

}  // namespace rs
