// The frontend: a basic block's guest instructions fetched through the guest's page
// tables, decoded, and handed one by one to the family that emits them (string, stack,
// control, legacy, system, device memory, or IDENT). A block ends at a control transfer,
// at the end of its page (only its last instruction may run into the next one), at a
// debugger breakpoint, or after kMaxBlockInsns instructions.
#include <algorithm>

#include "cpu/emulate.h"
#include "decoder/ident_decoder.h"
#include "error.h"
#include "translator/emitter.h"
#include "translator/translator.h"

namespace rs {

namespace {

bool emit_insn(Emitter& e, const Insn& in) {
  const Insn::FpuUse fpu = in.fpu_use();
  if (((e.blk.mode & kModeFpuTrap) && fpu != Insn::kNoFpu) || ((e.blk.mode & kModeNoFxsr) && fpu == Insn::kXmm)) {
    e.call_helper(in, &helper_fpu_unavailable, false, &in);
    e.exit_direct(in.next());
    return true;
  }
  if (in.mn() == ZYDIS_MNEMONIC_RDTSC && (e.blk.mode & kModeTscSlow)) return emit_system(e, in);
  // Instructions start in the block's first page.
  if (e.tr.is_mmio((e.blk.phys_first() << kPageShift) | ((e.blk.cs_base + in.eip) & (kPageSize - 1))))
    return emit_mmio(e, in);
  // 16-bit addressing wraps SI/DI/CX at 64 KiB, which native string instructions cannot.
  if (in.z.address_width == 16 && is_string_insn(in)) {
    e.call_helper(in, &helper_emulate, false, &in);
    return false;
  }
  if (is_string(in)) return emit_string(e, in);
  if (is_stack(in)) return emit_stack(e, in);
  if (is_control(in)) return emit_control(e, in);
  if (is_legacy(in)) return emit_legacy(e, in);
  if (is_system(in)) return emit_system(e, in);
  e.ident(in);
  return false;
}

}  // namespace

// The instruction's bytes come from this page, and from the next one only when it does
// not fit (the next page is fetched, and may fault, only then).
bool Translator::fetch_insn(Fetch& f, uint32_t pc, bool code32, Insn& in) {
  TscSpan span(stats.decode_ticks, time_phases_);
  uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH] = {};
  const uint32_t lin = f.cs_base + pc;
  const uint32_t here = std::min<uint32_t>(kPageSize - (lin & (kPageSize - 1)), ZYDIS_MAX_INSTRUCTION_LENGTH);
  const uint32_t pa = (f.phys0 & ~(kPageSize - 1)) | (lin & (kPageSize - 1));
  size_t avail = std::min<uint64_t>(here, mem_.contains(pa, 0) ? mem_.size() - pa : 0);
  mem_.read(pa, buf, avail);
  bool ok = dec_.decode(buf, avail, pc, code32, in);
  f.next_fault = false;
  if (!ok && avail == here && here < ZYDIS_MAX_INSTRUCTION_LENGTH) {
    if (!f.next_ok) f.next_ok = shadow_.fetch((f.page0 + 1) << kPageShift, f.user, f.next_phys, f.next_error);
    f.next_fault = !f.next_ok;
    if (f.next_ok && mem_.read(f.next_phys & ~(kPageSize - 1), buf + here, ZYDIS_MAX_INSTRUCTION_LENGTH - here))
      ok = dec_.decode(buf, ZYDIS_MAX_INSTRUCTION_LENGTH, pc, code32, in);
  }
  return ok;
}

