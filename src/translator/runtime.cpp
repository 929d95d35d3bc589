// The runtime stubs, generated once at the start of the translation cache:
//   enter(cpu, code)  C++ -> translated code: saves host callee-saved registers,
//                     sets GS to the current window, loads the guest state and
//                     jumps to code.
//   helper stub       translated code -> C++ helper -> back (or out to the run loop).
//                     Saves the guest GPRs, flags and x87/SSE state, switches to the
//                     host stack, gives C++ a clean FPU and MXCSR.
//   leave_async       where the signal handler sends a faulting block: out to the loop.
#include <cstring>

#include "translator/emitter.h"

namespace rs {

using namespace asmjit;

namespace {

x86::Mem field(size_t off, uint32_t size = 8) { return x86::Mem(x86::r15, int32_t(off), size); }
x86::Mem reg_field(int r) { return field(offsetof(CpuState, regs) + 8 * size_t(r)); }

}  // namespace

namespace {

const x86::Gp kGuestRegs[] = {x86::rax, x86::rcx, x86::rdx, x86::rbx, x86::rsp, x86::rbp, x86::rsi, x86::rdi};

// The stubs, emitted one after the other; labels connect them.
struct RuntimeAsm {
  explicit RuntimeAsm(x86::Assembler& as) : a(as) {}
  x86::Assembler& a;
  Label enter = a.newLabel(), resume = a.newLabel(), resume_regs = a.newLabel(), stub = a.newLabel(),
        stub_full = a.newLabel(), leave = a.newLabel(), leave_async = a.newLabel();

  // uint32_t enter(CpuState* cpu /*rdi*/, const void* code /*rsi*/), and `resume`, where
  // helpers come back into translated code.
  void emit_enter() {
    a.bind(enter);
    for (auto r : {x86::rbx, x86::rbp, x86::r12, x86::r13, x86::r14, x86::r15}) a.push(r);
    a.sub(x86::rsp, 8);  // 6 pushes + return address: realign to 16
    a.mov(x86::r15, x86::rdi);
    a.mov(field(offsetof(CpuState, host_rsp)), x86::rsp);
    a.mov(field(offsetof(CpuState, ret_addr)), x86::rsi);
    a.stmxcsr(field(offsetof(CpuState, host_mxcsr), 4));
    set_gs_to_window(a);  // the address space and privilege view the run loop chose

    a.bind(resume);
    a.fxrstor(field(offsetof(CpuState, fpu), 512));
    a.bind(resume_regs);
    a.push(field(offsetof(CpuState, rflags)));
    a.popfq();
    for (int r = 0; r < 8; ++r)
      if (r != ESP) a.mov(kGuestRegs[r], reg_field(r));
    a.mov(x86::rsp, reg_field(ESP));
    // The active address space's indirect-branch table and page_base live in R12 and R13
    // (C++ may have changed them).
    a.mov(x86::r12, field(offsetof(CpuState, jtable)));
    a.mov(x86::r13d, field(offsetof(CpuState, page_base), 4));
    a.jmp(field(offsetof(CpuState, ret_addr)));
  }

  // Helper stubs: r8 = function, r9 = argument, r10 = return address, r11 = data.
  void save_gprs() {
    a.mov(reg_field(ESP), x86::rsp);
    a.mov(field(offsetof(CpuState, page_base), 4), x86::r13d);
    a.mov(x86::rsp, field(offsetof(CpuState, host_rsp)));
    a.pushfq();
    a.pop(field(offsetof(CpuState, rflags)));
    for (int r = 0; r < 8; ++r)
      if (r != ESP) a.mov(reg_field(r), kGuestRegs[r]);
    a.mov(field(offsetof(CpuState, ret_addr)), x86::r10);
  }
  void call_fn() {
    a.cld();
    a.mov(x86::rdi, x86::r15);
    a.mov(x86::esi, x86::r9d);
    a.mov(x86::rdx, x86::r11);
    a.call(x86::r8);
    a.test(x86::eax, x86::eax);
  }
  static x86::Mem spill(int i) { return x86::xmmword_ptr(x86::r15, int32_t(offsetof(CpuState, xmm_spill) + 16 * i)); }

