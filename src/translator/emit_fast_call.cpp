// SYSENTER and SYSEXIT inline: the privilege switch of every system call of a Linux
// guest, without the C++ helper (stub, emulation, a page walk to look the target up).
// The sequence stores what the helper would (cpu/system.cpp fast_system_call: the
// same flat CS/SS from fast_call_segments, CPL, the view's windows, ESP, and for
// SYSENTER IF/RF/VM cleared), computes the new translation mode and enters the target
// through the indirect-branch table in that mode. IA32_SYSENTER_CS is compared with
// its value at translation time; when it changed, or is 0 (#GP), the helper runs.
// Nothing here touches guest memory, so nothing can fault half-way.
#include "cpu/segments.h"
#include "translator/emitter.h"

namespace rs {

using namespace asmjit;

namespace {

// Mode bits a fast system call leaves as they are (translator.h; Translator::mode()
// computes them all from CpuState). CPL, CS.D, the flat stack, IOPL against CPL and
// CR4.TSD at CPL > 0 are what the switch changes; they are computed below.
constexpr uint32_t kKept = kModePE | kModeFpuTrap | kModeNoFxsr | kModeDsBase | kModeEsBase | kModePaging;
static_assert((kKept | kModeCpl | kModeCode32 | kModeFlatStack | kModeStack16 | kModeIoRestricted | kModeTscSlow) ==
                  (kModeStack16 << 1) - 1,
              "a new mode bit: say here what SYSENTER/SYSEXIT do to it");

x86::Mem field(size_t off, uint32_t size) { return Emitter::cpu_field(off, size); }

void store_segment(x86::Assembler& a, int s, const Segment& v) {
  const size_t at = offsetof(CpuState, seg) + sizeof(Segment) * size_t(s);
  static_assert(sizeof(Segment) == 12 && offsetof(Segment, attr) == 2 && offsetof(Segment, base) == 4);
  a.mov(x86::r8, Imm(uint64_t(v.sel) | uint64_t(v.attr) << 16 | uint64_t(v.base) << 32));
  a.mov(field(at, 8), x86::r8);
  a.mov(field(at + offsetof(Segment, limit), 4), Imm(v.limit));
}

}  // namespace

bool emit_fast_call(Emitter& e, const Insn& in) {
  const bool enter = in.mn() == ZYDIS_MNEMONIC_SYSENTER;
  if (!enter && in.mn() != ZYDIS_MNEMONIC_SYSEXIT) return false;
  const uint32_t m = e.blk.mode;
  // Only where the table can take the target (flat modes) and the block is cached;
  // SYSEXIT at CPL > 0 raises #GP in the helper.
  if (!e.blk.cached || (m & (kModeFlatStack | kModeCode32)) != (kModeFlatStack | kModeCode32)) return false;
  if (!enter && (m & kModeCpl) != 0) return false;
  const uint32_t cs_msr = e.tr.cpu().sysenter_cs;
  if ((cs_msr & 0xFFFC) == 0) return false;
  Segment cs, ss;
  fast_call_segments(cs_msr, !enter, cs, ss);
  x86::Assembler& a = e.a;
  Label slow = a.newLabel(), same_tsc = a.newLabel(), io_ok = a.newLabel();

  // The code below compares: the guest's flags wait aside (Emitter::flags_save).
  e.flags_save();
  a.cmp(field(offsetof(CpuState, sysenter_cs), 4), Imm(cs_msr));
  a.jne(slow);
  if (enter) {
    a.mov(field(offsetof(CpuState, vif), 1), Imm(0));
    a.and_(field(offsetof(CpuState, vflags), 4), Imm(~(FL_RF | FL_VM)));
  }
  store_segment(a, CS, cs);
  store_segment(a, SS, ss);
  a.mov(field(offsetof(CpuState, cpl), 1), Imm(enter ? 0 : 3));
  // The view of the new privilege level: GS and every segment's window (segments_changed).
  a.mov(x86::r11, field(offsetof(CpuState, views) + (enter ? 0 : 8), 8));
  a.mov(field(offsetof(CpuState, window), 8), x86::r11);
  set_gs_base(a, x86::r11);
  for (int s = 0; s < 6; ++s) {
    a.mov(x86::r8, x86::r11);
    if (s != CS && s != SS) {  // CS and SS are flat now
      a.mov(x86::r10d, field(offsetof(CpuState, seg) + sizeof(Segment) * size_t(s) + offsetof(Segment, base), 4));
      a.add(x86::r8, x86::r10);
    }
    a.mov(field(offsetof(CpuState, seg_window) + 8 * size_t(s), 8), x86::r8);
    a.neg(x86::r8);
    a.mov(field(offsetof(CpuState, neg_seg_window) + 8 * size_t(s), 8), x86::r8);
  }
  // The target's mode, as Translator::mode() would find it.
  a.mov(x86::r8d, Imm((m & kKept) | (enter ? 0 : 3) | kModeCode32 | kModeFlatStack));
  if (enter) {
    a.cmp(field(offsetof(CpuState, tsc_offset), 8), Imm(0));
    a.je(same_tsc);
    a.or_(x86::r8d, Imm(kModeTscSlow));
  } else {
    a.mov(x86::r10d, field(offsetof(CpuState, vflags), 4));
    a.and_(x86::r10d, Imm(FL_IOPL));
    a.cmp(x86::r10d, Imm(FL_IOPL));
    a.je(io_ok);
    a.or_(x86::r8d, Imm(kModeIoRestricted));
    a.bind(io_ok);
    // At CPL 0 the block's TscSlow bit is the TSC offset's; at CPL 3 CR4.TSD adds to it.
    if (!(m & kModeTscSlow)) {
      a.test(field(offsetof(CpuState, cr4), 1), Imm(4));
      a.jz(same_tsc);
      a.or_(x86::r8d, Imm(kModeTscSlow));
    } else {
      a.or_(x86::r8d, Imm(kModeTscSlow));
    }
  }
  a.bind(same_tsc);
  a.shl(x86::r8, 32);
  e.flags_restore();
  if (enter) {
    a.mov(x86::esp, field(offsetof(CpuState, sysenter_esp), 4));
    a.mov(x86::r9d, field(offsetof(CpuState, sysenter_eip), 4));
  } else {
    a.mov(x86::esp, x86::ecx);
    a.mov(x86::r9d, x86::edx);
  }
  e.jtable_jump_in_r8_mode(Translator::kernel_table((m & kKept) | (enter ? 0 : 3) | kModeCode32 | kModeFlatStack));

  // IA32_SYSENTER_CS changed since translation: the helper does it (or raises #GP).
  a.bind(slow);
  e.flags_restore();
  return true;
}

}  // namespace rs
