// Translator and run-loop behaviour, checked by running small guests in a real Machine.
#include <catch2/catch.hpp>
#include <pthread.h>
#include <sched.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <thread>

#include "error.h"
#include "guest_image.h"
#include "host/gs_guard.h"
#include "host/signals.h"
#include "profile.h"
#include "translator/translator.h"

using namespace asmjit;
using test::exit_with_eax;
using test::run_guest;

TEST_CASE("a write into the current block's next instruction takes effect", "[translator][smc]") {
  auto r = run_guest([](x86::Assembler& a) {
    Label patch = a.newLabel();
    a.mov(x86::byte_ptr(patch, 1), 0x2A);  // rewrite the imm8 of the MOV right below
    a.bind(patch);
    a.mov(x86::eax, 0);                    // B8 imm32: becomes mov eax, 0x2A
    exit_with_eax(a);
  });
  CHECK(r.status == (0x2A << 1 | 1));
}

TEST_CASE("code rewritten between calls runs in its new form", "[translator][smc]") {
  auto r = run_guest([](x86::Assembler& a) {
    Label fn = a.newLabel(), loop = a.newLabel(), done = a.newLabel();
    a.xor_(x86::ebx, x86::ebx);
    a.mov(x86::ecx, 100);
    a.bind(loop);
    a.mov(x86::dword_ptr(fn, 1), x86::ecx);  // fn: mov eax, imm32 <- ecx
    a.call(fn);
    a.add(x86::ebx, x86::eax);
    a.dec(x86::ecx);
    a.jnz(loop);
    a.jmp(done);
    a.align(AlignMode::kCode, 64);
    a.bind(fn);
    a.mov(x86::eax, 0);
    a.ret();
    a.bind(done);
    a.mov(x86::eax, x86::ebx);
    a.shr(x86::eax, 4);  // the status keeps 7 bits of the sum 1..100 = 5050
    a.and_(x86::eax, 0x7F);
    exit_with_eax(a);
  });
  CHECK(r.status == (((5050 >> 4) & 0x7F) << 1 | 1));
}

TEST_CASE("a one-byte write at either end of an 8-byte word drops the block it changed", "[translator][smc]") {
  // The replay finds the changed bytes a word at a time from each end of the page: the
  // byte written is the last of its word in fn_a and the first of its word in fn_b.
  auto r = run_guest([](x86::Assembler& a) {
    Label fn_a = a.newLabel(), fn_b = a.newLabel(), done = a.newLabel();
    a.call(fn_a);  // both translated before the writes
    a.call(fn_b);
    a.mov(x86::byte_ptr(fn_a, 4), 1);  // the imm32's high byte: mov eax, 01000000h
    a.call(fn_a);
    a.mov(x86::ebx, x86::eax);
    a.mov(x86::byte_ptr(fn_b, 4), 2);
    a.call(fn_b);
    a.shr(x86::ebx, 24);
    a.shr(x86::eax, 24);
    a.lea(x86::eax, x86::ptr(x86::eax, x86::ebx, 2));  // 2 + 4 * 1
    a.jmp(done);
    a.align(AlignMode::kCode, 64);
    for (int i = 0; i < 3; ++i) a.nop();
    a.bind(fn_a);  // 64k + 3: the imm32's high byte at 64k + 7
    a.mov(x86::eax, 0);
    a.ret();
    a.align(AlignMode::kCode, 16);
    for (int i = 0; i < 4; ++i) a.nop();
    a.bind(fn_b);  // 16k + 4: the high byte at 16k + 8
    a.mov(x86::eax, 0);
    a.ret();
    a.bind(done);
    exit_with_eax(a);
  });
  CHECK(r.status == (6 << 1 | 1));
}

TEST_CASE("a helper's store into translated code drops what it changed, and the rest of the page still runs",
          "[translator][smc]") {
  // SIDT (a C++ helper) writes 6 bytes: its limit's high byte lands on the opcode of
  // `mov eax, imm32` (0xB8, unchanged) and its base becomes the imm32. Both functions of
  // the page are translated before the store; both run after it.
  auto r = run_guest([](x86::Assembler& a) {
    Label fn = a.newLabel(), other = a.newLabel(), desc = a.newLabel(), done = a.newLabel();
    a.call(fn);
    a.call(other);
    a.lidt(x86::ptr(desc));
    a.sidt(x86::ptr(fn, -1));
    a.call(fn);
    a.mov(x86::ebx, x86::eax);
    a.call(other);
    a.add(x86::eax, x86::ebx);  // 0x2A + 0x10
    a.jmp(done);
    a.align(AlignMode::kCode, 16);
    a.bind(desc);
    a.dw(0xB800);  // limit: its high byte is the opcode below
    a.dd(0x2A);    // base: the new imm32
    a.nop();
    a.bind(fn);
    a.mov(x86::eax, 0);
    a.ret();
    a.bind(other);
    a.mov(x86::eax, 0x10);
    a.ret();
    a.bind(done);
    exit_with_eax(a);
  });
  CHECK(r.status == ((0x2A + 0x10) << 1 | 1));
}

