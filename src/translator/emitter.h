// Per-block code emission state shared by the instruction-family emitters.
//
// Register use in generated code: guest EAX..EDI in host RAX..RDI (guest ESP in RSP),
// R15 = CpuState*, R12 = the active address space's indirect-branch table
// (CpuState::jtable), R13d = CpuState::page_base (a shared block's EIPs are formed from
// it), R8..R11 and R14 scratch (R8 = helper function, R9 = helper argument / branch
// target, R10 = helper return address, R11 = helper data). Both are stored into and
// loaded from CpuState on every way out of and into translated code. Guest arithmetic
// flags live in host RFLAGS, so glue code uses only MOV, LEA, XCHG, JRCXZ and other
// flag-free instructions, or saves the flags around what it does.
#pragma once
#include <asmjit/x86.h>

#include <initializer_list>
#include <vector>

#include "cpu/helpers.h"
#include "decoder/ident_decoder.h"
#include "translator/translator.h"

namespace rs {

namespace x86 = asmjit::x86;

// Host scratch registers by encoding number.
inline constexpr int kR8 = 8, kR9 = 9, kR10 = 10, kR11 = 11;

// GS base := r (R15 = CpuState*), and the value in CpuState::gs_base first: a host kernel
// that does not preserve GS across context switches leaves its guard there, and the
// fault handler puts this value back (host/gs_guard.h). Every WRGSBASE goes through here.
inline void set_gs_base(x86::Assembler& a, const x86::Gp& r) {
  a.mov(x86::qword_ptr(x86::r15, int32_t(offsetof(CpuState, gs_base))), r);
  a.wrgsbase(r);
}

// GS base := CpuState::window, the current address space and privilege view (via R10).
inline void set_gs_to_window(x86::Assembler& a) {
  a.mov(x86::r10, x86::qword_ptr(x86::r15, int32_t(offsetof(CpuState, window))));
  set_gs_base(a, x86::r10);
}

// What an Emitter gathers about one block besides its code. The translator keeps one and
// lends it to each Emitter in turn, so that these vectors keep their capacity and
// translating a block allocates nothing for them.
struct EmitScratch {
  struct Pending {
    asmjit::Label site;   // at the patchable jmp/jcc
    int rel32_at;         // offset of rel32 inside the instruction
    asmjit::Label stub;
    ExitSite* info;
    asmjit::Label alt;  // a shared block's same-page stub: its jmp to the dispatch part
  };
  struct Resolved {
    ExitSite* info;
    uint64_t rel32_off, stub_off;
    int64_t alt_off, tail_off;  // -1: none
  };
  std::vector<Pending> pending;
  // Table lookups' second way and miss, emitted after the exit stubs (finish_exits) so
  // that the hot path of a block stays in few cache lines.
  struct ColdLookup {
    asmjit::Label at;
    bool kernel;
  };
  std::vector<ColdLookup> cold;
  std::vector<std::pair<const Insn*, const Insn*>> kept;
  std::vector<Resolved> resolved;
  // User inline caches (emit_inline_cache.cpp): head and learning stub, and where they
  // ended up relative to the block start.
  struct Ic {
    asmjit::Label head, lookup, miss, learn;
    ExitSite* info;
    uint64_t head_off = 0, miss_off = 0, learn_off = 0;
  };
  std::vector<Ic> ics;
  std::vector<InsnRecord> map;
};

class Emitter {
 public:
  Emitter(Translator& tr, Block& blk, uint64_t base);

  Translator& tr;
  Block& blk;
  asmjit::CodeHolder& code;  // the translator's, reused: its zone memory stays allocated
  x86::Assembler a;

  // gs:[base32 + disp], the guest virtual address space.
  static x86::Mem guest(const x86::Gp& base32, int32_t disp, uint32_t size);
  static x86::Mem cpu_field(size_t offset, uint32_t size) { return x86::Mem(x86::r15, int32_t(offset), size); }

