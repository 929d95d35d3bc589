// System instructions: control registers, descriptor tables and LDTR/TR, MSRs,
// SYSENTER/SYSEXIT, HLT, CLI/STI, RDTSC, INVLPG, software interrupts.
#include <cstdio>
#include <cstring>

#include "cpu/emulate.h"
#include "mmu/page_walk.h"
#include "cpu/helpers.h"
#include "profile.h"
#include "cpu/interrupts.h"
#include "cpu/segments.h"
#include "error.h"
#include "cpu/guest_env.h"

namespace rs {

namespace {


uint64_t host_tsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t(hi) << 32) | lo;
}

}  // namespace

namespace {

uint32_t mov_cr(Ctx& c) {
  CpuState& cpu = c.cpu;
  const Insn& in = c.in;
  if (cpu.cpl != 0) return raise(c, kGP);
  bool to_cr = in.ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER && ZydisRegisterGetClass(in.ops[0].reg.value) == ZYDIS_REGCLASS_CONTROL;
  ZydisRegister crreg = to_cr ? in.ops[0].reg.value : in.ops[1].reg.value;
  int n = crreg - ZYDIS_REGISTER_CR0;
  if (n != 0 && n != 2 && n != 3 && n != 4) return raise(c, kUD, 0, "no such control register");
  uint32_t* cr[] = {&cpu.cr0, nullptr, &cpu.cr2, &cpu.cr3, &cpu.cr4};
  if (!to_cr) {
    write_gpr(cpu, in.ops[0].reg.value, *cr[n]);
    return 0;
  }
  uint32_t v = read_gpr(cpu, in.ops[1].reg.value);
  const uint32_t old_cr0 = cpu.cr0, old_cr4 = cpu.cr4;
  uint32_t cr0 = cpu.cr0, cr3 = cpu.cr3, cr4 = cpu.cr4;
  switch (n) {
    case 0:
      if ((v & 0x80000000u) && !(v & 1)) return raise(c, kGP, 0, "CR0.PG without CR0.PE");
      if ((v & 0x20000000u) && !(v & 0x40000000u)) return raise(c, kGP, 0, "CR0.NW without CR0.CD");
      cr0 = v | 0x10;  // ET is hard-wired to 1
      break;
    case 2: cpu.cr2 = v; break;
    case 3: cr3 = v; break;
    case 4: {
      // CR4 bits of features the CPUID model has: TSD PSE PAE PGE PCE OSFXSR OSXMMEXCPT.
      // The others (VME, PVI, DE, MCE...) are reserved on this CPU: #GP.
      const uint32_t known = 0x4 | 0x10 | 0x20 | 0x80 | 0x100 | 0x200 | 0x400;
      if (v & ~known) return raise(c, kGP, 0, "reserved CR4 bit");
      cr4 = v;
      break;
    }
  }
  if (n == 2) {
    cpu.eip = in.next();
    return uint32_t(Exit::Dispatch);
  }
  // PAE paging after this write: the PDPTE registers are loaded from the new CR3 by a MOV
  // CR3, and by a MOV CR0/CR4 that changes PG, CD, NW, PAE, PGE or PSE (SDM vol. 3,
  // 4.4.1); a reserved bit in a present one is a #GP(0) and nothing is written.
  const bool pae = (cr0 & 0x80000000u) && (cr4 & 0x20);
  const bool reload = n == 3 || ((old_cr0 ^ cr0) & 0xE0000000u) || ((old_cr4 ^ cr4) & 0xB0);
  if (pae && reload) {
    uint64_t p[4];
    c.env.phys_access(cr3 & ~0x1Fu, p, sizeof p, false);
    if (!pdptes_valid(p)) return raise(c, kGP, 0, "reserved bit in a PDPTE");
    std::memcpy(cpu.pdpte, p, sizeof p);
  }
  cpu.cr0 = cr0;
  cpu.cr3 = cr3;
  cpu.cr4 = cr4;
  // Back in real mode the CPL is 0; the segment caches keep what they held.
  if (n == 0 && !(cr0 & 1)) cpu.cpl = 0;
  c.env.paging_changed(old_cr0, old_cr4);
  if ((old_cr0 ^ cr0) & 1) c.env.segments_changed();
  cpu.eip = in.next();
  return uint32_t(Exit::Dispatch);  // the block ends: mode bits may have changed
}

uint32_t descriptor_table(Ctx& c) {
  CpuState& cpu = c.cpu;
  const Insn& in = c.in;
  bool store = in.mn() == ZYDIS_MNEMONIC_SGDT || in.mn() == ZYDIS_MNEMONIC_SIDT;
  bool gdt = in.mn() == ZYDIS_MNEMONIC_SGDT || in.mn() == ZYDIS_MNEMONIC_LGDT;
  if (in.ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY) return raise(c, kUD);
  if (!store && cpu.cpl != 0) return raise(c, kGP);
  DescTable& t = gdt ? cpu.gdtr : cpu.idtr;
  uint32_t lin = linear(cpu, in.ops[0].mem.segment, c.ea);
  uint8_t buf[6];
  if (store) {
    std::memcpy(buf, &t.limit, 2);
    std::memcpy(buf + 2, &t.base, 4);
    if (!c.env.write_linear(lin, buf, 6)) return outside_ram(c);
    return 0;
  }
  if (!c.env.read_linear(lin, buf, 6)) return outside_ram(c);
  std::memcpy(&t.limit, buf, 2);
  std::memcpy(&t.base, buf + 2, 4);
  if (in.z.operand_width == 16) t.base &= 0x00FFFFFF;
  if (gdt) cpu.clear_seg_cache();
  return 0;
}

// The MSRs the CPUID model implies: TSC (CPUID.TSC/MSR), SYSENTER (CPUID.SEP), and
// the microcode revision every P6-class CPU has (no microcode: revision 0), on Intel
// hosts IA32_MISC_ENABLE, and on AMD hosts the northbridge configuration register Linux
// programs.
uint32_t msr(Ctx& c) {
  CpuState& cpu = c.cpu;
  if (cpu.cpl != 0) return raise(c, kGP);
  uint32_t idx = cpu.reg(ECX);
  bool write = c.in.mn() == ZYDIS_MNEMONIC_WRMSR;
  uint64_t v = (uint64_t(cpu.reg(EDX)) << 32) | cpu.reg(EAX);
  switch (idx) {
    case 0x10:  // IA32_TIME_STAMP_COUNTER
      if (write) {
        cpu.tsc_offset = int64_t(v - host_tsc());
        cpu.eip = c.in.next();
        return uint32_t(Exit::Dispatch);  // RDTSC may need emulation from now on
      }
      v = host_tsc() + uint64_t(cpu.tsc_offset);
      break;
    case 0x8B:  // IA32_BIOS_SIGN_ID: writes are the "read the revision" handshake
      v = 0;
      break;
    case 0x10A:  // IA32_ARCH_CAPABILITIES: read-only, the host's verdicts
      if (write) return raise(c, kGP, 0, "wrmsr to IA32_ARCH_CAPABILITIES");
      v = arch_capabilities();
      break;
    case 0xC001001F:  // AMD NB_CFG: Linux sets its extended-config-space bit on family 10h+
      if (!host_is_amd()) return raise(c, kGP, 0, "rdmsr/wrmsr of an AMD MSR on an Intel model");
      if (write) cpu.amd_nb_cfg = v;
      v = cpu.amd_nb_cfg;
      break;
    case 0x1A0:  // IA32_MISC_ENABLE: Intel's (Linux's verify_cpu reads it to clear XD disable)
      if (host_is_amd()) return raise(c, kGP, 0, "rdmsr/wrmsr of an Intel MSR on an AMD model");
      if (write) {
        // Read-only bits keep their value; setting one that is not modelled is refused.
        if (v & ~(kMiscEnableWritable | kMiscEnableReset))
          return raise(c, kGP, 0, "wrmsr sets an IA32_MISC_ENABLE bit ringshift does not model");
        cpu.misc_enable = (v & kMiscEnableWritable) | (kMiscEnableReset & ~kMiscEnableWritable);
      }
      v = cpu.misc_enable;
      break;
    case 0xC0000080:  // IA32_EFER: NXE alone (no SYSCALL, no long mode on this CPU)
      if (write) {
        if (v & ~kEferNxe) return raise(c, kGP, 0, "reserved IA32_EFER bit");
        const uint64_t old = cpu.efer;
        cpu.efer = v;
        if (old != v) c.env.paging_changed(cpu.cr0, cpu.cr4);  // what may be fetched changed
      }
      v = cpu.efer;
      break;
    case 0x174:  // IA32_SYSENTER_CS
      if (write) cpu.sysenter_cs = uint32_t(v) & 0xFFFF;
      v = cpu.sysenter_cs;
      break;
    case 0x175:  // IA32_SYSENTER_ESP
      if (write) cpu.sysenter_esp = uint32_t(v);
      v = cpu.sysenter_esp;
      break;
    case 0x176:  // IA32_SYSENTER_EIP
      if (write) cpu.sysenter_eip = uint32_t(v);
      v = cpu.sysenter_eip;
      break;
    default:
      return raise(c, kGP, 0, (write ? "wrmsr to unknown MSR " : "rdmsr of unknown MSR ") + hex32(idx));
  }
  if (!write) {
    cpu.set_reg(EAX, uint32_t(v));
    cpu.set_reg(EDX, uint32_t(v >> 32));
  }
  return 0;
}

uint32_t fast_system_call(Ctx& c) {
  CpuState& cpu = c.cpu;
  const bool no_cs = (cpu.sysenter_cs & 0xFFFC) == 0;
  if (c.in.mn() == ZYDIS_MNEMONIC_SYSENTER) {
    if (no_cs) return raise(c, kGP, 0, "SYSENTER with IA32_SYSENTER_CS = 0");
    uint32_t fl = cpu.eflags() & ~(FL_VM | FL_IF | FL_RF);
    cpu.set_eflags(fl);
    fast_call_segments(cpu.sysenter_cs, false, cpu.seg[CS], cpu.seg[SS]);
    cpu.cpl = 0;
    cpu.set_reg(ESP, cpu.sysenter_esp);
    cpu.eip = cpu.sysenter_eip;
  } else {
    if (cpu.cpl != 0 || no_cs) return raise(c, kGP, 0, "SYSEXIT outside ring 0 or with IA32_SYSENTER_CS = 0");
    fast_call_segments(cpu.sysenter_cs, true, cpu.seg[CS], cpu.seg[SS]);
    cpu.cpl = 3;
    cpu.set_reg(ESP, cpu.reg(ECX));
    cpu.eip = cpu.reg(EDX);
  }
  c.env.segments_changed();
  return uint32_t(Exit::Dispatch);
}

// LTR: loads an available 32-bit TSS descriptor from the GDT and marks it busy.
uint32_t load_task_register(Ctx& c) {
  CpuState& cpu = c.cpu;
  if (cpu.cpl != 0) return raise(c, kGP);
  bool ok = true;
  uint16_t sel = uint16_t(read_op(c, 0, ok));
  if (!ok) return outside_ram(c);
  if ((sel & ~3u) == 0) return raise(c, kGP, 0, "null TSS selector");
  uint64_t raw;
  if ((sel & 4) || !read_descriptor(c.env, cpu, sel, raw)) return raise(c, kGP, sel & ~3u, "bad TSS selector");
  Segment d = decode_descriptor(sel, raw);
  int type = d.attr & 0x1F;
  if (type == 0x01) return unsupported_insn(c, c.in, "a 16-bit TSS");
  if (type != 0x09) return raise(c, kGP, sel & ~3u, "not an available TSS");
  if (!seg_present(d)) return raise(c, kNP, sel & ~3u, "TSS not present");
  raw |= 2ull << 40;  // busy
  write_descriptor(c.env, cpu, sel, raw);
  d.attr |= 2;
  cpu.tr = d;
  return 0;
}

// SMSW, LMSW, CLTS: the low half of CR0 and its TS bit.
uint32_t machine_status_word(Ctx& c) {
  CpuState& cpu = c.cpu;
  const Insn& in = c.in;
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_SMSW:
      // To a register: all of CR0 for 32-bit operands (as real CPUs do); to memory: 16 bits.
      if (in.ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER) write_gpr(cpu, in.ops[0].reg.value, cpu.cr0);
      else if (!write_op(c, 0, cpu.cr0 & 0xFFFF)) return outside_ram(c);
      return 0;
    case ZYDIS_MNEMONIC_LMSW: {
      if (cpu.cpl != 0) return raise(c, kGP);
      bool ok = true;
      uint32_t v = read_op(c, 0, ok) & 0xF;
      if (!ok) return outside_ram(c);
      cpu.cr0 = (cpu.cr0 & ~0xEu) | (v & 0xE) | (cpu.cr0 & 1) | (v & 1);  // LMSW cannot clear PE
      cpu.eip = in.next();
      return uint32_t(Exit::Dispatch);
    }
    default:  // CLTS
      if (cpu.cpl != 0) return raise(c, kGP);
      cpu.cr0 &= ~8u;
      cpu.eip = in.next();
      return uint32_t(Exit::Dispatch);
  }
}

