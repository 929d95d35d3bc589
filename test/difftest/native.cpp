#include "difftest/native.h"

#include <asm/ldt.h>
#include <asmjit/x86.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace difftest {

namespace {

constexpr uint64_t kTramp = 0x00200000;  // trampolines and their data, below 2 GiB
constexpr uint64_t kEnter64 = kTramp, kEntry32 = kTramp + 0x400, kExit64 = kTramp + 0x800;
constexpr uint64_t kSavedRsp = kTramp + 0xC00, kGprIn = kTramp + 0xC10, kMxcsrHost = kTramp + 0xC40;
constexpr uint64_t kSavedFsBase = kTramp + 0xC50, kSavedGsBase = kTramp + 0xC58;
constexpr uint64_t kEntryPtr = kTramp + 0xC60;    // which 32-bit entry kEnter64 goes to
constexpr uint64_t kEntry16 = kTramp + 0x1800;    // the 32-bit entry that far-jumps to 16-bit code
constexpr uint64_t kFxIn = kTramp + 0x1000;
constexpr int kSignals[] = {SIGTRAP, SIGSEGV, SIGFPE, SIGILL, SIGBUS};

Outcome* g_out = nullptr;
struct sigaction g_old[5];
uint8_t g_altstack[65536];

void* map_fixed(uint64_t addr, size_t len, int prot) {
  void* p = mmap(reinterpret_cast<void*>(addr), len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p == MAP_FAILED || p != reinterpret_cast<void*>(addr))
    throw std::system_error(errno, std::generic_category(), "map low region for native runs");
  return p;
}

template <typename Fn>
void assemble_at(uint64_t at, asmjit::Arch arch, Fn body) {
  asmjit::CodeHolder code;
  code.init(asmjit::Environment(arch), at);
  asmjit::x86::Assembler a(&code);
  body(a);
  code.flatten();
  code.resolveUnresolvedLinks();
  code.relocateToBase(at);
  if (code.codeSize() > 0x400) throw std::runtime_error("trampoline too large");
  code.copyFlattenedData(reinterpret_cast<void*>(at), code.codeSize());
}

// The sequence stopped (INT3 at its end, or a fault): record the 32-bit state and go
// back to 64-bit mode through the exit trampoline.
void on_signal(int, siginfo_t*, void* ctx) {
  auto* uc = static_cast<ucontext_t*>(ctx);
  greg_t* g = uc->uc_mcontext.gregs;
  uint16_t cs = uint16_t(g[REG_CSGSFS] & 0xFFFF);
  if ((cs != kCs32 && cs != kCode16Sel) || !g_out) {
    static const char msg[] = "difftest: unexpected signal outside a native run\n";
    ssize_t r = write(2, msg, sizeof msg - 1);
    (void)r;
    _exit(70);
  }
  static const int kRegs[8] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI};
  for (int r = 0; r < 8; ++r) g_out->st.gpr[r] = uint32_t(g[kRegs[r]]);
  g_out->st.eflags = uint32_t(g[REG_EFL]);
  g_out->eip = uint32_t(g[REG_RIP]);
  g_out->vector = int(g[REG_TRAPNO]);
  g_out->error = uint32_t(g[REG_ERR]);
  if (uc->uc_mcontext.fpregs) std::memcpy(g_out->st.fx, uc->uc_mcontext.fpregs, 512);
  g[REG_RIP] = greg_t(kExit64);
  g[REG_CSGSFS] = (g[REG_CSGSFS] & ~greg_t(0xFFFF)) | 0x33;
  g[REG_EFL] = 0x202;
}

}  // namespace

