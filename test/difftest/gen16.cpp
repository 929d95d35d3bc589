#include "difftest/gen16.h"

#include <Zydis/Zydis.h>

#include <algorithm>
#include <cstring>

namespace difftest {

namespace {

struct Decoded {
  ZydisDecodedInstruction z;
  ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
};

struct Decoders {
  ZydisDecoder d32, d16;
  Decoders() {
    ZydisDecoderInit(&d32, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    // SS.B = 1 in the cases: the stack pointer is ESP in 16-bit code too.
    ZydisDecoderInit(&d16, ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_32);
  }
};

const Decoders& decoders() {
  static const Decoders d;
  return d;
}

bool decode(const ZydisDecoder& d, const uint8_t* p, size_t n, Decoded& out) {
  return ZYAN_SUCCESS(ZydisDecoderDecodeFull(&d, p, n, &out.z, out.ops));
}

// Same instruction: mnemonic and every operand (hidden ones included: string and stack
// operands carry the address and operand sizes there).
bool same(const Decoded& a, const Decoded& b) {
  if (a.z.mnemonic != b.z.mnemonic || a.z.operand_count != b.z.operand_count) return false;
  for (int i = 0; i < a.z.operand_count; ++i) {
    const ZydisDecodedOperand &x = a.ops[i], &y = b.ops[i];
    if (x.type != y.type || x.size != y.size || x.visibility != y.visibility) return false;
    switch (x.type) {
      case ZYDIS_OPERAND_TYPE_REGISTER:
        if (x.reg.value != y.reg.value) return false;
        break;
      case ZYDIS_OPERAND_TYPE_MEMORY:
        if (x.mem.type != y.mem.type || x.mem.segment != y.mem.segment || x.mem.base != y.mem.base ||
            x.mem.index != y.mem.index || x.mem.scale != y.mem.scale || x.mem.disp.value != y.mem.disp.value)
          return false;
        break;
      case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        if (x.imm.value.u != y.imm.value.u || x.imm.is_relative != y.imm.is_relative) return false;
        break;
      case ZYDIS_OPERAND_TYPE_POINTER:
        if (x.ptr.segment != y.ptr.segment || x.ptr.offset != y.ptr.offset) return false;
        break;
      default: break;
    }
  }
  return true;
}

// Near branches: their operand size is the size of IP. Far ones and IRET carry a far
// pointer or frame whose size follows the operand size like any other operand.
bool is_near_branch(const Decoded& d) {
  if (d.z.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR || d.z.mnemonic == ZYDIS_MNEMONIC_IRET ||
      d.z.mnemonic == ZYDIS_MNEMONIC_IRETD)
    return false;
  switch (d.z.meta.category) {
    case ZYDIS_CATEGORY_COND_BR: case ZYDIS_CATEGORY_UNCOND_BR: case ZYDIS_CATEGORY_CALL: case ZYDIS_CATEGORY_RET:
      return true;
    default: return false;
  }
}

// Branches whose counter register follows the address size.
bool counts_cx(ZydisMnemonic m) {
  return m == ZYDIS_MNEMONIC_JCXZ || m == ZYDIS_MNEMONIC_JECXZ || m == ZYDIS_MNEMONIC_LOOP ||
         m == ZYDIS_MNEMONIC_LOOPE || m == ZYDIS_MNEMONIC_LOOPNE;
}

bool has_mem_operand(const Decoded& d) {
  for (int i = 0; i < d.z.operand_count_visible; ++i)
    if (d.ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && d.ops[i].mem.type == ZYDIS_MEMOP_TYPE_MEM) return true;
  return false;
}

// One instruction of the new code: added prefixes, then the kept prefixes and the
// opcode onward (for a relative branch, the opcode only: the displacement follows).
struct Piece {
  uint32_t old_off = 0;
  std::vector<uint8_t> bytes;
  int rel_size = 0;              // relative branch: its displacement's size in the new code
  uint32_t old_target = 0;
  int ref_at = -1;               // code reference: where its offset field is in bytes
  int ref_size = 0;
  uint32_t ref_base = 0;
};

std::string text_of(const Decoded& d) {
  ZydisFormatter f;
  ZydisFormatterInit(&f, ZYDIS_FORMATTER_STYLE_INTEL);
  char text[96];
  ZydisFormatterFormatInstruction(&f, &d.z, d.ops, d.z.operand_count_visible, text, sizeof text, 0, nullptr);
  return text;
}

}  // namespace

bool to_code16(const Code16Input& in, bool o32, Code16& out, std::string& why) {
  const Decoders& dec = decoders();
  const std::vector<uint8_t>& code32 = in.code;
  std::vector<Piece> pieces;
  char buf[160];
  for (uint32_t off = 0; off < code32.size();) {
    Decoded d;
    if (!decode(dec.d32, code32.data() + off, code32.size() - off, d)) {
      std::snprintf(buf, sizeof buf, "undecodable at %#x", off);
      why = buf;
      return false;
    }
    const uint8_t* b = code32.data() + off;
    const unsigned np = d.z.raw.prefix_count;
    Piece p;
    p.old_off = off;
    // Where the code reference's field lands: its raw offset moved by the prefix change.
    int shift = 0;
    bool verbatim = false;
    for (auto [from, to] : in.verbatim) verbatim |= off >= from && off < to;
    if (verbatim) {
      p.bytes.assign(b, b + d.z.length);
    } else {
      // 66 and 67 go; the new form gets them back where it needs them.
      bool had67 = false;
      std::vector<uint8_t> kept;
      for (unsigned i = 0; i < np; ++i) {
        if (b[i] == 0x67) had67 = true;
        else if (b[i] != 0x66 || d.z.raw.prefixes[i].type == ZYDIS_PREFIX_TYPE_MANDATORY) kept.push_back(b[i]);
      }
      auto with = [&](bool p66, bool p67, unsigned body_end) {
        std::vector<uint8_t> v;
        if (p66) v.push_back(0x66);
        if (p67) v.push_back(0x67);
        v.insert(v.end(), kept.begin(), kept.end());
        v.insert(v.end(), b + np, b + body_end);
        return v;
      };
      if (is_near_branch(d)) {
        const bool p67 = (has_mem_operand(d) || counts_cx(d.z.mnemonic)) ? !had67 : false;
        const ZydisDecodedOperand* rel = nullptr;
        for (int i = 0; i < d.z.operand_count_visible; ++i)
          if (d.ops[i].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && d.ops[i].imm.is_relative) rel = &d.ops[i];
        if (rel) {
          p.bytes = with(o32, p67, d.z.raw.imm[0].offset);
          p.rel_size = d.z.raw.imm[0].size == 8 ? 1 : o32 ? 4 : 2;
          p.old_target = uint32_t(int64_t(off) + d.z.length + rel->imm.value.s);
        } else {
          p.bytes = with(o32, p67, d.z.length);
        }
      } else {
        static const bool order[4][2] = {{false, false}, {true, false}, {false, true}, {true, true}};
        for (auto& [p66, p67] : order) {
          std::vector<uint8_t> v = with(p66, p67, d.z.length);
          Decoded e;
          if (decode(dec.d16, v.data(), v.size(), e) && e.z.length == v.size() && same(d, e)) {
            p.bytes = std::move(v);
            shift = int(kept.size()) + int(p66) + int(p67) - int(np);
            break;
          }
        }
        if (p.bytes.empty()) {
          why = "no 16-bit form with the same meaning: " + text_of(d);
          return false;
        }
      }
    }
    for (const CodeRef& ref : in.refs) {
      if (ref.at != off) continue;
      const bool far = d.z.operand_count_visible > 0 && d.ops[0].type == ZYDIS_OPERAND_TYPE_POINTER;
      p.ref_at = (far ? d.z.raw.imm[0].offset : d.z.raw.disp.offset) + shift;
      p.ref_size = (far ? d.z.raw.imm[0].size : d.z.raw.disp.size) / 8;
      p.ref_base = ref.base;
      if (p.ref_size < 2 || p.rel_size) {
        why = "a code reference without an offset field: " + text_of(d);
        return false;
      }
    }
    pieces.push_back(std::move(p));
    off += d.z.length;
  }
  // Layout: every size is known before any displacement is.
  out.new_offset.assign(code32.size() + 1, ~0u);
  uint32_t at = 0;
  std::vector<uint32_t> starts;
  for (const Piece& p : pieces) {
    out.new_offset[p.old_off] = at;
    starts.push_back(at);
    at += uint32_t(p.bytes.size()) + uint32_t(p.rel_size);
  }
  out.new_offset[code32.size()] = at;
  out.code.clear();
  out.code.reserve(at);
  for (size_t i = 0; i < pieces.size(); ++i) {
    const Piece& p = pieces[i];
    size_t here = out.code.size();
    out.code.insert(out.code.end(), p.bytes.begin(), p.bytes.end());
    if (p.ref_at >= 0) {
      uint32_t label = 0;
      std::memcpy(&label, &out.code[here + size_t(p.ref_at)], size_t(p.ref_size));
      if (label > code32.size() || out.new_offset[label] == ~0u) {
        why = "a code reference that is not an instruction boundary";
        return false;
      }
      const uint32_t v = p.ref_base + out.new_offset[label];
      std::memcpy(&out.code[here + size_t(p.ref_at)], &v, size_t(p.ref_size));
    }
    if (p.rel_size) {
      if (p.old_target > code32.size() || out.new_offset[p.old_target] == ~0u) {
        why = "a branch into an instruction";
        return false;
      }
      const int64_t rel = int64_t(out.new_offset[p.old_target]) - int64_t(starts[i] + p.bytes.size() + p.rel_size);
      if (p.rel_size == 1 && (rel < -128 || rel > 127)) {
        why = "a rel8 branch out of reach";
        return false;
      }
      const int32_t v = int32_t(rel);
      uint8_t le[4];
      std::memcpy(le, &v, 4);
      out.code.insert(out.code.end(), le, le + p.rel_size);
    }
  }
  return true;
}

}  // namespace difftest
