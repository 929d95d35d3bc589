// Segment register loads inline. Linux loads DS, ES and FS on every kernel entry and
// FS again on the way out; through the C++ emulation each load cost ~160 ns (the GDT
// read walks the guest page tables). Translated code instead looks the selector up in
// CpuState::seg_cache, which the C++ load fills: when the key (selector, CPL) matches
// and the GDT entry in guest RAM still holds the value the entry was made from, every
// check of the SDM would pass again with the same result, so the cached segment is
// copied in. Anything else - SS, LDT selectors, a changed descriptor, a DS/ES load that
// would change the block's mode - goes to the C++ emulation as before.
#include "cpu/emulate.h"
#include "translator/emitter.h"

namespace rs {

using namespace asmjit;

namespace {

x86::Mem cache_field(const x86::Gp& entry, size_t off, uint32_t size) { return x86::Mem(entry, int32_t(off), size); }

// R10 = the seg_cache entry of the selector in R9d at the current CPL, or a jump to miss
// when there is none or its GDT entry in guest RAM changed. Uses the host flags (the
// guest's must be aside) and R11.
void probe_seg_cache(x86::Assembler& a, const Label& miss) {
  a.mov(x86::r10d, x86::r9d);
  a.shr(x86::r10d, 3);
  a.and_(x86::r10d, kSegCacheEntries - 1);
  a.shl(x86::r10d, 5);
  static_assert(sizeof(SegLoadEntry) == 1 << 5);
  a.lea(x86::r10, x86::ptr(x86::r15, x86::r10, 0, int32_t(offsetof(CpuState, seg_cache))));
  a.movzx(x86::r11d, Emitter::cpu_field(offsetof(CpuState, cpl), 1));
  a.shl(x86::r11d, 16);
  a.or_(x86::r11d, x86::r9d);
  a.or_(x86::r11d, kSegKeyValid);
  a.cmp(x86::r11d, cache_field(x86::r10, offsetof(SegLoadEntry, key), 4));
  a.jne(miss);
  a.mov(x86::r11, cache_field(x86::r10, offsetof(SegLoadEntry, desc), 8));
  a.mov(x86::r11, x86::qword_ptr(x86::r11));
  a.cmp(x86::r11, cache_field(x86::r10, offsetof(SegLoadEntry, raw), 8));
  a.jne(miss);
}

}  // namespace

// MOV r16/r32, Sreg: the selector from CpuState (zero-extended to 32 bits, as the
// P6 family and later do). Linux's exception entry reads SS so on every fault (its espfix
// check): a helper call each before. A memory destination still goes to the helper.
bool emit_read_sreg(Emitter& e, const Insn& in) {
  if (in.mn() != ZYDIS_MNEMONIC_MOV || in.ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER ||
      in.ops[1].type != ZYDIS_OPERAND_TYPE_REGISTER)
    return false;
  const int r = gpr_index(in.ops[0].reg.value), s = seg_index(in.ops[1].reg.value);
  if (r < 0 || s < 0) return false;
  const size_t sel = offsetof(CpuState, seg) + sizeof(Segment) * size_t(s) + offsetof(Segment, sel);
  if (in.z.operand_width == 32)
    e.a.movzx(x86::gpd(uint32_t(r)), Emitter::cpu_field(sel, 2));
  else
    e.a.mov(x86::gpw(uint32_t(r)), Emitter::cpu_field(sel, 2));
  return true;
}

bool emit_load_sreg(Emitter& e, const Insn& in) {
  const bool pop = in.mn() == ZYDIS_MNEMONIC_POP;
  if (!pop && in.mn() != ZYDIS_MNEMONIC_MOV) return false;
  if (in.ops[0].type != ZYDIS_OPERAND_TYPE_REGISTER) return false;
  const int s = seg_index(in.ops[0].reg.value);
  if (s != DS && s != ES && s != FS && s != GS) return false;
  const uint32_t mode = e.blk.mode;
  if (!(mode & kModePE)) return false;
  // A DS/ES base other than 0 is part of the block's mode: only base-0 loads stay inline,
  // and only in blocks translated for base 0.
  const bool needs_flat = s == DS || s == ES;
  if ((s == DS && (mode & kModeDsBase)) || (s == ES && (mode & kModeEsBase))) return false;
  if (pop && !(mode & kModeFlatStack)) return false;

  auto& a = e.a;
  Label miss = a.newLabel(), done = a.newLabel();
  // R9d = the selector. The only access that can fault comes first, with nothing changed.
  if (pop)
    a.movzx(x86::r9d, Emitter::guest(x86::esp, 0, 2));
  else
    e.load_rm(in, 16);
  // The lookup needs flags: the guest's wait aside (in AX, RAX in R14).
  e.flags_save();
  probe_seg_cache(a, miss);
  const size_t seg = offsetof(SegLoadEntry, seg);
  if (needs_flat) {
    a.cmp(cache_field(x86::r10, seg + offsetof(Segment, base), 4), Imm(0));
    a.jne(miss);
  }
  static_assert(sizeof(Segment) == 12);
  const size_t dst = offsetof(CpuState, seg) + sizeof(Segment) * size_t(s);
  a.mov(x86::r11, cache_field(x86::r10, seg, 8));
  a.mov(Emitter::cpu_field(dst, 8), x86::r11);
  a.mov(x86::r11d, cache_field(x86::r10, seg + 8, 4));
  a.mov(Emitter::cpu_field(dst + 8, 4), x86::r11d);
  // seg_window / neg_seg_window as Machine::segments_changed computes them.
  a.mov(x86::r11d, cache_field(x86::r10, seg + offsetof(Segment, base), 4));
  a.add(x86::r11, Emitter::cpu_field(offsetof(CpuState, window), 8));
  a.mov(Emitter::cpu_field(offsetof(CpuState, seg_window) + 8 * size_t(s), 8), x86::r11);
  a.neg(x86::r11);
  a.mov(Emitter::cpu_field(offsetof(CpuState, neg_seg_window) + 8 * size_t(s), 8), x86::r11);
  e.flags_restore();
  if (pop) a.lea(x86::esp, x86::ptr(x86::rsp, int32_t(in.z.operand_width / 8)));
  a.jmp(done);

  a.bind(miss);
  e.flags_restore();
  const bool ea = !pop && in.z.raw.modrm.mod != 3;
  e.call_helper(in, &helper_emulate, ea, &in);
  a.bind(done);
  e.exit_direct(in.next());
  return true;
}


// VERW: ZF = "a write through this selector would be allowed". Linux clears CPU buffers
// with it on every return to user mode when the CPU says it must (AMD's TSA on family
// 19h in a VM, MDS on older Intel parts): a helper call per system call before. An entry
// in seg_cache means a DS load of the selector at this CPL would succeed now, so the
// descriptor is present, not a system descriptor, readable, and passes the DPL checks
// against CPL and RPL, exactly VERW's checks but for the type: ZF = writable data
// (S = 1, code = 0, W = 1). A null selector's entry has attr 0 (ZF = 0, as VERW gives).
// Anything else is the helper's (cpu/segments.cpp descriptor_query, which fills the
// cache when it can).
bool emit_verw(Emitter& e, const Insn& in) {
  if (in.mn() != ZYDIS_MNEMONIC_VERW || !(e.blk.mode & kModePE) || in.z.address_width != 32 || !host_has_lahf64())
    return false;
  auto& a = e.a;
  Label miss = a.newLabel(), done = a.newLabel();
  e.load_rm(in, 16);  // the only access that can fault comes first, with nothing changed
  e.flags_save();
  probe_seg_cache(a, miss);
  static_assert(offsetof(Segment, attr) == 2);
  a.movzx(x86::r11d, cache_field(x86::r10, offsetof(SegLoadEntry, seg) + offsetof(Segment, attr), 1));
  a.and_(x86::r11d, 0x1A);
  a.cmp(x86::r11d, 0x12);
  a.sete(x86::r11b);
  a.shl(x86::r11d, 14);  // AH bit 6 is ZF (LAHF)
  a.and_(x86::ah, 0xBF);
  a.or_(x86::eax, x86::r11d);
  e.flags_restore();
  a.jmp(done);

  a.bind(miss);
  e.flags_restore();
  e.call_helper(in, &helper_emulate, in.z.raw.modrm.mod != 3, &in);
  a.bind(done);
  return true;
}

}  // namespace rs