TEST_CASE("guest flags survive helper calls", "[translator][flags]") {
  auto r = run_guest([](x86::Assembler& a) {
    a.stc();
    a.mov(x86::edx, 0x3FD);
    a.in(x86::al, x86::dx);  // helper call
    a.mov(x86::eax, 0);
    a.adc(x86::eax, 0);      // CF must still be 1
    a.std();
    a.cpuid();               // another helper; DF must survive too
    a.pushfd();
    a.pop(x86::ebx);
    a.cld();
    a.mov(x86::eax, 0);
    a.adc(x86::eax, 0);
    a.shr(x86::ebx, 10);
    a.and_(x86::ebx, 1);
    a.lea(x86::eax, x86::ptr(x86::ebx, 2));  // 3 if DF was kept
    exit_with_eax(a);
  });
  CHECK(r.status == (3 << 1 | 1));
}

TEST_CASE("x87 and SSE state survive exits to C++", "[translator][fpu]") {
  auto r = run_guest([](x86::Assembler& a) {
    Label val = a.newLabel(), body = a.newLabel();
    a.jmp(body);
    a.align(AlignMode::kData, 16);
    a.bind(val);
    a.dq(0x4008000000000000ull);  // 3.0
    a.bind(body);
    // Enable SSE: CR4.OSFXSR | OSXMMEXCPT (mov to CR4 is itself a helper call and ends the block).
    a.mov(x86::eax, x86::cr4);
    a.or_(x86::eax, 0x600);
    a.mov(x86::cr4, x86::eax);
    a.movsd(x86::xmm3, x86::qword_ptr(val));
    a.fld(x86::qword_ptr(val));
    a.mov(x86::edx, 0x80);
    a.out(x86::dx, x86::al);     // unclaimed port: a helper round trip
    a.cpuid();
    a.fadd(x86::st0, x86::st0);  // 6.0
    a.addsd(x86::xmm3, x86::xmm3);
    a.cvttsd2si(x86::eax, x86::xmm3);  // 6
    a.sub(x86::esp, 4);
    a.fistp(x86::dword_ptr(x86::esp));
    a.pop(x86::ebx);
    a.lea(x86::eax, x86::ptr(x86::eax, x86::ebx, 2));  // 6 + 4*6 = 30
    exit_with_eax(a);
  });
  CHECK(r.status == (30 << 1 | 1));
}

TEST_CASE("CPUID reports the host vendor and only implemented features", "[cpu]") {
  auto r = run_guest([](x86::Assembler& a) {
    a.mov(x86::eax, 1);
    a.cpuid();
    a.mov(x86::eax, x86::edx);
    a.shr(x86::eax, 9);  // bit 9 = APIC: must be 0
    a.and_(x86::eax, 1);
    a.shr(x86::edx, 6);  // bit 6 = PAE: implemented (Step 11), 1
    a.and_(x86::edx, 1);
    a.lea(x86::eax, x86::ptr(x86::eax, x86::edx, 1, 0x10));  // shift 1: PAE counts 2
    exit_with_eax(a);
  });
  CHECK(r.status == (0x12 << 1 | 1));
}

TEST_CASE("rep stos across the end of the address space wraps to linear 0, as the CPU does", "[translator][isolation]") {
  // 0xFFFFF000 has nothing behind it (writes ignored); 32-bit linear addresses then wrap
  // to 0, where RAM takes the rest. Nothing outside the guest's window is touched.
  auto r = run_guest([](x86::Assembler& a) {
    a.mov(x86::dword_ptr(0x800), 0);
    a.mov(x86::edi, 0xFFFFF000);
    a.mov(x86::ecx, 0x600);  // 0x1800 bytes: 0xFFFFF000..0xFFFFFFFF, then 0..0x7FF
    a.mov(x86::eax, 0x41414141);
    a.rep().stosd();
    a.mov(x86::eax, x86::dword_ptr(0x7FC));   // written after the wrap
    a.cmp(x86::eax, 0x41414141);
    a.sete(x86::al);
    a.mov(x86::ecx, x86::dword_ptr(0x800));   // just past the end: untouched
    a.cmp(x86::ecx, 0);
    a.sete(x86::ah);
    a.add(x86::al, x86::ah);
    a.movzx(x86::eax, x86::al);
    exit_with_eax(a);
  });
  CHECK(r.status == (2 << 1 | 1));
}

