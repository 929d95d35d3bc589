// Stack instructions. 64-bit mode would push 8 bytes at the host RSP, so every one
// is rewritten into gs:-relative moves plus a flag-free LEA on ESP. Each does its
// memory accesses before it changes a guest register, so a fault leaves the guest
// state of the instruction's start (precise exceptions).
#include "cpu/emulate.h"
#include "translator/emitter.h"

namespace rs {

using namespace asmjit;

namespace {

x86::Gp gp32(int r) { return x86::gpd(uint32_t(r)); }
x86::Gp gp16(int r) { return x86::gpw(uint32_t(r)); }
x86::Gp gpw(int r, int width) { return width == 16 ? gp16(r) : gp32(r); }

void adjust_esp(Emitter& e, int32_t delta) { Emitter::Stack(e).adjust(delta); }

x86::Mem top(Emitter& e, int32_t disp, uint32_t size) { return Emitter::Stack(e).at(disp, size); }

void push_value(Emitter& e, const x86::Gp& v, int width) {
  int bytes = width / 8;
  e.a.mov(top(e, -bytes, uint32_t(bytes)), v);
  adjust_esp(e, -bytes);
}

// A 4-byte push or pop on a flat 32-bit stack with ESP moved later (Stack::defer): what
// Emitter::uses_esp_lag allows, for the Zydis path and decode_flow's forms alike.
template <class Value>
void push_lagged(Emitter& e, const Value& v) {
  e.a.mov(top(e, -4, 4), v);
  Emitter::Stack(e).defer(-4);
}

void pop_lagged(Emitter& e, int r) {
  e.a.mov(gp32(r), top(e, 0, 4));
  Emitter::Stack(e).defer(4);
}

void emit_push(Emitter& e, const Insn& in) {
  int width = in.z.operand_width;
  int bytes = width / 8;
  const auto& op = in.ops[0];
  if (op.type == ZYDIS_OPERAND_TYPE_IMMEDIATE && e.uses_esp_lag(in)) {
    push_lagged(e, Imm(int64_t(op.imm.value.s)));
  } else if (op.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
    e.a.mov(top(e, -bytes, uint32_t(bytes)), Imm(int64_t(op.imm.value.s)));
    adjust_esp(e, -bytes);
  } else if (op.type == ZYDIS_OPERAND_TYPE_REGISTER && seg_index(op.reg.value) >= 0) {
    // A 32-bit push writes the selector zero-extended (AMD) or as a word (Intel).
    e.a.movzx(x86::r9d, Emitter::cpu_field(offsetof(CpuState, seg) + sizeof(Segment) * seg_index(op.reg.value), 2));
    if (bytes == 4 && sreg_push_zero_extends())
      e.a.mov(top(e, -bytes, 4), x86::r9d);
    else
      e.a.mov(top(e, -bytes, 2), x86::r9w);
    adjust_esp(e, -bytes);
  } else if (op.type == ZYDIS_OPERAND_TYPE_REGISTER && e.uses_esp_lag(in)) {
    push_lagged(e, gp32(gpr_index(op.reg.value)));
  } else if (op.type == ZYDIS_OPERAND_TYPE_REGISTER) {
    push_value(e, gpw(gpr_index(op.reg.value), width), width);
  } else {
    e.load_rm(in, width);
    push_value(e, gpw(kR9, width), width);
  }
}

void emit_pop(Emitter& e, const Insn& in) {
  int width = in.z.operand_width;
  int bytes = width / 8;
  const auto& op = in.ops[0];
  if (op.type == ZYDIS_OPERAND_TYPE_REGISTER) {
    int r = gpr_index(op.reg.value);
    if (r == ESP) {  // ESP gets the value read at the old top of stack
      e.a.mov(gpw(kR9, width), top(e, 0, uint32_t(bytes)));
      adjust_esp(e, bytes);
      e.a.mov(gpw(ESP, width), gpw(kR9, width));
    } else if (e.uses_esp_lag(in)) {
      pop_lagged(e, r);
    } else {
      e.a.mov(gpw(r, width), top(e, 0, uint32_t(bytes)));
      adjust_esp(e, bytes);
    }
    return;
  }
  // pop r/m: the destination address uses ESP after the increment, so an ESP base
  // gets the increment in its displacement and the store can still go first.
  e.a.mov(gpw(kR9, width), top(e, 0, uint32_t(bytes)));
  const auto& raw = in.z.raw;
  bool esp_base = raw.modrm.mod != 3 && raw.modrm.rm == 4 && (in.bytes[raw.sib.offset] & 7) == 4;
  if (raw.modrm.mod != 3) e.seg_enter(in);
  e.modrm_op(in, {0x89}, kR9, esp_base ? bytes : 0, width == 16);
  if (raw.modrm.mod != 3) e.seg_leave(in);
  adjust_esp(e, bytes);
}

}  // namespace

bool Emitter::uses_esp_lag(const Insn& in) const {
  if ((blk.mode & (kModeFlatStack | kModeStack16)) != kModeFlatStack || in.z.operand_width != 32) return false;
  // An instruction that touched device memory is emitted by emit_mmio, which knows no lag.
  if (tr.is_mmio((blk.phys_first() << kPageShift) | ((blk.cs_base + in.eip) & (kPageSize - 1)))) return false;
  const auto& op = in.ops[0];
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_PUSH:
      return op.type == ZYDIS_OPERAND_TYPE_IMMEDIATE ||
             (op.type == ZYDIS_OPERAND_TYPE_REGISTER && seg_index(op.reg.value) < 0 && gpr_index(op.reg.value) != ESP);
    case ZYDIS_MNEMONIC_POP:
      return op.type == ZYDIS_OPERAND_TYPE_REGISTER && seg_index(op.reg.value) < 0 && gpr_index(op.reg.value) != ESP;
    case ZYDIS_MNEMONIC_RET:
      return in.z.meta.branch_type != ZYDIS_BRANCH_TYPE_FAR;
    default:
      return false;
  }
}

