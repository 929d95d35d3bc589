// decode_ident against Zydis and the translator's families: every form it accepts must be
// one that the Zydis path would copy as IDENT (no family claims it, no FPU/SIMD, no
// rebased segment), with Zydis's length and the same host bytes.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include "decoder/decoder.h"
#include "decoder/ident_decoder.h"
#include "translator/emitter.h"

namespace {

struct Slow {
  bool ident = false;  // the Zydis path would emit it through ident()'s plain bytes
  unsigned len = 0;
  std::string why;
};

Slow slow_path(const rs::Decoder& d, const uint8_t* p, size_t n, rs::Insn& in) {
  Slow s;
  if (!d.decode(p, n, 0x1000, true, in)) {
    s.why = "Zydis rejects it";
    return s;
  }
  s.len = in.len();
  if (rs::is_string(in) || rs::is_stack(in) || rs::is_control(in) || rs::is_legacy(in) || rs::is_system(in)) {
    s.why = "a family claims " + in.text();
    return s;
  }
  if (in.fpu_use() != rs::Insn::kNoFpu || in.mn() == ZYDIS_MNEMONIC_RDTSC) {
    s.why = "FPU/RDTSC " + in.text();
    return s;
  }
  if (in.z.address_width != 32 || in.has(ZYDIS_ATTRIB_HAS_LOCK)) {
    s.why = "addr16 or lock " + in.text();
    return s;
  }
  for (int i = 0; i < in.z.operand_count; ++i) {
    const auto& op = in.ops[i];
    if (op.type == ZYDIS_OPERAND_TYPE_MEMORY && op.mem.type != ZYDIS_MEMOP_TYPE_AGEN &&
        op.mem.segment != ZYDIS_REGISTER_DS && op.mem.segment != ZYDIS_REGISTER_SS) {
      s.why = "segment other than DS/SS " + in.text();
      return s;
    }
  }
  if (in.bytes[in.z.raw.prefix_count] == 0x82) {
    s.why = "82h";
    return s;
  }
  s.ident = true;
  return s;
}

}  // namespace

TEST_CASE("decode_ident accepts only IDENT forms, with Zydis's length and ident()'s bytes", "[decoder]") {
  rs::Decoder d;
  rs::Insn in;
  std::mt19937 rng(12345);
  static const uint8_t kSibs[] = {0x24, 0x25, 0x8B, 0x65, 0xE5, 0x44};
  size_t accepted = 0, checked = 0;
  for (int prefix = 0; prefix < 2; ++prefix)
    for (int two = 0; two < 2; ++two)
      for (int op = 0; op < 256; ++op)
        for (int modrm = 0; modrm < 256; ++modrm)
          for (uint8_t sib : kSibs) {
            if (!two && op == 0x0F) continue;
            uint8_t buf[16];
            for (auto& b : buf) b = uint8_t(rng());
            size_t k = 0;
            if (prefix) buf[k++] = 0x66;
            if (two) buf[k++] = 0x0F;
            buf[k++] = uint8_t(op);
            buf[k++] = uint8_t(modrm);
            buf[k++] = sib;
            rs::IdentForm f;
            ++checked;
            if (!rs::decode_ident(buf, 15, f)) continue;
            ++accepted;
            const Slow s = slow_path(d, buf, 15, in);
            INFO("bytes " << std::hex << int(buf[0]) << " " << int(buf[1]) << " " << int(buf[2]) << " " << int(buf[3])
                          << " " << int(buf[4]) << ": " << s.why);
            REQUIRE(s.ident);
            REQUIRE(s.len == f.len);
            uint8_t fast_out[24], slow_out[24];
            const unsigned fn = rs::ident_host_bytes(buf, f, fast_out);
            const unsigned sn = rs::Emitter::ident_plain_bytes(in, slow_out);
            REQUIRE(fn == sn);
            REQUIRE(std::memcmp(fast_out, slow_out, fn) == 0);
            // Cut short by the end of the page: declined, never read past it.
            rs::IdentForm g;
            CHECK_FALSE(rs::decode_ident(buf, f.len - 1, g));
          }
  INFO("accepted " << accepted << " of " << checked);
  CHECK(accepted > checked / 5);
}