TEST_CASE("backward rep movs from low addresses cannot reach host memory", "[translator][isolation]") {
  auto r = run_guest([](x86::Assembler& a) {
    a.std();
    a.mov(x86::esi, 0x200000);
    a.mov(x86::edi, 0x1000);
    a.mov(x86::ecx, 0x7FFFFFFF);
    a.rep().movsd();
    a.mov(x86::eax, 0);
    exit_with_eax(a);
  });
  CHECK(r.status == rs::kExitGuestError);
}

TEST_CASE("memory beyond guest RAM reads as all ones, as on a PC", "[translator][isolation]") {
  auto r = run_guest([](x86::Assembler& a) {
    a.mov(x86::dword_ptr(0x7FFF0000), 0x12345678);  // ignored
    a.mov(x86::eax, x86::dword_ptr(0x7FFF0000));
    a.cmp(x86::eax, -1);
    a.sete(x86::al);
    a.movzx(x86::eax, x86::al);
    exit_with_eax(a);
  });
  CHECK(r.status == (1 << 1 | 1));
}

TEST_CASE("an undefined opcode without an IDT ends in a triple fault", "[cpu]") {
  auto r = run_guest([](x86::Assembler& a) {
    a.ud2();
  });
  CHECK(r.status == rs::kExitGuestError);
  CHECK(r.reason.find("triple fault") != std::string::npos);
}

TEST_CASE("cli; hlt ends the run with status 0", "[cpu]") {
  auto r = run_guest([](x86::Assembler& a) {
    a.cli();
    a.hlt();
  });
  CHECK(r.status == 0);
  CHECK(r.reason.find("halted") != std::string::npos);
}

TEST_CASE("far jump reloads CS from the GDT", "[cpu][segments]") {
  // The loader's GDT has a flat code segment at 0x08: jmp far [ptr] to 0x08:target, then report CS.
  auto r2 = run_guest([](x86::Assembler& a) {
    Label target = a.newLabel(), ptr = a.newLabel(), body = a.newLabel();
    a.jmp(body);
    a.bind(ptr);
    a.embedLabel(target);
    a.dw(0x08);
    a.bind(body);
    a.jmp(x86::ptr(ptr, 0, 6));
    a.bind(target);
    a.mov(x86::eax, x86::cs);
    exit_with_eax(a);
  });
  CHECK(r2.status == (0x08 << 1 | 1));
}

TEST_CASE("SIGINT ends a spinning guest with status 130", "[translator][signals]") {
  pthread_t self = pthread_self();
  std::thread t([self] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    pthread_kill(self, SIGINT);
  });
  auto r = run_guest([](x86::Assembler& a) {
    Label l = a.newLabel();
    a.bind(l);
    a.jmp(l);
  });
  t.join();
  rs::g_interrupt_signal = 0;
  CHECK(r.status == rs::kExitInterrupted);
}

TEST_CASE("guest system-call instructions never reach the host kernel", "[translator][isolation]") {
  // With EAX/EBX set up as Linux exit(0) for each calling convention: if any of these
  // reached the host, the test process would exit with status 0 here.
  const uint8_t forms[][2] = {{0xCD, 0x80}, {0x0F, 0x05}, {0x0F, 0x34}};
  for (const auto& f : forms) {
    auto r = run_guest([&](x86::Assembler& a) {
      a.mov(x86::eax, 1);   // i386 __NR_exit
      a.xor_(x86::ebx, x86::ebx);
      a.mov(x86::edi, 0);
      a.db(f[0]);
      a.db(f[1]);
      a.mov(x86::eax, 0x55);
      exit_with_eax(a);
    });
    CHECK(r.status == rs::kExitGuestError);
    CHECK(r.reason.find("triple fault") != std::string::npos);
  }
}