namespace {

void emit_pusha(Emitter& e, const Insn& in) {
  int width = in.z.operand_width, bytes = width / 8;
  for (int r = 0; r < 8; ++r) e.a.mov(top(e, -bytes * (r + 1), uint32_t(bytes)), gpw(r, width));
  adjust_esp(e, -8 * bytes);
}

void emit_popa(Emitter& e, const Insn& in) {
  int width = in.z.operand_width, bytes = width / 8;
  // Touch both ends first: after that no load can fault, so registers change only on success.
  e.a.mov(gpw(kR9, width), top(e, 0, uint32_t(bytes)));
  e.a.mov(gpw(kR9, width), top(e, 7 * bytes, uint32_t(bytes)));
  for (int r = 7; r >= 0; --r) {
    if (r == ESP) continue;
    e.a.mov(gpw(r, width), top(e, (7 - r) * bytes, uint32_t(bytes)));
  }
  adjust_esp(e, 8 * bytes);
}

void emit_pushf(Emitter& e, const Insn& in) {
  int width = in.z.operand_width;
  // Host flags are read on the host stack (PUSHFQ; it is POPFQ that is slow, so the
  // flags the computation below clobbers come back from flags_restore); the virtual bits
  // come from CpuState.
  e.flags_save();
  e.a.mov(x86::r10, x86::rsp);
  e.a.mov(x86::rsp, Emitter::cpu_field(offsetof(CpuState, host_rsp), 8));
  e.a.pushfq();
  e.a.pop(x86::r9);
  e.a.mov(x86::rsp, x86::r10);
  e.a.and_(x86::r9d, FL_HOST);
  e.a.mov(x86::r11d, Emitter::cpu_field(offsetof(CpuState, vflags), 4));
  e.a.and_(x86::r11d, FL_VIRT & ~(FL_RF | FL_VM | FL_IF));
  e.a.or_(x86::r9d, x86::r11d);
  e.a.movzx(x86::r11d, Emitter::cpu_field(offsetof(CpuState, vif), 1));
  e.a.shl(x86::r11d, 9);
  e.a.or_(x86::r9d, x86::r11d);
  e.a.or_(x86::r9d, 2);
  e.flags_restore();
  push_value(e, gpw(kR9, width), width);
}

void emit_popf(Emitter& e, const Insn& in) {
  int width = in.z.operand_width, bytes = width / 8;
  const uint32_t mode = e.blk.mode;
  if (width == 16)
    e.a.movzx(x86::r9d, top(e, 0, 2));
  else
    e.a.mov(x86::r9d, top(e, 0, 4));
  adjust_esp(e, bytes);
  // Which virtual bits POPF may change depends on CPL and IOPL (known from the mode);
  // the others keep their value silently, as on hardware.
  uint32_t writable = FL_VIRT & ~FL_RF;
  if ((mode & kModeCpl) != 0) writable &= ~FL_IOPL;
  if (mode & kModeIoRestricted) writable &= ~FL_IF;
  if (width == 16) writable &= 0xFFFF;
  // Split the value: virtual bits into CpuState, arithmetic bits + DF into host RFLAGS.
  // Everything that clobbers host flags runs before they are loaded.
  e.a.mov(x86::r11d, Emitter::cpu_field(offsetof(CpuState, vflags), 4));
  e.a.and_(x86::r11d, ~(writable & ~FL_IF) & ~FL_RF);
  e.a.mov(x86::r8d, x86::r9d);
  e.a.and_(x86::r8d, writable & ~FL_IF);
  e.a.or_(x86::r11d, x86::r8d);
  e.a.or_(x86::r11d, 2);
  e.a.mov(Emitter::cpu_field(offsetof(CpuState, vflags), 4), x86::r11d);
  // R8 = whether to leave for the run loop: TF now set (single-stepping starts after the
  // next instruction), or IF set while an interrupt waits.
  e.a.mov(x86::r8d, x86::r9d);
  e.a.and_(x86::r8d, FL_TF);
  if (writable & FL_IF) {
    e.a.mov(x86::r11d, x86::r9d);
    e.a.shr(x86::r11d, 9);
    e.a.and_(x86::r11d, 1);
    e.a.mov(Emitter::cpu_field(offsetof(CpuState, vif), 1), x86::r11b);
    e.a.and_(x86::r11b, Emitter::cpu_field(offsetof(CpuState, irq_waiting), 1));
    e.a.or_(x86::r8d, x86::r11d);
  }
  if (host_has_lahf64()) {
    // Without POPFQ (~20 cycles on Intel): DF with CLD/STD, OF with ADD AL,7Fh (1 + 7Fh
    // overflows), SF ZF AF PF CF with SAHF; guest RAX waits in R14.
    Label set_df = e.a.newLabel(), df_done = e.a.newLabel();
    e.a.bt(x86::r9d, 10);
    e.a.jc(set_df);
    e.a.cld();
    e.a.jmp(df_done);
    e.a.bind(set_df);
    e.a.std();
    e.a.bind(df_done);
    e.a.mov(x86::r14, x86::rax);
    e.a.movzx(x86::eax, x86::r9b);
    e.a.shl(x86::eax, 8);
    e.a.bt(x86::r9d, 11);
    e.a.setc(x86::al);
    e.a.add(x86::al, 0x7F);
    e.a.sahf();
    e.a.mov(x86::rax, x86::r14);
  } else {
    e.a.mov(x86::r10, x86::rsp);
    e.a.mov(x86::rsp, Emitter::cpu_field(offsetof(CpuState, host_rsp), 8));
    e.a.and_(x86::r9d, FL_HOST);
    e.a.or_(x86::r9d, 2);
    e.a.push(x86::r9);
    e.a.popfq();
    e.a.mov(x86::rsp, x86::r10);
  }
  e.irq_window_check(in, false);
}

void emit_enter(Emitter& e, const Insn& in) {
  int width = in.z.operand_width, bytes = width / 8;
  Emitter::Stack st(e);
  uint32_t size = uint32_t(in.ops[0].imm.value.u) & 0xFFFF;
  uint32_t level = uint32_t(in.ops[1].imm.value.u) & 31;
  // Level > 0 copies the enclosing frame pointers: read them before anything is written.
  for (uint32_t i = 1; i < level; ++i) e.a.mov(gpw(kR9, width), st.rel(x86::rbp, -int32_t(i * bytes), uint32_t(bytes)));
  e.a.mov(st.at(-bytes, uint32_t(bytes)), gpw(EBP, width));
  for (uint32_t i = 1; i < level; ++i) {
    e.a.mov(gpw(kR9, width), st.rel(x86::rbp, -int32_t(i * bytes), uint32_t(bytes)));
    e.a.mov(st.at(-int32_t((i + 1) * bytes), uint32_t(bytes)), gpw(kR9, width));
  }
  if (level > 0) {
    e.a.lea(x86::r9d, x86::ptr(x86::rsp, -bytes));
    e.a.mov(st.at(-int32_t((level + 1) * bytes), uint32_t(bytes)), gpw(kR9, width));
  }
  // Intel: the new frame must be writable; touch its lowest byte before committing.
  int32_t frame = int32_t(bytes * (level + 1) + size);
  if (size) e.a.mov(x86::r9b, st.at(-frame, 1));
  if (width == 16 || st.sp16) {
    e.a.lea(x86::r9d, x86::ptr(x86::rsp, -bytes));
    e.a.mov(x86::bp, x86::r9w);
  } else {
    e.a.lea(x86::ebp, x86::ptr(x86::rsp, -bytes));
  }
  st.adjust(-frame);
}

void emit_leave(Emitter& e, const Insn& in) {
  int width = in.z.operand_width, bytes = width / 8;
  Emitter::Stack st(e);
  e.a.mov(gpw(kR9, width), st.rel(x86::rbp, 0, uint32_t(bytes)));
  st.set_sp(x86::rbp, bytes);
  e.a.mov(gpw(EBP, width), gpw(kR9, width));
}

}  // namespace

