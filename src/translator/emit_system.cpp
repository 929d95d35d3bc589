// Sensitive and privileged instructions. CLI/STI are single flag-free stores to the
// virtual IF, MOV from a control register at CPL 0 a load; the rest call the C++
// emulation (src/cpu) through the helper stub.
// Instructions that can change control flow or the translation mode end the block.
#include "translator/emitter.h"

namespace rs {

using namespace asmjit;

namespace {

bool ends_block(const Insn& in) {
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_HLT:
    case ZYDIS_MNEMONIC_JMP: case ZYDIS_MNEMONIC_CALL:  // far forms
    case ZYDIS_MNEMONIC_RET:
    case ZYDIS_MNEMONIC_IRET: case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_INT: case ZYDIS_MNEMONIC_INT1: case ZYDIS_MNEMONIC_INT3: case ZYDIS_MNEMONIC_INTO:
    case ZYDIS_MNEMONIC_UD0: case ZYDIS_MNEMONIC_UD1: case ZYDIS_MNEMONIC_UD2:
    case ZYDIS_MNEMONIC_SYSENTER: case ZYDIS_MNEMONIC_SYSEXIT: case ZYDIS_MNEMONIC_SYSCALL: case ZYDIS_MNEMONIC_SYSRET:
    case ZYDIS_MNEMONIC_MOV:   // to a control register or a segment register
    case ZYDIS_MNEMONIC_POP:   // into a segment register
    case ZYDIS_MNEMONIC_LMSW:
    case ZYDIS_MNEMONIC_CLTS:
      return true;
    default:
      return false;
  }
}

// MOV r32, CR0/CR2/CR3/CR4 in a CPL 0 block: a load from CpuState. A guest's #PF handler
// reads CR2 for every page fault (73 000 times in three rounds of pie_script), each a
// helper call that also ended the block.
bool emit_read_cr(Emitter& e, const Insn& in) {
  if (in.mn() != ZYDIS_MNEMONIC_MOV || (e.blk.mode & kModeCpl) != 0) return false;
  const ZydisDecodedOperand& dst = in.ops[0];
  const ZydisDecodedOperand& src = in.ops[1];
  if (dst.type != ZYDIS_OPERAND_TYPE_REGISTER || src.type != ZYDIS_OPERAND_TYPE_REGISTER ||
      ZydisRegisterGetClass(dst.reg.value) != ZYDIS_REGCLASS_GPR32)
    return false;
  size_t off;
  switch (src.reg.value) {
    case ZYDIS_REGISTER_CR0: off = offsetof(CpuState, cr0); break;
    case ZYDIS_REGISTER_CR2: off = offsetof(CpuState, cr2); break;
    case ZYDIS_REGISTER_CR3: off = offsetof(CpuState, cr3); break;
    case ZYDIS_REGISTER_CR4: off = offsetof(CpuState, cr4); break;
    default: return false;  // CR1, CR5-7 (#UD), CR8: the helper
  }
  const int r = gpr_index(dst.reg.value);
  if (r == ESP) return false;  // guest ESP is the host stack pointer
  e.a.mov(x86::gpd(uint32_t(r)), Emitter::cpu_field(off, 4));
  return true;
}

}  // namespace

