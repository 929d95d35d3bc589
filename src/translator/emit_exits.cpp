// Block exits and helper calls: patchable direct exits (jmp/jcc/loop rel32 through a stub
// until chained), indirect exits through the indirect-branch table, the IF window
// check after STI/POPF, calls into C++ helpers through the helper stub, and the
// resolution of exit sites once the block's code has its final address.
#include <cstring>

#include "translator/emitter.h"

namespace rs {

using namespace asmjit;

ExitSite* Emitter::new_site(uint32_t target) {
  auto s = std::make_unique<ExitSite>();
  s->from = &blk;
  s->target = target;
  s->kernel_xpage = blk.cached && kernel_code() && cross_page(target);
  ExitSite* p = s.get();
  if (blk.exits.empty()) blk.exits.reserve(2);  // a conditional branch's two: one allocation
  blk.exits.push_back(std::move(s));
  return p;
}

void Emitter::patchable(std::initializer_list<uint8_t> op, ExitSite* s) {
  Pending p{a.newLabel(), int(op.size()), a.newLabel(), s, asmjit::Label()};
  a.bind(p.site);
  uint8_t buf[8] = {};
  unsigned n = 0;
  for (uint8_t o : op) buf[n++] = o;
  a.embed(buf, n + 4);
  pending_.push_back(p);
}

// A jump to another page is never chained under paging (translator.h): the lookup goes
// right here, not behind a jump to a stub.
bool Emitter::cross_page(uint32_t target) const {
  return blk.cached && (blk.mode & kModePaging) && (blk.mode & kModeFlatStack) && (target >> kPageShift) != blk.page_first;
}

void Emitter::exit_direct(uint32_t target) {
  if (cross_page(target) && !kernel_code()) {  // kernel code: a site, chained by kernel_link
    eip_to(x86::r9d, target);
    jtable_jump_ic();
    return;
  }
  patchable({0xE9}, new_site(target));
}

void Emitter::jcc_direct(uint8_t cc, uint32_t taken, uint32_t fallthrough) {
  patchable({0x0F, uint8_t(0x80 | cc)}, new_site(taken));
  patchable({0xE9}, new_site(fallthrough));
}

void Emitter::loop_direct(uint8_t opcode, uint32_t taken, uint32_t fallthrough) {
  // 67 prefix: LOOP/JECXZ count in ECX, as in 32-bit code. None of them touches flags.
  const uint8_t head[] = {0x67, opcode, 0x02, 0xEB, 0x05};
  a.embed(head, sizeof head);
  patchable({0xE9}, new_site(taken));
  patchable({0xE9}, new_site(fallthrough));
}

void Emitter::loop_cx(uint8_t opcode, uint32_t taken, uint32_t fallthrough) {
  // No CX-sized LOOP/JCXZ in 64-bit mode: count in CX by hand, test it with JRCXZ on a copy.
  Label zero = a.newLabel();
  if (opcode != 0xE3) {
    a.lea(x86::r9d, x86::ptr(x86::rcx, -1));
    a.mov(x86::cx, x86::r9w);
  }
  a.movzx(x86::r9d, x86::cx);
  a.xchg(x86::r9, x86::rcx);
  a.jecxz(x86::rcx, zero);
  a.xchg(x86::r9, x86::rcx);
  // CX != 0
  if (opcode == 0xE3) {
    patchable({0xE9}, new_site(fallthrough));
  } else {
    if (opcode == 0xE1) patchable({0x0F, 0x85}, new_site(fallthrough));  // LOOPE: leave when ZF = 0
    if (opcode == 0xE0) patchable({0x0F, 0x84}, new_site(fallthrough));  // LOOPNE: leave when ZF = 1
    patchable({0xE9}, new_site(taken));
  }
  a.bind(zero);
  a.xchg(x86::r9, x86::rcx);
  patchable({0xE9}, new_site(opcode == 0xE3 ? taken : fallthrough));
}

void Emitter::exit_indirect(bool ic) {
  if (!blk.cached) {  // one-instruction blocks go back to the run loop
    a.mov(x86::r8, Imm(uint64_t(&helper_leave_indirect)));
    a.jmp(Imm(uint64_t(tr.runtime().helper_stub)));
    return;
  }
  if (!(blk.mode & kModeFlatStack)) {  // no table outside flat modes (translator.h)
    a.mov(x86::r8, Imm(uint64_t(&helper_dispatch_indirect)));
    a.jmp(Imm(uint64_t(tr.runtime().helper_stub)));
    return;
  }
  if (ic)
    jtable_jump_ic();
  else
    jtable_jump();
}

// Target in R9d: jump through the current address space's indirect-branch table, or
// to helper_dispatch_indirect on a miss.
void Emitter::jtable_jump() {
  a.mov(x86::r8, Imm(uint64_t(blk.mode) << 32));
  jtable_jump_in_r8_mode(Translator::kernel_table(blk.mode));
}

// The same with the target's mode in R8's high half (a mode switch computes it). The
// hot path probes the bucket's first way only; the second way and the miss are cold
// code after the block's exits (emit_cold_lookups). A hit jumps to the code.
void Emitter::jtable_jump_in_r8_mode(bool kernel) {
  const x86::Gp t = kernel ? x86::r14 : x86::r12;
  Label hit = a.newLabel(), cold = a.newLabel();
  jtable_probe(kernel, 0);
  a.jecxz(x86::rcx, hit);  // JRCXZ: RCX names the 64-bit form
  a.jmp(cold);
  a.bind(hit);
  a.mov(x86::rcx, x86::r10);
  a.jmp(x86::qword_ptr(t, x86::r11, 3, int32_t(offsetof(JTable::Way, code))));
  cold_.push_back({cold, kernel});
}

// R11 = the bucket of EIP R9d, R8 = the target's key (mode R8[63:32] | EIP) on the first
// probe, RCX = way's -key + key (0: a match), the guest's RCX in R10. Flag-free.
void Emitter::jtable_probe(bool kernel, int way) {
  const x86::Gp t = kernel ? x86::r14 : x86::r12;
  if (way == 0) {
    if (kernel) a.mov(x86::r14, cpu_field(offsetof(CpuState, kjtable), 8));
    a.movzx(x86::r11d, x86::r9w);  // the bucket, times 4: a bucket is 32 bytes
    a.lea(x86::r11, x86::ptr(0, x86::r11, 2));
    a.lea(x86::r8, x86::ptr(x86::r8, x86::r9));
    // RCX is borrowed for JRCXZ and kept in R10 with MOVs (an XCHG of registers is 3 uops
    // on Intel, a MOV none with move elimination).
    a.mov(x86::r10, x86::rcx);
  }
  a.mov(x86::rcx, x86::qword_ptr(t, x86::r11, 3, int32_t(size_t(way) * sizeof(JTable::Way))));
  a.lea(x86::rcx, x86::ptr(x86::rcx, x86::r8));
}

void Emitter::emit_cold_lookups() {
  for (size_t i = 0; i < cold_.size(); ++i) {
    const EmitScratch::ColdLookup c = cold_[i];
    const x86::Gp t = c.kernel ? x86::r14 : x86::r12;
    Label hit = a.newLabel();
    a.bind(c.at);
    jtable_probe(c.kernel, 1);
    a.jecxz(x86::rcx, hit);
    a.mov(x86::rcx, x86::r10);
    a.mov(x86::r8, Imm(uint64_t(&helper_dispatch_indirect)));
    a.jmp(Imm(uint64_t(tr.runtime().helper_stub)));
    a.bind(hit);
    a.mov(x86::rcx, x86::r10);
    a.jmp(x86::qword_ptr(t, x86::r11, 3, int32_t(sizeof(JTable::Way) + offsetof(JTable::Way, code))));
  }
}

// Looks (mode R8[63:32], EIP R9d) up in the active address space's indirect-branch table
// (R12; the kernel's, loaded into R14) and goes on after this code on a hit, else jumps
// to `miss`. Flag-free; clobbers R8, R10, R11 (and R14).
void Emitter::jtable_find(Label miss, bool kernel) {
  Label found = a.newLabel();
  jtable_probe(kernel, 0);
  a.jecxz(x86::rcx, found);
  jtable_probe(kernel, 1);
  a.jecxz(x86::rcx, found);
  a.mov(x86::rcx, x86::r10);
  a.jmp(miss);
  a.bind(found);
  a.mov(x86::rcx, x86::r10);
}

void Emitter::irq_window_check(const Insn& in, bool shadow) {
  Label skip = a.newLabel(), done = a.newLabel();
  a.xchg(x86::r8, x86::rcx);
  a.jecxz(x86::rcx, skip);
  a.xchg(x86::r8, x86::rcx);
  eip_to(x86::r9d, in.next());
  Label after = a.newLabel();
  eip_to(x86::r11d, in.eip);
  a.mov(cpu_field(offsetof(CpuState, eip), 4), x86::r11d);
  a.mov(x86::r11, Imm(shadow ? uint64_t(1) : uint64_t(0)));
  a.mov(x86::r8, Imm(uint64_t(&helper_irq_window)));
  a.lea(x86::r10, x86::ptr(after));
  a.jmp(Imm(uint64_t(tr.runtime().helper_stub)));
  a.bind(after);  // not reached: the helper always leaves
  a.jmp(done);
  a.bind(skip);
  a.xchg(x86::r8, x86::rcx);
  a.bind(done);
}

const Insn& Emitter::keep(const Insn& in) {
  for (const auto& [from, to] : kept_)
    if (from == &in) return *to;
  const Insn& copy = *blk.kept.emplace_back(std::make_unique<Insn>(in));
  kept_.push_back({&in, &copy});
  return copy;
}

void Emitter::eip_to(const x86::Gp& r32, uint32_t eip) {
  if (!blk.shared) {
    a.mov(r32, Imm(eip));
    return;
  }
  a.lea(r32, x86::ptr(x86::r13, int32_t(eip - (blk.eip & ~(kPageSize - 1)))));
}

void Emitter::call_helper(const Insn& in, HelperFn fn, bool with_ea, const void* data) {
  const bool own = data == &in;
  if (own) data = &keep(in);
  Label after = a.newLabel();
  eip_to(x86::r11d, in.eip);
  a.mov(cpu_field(offsetof(CpuState, eip), 4), x86::r11d);
  if (own && blk.shared) {
    // Helpers read the instruction's EIP (and next()): the kept copy says where it runs now.
    a.mov(x86::r8, Imm(uint64_t(data)));
    a.mov(x86::dword_ptr(x86::r8, int32_t(offsetof(Insn, eip))), x86::r11d);
  }
  if (with_ea) modrm_op(in, {0x8D}, kR9, 0, false, false);  // lea r9d, [ea]
  a.mov(x86::r11, Imm(uint64_t(data)));
  a.mov(x86::r8, Imm(uint64_t(fn)));
  a.lea(x86::r10, x86::ptr(after));
  // Only the #NM/#MF checks look at x87 state (FSW) while they run.
  a.jmp(Imm(uint64_t(fn == &helper_fpu_unavailable ? tr.runtime().helper_stub_full : tr.runtime().helper_stub)));
  a.bind(after);
}

void Emitter::finish_exits() {
  for (auto& p : pending_) {
    a.bind(p.stub);
    // With paging, a branch to another page is never chained (translator.h): look it up.
    if (cross_page(p.info->target)) {
      eip_to(x86::r9d, p.info->target);
      jtable_jump_ic();
      continue;
    }
    // helper_dispatch_direct takes the target from R9d (a shared block's targets move)
    // and stores it as the EIP.
    eip_to(x86::r9d, p.info->target);
    if (blk.shared && blk.cached) {  // jmp +0, until dispatch aims it at the lookup
      if (!jt_tail_.isValid()) jt_tail_ = a.newLabel();
      p.alt = a.newLabel();
      a.bind(p.alt);
      const uint8_t jmp0[] = {0xE9, 0, 0, 0, 0};
      a.embed(jmp0, sizeof jmp0);
    }
    a.mov(x86::r11, Imm(uint64_t(p.info)));
    a.mov(x86::r8, Imm(uint64_t(&helper_dispatch_direct)));
    a.jmp(Imm(uint64_t(tr.runtime().helper_stub)));
  }
  if (jt_tail_.isValid()) {
    a.bind(jt_tail_);
    jtable_jump();
  }
  emit_cold_lookups();
  emit_ic_learn_stubs();
}

void Emitter::resolve() {
  for (auto& p : pending_) {
    const bool alt = p.alt.isValid();
    resolved.push_back({p.info, code.labelOffsetFromBase(p.site) + uint64_t(p.rel32_at), code.labelOffsetFromBase(p.stub),
                        alt ? int64_t(code.labelOffsetFromBase(p.alt) + 1) : -1,
                        alt ? int64_t(code.labelOffsetFromBase(jt_tail_)) : -1});
  }
  for (auto& ic : ics_) {
    ic.head_off = code.labelOffsetFromBase(ic.head);
    ic.miss_off = code.labelOffsetFromBase(ic.miss);
    ic.learn_off = code.labelOffsetFromBase(ic.learn);
  }
}

}  // namespace rs