namespace {

std::atomic<int> g_switches{0};

// What a host kernel that does not preserve GS does at a context switch: GS gets the
// thread's arch_prctl base, the guard (host/gs_guard.h).
void act_out_context_switch(int, siginfo_t*, void*) {
  rs::gs_restore_base(rs::gs_guard_base());
  g_switches++;
}

// The end of a self-checking guest: status 0x2A when it falls through here, 0x15 when
// a check jumped to bad.
void exit_pass_or_fail(x86::Assembler& a, Label bad) {
  a.mov(x86::eax, 0x2A);
  exit_with_eax(a);
  a.bind(bad);
  a.mov(x86::eax, 0x15);
  exit_with_eax(a);
}

}  // namespace

namespace {

// A guest loop of `iters` additions through DS, each read back through FS (an fs:
// override moves GS to the segment's window and back): status 0x2A when the sum is the
// one computed here, 0x15 when not.
test::GuestRun run_gs_loop(uint32_t iters) {
  constexpr uint32_t kBuf = 0x200000;
  std::vector<uint32_t> buf(1024, 0);
  uint32_t sum = 0;
  for (uint32_t i = iters; i != 0; --i) {
    buf[i & 0x3FF] += i;
    sum += buf[i & 0x3FF];
  }
  return run_guest([&](x86::Assembler& a) {
    Label loop = a.newLabel(), bad = a.newLabel();
    a.xor_(x86::eax, x86::eax);
    a.mov(x86::ecx, iters);
    a.bind(loop);
    a.mov(x86::ebx, x86::ecx);
    a.and_(x86::ebx, 0x3FF);
    a.shl(x86::ebx, 2);
    a.add(x86::dword_ptr(x86::ebx, int32_t(kBuf)), x86::ecx);
    x86::Mem through_fs = x86::dword_ptr(x86::ebx, int32_t(kBuf));
    through_fs.setSegment(x86::fs);
    a.add(x86::eax, through_fs);
    a.dec(x86::ecx);
    a.jnz(loop);
    a.cmp(x86::eax, sum);
    a.jne(bad);
    exit_pass_or_fail(a, bad);
  });
}

}  // namespace

TEST_CASE("guest memory accesses survive host context switches that reset GS", "[translator][isolation]") {
  // Every 100 us of CPU time GS is put on the guard while the loop runs. Without the
  // guard's repair, the first access after a reset ends the run with "outside its address
  // space"; with a wrong repair, the sum is wrong. The host's virtual timer ticks with its
  // scheduler clock (4 ms at HZ=250), so the loop is long enough for dozens of resets: 20M
  // iterations gave 7 on a fast host.
  rs::install_signal_handler(SIGVTALRM, act_out_context_switch);
  g_switches = 0;
  itimerval on{{0, 100}, {0, 100}}, off{};
  setitimer(ITIMER_VIRTUAL, &on, nullptr);
  auto r = run_gs_loop(100000000);
  setitimer(ITIMER_VIRTUAL, &off, nullptr);
  signal(SIGVTALRM, SIG_IGN);
  INFO(r.reason);
  CHECK(r.status == (0x2A << 1 | 1));
  CHECK(g_switches > 10);
}

TEST_CASE("two guests sharing one host CPU each keep their own memory", "[translator][isolation]") {
  // The real case: two processes pinned to one CPU, switched by the host scheduler every
  // few ms. On a kernel that does not save the GS base (this CI's PVM hosts) one ran in
  // the other's window before the guard; on one that does, this passes either way.
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  pid_t kids[2];
  for (pid_t& k : kids) {
    k = fork();
    REQUIRE(k >= 0);
    if (k == 0) {
      sched_setaffinity(0, sizeof one, &one);
      const auto r = run_gs_loop(100000000);
      _exit(r.status == (0x2A << 1 | 1) ? 0 : 1);
    }
  }
  for (pid_t k : kids) {
    int st = 0;
    REQUIRE(waitpid(k, &st, 0) == k);
    CHECK(WIFEXITED(st));
    CHECK(WEXITSTATUS(st) == 0);
  }
}

