#include "host/signals.h"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "profile.h"

namespace rs {

volatile sig_atomic_t g_interrupt_signal = 0;
volatile sig_atomic_t g_io_signal = 0;

namespace {

CpuState* g_cpu = nullptr;

void on_interrupt(int sig, siginfo_t*, void*) {
  g_interrupt_signal = sig;
  if (g_cpu) request_exit(*g_cpu);
}

// The machine's timer: the next device event is due.
void on_timer(int, siginfo_t*, void*) {
  if (g_cpu) request_exit(*g_cpu);
}

// gdb sent something (Ctrl-C) or connected while the guest spins in translated code
// that would otherwise never come back to the run loop.
void on_io(int, siginfo_t*, void*) {
  g_io_signal = 1;
  if (g_cpu) request_exit(*g_cpu);
}

// --stats: a sample of where the host CPU is.
void on_prof(int, siginfo_t*, void* ctx) {
  const size_t i = g_prof_samples;
  if (i >= kMaxSamples) return;
  g_prof_rip[i] = uint64_t(static_cast<ucontext_t*>(ctx)->uc_mcontext.gregs[REG_RIP]);
  g_prof_samples = i + 1;
}

void ensure_altstack() {
  static void* altstack = nullptr;
  const size_t kAlt = 256 * 1024;
  if (!altstack) altstack = mmap(nullptr, kAlt, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  stack_t ss{};
  ss.ss_sp = altstack;
  ss.ss_size = kAlt;
  sigaltstack(&ss, nullptr);
}

}  // namespace

void install_signal_handler(int sig, void (*fn)(int, siginfo_t*, void*)) {
  ensure_altstack();
  struct sigaction sa {};
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;  // guest ESP lives in host RSP
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, nullptr);
}

void attach_host_signals(CpuState* cpu) {
  if (cpu) {
    for (int s : {SIGINT, SIGTERM, SIGHUP}) install_signal_handler(s, on_interrupt);
    install_signal_handler(SIGALRM, on_timer);
    install_signal_handler(SIGIO, on_io);
    install_signal_handler(SIGPROF, on_prof);
  }
  g_cpu = cpu;
}

void request_exit(CpuState& cpu) {
  cpu.exit_request = 1;
  mprotect(reinterpret_cast<uint8_t*>(&cpu) + kPollOffset, 4096, PROT_NONE);
}

void clear_exit_request(CpuState& cpu) {
  cpu.exit_request = 0;
  mprotect(reinterpret_cast<uint8_t*>(&cpu) + kPollOffset, 4096, PROT_READ | PROT_WRITE);
}

}  // namespace rs