// LLDT: an LDT descriptor from the GDT (a null selector leaves LDTR unusable).
uint32_t load_ldt(Ctx& c) {
  CpuState& cpu = c.cpu;
  if (cpu.cpl != 0) return raise(c, kGP);
  bool ok = true;
  uint16_t sel = uint16_t(read_op(c, 0, ok));
  if (!ok) return outside_ram(c);
  if ((sel & ~3u) == 0) {
    cpu.ldtr = Segment{};
    return 0;
  }
  uint64_t raw = 0;
  if ((sel & 4) || !read_descriptor(c.env, cpu, sel, raw)) return raise(c, kGP, sel & ~3u, "bad LDT selector");
  Segment d = decode_descriptor(sel, raw);
  if ((d.attr & 0x1F) != 2) return raise(c, kGP, sel & ~3u, "not an LDT descriptor");
  if (!(d.attr & 0x80)) return raise(c, kNP, sel & ~3u, "LDT not present");
  cpu.ldtr = d;
  return 0;
}

// INT n, INT3, INT1 (ICEBP), INTO: delivered by the run loop after the instruction.
uint32_t software_interrupt(Ctx& c) {
  switch (c.in.mn()) {
    case ZYDIS_MNEMONIC_INT3:
      return raise_after(c, kBP, true);
    case ZYDIS_MNEMONIC_INT1:
      // ICEBP: a trap-class #DB as if from hardware, so no gate DPL check.
      return raise_after(c, kDB, false);
    case ZYDIS_MNEMONIC_INTO:
      if (!(c.cpu.rflags & FL_OF)) return 0;
      return raise_after(c, kOF, true);
    default:
      return raise_after(c, int(c.in.ops[0].imm.value.u & 0xFF), true);
  }
}

}  // namespace