TEST_CASE("decode_ident takes the common forms and leaves the rest to Zydis", "[decoder]") {
  auto takes = [](std::initializer_list<uint8_t> bytes, unsigned len) {
    uint8_t buf[16] = {};
    std::copy(bytes.begin(), bytes.end(), buf);
    rs::IdentForm f;
    return rs::decode_ident(buf, bytes.size(), f) && f.len == len;
  };
  CHECK(takes({0x8B, 0x43, 0x04}, 3));                          // mov eax, [ebx+4]
  CHECK(takes({0x89, 0x44, 0x24, 0x08}, 4));                    // mov [esp+8], eax
  CHECK(takes({0x8D, 0x84, 0x8B, 0x00, 0x10, 0x00, 0x00}, 7));  // lea eax, [ebx+ecx*4+1000h]
  CHECK(takes({0xA1, 0x78, 0x56, 0x34, 0x12}, 5));              // mov eax, [12345678h]
  CHECK(takes({0x66, 0xC7, 0x00, 0x34, 0x12}, 5));              // mov word [eax], 1234h
  CHECK(takes({0xF7, 0x05, 1, 2, 3, 4, 5, 6, 7, 8}, 10));       // test dword [disp32], imm32
  CHECK(takes({0x0F, 0xB6, 0x04, 0x25, 1, 2, 3, 4}, 8));        // movzx eax, byte [disp32] (SIB, no base)
  CHECK(takes({0x83, 0xC4, 0x10}, 3));                          // add esp, 10h
  CHECK(takes({0x31, 0xC0}, 2));                                // xor eax, eax
  CHECK(takes({0x0F, 0x1F, 0x44, 0x00, 0x00}, 5));              // nop dword [eax+eax]
  // Declined: the stack, control flow, prefixes the decoder does not handle, other forms.
  CHECK_FALSE(takes({0x50}, 1));                             // push eax
  CHECK_FALSE(takes({0xE8, 0, 0, 0, 0}, 5));                 // call
  CHECK_FALSE(takes({0x74, 0x05}, 2));                       // jz
  CHECK_FALSE(takes({0x40}, 1));                             // inc eax (legacy form)
  CHECK_FALSE(takes({0xF0, 0x01, 0x03}, 3));                 // lock add [ebx], eax
  CHECK_FALSE(takes({0x64, 0x8B, 0x03}, 3));                 // mov eax, fs:[ebx]
  CHECK_FALSE(takes({0xF3, 0xA4}, 2));                       // rep movsb
  CHECK_FALSE(takes({0x8D, 0xC0}, 2));                       // lea eax, eax (#UD)
  CHECK_FALSE(takes({0xC7, 0xC8, 0, 0, 0, 0}, 6));           // C7 /1
  CHECK_FALSE(takes({0xFF, 0xD0}, 2));                       // call eax
  CHECK_FALSE(takes({0x8C, 0xD8}, 2));                       // mov eax, ds
  CHECK_FALSE(takes({0xD9, 0xC0}, 2));                       // fld st0
  CHECK_FALSE(takes({0x0F, 0x31}, 2));                       // rdtsc
  CHECK_FALSE(takes({0x66, 0x0F, 0xC8}, 3));                 // bswap ax (undefined)
}

