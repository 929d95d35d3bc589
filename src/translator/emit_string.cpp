// String instructions that write or compare through ES:EDI. 64-bit mode ignores
// the ES base, so ESI/EDI are rebased to 64-bit host pointers into the window and
// the native instruction runs with its REP prefix and the guest's DF, at native
// speed. The guard zones around the window bound what it can reach; the fault
// handler turns the pointers back into guest offsets (kRebasedString).
#include "cpu/emulate.h"
#include "error.h"
#include "translator/emitter.h"

namespace rs {

using namespace asmjit;

namespace {

int source_segment(const Insn& in) {
  for (int i = 0; i < in.z.operand_count; ++i) {
    const auto& op = in.ops[i];
    if (op.type != ZYDIS_OPERAND_TYPE_MEMORY || op.mem.base != ZYDIS_REGISTER_ESI) continue;
    int s = seg_index(op.mem.segment);
    return s < 0 ? DS : s;
  }
  return -1;
}

}  // namespace

// LODS reads through DS:ESI only and runs as IDENT; the others write or compare through ES:EDI.
bool is_string(const Insn& in) {
  const ZydisMnemonic m = in.mn();
  return is_string_insn(in) && m != ZYDIS_MNEMONIC_LODSB && m != ZYDIS_MNEMONIC_LODSW && m != ZYDIS_MNEMONIC_LODSD;
}

bool emit_string(Emitter& e, const Insn& in) {
  bool rep = in.has(ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE);
  int src = source_segment(in);
  auto field = [](size_t base, int seg) { return Emitter::cpu_field(base + 8 * size_t(seg), 8); };

  if (rep) e.a.mov(x86::ecx, x86::ecx);  // REP counts with RCX in 64-bit addressing
  e.a.mov(x86::edi, x86::edi);
  e.a.mov(x86::r10, field(offsetof(CpuState, seg_window), ES));
  e.a.lea(x86::rdi, x86::ptr(x86::rdi, x86::r10));
  if (src >= 0) {
    e.a.mov(x86::esi, x86::esi);
    e.a.mov(x86::r11, field(offsetof(CpuState, seg_window), src));
    e.a.lea(x86::rsi, x86::ptr(x86::rsi, x86::r11));
  }
  uint8_t out[16];
  unsigned n = Emitter::host_prefixes(in, out, 0);
  out[n++] = in.bytes[in.z.raw.prefix_count];
  e.a.embed(out, n);
  e.a.mov(x86::r10, field(offsetof(CpuState, neg_seg_window), ES));
  e.a.lea(x86::edi, x86::ptr(x86::rdi, x86::r10));
  if (src >= 0) {
    e.a.mov(x86::r11, field(offsetof(CpuState, neg_seg_window), src));
    e.a.lea(x86::esi, x86::ptr(x86::rsi, x86::r11));
  }
  e.map.back().kind = kRebasedString;
  e.map.back().src_seg = uint8_t(src < 0 ? kNoSource : src);
  return false;
}

}  // namespace rs