  // The guest instruction as host code: its own bytes, prefixed 65 67 when it
  // touches memory, with the absolute [disp32] form turned into its SIB equivalent.
  void ident(const Insn& in);
  // ident()'s bytes when no segment base is added (out: 24 bytes); returns the count.
  static unsigned ident_plain_bytes(const Insn& in, uint8_t* out);
  bool ident_rebased(const Insn& in, int seg);
  void rebased_operand(const ZydisDecodedOperand& mem, int seg);  // R10 = segment's window, R11d = offset
  // Legacy prefixes for the host copy (see emitter.cpp); returns the new length.
  static unsigned host_prefixes(const Insn& in, uint8_t* out, unsigned n);
  void moffs16(const Insn& in);
  void xlat16(const Insn& in);
  void check_host_form(const Insn& in);
  // The instruction with its ModRM memory operand replaced by gs:[0] (GS already set).
  void ident_gs0(const Insn& in);
  // Re-encodes the instruction's ModRM operand (memory or register) with another
  // opcode and reg field (0..15); disp_adjust is added to a memory displacement.
  void modrm_op(const Insn& in, std::initializer_list<uint8_t> opcode, int reg, int32_t disp_adjust = 0,
                bool opsize16 = false, bool guest_mem = true);
  // R9d/R9w = the instruction's r/m operand (size from operand 0).
  void load_rm(const Insn& in, int width);
  // Wraps accesses with an fs:/gs: override: GS = window + segment base meanwhile.
  void seg_enter(const Insn& in);
  void seg_leave(const Insn& in);

  // The guest stack. Flat modes reach it as gs:[esp + disp]; the others (real mode,
  // 16-bit stacks, SS with a base) as [R10 + R11]: R10 = window + SS base, R11 = the
  // offset, wrapped to 16 bits on a 16-bit stack. at() clobbers R10/R11 there.
  struct Stack {
    Emitter& e;
    bool flat, sp16;
    explicit Stack(Emitter& em)
        : e(em), flat(em.blk.mode & kModeFlatStack), sp16(em.blk.mode & kModeStack16) {}
    // SS:[ESP + disp], ESP being the guest's (RSP + esp_lag).
    x86::Mem at(int32_t disp, uint32_t size) { return rel(x86::rsp, disp + e.esp_lag, size); }
    x86::Mem rel(const x86::Gp& base64, int32_t disp, uint32_t size);  // SS:[base + disp]
    // ESP (SP on a 16-bit stack) = base + delta; flag-free.
    void set_sp(const x86::Gp& base64, int32_t delta);
    void adjust(int32_t delta) {
      const int32_t lag = e.esp_lag;
      e.esp_lag = 0;
      set_sp(x86::rsp, delta + lag);
    }
    // The same, left for later (esp_lag) on a flat 32-bit stack: a run of PUSH or POP
    // instructions moves ESP once.
    void defer(int32_t delta) {
      if (flat && !sp16)
        e.esp_lag += delta;
      else
        adjust(delta);
    }
  };
  // Guest ESP = host RSP + esp_lag within a run of PUSH/POP (InsnRecord::esp_lag tells the
  // fault handler); flush_esp() makes them equal again, as every other instruction and
  // every way out of the block needs.
  int32_t esp_lag = 0;
  void flush_esp() {
    if (esp_lag) Stack(*this).adjust(0);
  }
  // PUSH r32/imm32, POP r32 (not ESP) and RET on a flat 32-bit stack use esp_lag.
  bool uses_esp_lag(const Insn& in) const;

  // Block exits.
  void exit_direct(uint32_t target);
  bool cross_page(uint32_t target) const;  // a direct exit there looks the target up
  // Code that runs at one address and looks its targets up in the kernel's table: its
  // exits to another page are sites all the same (ExitSite::kernel_xpage).
  bool kernel_code() const { return !blk.shared && Translator::kernel_table(blk.mode); }
  void jcc_direct(uint8_t cc, uint32_t taken, uint32_t fallthrough);
  void loop_direct(uint8_t opcode, uint32_t taken, uint32_t fallthrough);  // E0..E3 with ECX
  void loop_cx(uint8_t opcode, uint32_t taken, uint32_t fallthrough);      // E0..E3 with CX (67 prefix)
  // 16-bit addressing: R11d = the 16-bit effective address; with rebase, GS points at
  // window + segment base + EA, so the operand becomes gs:[0].
  void ea16(const ZydisDecodedOperand& mem, bool rebase);
  void gs_restore();
  // Keep the guest's arithmetic flags aside while glue code compares: RAX goes to R14
  // and AX holds the flags (LAHF, SETO), so the code between may use neither RAX nor
  // R14; RSP stays the guest's. A POPFQ costs ~20 cycles on Intel, LAHF/SAHF one or two.
  // On a host without LAHF in 64-bit mode: PUSHFQ on the host stack (RSP in R14).
  void flags_save();
  void flags_restore();
  void exit_indirect(bool ic = false);  // target in R9d; ic: behind an inline cache (not RET)
  void jtable_jump();    // target in R9d, through the indirect-branch table
  // The same behind an inline cache where the block is shared user code (else just the
  // lookup): a jump straight to the block the site met last in this address space.
  void jtable_jump_ic();
  void emit_ic_learn_stubs();
  // The same in the mode held in R8[63:32] (mode switches); kernel: that mode's table is
  // the kernel's (Translator::kernel_table).
  void jtable_jump_in_r8_mode(bool kernel);
  // Looks (mode R8[63:32], EIP R9d) up: a hit goes on after this code, else a jump to
  // miss; flag-free.
  void jtable_find(asmjit::Label miss, bool kernel = false);
  void jtable_probe(bool kernel, int way);
  void emit_cold_lookups();
  // If R8 is non-zero, leaves for the run loop to take an interrupt after `in`
  // (after the next instruction too, for STI's shadow). Flag-free; clobbers R8.
  void irq_window_check(const Insn& in, bool shadow);
  // Calls a C++ helper with the guest state saved; ea (R9d) computed when with_ea.
  // data == &in is replaced by the block's kept copy of the instruction.
  void call_helper(const Insn& in, HelperFn fn, bool with_ea, const void* data);
  // The block's stable copy of `in` (made once).
  const Insn& keep(const Insn& in);