NativeRunner::NativeRunner() {
  using namespace asmjit;
  map_fixed(kTramp, 0x2000, PROT_READ | PROT_WRITE | PROT_EXEC);  // kEntry16 sits in the second page
  map_fixed(kCodeAddr, kCodeBytes, PROT_READ | PROT_WRITE | PROT_EXEC);
  map_fixed(kScratchAddr, kScratchBytes, PROT_READ | PROT_WRITE);
  map_fixed(kStackAddr, kStackBytes, PROT_READ | PROT_WRITE);
  map_fixed(kLowAddr, kLowBytes, PROT_READ | PROT_WRITE);
  uint32_t mxcsr;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  std::memcpy(reinterpret_cast<void*>(kMxcsrHost), &mxcsr, 4);

  assemble_at(kEnter64, Arch::kX64, [](x86::Assembler& a) {
    for (auto r : {x86::rbx, x86::rbp, x86::r12, x86::r13, x86::r14, x86::r15}) a.push(r);
    a.mov(x86::qword_ptr(kSavedRsp), x86::rsp);
    // The sequence may load FS or GS, which changes their bases on some CPUs: keep the
    // C++ thread pointer safe.
    a.rdfsbase(x86::rax);
    a.mov(x86::qword_ptr(kSavedFsBase), x86::rax);
    a.rdgsbase(x86::rax);
    a.mov(x86::qword_ptr(kSavedGsBase), x86::rax);
    a.mov(x86::eax, 0x2B);
    a.mov(x86::ds, x86::ax);
    a.mov(x86::es, x86::ax);
    a.mov(x86::ss, x86::ax);
    a.push(0x23);
    a.push(x86::qword_ptr(kEntryPtr));
    const uint8_t retfq[] = {0x48, 0xCB};
    a.embed(retfq, 2);
  });
  // The 32-bit entry: the case's x87/SSE state, flags and registers, then its code, in
  // this 32-bit segment or, for a 16-bit case, through a far jump to offset 0 of the
  // 16-bit segment.
  auto load_state = [](x86::Assembler& a) {
    a.fxrstor(x86::ptr(uint64_t(kFxIn), 512));
    // EFLAGS come from the stack slot below ESP (the case put them there, in the guest too).
    a.mov(x86::esp, x86::dword_ptr(uint64_t(kGprIn + 16)));
    a.lea(x86::esp, x86::ptr(x86::esp, -4));
    a.popfd();
    static const x86::Gp regs[8] = {x86::eax, x86::ecx, x86::edx, x86::ebx, x86::esp, x86::ebp, x86::esi, x86::edi};
    for (int r = 0; r < 8; ++r)
      if (r != 4) a.mov(regs[r], x86::dword_ptr(uint64_t(kGprIn + 4 * r)));
  };
  assemble_at(kEntry32, Arch::kX86, [&](x86::Assembler& a) {
    load_state(a);
    a.jmp(Imm(kCodeAddr));
  });
  assemble_at(kEntry16, Arch::kX86, [&](x86::Assembler& a) {
    load_state(a);
    const uint8_t jmp_far[] = {0xEA, 0, 0, 0, 0, uint8_t(kCode16Sel), 0};  // jmp kCode16Sel:0
    a.embed(jmp_far, sizeof jmp_far);
  });
  // A 16-bit code segment (D = 0) based at kCodeAddr, 64 KiB, in this process's LDT.
  user_desc d{};
  d.entry_number = 0;
  d.base_addr = kCodeAddr;
  d.limit = 0xFFFF;
  d.seg_32bit = 0;
  d.contents = MODIFY_LDT_CONTENTS_CODE;
  d.read_exec_only = 0;
  d.limit_in_pages = 0;
  d.seg_not_present = 0;
  d.useable = 1;
  have_code16_ = syscall(SYS_modify_ldt, 1, &d, sizeof d) == 0;
  assemble_at(kExit64, Arch::kX64, [](x86::Assembler& a) {
    a.mov(x86::rsp, x86::qword_ptr(kSavedRsp));
    a.fninit();
    a.ldmxcsr(x86::dword_ptr(kMxcsrHost));
    a.xor_(x86::eax, x86::eax);
    a.mov(x86::ds, x86::ax);
    a.mov(x86::es, x86::ax);
    a.mov(x86::fs, x86::ax);
    a.mov(x86::gs, x86::ax);
    a.mov(x86::rax, x86::qword_ptr(kSavedFsBase));
    a.wrfsbase(x86::rax);
    a.mov(x86::rax, x86::qword_ptr(kSavedGsBase));
    a.wrgsbase(x86::rax);
    for (auto r : {x86::r15, x86::r14, x86::r13, x86::r12, x86::rbp, x86::rbx}) a.pop(r);
    a.ret();
  });
  enter_ = reinterpret_cast<void (*)()>(kEnter64);
}

NativeRunner::~NativeRunner() {
  for (uint64_t a : {kTramp, uint64_t(kCodeAddr), uint64_t(kScratchAddr), uint64_t(kStackAddr), uint64_t(kLowAddr)})
    munmap(reinterpret_cast<void*>(a), a == kTramp ? 0x2000 : 0x1000);
}

void NativeRunner::begin_batch() {
  stack_t ss{};
  ss.ss_sp = g_altstack;
  ss.ss_size = sizeof g_altstack;
  sigaltstack(&ss, nullptr);
  for (int i = 0; i < 5; ++i) {
    struct sigaction sa {};
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(kSignals[i], &sa, &g_old[i]);
  }
}

void NativeRunner::end_batch() {
  for (int i = 0; i < 5; ++i) sigaction(kSignals[i], &g_old[i], nullptr);
}

Outcome NativeRunner::run(const Case& c) {
  Outcome out;
  if (c.code.size() > kCodeBytes) throw std::runtime_error("sequence too long");
  std::memcpy(reinterpret_cast<void*>(uint64_t(kCodeAddr)), c.code.data(), c.code.size());
  std::memcpy(reinterpret_cast<void*>(uint64_t(kScratchAddr)), c.scratch, kScratchBytes);
  std::memcpy(reinterpret_cast<void*>(uint64_t(kStackAddr)), c.stack, kStackBytes);
  std::memcpy(reinterpret_cast<void*>(uint64_t(kLowAddr)), c.low, kLowBytes);
  std::memcpy(reinterpret_cast<void*>(kGprIn), c.in.gpr, 32);
  std::memcpy(reinterpret_cast<void*>(kFxIn), c.in.fx, 512);
  if (c.code16 && !have_code16_) throw std::runtime_error("16-bit code segments are not available (modify_ldt failed)");
  const uint64_t entry = c.code16 ? kEntry16 : kEntry32;
  std::memcpy(reinterpret_cast<void*>(kEntryPtr), &entry, 8);
  g_out = &out;
  enter_();
  g_out = nullptr;
  std::memcpy(out.scratch, reinterpret_cast<void*>(uint64_t(kScratchAddr)), kScratchBytes);
  std::memcpy(out.stack, reinterpret_cast<void*>(uint64_t(kStackAddr)), kStackBytes);
  std::memcpy(out.low, reinterpret_cast<void*>(uint64_t(kLowAddr)), kLowBytes);
  return out;
}

}  // namespace difftest