// decode_flow against Zydis: every form it accepts is the branch, call, return, push or
// pop Zydis finds there, with the same length, target, register or immediate; all the
// forms it is meant to take are taken; none is taken when cut short.
TEST_CASE("decode_flow agrees with Zydis on branches, calls, returns, pushes and pops", "[decoder]") {
  rs::Decoder d;
  rs::Insn in;
  std::mt19937 rng(7);
  static const ZydisMnemonic kJcc[16] = {
      ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB, ZYDIS_MNEMONIC_JNB,   ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ,
      ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE, ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP, ZYDIS_MNEMONIC_JNP,
      ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_JNLE};
  int accepted = 0;
  for (int two = 0; two < 2; ++two) {
    for (int b = 0; b < 256; ++b) {
      bool taken = false;
      for (int trial = 0; trial < 8; ++trial) {
        uint8_t p[16];
        for (auto& x : p) x = uint8_t(rng());
        if (two) {
          p[0] = 0x0F;
          p[1] = uint8_t(b);
        } else {
          p[0] = uint8_t(b);
        }
        rs::FlowForm f;
        if (!rs::decode_flow(p, sizeof p, f)) continue;
        taken = true;
        INFO("bytes " << int(p[0]) << " " << int(p[1]));
        REQUIRE(d.decode(p, sizeof p, 0x1000, true, in));
        REQUIRE(in.len() == f.len);
        REQUIRE(in.z.operand_width == 32);
        const uint32_t target = 0x1000 + f.len + uint32_t(f.value);
        auto zydis_target = [&] { return in.next() + uint32_t(int32_t(in.ops[0].imm.value.s)); };
        switch (f.kind) {
          case rs::FlowForm::kJcc:
            REQUIRE(in.mn() == kJcc[f.arg]);
            REQUIRE(zydis_target() == target);
            break;
          case rs::FlowForm::kJmp:
          case rs::FlowForm::kCall:
            REQUIRE(in.mn() == (f.kind == rs::FlowForm::kJmp ? ZYDIS_MNEMONIC_JMP : ZYDIS_MNEMONIC_CALL));
            REQUIRE(in.ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE);
            REQUIRE(zydis_target() == target);
            break;
          case rs::FlowForm::kRet:
            REQUIRE(in.mn() == ZYDIS_MNEMONIC_RET);
            REQUIRE(in.z.meta.branch_type != ZYDIS_BRANCH_TYPE_FAR);
            REQUIRE(uint32_t(f.value) == (in.z.operand_count_visible ? uint32_t(in.ops[0].imm.value.u & 0xFFFF) : 0u));
            break;
          case rs::FlowForm::kPush:
          case rs::FlowForm::kPop:
            REQUIRE(in.mn() == (f.kind == rs::FlowForm::kPush ? ZYDIS_MNEMONIC_PUSH : ZYDIS_MNEMONIC_POP));
            REQUIRE(in.ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER);
            REQUIRE(rs::gpr_index(in.ops[0].reg.value) == f.arg);
            REQUIRE(f.arg != 4);  // ESP: the emitters' special cases
            break;
          case rs::FlowForm::kPushImm:
            REQUIRE(in.mn() == ZYDIS_MNEMONIC_PUSH);
            REQUIRE(in.ops[0].type == ZYDIS_OPERAND_TYPE_IMMEDIATE);
            REQUIRE(int32_t(in.ops[0].imm.value.s) == f.value);
            break;
        }
        for (unsigned cut = 0; cut < f.len; ++cut) REQUIRE_FALSE(rs::decode_flow(p, cut, f));
      }
      accepted += taken;
    }
  }
  // 70-7F, 0F 80-8F, EB E9 E8 C3 C2 6A 68, 50-57 and 58-5F but ESP's.
  REQUIRE(accepted == 16 + 16 + 7 + 7 + 7);
  // Prefixed forms are Zydis's.
  for (uint8_t prefix : {0x66, 0x67, 0xF2, 0xF3, 0x2E, 0x3E, 0x26, 0x64, 0x65, 0x36, 0xF0}) {
    for (uint8_t op : {0x74, 0xEB, 0xE9, 0xE8, 0xC3, 0xC2, 0x50, 0x58, 0x6A, 0x68}) {
      const uint8_t p[8] = {prefix, op, 1, 2, 3, 4, 5, 6};
      rs::FlowForm f;
      REQUIRE_FALSE(rs::decode_flow(p, sizeof p, f));
    }
  }
}
