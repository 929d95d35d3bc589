#include "difftest/fuzz.h"

#include <malloc.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <string>

#include "difftest/common.h"
#include "difftest/gen.h"
#include "difftest/kernel.h"
#include "error.h"
#include "machine.h"
#include "host/signals.h"

namespace difftest {

namespace {

constexpr uint32_t kEvents = 0xB300, kMode = 0xB304;  // event counter; bits 1:0 = 3: run the code at CPL 3
// kMode bit 4: PAE paging with NX on (identity map of the 8 MiB of RAM in 2 MiB pages,
// the last one execute-disable; PDPTEs 1-3 not present), so the random code meets the
// PAE walker, the PDPTE loads and XD (and may rewrite CR0/CR3/CR4/EFER itself).
constexpr uint32_t kModePae = 0x10, kPdpt = 0xB320, kPaePd = 0xC000;
constexpr uint32_t kMaxEvents = 300;
constexpr int kWatchdogMs = 50;  // a guest still running then is stopped like Ctrl-C

Kernel build_fuzz_kernel() {
  using namespace asmjit;
  return build_kernel([](x86::Assembler& a, Label loop, Label common) {
    Label ring3 = a.newLabel(), stop = a.newLabel();
    Label flat = a.newLabel();
    a.bind(loop);
    a.mov(x86::esp, kKernelStack);
    a.test(x86::dword_ptr(uint64_t(kMode)), kModePae);
    a.jz(flat);
    a.mov(x86::eax, kPdpt);
    a.mov(x86::cr3, x86::eax);
    a.mov(x86::ecx, 0xC0000080);  // IA32_EFER.NXE
    a.rdmsr();
    a.or_(x86::eax, 0x800);
    a.wrmsr();
    a.mov(x86::eax, x86::cr4);
    a.or_(x86::eax, 0x20);
    a.mov(x86::cr4, x86::eax);
    a.mov(x86::eax, x86::cr0);
    a.or_(x86::eax, 0x80000000);
    a.mov(x86::cr0, x86::eax);
    a.bind(flat);
    a.mov(x86::eax, x86::dword_ptr(uint64_t(kMode)));
    a.and_(x86::eax, 3);
    a.cmp(x86::eax, 3);
    a.je(ring3);
    a.mov(x86::esp, kStackTop);
    a.jmp(Imm(kCodeAddr));
    a.bind(ring3);
    a.mov(x86::eax, kUserDs);
    a.mov(x86::ds, x86::ax);
    a.mov(x86::es, x86::ax);
    a.push(kUserDs);
    a.push(Imm(kStackTop));
    a.push(0x3202);  // IF=1, IOPL 3: the code may do port I/O and CLI/STI
    a.push(kUserCs);
    a.push(Imm(kCodeAddr));
    a.iretd();

    // Every event: count it, give up after kMaxEvents, else resume one byte further on.
    a.bind(common);
    a.push(x86::ds);
    a.push(x86::eax);
    a.mov(x86::eax, 0x10);
    a.mov(x86::ds, x86::ax);
    a.inc(x86::dword_ptr(uint64_t(kEvents)));
    a.cmp(x86::dword_ptr(uint64_t(kEvents)), kMaxEvents);
    a.jae(stop);
    a.pop(x86::eax);
    a.pop(x86::ds);
    a.add(x86::esp, 8);                   // vector, error code
    a.inc(x86::dword_ptr(x86::esp, 0));   // EIP + 1
    a.iretd();
    a.bind(stop);
    a.mov(x86::eax, 0);
    a.out(Imm(0xF4), x86::eax);
    a.cli();
    a.hlt();
  });
}

// Guest code: random bytes, or a valid sequence with a few bytes changed, plus
// system-call attempts that would make the host exit if they reached it.
std::vector<uint8_t> fuzz_code(std::mt19937_64& g, uint64_t seed, uint64_t index) {
  std::vector<uint8_t> code;
  const uint8_t exit_calls[][9] = {
      {0xB8, 1, 0, 0, 0, 0x31, 0xDB, 0xCD, 0x80},      // mov eax, 1; xor ebx, ebx; int 0x80
      {0xB8, 60, 0, 0, 0, 0x31, 0xFF, 0x0F, 0x05},     // mov eax, 60; xor edi, edi; syscall
      {0xB8, 1, 0, 0, 0, 0x31, 0xDB, 0x0F, 0x34},      // sysenter
  };
  switch (g() % 4) {
    case 0: {
      Case c = generate(seed ^ 0x5A5A, index);
      code = c.code;
      for (int i = 0, n = int(g() % 4); i < n && !code.empty(); ++i) code[g() % code.size()] = uint8_t(g());
      break;
    }
    case 1: {
      const auto& e = exit_calls[g() % 3];
      code.assign(e, e + 9);
      break;
    }
    default:
      break;
  }
  size_t n = 64 + g() % 960;
  for (size_t i = 0; i < n; ++i) code.push_back(uint8_t(g()));
  return code;
}

// Pages right outside the window's reservation: nothing the guest does may change them.
struct Canary {
  uint8_t* p = nullptr;
  explicit Canary(uint64_t at) {
    void* m = mmap(reinterpret_cast<void*>(at), 4096, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (m == MAP_FAILED || m != reinterpret_cast<void*>(at)) {
      if (m != MAP_FAILED) munmap(m, 4096);
      return;
    }
    p = static_cast<uint8_t*>(m);
    std::memset(p, 0xA5, 4096);
  }
  ~Canary() {
    if (p) munmap(p, 4096);
  }
  bool intact() const {
    if (!p) return true;
    for (int i = 0; i < 4096; ++i)
      if (p[i] != 0xA5) return false;
    return true;
  }
};

// Resident memory once free heap memory has been given back, so that only live
// allocations count.
uint64_t rss_kib() {
  malloc_trim(0);
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  uint64_t kib = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "VmRSS: %lu", &kib) == 1) break;
  std::fclose(f);
  return kib;
}

}  // namespace