uint32_t emulate_system(Ctx& c) {
  CpuState& cpu = c.cpu;
  const Insn& in = c.in;
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_HLT:
      if (cpu.cpl != 0) return raise(c, kGP);
      cpu.eip = in.next();
      return uint32_t(Exit::Halt);
    case ZYDIS_MNEMONIC_MOV:
      return mov_cr(c);
    case ZYDIS_MNEMONIC_LGDT: case ZYDIS_MNEMONIC_LIDT: case ZYDIS_MNEMONIC_SGDT: case ZYDIS_MNEMONIC_SIDT:
      return descriptor_table(c);
    case ZYDIS_MNEMONIC_SMSW: case ZYDIS_MNEMONIC_LMSW: case ZYDIS_MNEMONIC_CLTS:
      return machine_status_word(c);
    case ZYDIS_MNEMONIC_SLDT:
      if (!write_op(c, 0, cpu.ldtr.sel)) return outside_ram(c);
      return 0;
    case ZYDIS_MNEMONIC_STR:
      if (!write_op(c, 0, cpu.tr.sel)) return outside_ram(c);
      return 0;
    case ZYDIS_MNEMONIC_LLDT:
      return load_ldt(c);
    case ZYDIS_MNEMONIC_LTR:
      return load_task_register(c);
    case ZYDIS_MNEMONIC_SYSENTER: case ZYDIS_MNEMONIC_SYSEXIT:
      return fast_system_call(c);
    case ZYDIS_MNEMONIC_CLI: case ZYDIS_MNEMONIC_STI:
      if (cpu.cpl > ((cpu.vflags & FL_IOPL) >> 12)) return raise(c, kGP, 0, "CLI/STI with CPL > IOPL");
      cpu.vif = in.mn() == ZYDIS_MNEMONIC_STI;
      return 0;
    case ZYDIS_MNEMONIC_RDTSC: {
      if ((cpu.cr4 & 4) && cpu.cpl > 0) return raise(c, kGP, 0, "RDTSC with CR4.TSD");
      uint64_t t = host_tsc() + uint64_t(cpu.tsc_offset);
      cpu.set_reg(EAX, uint32_t(t));
      cpu.set_reg(EDX, uint32_t(t >> 32));
      return 0;
    }
    case ZYDIS_MNEMONIC_INVD: case ZYDIS_MNEMONIC_WBINVD:
      if (cpu.cpl != 0) return raise(c, kGP);
      return 0;  // no caches to maintain
    case ZYDIS_MNEMONIC_INVLPG:
      if (cpu.cpl != 0) return raise(c, kGP);
      if (in.ops[0].type != ZYDIS_OPERAND_TYPE_MEMORY) return raise(c, kUD);
      c.env.invlpg(linear(cpu, in.ops[0].mem.segment, c.ea));
      return 0;
    case ZYDIS_MNEMONIC_RDMSR: case ZYDIS_MNEMONIC_WRMSR:
      return msr(c);
    case ZYDIS_MNEMONIC_RDPMC:
      return raise(c, kGP, 0, "performance counters are not implemented");
    case ZYDIS_MNEMONIC_INT3: case ZYDIS_MNEMONIC_INT1: case ZYDIS_MNEMONIC_INTO: case ZYDIS_MNEMONIC_INT:
      return software_interrupt(c);
    default:
      return raise(c, kUD, 0, "instruction not supported");
  }
}

}  // namespace rs