  // The full stub keeps the guest FPU in CpuState::fpu (FXSAVE) while the helper runs,
  // for helpers that look at x87 state.
  void emit_full_stub() {
    a.bind(stub_full);
    save_gprs();
    a.fxsave(field(offsetof(CpuState, fpu), 512));
    a.fninit();
    a.ldmxcsr(field(offsetof(CpuState, host_mxcsr), 4));
    call_fn();
    a.jz(resume);
    a.jmp(leave);
  }

  // The light one only spills XMM0-7 and MXCSR, which C++ code clobbers: C++ never uses
  // x87, so those registers stay the guest's, and the FXSAVE image is only completed
  // when the helper leaves for the run loop.
  void emit_light_stub() {
    Label light_out = a.newLabel(), light_back = a.newLabel();
    a.bind(stub);
    save_gprs();
    for (int i = 0; i < 8; ++i) a.movdqa(spill(i), x86::xmm(i));
    a.stmxcsr(field(offsetof(CpuState, mxcsr_spill), 4));
    a.ldmxcsr(field(offsetof(CpuState, host_mxcsr), 4));
    call_fn();
    a.jz(light_back);
    a.cmp(x86::eax, kResumeNewView);
    a.jne(light_out);
    set_gs_to_window(a);
    a.bind(light_back);
    a.ldmxcsr(field(offsetof(CpuState, mxcsr_spill), 4));
    for (int i = 0; i < 8; ++i) a.movdqa(x86::xmm(i), spill(i));
    a.jmp(resume_regs);
    // Leaving: the x87 part of the image from the live registers, XMM/MXCSR from the spill.
    a.bind(light_out);
    a.fxsave(field(offsetof(CpuState, fpu), 512));
    for (int i = 0; i < 8; ++i) {
      a.movdqa(x86::xmm0, spill(i));
      a.movdqa(x86::xmmword_ptr(x86::r15, int32_t(offsetof(CpuState, fpu) + 160 + 16 * i)), x86::xmm0);
    }
    a.mov(x86::r8d, field(offsetof(CpuState, mxcsr_spill), 4));
    a.mov(field(offsetof(CpuState, fpu) + 24, 4), x86::r8d);
    a.fninit();
    // falls through into leave
  }

  void emit_leave() {
    a.bind(leave);
    a.mov(x86::rsp, field(offsetof(CpuState, host_rsp)));
    a.add(x86::rsp, 8);
    for (auto r : {x86::r15, x86::r14, x86::r13, x86::r12, x86::rbp, x86::rbx}) a.pop(r);
    a.ret();

    // The signal handler has stored the guest state and set rsp = host_rsp, r15 = cpu.
    a.bind(leave_async);
    a.fninit();
    a.ldmxcsr(field(offsetof(CpuState, host_mxcsr), 4));
    a.cld();
    set_gs_to_window(a);  // a fault inside an fs:/gs: access leaves GS on the segment's window
    a.mov(x86::eax, field(offsetof(CpuState, exit_arg), 4));
    a.jmp(leave);
  }
};

}  // namespace

void Translator::build_runtime() {
  CodeHolder code;
  uint8_t* base = cache_.begin();
  code.init(Environment(Arch::kX64), uint64_t(base));
  x86::Assembler a(&code);
  RuntimeAsm r(a);
  r.emit_enter();
  r.emit_full_stub();
  r.emit_light_stub();  // must come right before emit_leave: it falls through
  r.emit_leave();

  code.flatten();
  code.resolveUnresolvedLinks();
  code.relocateToBase(uint64_t(base));
  size_t size = code.codeSize();
  uint8_t* dst = cache_.alloc(size);
  code.copyFlattenedData(dst, size);
  rt_.enter = reinterpret_cast<Runtime::EnterFn>(base + code.labelOffsetFromBase(r.enter));
  rt_.helper_stub = base + code.labelOffsetFromBase(r.stub);
  rt_.helper_stub_full = base + code.labelOffsetFromBase(r.stub_full);
  rt_.leave_async = base + code.labelOffsetFromBase(r.leave_async);
  scratch_ = cache_.alloc(kScratchBytes);
  blocks_start_ = cache_.cursor();
}

}  // namespace rs
