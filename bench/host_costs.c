/* What the host charges for the operations ringshift's memory virtualization is built
 * from (x86-64, gcc -O2; run by bench/run_all.py, reported in bench/RESULTS.md). A
 * guest page fault, a fork or a first touch of a page costs a handful of these, so they
 * set the floor under the kernel-heavy workloads:
 *   host_fault_signal  a fault on a PROT_NONE page delivered as SIGSEGV to an
 *                      SA_ONSTACK handler that skips the instruction, and back
 *   host_mmap_page     mmap(MAP_FIXED) of one memfd page into a 4 GiB PROT_NONE
 *                      reservation that already holds 5000 such mappings (a shadow fill)
 *   host_mprotect_page mprotect of one of those pages
 *   host_unmap_page    putting one back to PROT_NONE anonymous (a shadow drop)
 *   host_first_touch   the first access to a freshly mapped page (minor fault in the host)
 *   host_mmap_populate_page  host_mmap_page with MAP_POPULATE (the page table entry made at once)
 *   host_populated_touch     the first access to such a page (no fault)
 *   host_wrgsbase_pair two WRGSBASE and a load through GS (a guest fs:/gs: access, before)
 *   host_fxsave_pair   FXSAVE + FXRSTOR (an exit to C++ and back)
 * Output: RESULT name=... ns_per_op=... lines, as the workloads print. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static void result(const char* name, double total_ns, long ops) {
  printf("RESULT name=%s ns_per_op=%.1f ops=%ld total_s=%.3f\n", name, total_ns / ops, ops, total_ns / 1e9);
}

static void on_segv(int sig, siginfo_t* si, void* ctx) {
  (void)sig;
  (void)si;
  ucontext_t* uc = ctx;
  uc->uc_mcontext.gregs[REG_RIP] += 2; /* the 2-byte load below */
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

int main(int argc, char** argv) {
  const long n = argc > 1 ? atol(argv[1]) : 20000;
  const size_t ram = 64u << 20, page = 4096;
  int fd = memfd_create("host-costs", 0);
  if (fd < 0 || ftruncate(fd, (off_t)ram) != 0) return 1;
  char* w = mmap(0, 1ull << 32, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (w == MAP_FAILED) return 1;
  memset(mmap(0, ram, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), 1, ram); /* RAM exists, as a guest's does */
  for (int i = 0; i < 5000; ++i)
    mmap(w + (next() % 500000) * page, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
         (off_t)((next() % (ram / page)) * page));

  stack_t ss = {.ss_sp = malloc(65536), .ss_size = 65536};
  sigaltstack(&ss, 0);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGSEGV, &sa, 0);
  double t0 = now_ns();
  for (long i = 0; i < n; ++i) __asm__ volatile("movl (%0), %%ecx" ::"a"(w + 2000000 * page) : "ecx", "memory");
  result("host_fault_signal", now_ns() - t0, n);

  char* base = w + 1000000 * page; /* every other page, so no two mappings merge */
  t0 = now_ns();
  for (long i = 0; i < n; ++i)
    mmap(base + 2 * i * page, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
         (off_t)((next() % (ram / page)) * page));
  result("host_mmap_page", now_ns() - t0, n);
  t0 = now_ns();
  for (long i = 0; i < n; ++i) ((volatile char*)base)[2 * i * page] = 1;
  result("host_first_touch", now_ns() - t0, n);
  /* The same with MAP_POPULATE, in another part of the reservation; a quarter as many,
   * and gone again at once, so the mappings stay under vm.max_map_count. */
  char* base2 = w + 600000 * page;
  const long q = n / 4;
  t0 = now_ns();
  for (long i = 0; i < q; ++i)
    mmap(base2 + 2 * i * page, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE, fd,
         (off_t)((next() % (ram / page)) * page));
  result("host_mmap_populate_page", now_ns() - t0, q);
  t0 = now_ns();
  for (long i = 0; i < q; ++i) ((volatile char*)base2)[2 * i * page] = 1;
  result("host_populated_touch", now_ns() - t0, q);
  mmap(base2, 2 * q * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  t0 = now_ns();
  for (long i = 0; i < n; ++i) mprotect(base + 2 * i * page, page, PROT_READ);
  result("host_mprotect_page", now_ns() - t0, n);
  t0 = now_ns();
  for (long i = 0; i < n; ++i)
    mmap(base + 2 * i * page, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  result("host_unmap_page", now_ns() - t0, n);

  static char buf[8192] __attribute__((aligned(64)));
  uint64_t old;
  __asm__ volatile("rdgsbase %0" : "=r"(old));
  t0 = now_ns();
  for (long i = 0; i < n * 10; ++i) {
    uint64_t b = (uint64_t)buf + (i & 1) * 8;
    __asm__ volatile("wrgsbase %0; movl %%gs:0, %%ecx; wrgsbase %1" ::"r"(b), "r"(old) : "ecx", "memory");
  }
  result("host_wrgsbase_pair", now_ns() - t0, n * 10);
  t0 = now_ns();
  for (long i = 0; i < n * 10; ++i) __asm__ volatile("fxsave %0; fxrstor %0" : "+m"(*(char(*)[512])buf));
  result("host_fxsave_pair", now_ns() - t0, n * 10);
  return 0;
}