bool is_system(const Insn& in) {
  if (in.z.encoding != ZYDIS_INSTRUCTION_ENCODING_LEGACY && in.z.encoding != ZYDIS_INSTRUCTION_ENCODING_3DNOW)
    return true;  // VEX/EVEX/XOP: no AVX in our CPUID, so #UD
  if (in.has(ZYDIS_ATTRIB_IS_PRIVILEGED)) return true;
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_CLI: case ZYDIS_MNEMONIC_STI: case ZYDIS_MNEMONIC_HLT:
    case ZYDIS_MNEMONIC_CPUID:
    case ZYDIS_MNEMONIC_IN: case ZYDIS_MNEMONIC_OUT:
    case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW: case ZYDIS_MNEMONIC_INSD:
    case ZYDIS_MNEMONIC_OUTSB: case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
    case ZYDIS_MNEMONIC_INT: case ZYDIS_MNEMONIC_INT1: case ZYDIS_MNEMONIC_INT3: case ZYDIS_MNEMONIC_INTO:
    case ZYDIS_MNEMONIC_IRET: case ZYDIS_MNEMONIC_IRETD:
    case ZYDIS_MNEMONIC_UD0: case ZYDIS_MNEMONIC_UD1: case ZYDIS_MNEMONIC_UD2:
    case ZYDIS_MNEMONIC_SGDT: case ZYDIS_MNEMONIC_SIDT: case ZYDIS_MNEMONIC_SLDT: case ZYDIS_MNEMONIC_STR:
    case ZYDIS_MNEMONIC_SMSW: case ZYDIS_MNEMONIC_LAR: case ZYDIS_MNEMONIC_LSL:
    case ZYDIS_MNEMONIC_VERR: case ZYDIS_MNEMONIC_VERW:
    case ZYDIS_MNEMONIC_SYSENTER: case ZYDIS_MNEMONIC_SYSEXIT: case ZYDIS_MNEMONIC_SYSCALL: case ZYDIS_MNEMONIC_SYSRET:
    case ZYDIS_MNEMONIC_XGETBV: case ZYDIS_MNEMONIC_XSETBV:
    case ZYDIS_MNEMONIC_XSAVE: case ZYDIS_MNEMONIC_XRSTOR: case ZYDIS_MNEMONIC_XSAVEOPT:
    case ZYDIS_MNEMONIC_XSAVEC: case ZYDIS_MNEMONIC_XSAVES: case ZYDIS_MNEMONIC_XRSTORS:
    case ZYDIS_MNEMONIC_RDPMC: case ZYDIS_MNEMONIC_RDTSCP: case ZYDIS_MNEMONIC_RDPID:
    case ZYDIS_MNEMONIC_CLAC: case ZYDIS_MNEMONIC_STAC:
    // Privileged (Zydis does not flag all of them).
    case ZYDIS_MNEMONIC_LGDT: case ZYDIS_MNEMONIC_LIDT: case ZYDIS_MNEMONIC_LLDT: case ZYDIS_MNEMONIC_LTR:
    case ZYDIS_MNEMONIC_LMSW: case ZYDIS_MNEMONIC_CLTS: case ZYDIS_MNEMONIC_INVD: case ZYDIS_MNEMONIC_WBINVD:
    case ZYDIS_MNEMONIC_INVLPG: case ZYDIS_MNEMONIC_RDMSR: case ZYDIS_MNEMONIC_WRMSR: case ZYDIS_MNEMONIC_RSM:
    case ZYDIS_MNEMONIC_MONITOR: case ZYDIS_MNEMONIC_MWAIT: case ZYDIS_MNEMONIC_INVPCID:
    case ZYDIS_MNEMONIC_SWAPGS: case ZYDIS_MNEMONIC_VMCALL: case ZYDIS_MNEMONIC_VMMCALL:
      return true;
    case ZYDIS_MNEMONIC_JMP:
    case ZYDIS_MNEMONIC_CALL:
    case ZYDIS_MNEMONIC_RET:
      return in.z.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR;
    case ZYDIS_MNEMONIC_MOV:
      for (int i = 0; i < in.z.operand_count_visible; ++i)
        if (in.ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER &&
            (ZydisRegisterGetClass(in.ops[i].reg.value) == ZYDIS_REGCLASS_SEGMENT ||
             ZydisRegisterGetClass(in.ops[i].reg.value) == ZYDIS_REGCLASS_CONTROL ||
             ZydisRegisterGetClass(in.ops[i].reg.value) == ZYDIS_REGCLASS_DEBUG))
          return true;
      return false;
    case ZYDIS_MNEMONIC_POP:
      return in.ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
             ZydisRegisterGetClass(in.ops[0].reg.value) == ZYDIS_REGCLASS_SEGMENT;
    default:
      return false;
  }
}

bool emit_system(Emitter& e, const Insn& in) {
  // With CPL <= IOPL, CLI and STI are stores to the virtual IF (else the helper raises #GP).
  const bool io_ok = !(e.blk.mode & kModeIoRestricted);
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_CLI:
      if (!io_ok) break;
      e.a.mov(Emitter::cpu_field(offsetof(CpuState, vif), 1), Imm(0));
      return false;
    case ZYDIS_MNEMONIC_STI:
      if (!io_ok) break;
      e.a.mov(Emitter::cpu_field(offsetof(CpuState, vif), 1), Imm(1));
      e.a.movzx(x86::r8d, Emitter::cpu_field(offsetof(CpuState, irq_waiting), 1));
      e.irq_window_check(in, true);
      return false;
    default:
      break;
  }
  if (emit_read_cr(e, in)) return false;
  if (emit_read_sreg(e, in)) return false;
  if (emit_verw(e, in)) return false;
  if (emit_load_sreg(e, in)) return true;
  emit_fast_call(e, in);  // SYSENTER/SYSEXIT inline; the helper below is its slow path
  bool ea = in.mem_operand() != nullptr && in.z.encoding == ZYDIS_INSTRUCTION_ENCODING_LEGACY &&
            in.has(ZYDIS_ATTRIB_HAS_MODRM) && in.z.raw.modrm.mod != 3;
  e.call_helper(in, &helper_emulate, ea, &in);
  if (ends_block(in)) {
    e.exit_direct(in.next());
    return true;
  }
  return false;
}

}  // namespace rs