TEST_CASE("MOV from CR0, CR2, CR3 and CR4 at CPL 0 reads what was written", "[translator][cpu]") {
  // Translated inline (a load from CpuState); each value is written by the guest first,
  // or known from the multiboot state (CR0 = PE | ET, paging off).
  auto r = run_guest([](x86::Assembler& a) {
    Label bad = a.newLabel();
    a.mov(x86::eax, 0x12345678);
    a.mov(x86::cr2, x86::eax);
    a.mov(x86::eax, 0x00345000);
    a.mov(x86::cr3, x86::eax);
    a.mov(x86::eax, 0x10);  // CR4.PSE
    a.mov(x86::cr4, x86::eax);
    a.xor_(x86::eax, x86::eax);
    a.mov(x86::ebx, x86::cr2);
    a.cmp(x86::ebx, 0x12345678);
    a.jne(bad);
    a.mov(x86::ecx, x86::cr3);
    a.cmp(x86::ecx, 0x00345000);
    a.jne(bad);
    a.mov(x86::edx, x86::cr4);
    a.cmp(x86::edx, 0x10);
    a.jne(bad);
    a.mov(x86::esi, x86::cr0);
    a.and_(x86::esi, 0x80000011);
    a.cmp(x86::esi, 0x11);
    a.jne(bad);
    exit_pass_or_fail(a, bad);
  });
  INFO(r.reason);
  CHECK(r.status == (0x2A << 1 | 1));
}

TEST_CASE("the --stats line: a block's setup time comes from the blocks whose phases were timed", "[translator][stats]") {
  // 32 blocks at 1000 ticks each on average; the two timed ones took 3000 each, of
  // which 2400 in the four phases: setup is 600, not 1000 - 2400.
  rs::TranslatorStats t;
  t.blocks = 32;
  t.guest_insns = 160;
  t.total_ticks = 32000;
  t.phase_blocks = 2;
  t.phase_total_ticks = 6000;
  t.decode_ticks = 2000;
  t.emit_ticks = 1600;
  t.assemble_ticks = 800;
  t.bookkeeping_ticks = 400;
  const std::string line = rs::translate_phases_line(t, 1e-6);  // 1 ns a tick
  CHECK(line.find("total=1000 decode=1000 emit=800 assemble=400 bookkeeping=200 setup=600 ") != std::string::npos);
}

TEST_CASE("the --stats line: the median block is the middle one, whatever the slowest took", "[translator][stats]") {
  // 5 blocks of ~320 ticks and 4 of ~100,000 (a fresh huge page): the mean is ~45,000,
  // the median the fifth block's bucket, 320 + half a bucket.
  rs::TranslatorStats t;
  t.blocks = 9;
  t.phase_blocks = 1;
  t.tick_hist[320 / rs::TranslatorStats::kTickBucket] = 5;
  t.tick_hist[rs::TranslatorStats::kTickBuckets - 1] = 4;
  CHECK(t.median_ticks() == 320 + rs::TranslatorStats::kTickBucket / 2);
  CHECK(rs::translate_phases_line(t, 1e-6).find("median=328 p90=65528 ") != std::string::npos);  // p90: the slow ones
  t.tick_hist[rs::TranslatorStats::kTickBuckets - 1] = 6;  // now the slow ones are the majority
  t.blocks = 11;
  CHECK(t.median_ticks() >= uint64_t(rs::TranslatorStats::kTickBuckets - 1) * rs::TranslatorStats::kTickBucket);
}

