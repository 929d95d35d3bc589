// Near control transfers: direct ones become patchable exits that chain to the
// target block; indirect ones load the target into R9d and look it up inline.
#include "error.h"
#include "translator/emitter.h"

namespace rs {

using namespace asmjit;

namespace {

uint32_t branch_target(const Insn& in) {
  uint32_t t = in.next() + uint32_t(int32_t(in.ops[0].imm.value.s));
  return in.z.operand_width == 16 ? (t & 0xFFFF) : t;
}

// A direct jump with a 16-bit operand size in a shared block: the target wraps at 64 KiB
// of where the block runs, so it is computed and looked up like an indirect one.
bool o16_in_shared(Emitter& e, const Insn& in) {
  if (!e.blk.shared || in.z.operand_width != 16 || in.ops[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE) return false;
  e.eip_to(x86::r9d, in.next() + uint32_t(int32_t(in.ops[0].imm.value.s)));
  e.a.movzx(x86::r9d, x86::r9w);
  return true;
}

uint8_t condition_code(const Insn& in) {
  // Opcodes 70+cc and 0F 80+cc carry the condition in their low nibble.
  return uint8_t(in.bytes[in.z.raw.prefix_count + (in.bytes[in.z.raw.prefix_count] == 0x0F ? 1 : 0)] & 0x0F);
}

void push_return(Emitter& e, uint32_t next, int bytes) {
  uint32_t ret = next & (bytes == 2 ? 0xFFFF : 0xFFFFFFFF);
  Emitter::Stack st(e);
  if (e.blk.shared) {  // flat: at() leaves R11 alone
    e.eip_to(x86::r11d, next);
    e.a.mov(st.at(-bytes, uint32_t(bytes)), bytes == 2 ? x86::Gp(x86::r11w) : x86::Gp(x86::r11d));
  } else {
    e.a.mov(st.at(-bytes, uint32_t(bytes)), Imm(ret));
  }
  st.adjust(-bytes);
}

void push_return(Emitter& e, const Insn& in) { push_return(e, in.next(), in.z.operand_width / 8); }

// RET [imm16]: the return address, then ESP past it and the arguments.
void near_return(Emitter& e, int bytes, int32_t extra) {
  Emitter::Stack st(e);
  if (bytes == 2)
    e.a.movzx(x86::r9d, st.at(0, 2));
  else
    e.a.mov(x86::r9d, st.at(0, 4));
  st.adjust(bytes + extra);
  e.exit_indirect();
}

}  // namespace

bool is_control(const Insn& in) {
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_JMP:
    case ZYDIS_MNEMONIC_CALL:
      return in.ops[0].type != ZYDIS_OPERAND_TYPE_POINTER &&
             !(in.ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY && in.z.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR);
    case ZYDIS_MNEMONIC_RET:
      return in.z.meta.branch_type != ZYDIS_BRANCH_TYPE_FAR;
    case ZYDIS_MNEMONIC_JB: case ZYDIS_MNEMONIC_JBE: case ZYDIS_MNEMONIC_JL: case ZYDIS_MNEMONIC_JLE:
    case ZYDIS_MNEMONIC_JNB: case ZYDIS_MNEMONIC_JNBE: case ZYDIS_MNEMONIC_JNL: case ZYDIS_MNEMONIC_JNLE:
    case ZYDIS_MNEMONIC_JNO: case ZYDIS_MNEMONIC_JNP: case ZYDIS_MNEMONIC_JNS: case ZYDIS_MNEMONIC_JNZ:
    case ZYDIS_MNEMONIC_JO: case ZYDIS_MNEMONIC_JP: case ZYDIS_MNEMONIC_JS: case ZYDIS_MNEMONIC_JZ:
    case ZYDIS_MNEMONIC_JECXZ: case ZYDIS_MNEMONIC_JCXZ:
    case ZYDIS_MNEMONIC_LOOP: case ZYDIS_MNEMONIC_LOOPE: case ZYDIS_MNEMONIC_LOOPNE:
      return true;
    default:
      return false;
  }
}

bool emit_control(Emitter& e, const Insn& in) {
  bool cx = in.z.address_width == 16;  // 67 prefix: CX counts
  const bool conditional = in.mn() != ZYDIS_MNEMONIC_JMP && in.mn() != ZYDIS_MNEMONIC_CALL && in.mn() != ZYDIS_MNEMONIC_RET;
  if (conditional && e.blk.shared && in.z.operand_width == 16)
    throw GuestError("a conditional branch with a 16-bit operand size in user code: " + in.text());
  switch (in.mn()) {
    case ZYDIS_MNEMONIC_JMP:
      if (o16_in_shared(e, in)) {
        e.exit_indirect();
      } else if (in.ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        e.exit_direct(branch_target(in));
      } else {
        e.load_rm(in, in.z.operand_width);
        e.exit_indirect(true);
      }
      return true;
    case ZYDIS_MNEMONIC_CALL:
      if (emit_pc_thunk_call(e, in)) return false;  // the block goes on after it
      if (in.ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        push_return(e, in);
        if (o16_in_shared(e, in))
          e.exit_indirect();
        else
          e.exit_direct(branch_target(in));
      } else {
        e.load_rm(in, in.z.operand_width);  // before the push: call [esp+4] reads the old ESP
        push_return(e, in);
        e.exit_indirect(true);
      }
      return true;
    case ZYDIS_MNEMONIC_RET:
      near_return(e, in.z.operand_width / 8, in.z.operand_count_visible ? int32_t(in.ops[0].imm.value.u & 0xFFFF) : 0);
      return true;
    case ZYDIS_MNEMONIC_JECXZ:
    case ZYDIS_MNEMONIC_JCXZ:
    case ZYDIS_MNEMONIC_LOOP:
    case ZYDIS_MNEMONIC_LOOPE:
    case ZYDIS_MNEMONIC_LOOPNE: {
      uint8_t op = in.mn() == ZYDIS_MNEMONIC_LOOP ? 0xE2 : in.mn() == ZYDIS_MNEMONIC_LOOPE ? 0xE1
                 : in.mn() == ZYDIS_MNEMONIC_LOOPNE ? 0xE0 : 0xE3;
      if (cx)
        e.loop_cx(op, branch_target(in), in.next());
      else
        e.loop_direct(op, branch_target(in), in.next());
      return true;
    }
    default:
      e.jcc_direct(condition_code(in), branch_target(in), in.next());
      return true;
  }
}

bool emit_flow(Emitter& e, const FlowForm& f, uint32_t eip) {
  const uint32_t next = eip + f.len, target = next + uint32_t(f.value);
  switch (f.kind) {
    case FlowForm::kJcc:
      e.jcc_direct(f.arg, target, next);
      return true;
    case FlowForm::kJmp:
      e.exit_direct(target);
      return true;
    case FlowForm::kCall:
      if (emit_pc_thunk_call(e, next, target)) return false;  // the block goes on after it
      push_return(e, next, 4);
      e.exit_direct(target);
      return true;
    case FlowForm::kRet:
      near_return(e, 4, f.value);
      return true;
    default:
      emit_push_pop(e, f);
      return false;
  }
}

}  // namespace rs
