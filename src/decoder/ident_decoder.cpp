#include "decoder/ident_decoder.h"

#include <initializer_list>

namespace rs {

namespace {

// Operand bytes after the opcode.
enum Shape : uint8_t {
  kNo = 0,    // not handled here
  kNone,      // nothing follows
  kI8,        // imm8
  kIz,        // imm16/32 (66 selects 16)
  kM,         // ModRM (+ SIB, displacement)
  kMI8,       // ModRM, imm8
  kMIz,       // ModRM, imm16/32
  kMoffs,     // a 32-bit address (A0..A3)
};

struct Op {
  Shape shape = kNo;
  uint8_t regs = 0xFF;  // ModRM.reg values allowed (bit per value)
  bool mem_only = false;
  bool no66 = false;
};

struct Tables {
  Op one[256], two[256];
  Tables() {
    for (int base = 0; base < 0x40; base += 8) {
      for (int i = 0; i < 4; ++i) one[base + i].shape = kM;  // ALU r/m, r and r, r/m
      one[base + 4].shape = kI8;                            // ALU AL, imm8
      one[base + 5].shape = kIz;                            // ALU eAX, imm
    }
    one[0x69].shape = kMIz;  // IMUL r, r/m, imm
    one[0x6B].shape = kMI8;
    one[0x80].shape = kMI8;  // group 1
    one[0x81].shape = kMIz;
    one[0x83].shape = kMI8;
    for (int o = 0x84; o <= 0x8B; ++o) one[o].shape = kM;  // TEST, XCHG, MOV
    one[0x8D] = Op{kM, 0xFF, true, false};                  // LEA
    for (int o = 0x90; o <= 0x97; ++o) one[o].shape = kNone;  // NOP, XCHG eAX, r
    one[0x98].shape = one[0x99].shape = kNone;               // CWDE, CDQ
    for (int o = 0xA0; o <= 0xA3; ++o) one[o].shape = kMoffs;
    one[0xA8].shape = kI8;
    one[0xA9].shape = kIz;
    for (int o = 0xB0; o <= 0xB7; ++o) one[o].shape = kI8;  // MOV r8, imm8
    for (int o = 0xB8; o <= 0xBF; ++o) one[o].shape = kIz;  // MOV r, imm
    constexpr uint8_t kNotSix = uint8_t(~(1u << 6));         // /6 is an undocumented SHL
    one[0xC0] = Op{kMI8, kNotSix};
    one[0xC1] = Op{kMI8, kNotSix};
    for (int o = 0xD0; o <= 0xD3; ++o) one[o] = Op{kM, kNotSix};
    one[0xC6] = Op{kMI8, 1};  // MOV r/m, imm: /0 only
    one[0xC7] = Op{kMIz, 1};
    one[0xF5].shape = one[0xF8].shape = one[0xF9].shape = kNone;  // CMC, CLC, STC
    one[0xF6] = Op{kM, 0xFD};  // group 3: TEST (with an immediate, below), NOT, NEG, MUL, IMUL, DIV, IDIV
    one[0xF7] = Op{kM, 0xFD};
    one[0xFE] = Op{kM, 3};  // INC/DEC r/m8
    one[0xFF] = Op{kM, 3};  // INC/DEC r/m (the rest are CALL/JMP/PUSH)

    two[0x1F] = Op{kM, 1};  // NOP r/m
    for (int o = 0x40; o <= 0x4F; ++o) two[o].shape = kM;  // CMOVcc
    for (int o = 0x90; o <= 0x9F; ++o) two[o] = Op{kM, 1};  // SETcc
    for (int o : {0xA3, 0xAB, 0xB3, 0xBB, 0xA5, 0xAD, 0xAF, 0xB0, 0xB1, 0xC0, 0xC1, 0xB6, 0xB7, 0xBE, 0xBF, 0xBC, 0xBD})
      two[o].shape = kM;
    two[0xA4].shape = two[0xAC].shape = kMI8;  // SHLD/SHRD imm8
    two[0xBA] = Op{kMI8, 0xF0};                // BT/BTS/BTR/BTC r/m, imm8
    for (int o = 0xC8; o <= 0xCF; ++o) two[o] = Op{kNone, 0xFF, false, true};  // BSWAP
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

bool decode_ident(const uint8_t* p, size_t avail, IdentForm& out) {
  if (avail == 0) return false;
  size_t i = 0;
  const bool o16 = p[0] == 0x66;
  if (o16) ++i;
  if (i >= avail) return false;
  const Tables& t = tables();
  const uint8_t opcode_at = uint8_t(i);
  const bool two_byte = p[i] == 0x0F;
  if (two_byte && ++i >= avail) return false;
  const uint8_t opcode = p[i++];
  const Op* op = two_byte ? &t.two[opcode] : &t.one[opcode];
  if (op->shape == kNo || (o16 && op->no66)) return false;
  IdentForm f;
  f.opcode = opcode_at;
  const bool modrm = op->shape == kM || op->shape == kMI8 || op->shape == kMIz;
  if (modrm) {
    if (i >= avail) return false;
    const uint8_t m = p[i];
    const uint8_t mod = m >> 6, reg = (m >> 3) & 7, rm = m & 7;
    if (!(op->regs & (1u << reg)) || (op->mem_only && mod == 3)) return false;
    f.modrm = uint8_t(i);
    f.mem = mod != 3;
    ++i;
    if (mod != 3) {
      if (rm == 4) {
        if (i >= avail) return false;
        const uint8_t base = p[i] & 7;
        ++i;
        if (mod == 0 && base == 5) i += 4;
      } else if (mod == 0 && rm == 5) {
        f.abs32 = true;
        i += 4;
      }
      if (mod == 1) i += 1;
      if (mod == 2) i += 4;
    }
  }
  // TEST r/m, imm (F6 /0, F7 /0): the only group-3 form with an immediate.
  if (!two_byte && (opcode == 0xF6 || opcode == 0xF7) && ((p[f.modrm] >> 3) & 7) == 0)
    i += opcode == 0xF6 ? 1 : o16 ? 2 : 4;
  switch (op->shape) {
    case kI8: case kMI8: i += 1; break;
    case kIz: case kMIz: i += o16 ? 2 : 4; break;
    case kMoffs: f.mem = true; i += 4; break;
    default: break;
  }
  if (i > avail) return false;
  f.len = uint8_t(i);
  out = f;
  return true;
}

unsigned ident_host_bytes(const uint8_t* p, const IdentForm& f, uint8_t* out) {
  unsigned n = 0;
  if (f.mem) {
    out[n++] = 0x65;  // GS: the guest's window
    out[n++] = 0x67;  // 32-bit addresses
  }
  for (unsigned k = 0; k < f.opcode; ++k) out[n++] = p[k];  // 66
  if (f.abs32) {
    for (unsigned k = f.opcode; k < f.modrm; ++k) out[n++] = p[k];
    out[n++] = uint8_t((p[f.modrm] & 0xF8) | 4);  // the SIB form of [disp32]
    out[n++] = 0x25;
    for (unsigned k = f.modrm + 1u; k < f.len; ++k) out[n++] = p[k];
  } else {
    for (unsigned k = f.opcode; k < f.len; ++k) out[n++] = p[k];
  }
  return n;
}

bool decode_flow(const uint8_t* p, size_t avail, FlowForm& out) {
  if (avail == 0) return false;
  auto s8 = [p](int at) { return int32_t(int8_t(p[at])); };
  auto s32 = [p](int at) {
    uint32_t v = 0;
    for (int k = 3; k >= 0; --k) v = (v << 8) | p[at + k];
    return int32_t(v);
  };
  auto form = [&](FlowForm::Kind kind, unsigned len, uint8_t arg, int32_t value) {
    out = FlowForm{kind, uint8_t(len), arg, value};
    return len <= avail;
  };
  const uint8_t op = p[0];
  if (op >= 0x70 && op <= 0x7F) return avail >= 2 && form(FlowForm::kJcc, 2, op & 0x0F, s8(1));
  if (op >= 0x50 && op <= 0x57 && op != 0x54) return form(FlowForm::kPush, 1, op & 7, 0);
  if (op >= 0x58 && op <= 0x5F && op != 0x5C) return form(FlowForm::kPop, 1, op & 7, 0);
  switch (op) {
    case 0x0F:
      if (avail < 6 || p[1] < 0x80 || p[1] > 0x8F) return false;
      return form(FlowForm::kJcc, 6, p[1] & 0x0F, s32(2));
    case 0xEB: return avail >= 2 && form(FlowForm::kJmp, 2, 0, s8(1));
    case 0xE9: return avail >= 5 && form(FlowForm::kJmp, 5, 0, s32(1));
    case 0xE8: return avail >= 5 && form(FlowForm::kCall, 5, 0, s32(1));
    case 0xC3: return form(FlowForm::kRet, 1, 0, 0);
    case 0xC2: return avail >= 3 && form(FlowForm::kRet, 3, 0, int32_t(p[1] | (p[2] << 8)));
    case 0x6A: return avail >= 2 && form(FlowForm::kPushImm, 2, 0, s8(1));
    case 0x68: return avail >= 5 && form(FlowForm::kPushImm, 5, 0, s32(1));
    default: return false;
  }
}

}  // namespace rs