bool is_stack(const Insn& in) {
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_PUSH:
    case ZYDIS_MNEMONIC_PUSHAD:
    case ZYDIS_MNEMONIC_PUSHA:
    case ZYDIS_MNEMONIC_PUSHFD:
    case ZYDIS_MNEMONIC_PUSHF:
    case ZYDIS_MNEMONIC_POPAD:
    case ZYDIS_MNEMONIC_POPA:
    case ZYDIS_MNEMONIC_POPFD:
    case ZYDIS_MNEMONIC_POPF:
    case ZYDIS_MNEMONIC_ENTER:
    case ZYDIS_MNEMONIC_LEAVE:
      return true;
    case ZYDIS_MNEMONIC_POP:  // pop sreg loads a segment: system family
      return !(in.ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER && seg_index(in.ops[0].reg.value) >= 0);
    default:
      return false;
  }
}

bool emit_stack(Emitter& e, const Insn& in) {
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_PUSH: emit_push(e, in); break;
    case ZYDIS_MNEMONIC_POP: emit_pop(e, in); break;
    case ZYDIS_MNEMONIC_PUSHAD:
    case ZYDIS_MNEMONIC_PUSHA: emit_pusha(e, in); break;
    case ZYDIS_MNEMONIC_POPAD:
    case ZYDIS_MNEMONIC_POPA: emit_popa(e, in); break;
    case ZYDIS_MNEMONIC_PUSHFD:
    case ZYDIS_MNEMONIC_PUSHF: emit_pushf(e, in); break;
    case ZYDIS_MNEMONIC_POPFD:
    case ZYDIS_MNEMONIC_POPF: emit_popf(e, in); break;
    case ZYDIS_MNEMONIC_ENTER: emit_enter(e, in); break;
    case ZYDIS_MNEMONIC_LEAVE: emit_leave(e, in); break;
    default: break;
  }
  return false;
}

// PUSH r32, POP r32 (not ESP), PUSH imm on a flat 32-bit stack (decode_flow's forms).
void emit_push_pop(Emitter& e, const FlowForm& f) {
  if (f.kind == FlowForm::kPush)
    push_lagged(e, gp32(f.arg));
  else if (f.kind == FlowForm::kPushImm)
    push_lagged(e, Imm(int64_t(f.value)));
  else
    pop_lagged(e, f.arg);
}

}  // namespace rs
