/* Precise faults inside runs of PUSH and POP (ringshift moves ESP once for a run of them,
 * and its fault handler puts back the ESP of the faulting instruction). Each run meets a
 * page the program made inaccessible; the SIGSEGV handler (on its own stack) records the
 * interrupted ESP, EIP and registers, makes the page accessible (and for a POP or RET
 * puts what the instruction should read there), and the instruction runs again:
 *  - four PUSHes (imm, imm, imm, reg) whose third crosses into the page below;
 *  - four POPs whose third reads the page above;
 *  - a POP and a RET whose return address is on the page above.
 * Prints "stackfault: N checks, 0 failures". gcc -m32 -static -O2; runs natively too. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define PAGE 4096
#define CHECK_PROG "stackfault"
#include "check.h"

uint32_t push_run(uint32_t top);
void pop_run(uint32_t sp, uint32_t out[5]);
uint32_t ret_run(uint32_t sp);
extern char sf_push3[], sf_pop3[], sf_ret[], ret_landing[];

__asm__(
    ".text\n"
    ".globl push_run\n"
    "push_run:\n"  // ESP = top; push 11111111, 22222222, 33333333, EBX (44444444); returns ESP
    "  push %ebx\n"
    "  mov 8(%esp), %eax\n"
    "  mov $0x44444444, %ebx\n"
    "  mov %esp, %edx\n"
    "  mov %eax, %esp\n"
    "  push $0x11111111\n"
    "  push $0x22222222\n"
    ".globl sf_push3\n"
    "sf_push3:\n"
    "  push $0x33333333\n"
    "  push %ebx\n"
    "  mov %esp, %eax\n"
    "  mov %edx, %esp\n"
    "  pop %ebx\n"
    "  ret\n"
    ".globl pop_run\n"
    "pop_run:\n"  // ESP = sp; pop EAX, EBX, ECX, EDX; out = those and ESP
    "  push %ebx\n"
    "  push %esi\n"
    "  push %edi\n"
    "  push %ebp\n"
    "  mov 20(%esp), %eax\n"
    "  mov 24(%esp), %edi\n"
    "  mov %esp, %ebp\n"
    "  mov %eax, %esp\n"
    "  pop %eax\n"
    "  pop %ebx\n"
    ".globl sf_pop3\n"
    "sf_pop3:\n"
    "  pop %ecx\n"
    "  pop %edx\n"
    "  mov %esp, %esi\n"
    "  mov %ebp, %esp\n"
    "  mov %eax, 0(%edi)\n"
    "  mov %ebx, 4(%edi)\n"
    "  mov %ecx, 8(%edi)\n"
    "  mov %edx, 12(%edi)\n"
    "  mov %esi, 16(%edi)\n"
    "  pop %ebp\n"
    "  pop %edi\n"
    "  pop %esi\n"
    "  pop %ebx\n"
    "  ret\n"
    ".globl ret_run\n"
    "ret_run:\n"  // ESP = sp; pop EAX; ret (to what the handler put at sp + 4); returns EAX
    "  push %ebp\n"
    "  mov %esp, %ebp\n"
    "  mov 8(%esp), %eax\n"
    "  mov %eax, %esp\n"
    "  pop %eax\n"
    ".globl sf_ret\n"
    "sf_ret:\n"
    "  ret\n"
    ".globl ret_landing\n"
    "ret_landing:\n"
    "  mov %ebp, %esp\n"
    "  pop %ebp\n"
    "  ret\n");

static volatile uint32_t f_esp, f_eip, f_eax, f_ebx, f_ecx, f_addr;
static volatile int nfaults;
static uint32_t put[2];  // what the handler writes at the fault address (a POP/RET reads it)
static int put_n;

static void on_segv(int sig, siginfo_t* si, void* ctx) {
  (void)sig;
  const ucontext_t* uc = ctx;
  f_esp = uc->uc_mcontext.gregs[REG_ESP];
  f_eip = uc->uc_mcontext.gregs[REG_EIP];
  f_eax = uc->uc_mcontext.gregs[REG_EAX];
  f_ebx = uc->uc_mcontext.gregs[REG_EBX];
  f_ecx = uc->uc_mcontext.gregs[REG_ECX];
  f_addr = (uint32_t)(uintptr_t)si->si_addr;
  nfaults++;
  uint32_t* page = (uint32_t*)((uintptr_t)si->si_addr & ~(uintptr_t)(PAGE - 1));
  mprotect(page, PAGE, PROT_READ | PROT_WRITE);
  for (int i = 0; i < put_n; ++i) page[i] = put[i];
}

int main(void) {
  static uint8_t altstack[65536];
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigaction(SIGSEGV, &sa, NULL);

  uint8_t* m = mmap(NULL, 6 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return 2;
  const uint32_t base = (uint32_t)(uintptr_t)m;

  // PUSH: page 0 inaccessible, ESP = page 1 + 8: the third push writes page 0.
  mprotect(m, PAGE, PROT_NONE);
  put_n = 0;
  nfaults = 0;
  uint32_t top = base + PAGE + 8;
  uint32_t after = push_run(top);
  check(nfaults == 1, "push: faults", nfaults, 1);
  check(f_eip == (uint32_t)(uintptr_t)sf_push3, "push: faulting EIP", f_eip, (uintptr_t)sf_push3);
  check(f_esp == top - 8, "push: ESP at the fault", f_esp, top - 8);
  check(f_addr == top - 12, "push: fault address", f_addr, top - 12);
  check(after == top - 16, "push: ESP after", after, top - 16);
  const uint32_t* s = (const uint32_t*)(uintptr_t)(top - 16);
  check(s[0] == 0x44444444 && s[1] == 0x33333333 && s[2] == 0x22222222 && s[3] == 0x11111111, "push: values",
        s[1], 0x33333333);

  // POP: page 3 inaccessible, ESP = page 3 - 8: the third pop reads page 3.
  mprotect(m + 3 * PAGE, PAGE, PROT_NONE);
  uint32_t* below = (uint32_t*)(m + 3 * PAGE - 8);
  below[0] = 0xA0A0A0A0;
  below[1] = 0xB1B1B1B1;
  put[0] = 0xC2C2C2C2;
  put[1] = 0xD3D3D3D3;
  put_n = 2;
  nfaults = 0;
  uint32_t out[5];
  pop_run(base + 3 * PAGE - 8, out);
  check(nfaults == 1, "pop: faults", nfaults, 1);
  check(f_eip == (uint32_t)(uintptr_t)sf_pop3, "pop: faulting EIP", f_eip, (uintptr_t)sf_pop3);
  check(f_esp == base + 3 * PAGE, "pop: ESP at the fault", f_esp, base + 3 * PAGE);
  check(f_eax == 0xA0A0A0A0 && f_ebx == 0xB1B1B1B1, "pop: EAX/EBX at the fault", f_ebx, 0xB1B1B1B1);
  check(out[0] == 0xA0A0A0A0 && out[1] == 0xB1B1B1B1, "pop: EAX/EBX", out[1], 0xB1B1B1B1);
  check(out[2] == 0xC2C2C2C2 && out[3] == 0xD3D3D3D3, "pop: ECX/EDX", out[3], 0xD3D3D3D3);
  check(out[4] == base + 3 * PAGE + 8, "pop: ESP after", out[4], base + 3 * PAGE + 8);

  // RET after a POP: page 5 inaccessible, ESP = page 5 - 4: the RET reads page 5.
  mprotect(m + 5 * PAGE, PAGE, PROT_NONE);
  *(uint32_t*)(m + 5 * PAGE - 4) = 0xE4E4E4E4;
  put[0] = (uint32_t)(uintptr_t)ret_landing;
  put_n = 1;
  nfaults = 0;
  uint32_t eax = ret_run(base + 5 * PAGE - 4);
  check(nfaults == 1, "ret: faults", nfaults, 1);
  check(f_eip == (uint32_t)(uintptr_t)sf_ret, "ret: faulting EIP", f_eip, (uintptr_t)sf_ret);
  check(f_esp == base + 5 * PAGE, "ret: ESP at the fault", f_esp, base + 5 * PAGE);
  check(f_eax == 0xE4E4E4E4 && eax == 0xE4E4E4E4, "ret: EAX", eax, 0xE4E4E4E4);

  printf("stackfault: %d checks, %d failures\n", checks, failures);
  return failures != 0;
}
