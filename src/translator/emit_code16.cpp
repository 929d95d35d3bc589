// 16-bit code and segments with bases, the parts the families share: the host copy's
// operand size turned around for CS.D = 0 (host_prefixes) and the check that the host
// reads it as the guest does (check_host_form), MOV moffs16 and XLAT with 16-bit
// addresses, and the stack outside flat modes (Emitter::Stack). docs/design.md 4.15.
#include "error.h"
#include "translator/emitter.h"

namespace rs {

using namespace asmjit;

namespace {

bool is_seg_prefix(uint8_t p) {
  return p == 0x26 || p == 0x2E || p == 0x36 || p == 0x3E || p == 0x64 || p == 0x65;
}

}  // namespace

// The instruction's legacy prefixes for the host, without segment overrides and 67
// (the memory operand is rebuilt). 16-bit code (CS.D = 0) has the opposite default
// operand size to the host's: an operand-size 66 goes, and one is added where the
// guest operand is 16 bits wide. A mandatory 66 (SSE) stays as it is.
unsigned Emitter::host_prefixes(const Insn& in, uint8_t* out, unsigned n) {
  bool had66 = false;
  for (unsigned i = 0; i < in.z.raw.prefix_count; ++i) {
    const uint8_t p = in.bytes[i];
    if (is_seg_prefix(p) || p == 0x67) continue;
    if (in.code16 && p == 0x66 && in.z.raw.prefixes[i].type != ZYDIS_PREFIX_TYPE_MANDATORY) {
      had66 = true;
      continue;
    }
    out[n++] = p;
  }
  // MMX and SSE forms have no operand size (Zydis still says 16): there a 66 would select
  // another instruction (psubw mm -> psubw xmm).
  auto simd = [&] { return in.fpu_use() == Insn::kMmx || in.fpu_use() == Insn::kXmm; };
  if (in.code16 && !had66 && in.z.operand_width == 16 && !in.has(ZYDIS_ATTRIB_HAS_OPERANDSIZE) && !simd()) {
    // The prefix goes first: other prefixes (F2/F3 with a mandatory role) must stay next to the opcode.
    for (unsigned i = n; i > 0; --i) out[i] = out[i - 1];
    out[0] = 0x66;
    ++n;
  }
  return n;
}

x86::Mem Emitter::Stack::rel(const x86::Gp& base64, int32_t disp, uint32_t size) {
  if (flat) return Emitter::guest(base64.r32(), disp, size);
  e.a.lea(x86::r11d, x86::ptr(base64, disp));
  if (sp16) e.a.movzx(x86::r11d, x86::r11w);
  e.a.mov(x86::r10, cpu_field(offsetof(CpuState, seg_window) + 8 * SS, 8));
  return x86::Mem(x86::r10, x86::r11, 0, 0, size);
}

void Emitter::Stack::set_sp(const x86::Gp& base64, int32_t delta) {
  if (!sp16) {
    e.a.lea(x86::esp, x86::ptr(base64, delta));
    return;
  }
  e.a.lea(x86::r11d, x86::ptr(base64, delta));
  e.a.mov(x86::sp, x86::r11w);  // the high half of ESP stays
}

// MOV between AL/AX/EAX and [moffs16]: GS rebased to the segment + offset, then the
// ModRM form (8A/8B/88/89 /0) at gs:[0].
void Emitter::moffs16(const Insn& in) {
  const ZydisDecodedOperand* m = nullptr;
  for (int i = 0; i < in.z.operand_count; ++i)
    if (in.ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY) m = &in.ops[i];
  ea16(*m, true);
  static const uint8_t modrm_form[] = {0x8A, 0x8B, 0x88, 0x89};
  uint8_t out[16];
  unsigned n = 0;
  out[n++] = 0x65;
  out[n++] = 0x67;
  n = host_prefixes(in, out, n);
  out[n++] = modrm_form[in.bytes[in.z.raw.prefix_count] - 0xA0];
  out[n++] = 0x04;  // reg = AL/AX/EAX, SIB follows
  out[n++] = 0x25;  // no base, no index: [disp32]
  for (int i = 0; i < 4; ++i) out[n++] = 0;
  a.embed(out, n);
  gs_restore();
}

// XLAT with 16-bit addressing: AL = seg:[(BX + AL) mod 64 KiB].
void Emitter::xlat16(const Insn& in) {
  int seg = DS;
  for (int i = 0; i < in.z.operand_count; ++i)
    if (in.ops[i].type == ZYDIS_OPERAND_TYPE_MEMORY && seg_index(in.ops[i].mem.segment) >= 0)
      seg = seg_index(in.ops[i].mem.segment);
  a.movzx(x86::r11d, x86::al);
  a.lea(x86::r11d, x86::ptr(x86::rbx, x86::r11));
  a.movzx(x86::r11d, x86::r11w);
  a.mov(x86::r10, cpu_field(offsetof(CpuState, seg_window) + 8 * size_t(seg), 8));
  a.mov(x86::al, x86::byte_ptr(x86::r10, x86::r11));
}

// 16-bit code runs as host code with its operand size turned around (host_prefixes).
// The host's reading of the result must be the guest's: same mnemonic, operand size
// and operands; anything else is refused rather than run wrong.
void Emitter::check_host_form(const Insn& in) {
  uint8_t out[24];
  unsigned n = 0;
  // The ModRM bytes as they are: 16-bit addressing needs 67 to read the same in 32-bit code.
  if (in.z.address_width == 16) out[n++] = 0x67;
  n = host_prefixes(in, out, n);
  const unsigned k = in.z.raw.prefix_count;
  for (unsigned i = k; i < in.len(); ++i) out[n++] = in.bytes[i];
  Insn host;
  // The visible operands only: the hidden ones (FLAGS vs EFLAGS, SP vs ESP) differ by mode.
  if (!tr.decoder().decode(out, n, 0, true, host) || host.mn() != in.mn() ||
      host.z.operand_count_visible != in.z.operand_count_visible)
    throw GuestError("16-bit form not translatable: " + in.text());
  for (int i = 0; i < in.z.operand_count_visible; ++i) {
    if (host.ops[i].type != in.ops[i].type || host.ops[i].size != in.ops[i].size)
      throw GuestError("16-bit form not translatable: " + in.text());
    if (in.ops[i].type == ZYDIS_OPERAND_TYPE_REGISTER && host.ops[i].reg.value != in.ops[i].reg.value)
      throw GuestError("16-bit form not translatable: " + in.text());
  }
}

}  // namespace rs