  void finish_exits();
  const std::vector<EmitScratch::Ic>& ics_out() const { return ics_; }

  // r32 = guest EIP `eip` as this block sees it: a constant, or in a shared block
  // page_base + (eip - the translation's page), which wraps like the guest's EIP.
  // Flag-free.
  void eip_to(const x86::Gp& r32, uint32_t eip);

 private:
  using Pending = EmitScratch::Pending;
  asmjit::Label jt_tail_;  // a shared block's indirect-branch lookup for those stubs
  ExitSite* new_site(uint32_t target);
  void patchable(std::initializer_list<uint8_t> op, ExitSite* s);

  std::vector<Pending>& pending_;
  std::vector<EmitScratch::ColdLookup>& cold_;
  std::vector<std::pair<const Insn*, const Insn*>>& kept_;  // scratch instruction -> block copy
  std::vector<EmitScratch::Ic>& ics_;

 public:
  // Filled by resolve(): where each patch site ended up, relative to the block start.
  std::vector<EmitScratch::Resolved>& resolved;
  // The block's instruction map while it is emitted (Block::map gets an exact copy).
  std::vector<InsnRecord>& map;
  void resolve();
};

// One emitter per instruction family. Each returns true when the instruction ends the block.
bool emit_stack(Emitter& e, const Insn& in);
bool emit_control(Emitter& e, const Insn& in);
bool emit_string(Emitter& e, const Insn& in);
bool emit_legacy(Emitter& e, const Insn& in);
bool emit_system(Emitter& e, const Insn& in);
bool emit_fast_call(Emitter& e, const Insn& in);
// CALL to a get-PC thunk (mov reg, [esp]; ret) done inline; false: not one.
bool emit_pc_thunk_call(Emitter& e, const Insn& in);
bool emit_pc_thunk_call(Emitter& e, uint32_t next, uint32_t target);  // a 32-bit CALL rel32
// The forms decode_flow finds, in a flat 32-bit mode, as emit_control and emit_stack
// make them from a Zydis decode (frontend.cpp): true when the instruction ends the block.
bool emit_flow(Emitter& e, const FlowForm& f, uint32_t eip);
// RET and the pushes and pops join a run of stack instructions (Emitter::uses_esp_lag);
// the others start with ESP in RSP.
inline bool flow_uses_esp_lag(const FlowForm& f) {
  return f.kind == FlowForm::kRet || f.kind == FlowForm::kPush || f.kind == FlowForm::kPop || f.kind == FlowForm::kPushImm;
}
void emit_push_pop(Emitter& e, const FlowForm& f);
// MOV/POP to DS, ES, FS or GS through the descriptor cache (false: not handled here).
bool emit_load_sreg(Emitter& e, const Insn& in);
bool emit_read_sreg(Emitter& e, const Insn& in);  // MOV reg, Sreg; false: not that form
bool emit_verw(Emitter& e, const Insn& in);       // false: not VERW, or not inline here
// An instruction known to touch device memory: a direct call to the device.
bool emit_mmio(Emitter& e, const Insn& in);
// Whether the family handles this mnemonic (checked in this order, else IDENT).
bool is_stack(const Insn& in);
bool is_control(const Insn& in);
bool is_string(const Insn& in);
bool is_legacy(const Insn& in);
bool is_system(const Insn& in);


}  // namespace rs