TEST_CASE("blocks decoded without Zydis are the blocks the Zydis path makes", "[translator][decoder]") {
  // Each row is a block: copied instructions (decode_ident), pushes and pops, and each
  // kind of ending decode_flow takes. With a debugger breakpoint set (anywhere), the
  // translator decodes everything with Zydis; the host code and the fault map must not
  // differ.
  static const std::vector<std::vector<uint8_t>> kBlocks = {
      {0x50, 0x53, 0x6A, 0x05, 0x68, 0x78, 0x56, 0x34, 0x12, 0x59, 0x5A, 0x5E, 0x5F, 0x55, 0x5D, 0x74, 0x10},  // ... jz rel8
      {0x01, 0xD8, 0x8B, 0x43, 0x04, 0x0F, 0x85, 0x00, 0x01, 0x00, 0x00},  // add, mov [ebx+4], jnz rel32
      {0x53, 0xEB, 0x20},                                                  // push ebx; jmp rel8
      {0x56, 0x57, 0xE9, 0x00, 0x02, 0x00, 0x00},                          // push esi; push edi; jmp rel32
      {0x6A, 0xFF, 0xE8, 0x00, 0x03, 0x00, 0x00},                          // push -1; call rel32
      {0x5B, 0xC3},                                                        // pop ebx; ret
      {0x58, 0xC2, 0x08, 0x00},                                            // pop eax; ret 8
      {0x7E, 0x80},                                                        // jle back
  };
  std::vector<uint32_t> at;
  auto image = test::multiboot_elf(test::assemble32([&](x86::Assembler& a) {
    a.mov(x86::eax, 0);
    exit_with_eax(a);
    for (const auto& bytes : kBlocks) {
      a.align(AlignMode::kCode, 64);
      at.push_back(test::kLoad + test::kCodeOffset + uint32_t(a.offset()));
      a.embed(bytes.data(), bytes.size());
      a.int3();
    }
  }));
  auto r = test::run_image(image, 16ull << 20, [&](rs::Machine& m) {
    rs::Translator& t = m.translator();
    struct Made {
      std::vector<uint8_t> code;
      std::vector<rs::InsnRecord> map;
      const void* map_at;  // where the records live (the record arena, emptied at a flush)
    };
    auto translate_all = [&] {
      std::vector<Made> out;
      for (uint32_t eip : at) {
        rs::Block* b = t.translate(eip);
        REQUIRE(b);
        std::vector<uint8_t> code(b->code, b->code + b->size);
        // The exit stubs name their ExitSite (a heap address): blanked.
        for (const auto& site : b->exits) {
          const uint64_t p = uint64_t(site.get());
          for (size_t k = 0; k + 8 <= code.size(); ++k)
            if (std::memcmp(&code[k], &p, 8) == 0) std::memset(&code[k], 0, 8);
        }
        out.push_back({code, std::vector<rs::InsnRecord>(b->map.begin(), b->map.end()), b->map.data()});
      }
      return out;
    };
    const uint64_t fast0 = t.stats.fast_decodes;
    const auto fast = translate_all();
    CHECK(t.stats.fast_decodes - fast0 == 26);  // every instruction above
    t.set_breakpoints({0x10});  // empties the cache: the same addresses again
    const uint64_t fast1 = t.stats.fast_decodes;
    const auto slow = translate_all();
    CHECK(t.stats.fast_decodes == fast1);
    t.set_breakpoints({});
    // The flush emptied the record arena with the code cache: the same blocks again have
    // their records at the same places.
    CHECK(fast[0].map_at == slow[0].map_at);
    for (size_t i = 0; i < at.size(); ++i) {
      INFO("block " << i);
      CHECK(fast[i].code == slow[i].code);
      REQUIRE(fast[i].map.size() == slow[i].map.size());
      REQUIRE(!fast[i].map.empty());
      CHECK(fast[i].map[0].eip == at[i]);
      CHECK(fast[i].map[0].host_off > 0);  // after the block-head poll
      for (size_t k = 0; k < fast[i].map.size(); ++k) {
        CHECK(fast[i].map[k].host_off == slow[i].map[k].host_off);
        CHECK(fast[i].map[k].eip == slow[i].map[k].eip);
        CHECK(fast[i].map[k].esp_lag == slow[i].map[k].esp_lag);
      }
    }
  });
  CHECK(r.status == 1);
}

TEST_CASE("the block and exit-site pools hand out distinct, aligned objects and reuse freed ones", "[translator][pool]") {
  // More sites than one 2 MiB slab holds: the second slab's objects must not overlap the first's.
  constexpr size_t n = (size_t(2) << 20) / sizeof(rs::ExitSite) + 100;
  std::vector<std::unique_ptr<rs::ExitSite>> sites;
  for (size_t i = 0; i < n; ++i) {
    sites.push_back(std::make_unique<rs::ExitSite>());
    sites.back()->target = uint32_t(i);
  }
  std::vector<uintptr_t> at;
  for (auto& s : sites) at.push_back(uintptr_t(s.get()));
  std::sort(at.begin(), at.end());
  bool apart = true, aligned = true;
  for (size_t i = 0; i < at.size(); ++i) {
    aligned &= at[i] % alignof(rs::ExitSite) == 0;
    if (i) apart &= at[i] - at[i - 1] >= sizeof(rs::ExitSite);
  }
  CHECK(apart);
  CHECK(aligned);
  bool kept = true;  // constructing later ones wrote nothing into earlier ones
  for (size_t i = 0; i < n; ++i) kept &= sites[i]->target == uint32_t(i);
  CHECK(kept);
  rs::ExitSite* freed = sites[7].get();
  sites[7].reset();
  auto again = std::make_unique<rs::ExitSite>();
  CHECK(again.get() == freed);  // the free list first
  CHECK(again->target == 0);    // and constructed anew
  auto blk = std::make_unique<rs::Block>();
  CHECK(uintptr_t(blk.get()) % alignof(rs::Block) == 0);
  CHECK(blk->map.empty());
}