int fuzz(uint64_t seed, double seconds) {
  static const Kernel kernel = build_fuzz_kernel();
  std::mt19937_64 g(seed);
  timer_t watchdog;
  sigevent sev{};
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGINT;  // ends a run like Ctrl-C: status 130
  if (timer_create(CLOCK_MONOTONIC, &sev, &watchdog) != 0) {
    std::perror("difftest: timer_create");
    return 2;
  }
  std::map<std::string, uint64_t> outcomes;
  uint64_t runs = 0, canaries = 0, failures = 0, rss_warm = 0;
  auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < seconds) {
    const uint64_t index = runs++;
    if (index == 200) rss_warm = rss_kib();  // after the allocator and caches have settled
    std::vector<uint8_t> code = fuzz_code(g, seed, index);
    const bool ring3 = g() & 1;
    rs::MachineConfig cfg;
    cfg.ram_bytes = 8u << 20;
    cfg.uart_fd = -1;
    cfg.no_reboot = true;
    rs::Machine m(cfg);
    m.load_multiboot(kernel.image, "fuzz-kernel", "fuzz-kernel", nullptr, "");
    install_tables(m.mem(), kernel, {});
    std::vector<uint8_t> page(kCodeBytes, 0xF4);  // HLT after the code
    std::copy(code.begin(), code.begin() + std::min<size_t>(code.size(), kCodeBytes), page.begin());
    m.mem().write(kCodeAddr, page.data(), page.size());
    const bool pae = (g() & 3) == 0;
    const uint32_t mode = (ring3 ? 3 : 0) | (pae ? kModePae : 0);
    m.mem().write(kMode, &mode, 4);
    if (pae) {
      const uint64_t pdpte = kPaePd | 1;
      m.mem().write(kPdpt, &pdpte, 8);
      for (uint64_t i = 0; i < 4; ++i) {
        const uint64_t pde = (i << 21) | 0x87 | (i == 3 ? 1ull << 63 : 0);  // P RW US PS; XD on the last
        m.mem().write(kPaePd + 8 * i, &pde, 8);
      }
    }
    const uint64_t base = m.cpu().window;
    Canary below(base - rs::Window::kGuard - 4096), above(base + rs::Window::kSpan + rs::Window::kGuard);
    if (below.p || above.p) ++canaries;

    itimerspec its{};
    its.it_value.tv_nsec = kWatchdogMs * 1000000L;
    timer_settime(watchdog, 0, &its, nullptr);
    int status = m.run();
    its.it_value.tv_nsec = 0;
    timer_settime(watchdog, 0, &its, nullptr);
    rs::g_interrupt_signal = 0;

    std::string kind = status == rs::kExitInternal ? "internal error"
                       : status == rs::kExitGuestError ? "guest error"
                       : status == rs::kExitInterrupted ? "watchdog"
                       : status == 0 ? "halted"
                       : (status & 1) ? "debug exit"
                                      : "status " + std::to_string(status);
    if (status == rs::kExitGuestError) {
      // Group by the message's first words: triple fault, outside RAM, unsupported feature...
      std::string r = m.stop_reason();
      size_t cut = 0;
      for (int words = 0; words < 5 && cut != std::string::npos; ++words) cut = r.find(' ', cut + 1);
      kind += ": " + r.substr(0, cut);
    }
    outcomes[kind]++;
    bool bad = status == rs::kExitInternal || !below.intact() || !above.intact();
    if (bad && failures++ < 10) {
      std::printf("FUZZ FAILURE seed %llu run %llu at CPL %u%s: %s%s\n  code:", (unsigned long long)seed,
                  (unsigned long long)index, mode & 3, pae ? " (PAE)" : "", m.stop_reason().c_str(),
                  below.intact() && above.intact() ? "" : " (canary page changed)");
      for (size_t i = 0; i < std::min<size_t>(code.size(), 64); ++i) std::printf(" %02x", code[i]);
      std::printf("\n");
    }
  }
  timer_delete(watchdog);
  // Every run built and freed a whole machine: memory that stays behind is a leak.
  const uint64_t rss_end = rss_kib();
  if (rss_warm && rss_end > rss_warm + 8 * 1024) {
    std::printf("FUZZ FAILURE: resident memory grew from %llu KiB to %llu KiB over the run\n",
                (unsigned long long)rss_warm, (unsigned long long)rss_end);
    ++failures;
  }
  std::printf("fuzz: resident memory %llu KiB after 200 runs, %llu KiB at the end\n", (unsigned long long)rss_warm,
              (unsigned long long)rss_end);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("fuzz: seed %llu, %llu runs in %.1f s (canary pages placed in %llu), %llu failures\n",
              (unsigned long long)seed, (unsigned long long)runs, secs, (unsigned long long)canaries,
              (unsigned long long)failures);
  for (auto& [k, n] : outcomes) std::printf("  %8llu  %s\n", (unsigned long long)n, k.c_str());
  return failures ? 1 : 0;
}

}  // namespace difftest