Translator::Body Translator::emit_body(Emitter& e, Fetch& f, int limit, bool single) {
  Block& blk = e.blk;
  std::vector<Insn>& insns = scratch_insns_;
  insns.clear();
  insns.reserve(kMaxBlockInsns + 1);
  uint32_t pc = blk.eip;
  const bool code32 = blk.mode & kModeCode32;
  // 16-bit code: IP wraps at 64 KiB.
  const uint32_t ip_mask = code32 ? 0xFFFFFFFFu : 0xFFFFu;
  auto page_of = [&](uint32_t off) { return (blk.cs_base + off) >> kPageShift; };
  int n = 0;
  // The block's last instruction is a helper call that ends it (an undecodable
  // instruction's #UD, a breakpoint's stop).
  auto last = [&](const Insn& in, HelperFn fn) {
    e.map.push_back({uint32_t(e.a.offset()), pc, kPlain, 0});
    e.call_helper(in, fn, false, &in);
    e.exit_direct(pc);
    return Body{n + 1, pc, false};
  };
  // The common integer instructions of flat 32-bit code are copied without Zydis
  // (decoder/ident_decoder.h): the same bytes ident() makes, at a fraction of the cost.
  // A self-checking block (emit_self_check.cpp) ends after each instruction that writes
  // memory: a write into its own later bytes (GRUB patches the vector of an INT it then
  // runs) is seen by the next block's check. It needs Zydis's operands to know.
  const uint8_t* page = code32 && !single && !blk.self_check && breakpoints_.empty() &&
                                (blk.mode & (kModeFlatStack | kModeStack16 | kModeDsBase)) == kModeFlatStack
                            ? mem_.ptr(f.phys0 & ~(kPageSize - 1), kPageSize)
                            : nullptr;
  for (;;) {
    if (n == limit || (n > 0 && page_of(pc) != f.page0)) break;
    if (page) {
      TscSpan span(stats.decode_ticks, time_phases_);
      const uint32_t off = (blk.cs_base + pc) & (kPageSize - 1);
      IdentForm form;
      FlowForm flow;
      // Copied instructions, then branches, calls, returns, pushes and pops: emitted
      // from this decode alone.
      const bool ident = decode_ident(page + off, kPageSize - off, form);
      if ((ident || decode_flow(page + off, kPageSize - off, flow)) && !is_mmio((f.phys0 & ~(kPageSize - 1)) | off)) {
        span.stop();
        TscSpan emit(stats.emit_ticks, time_phases_);
        if (ident || !flow_uses_esp_lag(flow)) e.flush_esp();
        e.map.push_back({uint32_t(e.a.offset()), pc, kPlain, 0, int16_t(e.esp_lag)});
        stats.fast_decodes++;
        ++n;
        if (ident) {
          uint8_t out[24];
          e.a.embed(out, ident_host_bytes(page + off, form, out));
          pc += form.len;
          continue;
        }
        const bool end = emit_flow(e, flow, pc);
        pc += flow.len;
        if (end) return Body{n, pc, false};
        continue;
      }
    }
    Insn& in = insns.emplace_back();
    if (!fetch_insn(f, pc, code32, in)) {
      if (n > 0) {  // the next block starts there (and reports the fault)
        insns.pop_back();
        break;
      }
      if (f.next_fault) throw FetchFault{(f.page0 + 1) << kPageShift, f.next_error};
      in = Insn{};  // length 0: the helper raises #UD
      in.eip = pc;
      return last(in, &helper_emulate);
    }
    if (single && n == 0) e.keep(in);  // the run loop looks at it (watchpoints)
    // Breakpoints are linear addresses (gdb knows no segments).
    if (!breakpoints_.empty() && breakpoints_.count(blk.cs_base + pc) && !(single && n == 0 && skip_breakpoint_)) {
      // A debugger breakpoint: the block ends before it, and a block that starts there
      // stops for the debugger before running the instruction.
      if (n > 0) {
        insns.pop_back();
        break;
      }
      return last(in, &helper_debug_break);
    }
    if (!e.uses_esp_lag(in)) e.flush_esp();
    e.map.push_back({uint32_t(e.a.offset()), pc, kPlain, 0, int16_t(e.esp_lag)});
    bool end;
    try {
      TscSpan span(stats.emit_ticks, time_phases_);
      end = emit_insn(e, in);
    } catch (const GuestError&) {
      if (n == 0) throw;
      // (the block is translated again, up to this instruction)
      return Body{n, pc, true};  // stop the block before it; the error surfaces if execution gets there
    }
    ++n;
    if (page_of(pc + in.len() - 1) != f.page0) {
      blk.page_last = f.page0 + 1;
      blk.phys_last = f.next_phys >> kPageShift;
    }
    pc = in.next() & ip_mask;
    if (end) return Body{n, pc, false};
    if (blk.self_check && std::any_of(in.ops, in.ops + in.z.operand_count, [](const ZydisDecodedOperand& o) {
          return o.type == ZYDIS_OPERAND_TYPE_MEMORY && (o.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE);
        }))
      break;
  }
  e.flush_esp();
  e.exit_direct(pc);
  return Body{n, pc, false};
}

}  // namespace rs
