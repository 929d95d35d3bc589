/* Code shared across address spaces (ringshift translates a user page once for every
 * address it is mapped at). Checks, printing "sharedcode: N checks, 0 failures":
 *  - one physical page mapped at two addresses (and in a child at a third) runs right at
 *    each: code that reads its own EIP (call/pop) returns each mapping's own address;
 *  - an instruction that runs into the next page sees the page mapped there, which differs
 *    between two mappings of the same first page;
 *  - a child writes new code into the page through its own mapping and the parent's two
 *    mappings run the new code;
 *  - fresh anonymous pages (recycled physical pages) filled with different code in
 *    successive processes run their own code;
 *  - successive new executables written to files and exec'd run their own code;
 *  - a call to a get-PC thunk (mov eax, [esp]; ret) on the next page, which ringshift
 *    runs inline, does what the code on the next page says at each mapping: the thunk,
 *    other code, the thunk rewritten, or no page (the fault is at the target, as the
 *    CPU makes it, not at the CALL).
 *  - a direct CALL to the next page and an indirect CALL there (inline caches in ringshift,
 *    which learn the target of a site per address space) reach the code mapped there now:
 *    after the target page is remapped under the same address in the same process, and
 *    in successive children that map different code at the same target address.
 * gcc -m32 -static -O2; the guest's kernel is the only thing it needs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <ucontext.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define CHECK_PROG "sharedcode"
#include "check.h"

typedef uint32_t (*fn)(void);

/* At offset 0: call next; next: pop eax; add eax, K; ret  -> its own address + 5 + K. */
static void put_getpc(uint8_t* p, uint32_t k) {
  const uint8_t code[] = {0xE8, 0, 0, 0, 0, 0x58, 0x05, 0, 0, 0, 0, 0xC3};
  memcpy(p, code, sizeof code);
  memcpy(p + 7, &k, 4);
}

/* At offset PAGE-3: mov eax, imm32 whose last two bytes and the ret are on the next page. */
static void put_crossing(uint8_t* page0, uint8_t* next, uint16_t low, uint16_t high) {
  page0[PAGE - 3] = 0xB8;
  memcpy(page0 + PAGE - 2, &low, 2);
  memcpy(next, &high, 2);
  next[2] = 0xC3;
}

static uint8_t* map_at(int fd, uint8_t* where, off_t off, int flags) {
  void* p = mmap(where, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED | flags, fd, off);
  if (p == MAP_FAILED) {
    perror("sharedcode: mmap");
    exit(2);
  }
  return p;
}

/* Two pages at a fresh place: page0 of the file, then file page `second`. */
static uint8_t* map_pair(int fd, off_t second) {
  uint8_t* base = mmap(NULL, 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  map_at(fd, base, 0, MAP_FIXED);
  map_at(fd, base + PAGE, second * PAGE, MAP_FIXED);
  return base;
}

static void run_aliases(uint8_t* m, const char* name, uint32_t k, uint32_t cross) {
  char what[64];
  for (int i = 0; i < 50; ++i) {  /* often enough to be translated, chained and looked up */
    uint32_t got = ((fn)m)();
    snprintf(what, sizeof what, "%s getpc", name);
    check(got == (uint32_t)(uintptr_t)m + 5 + k, what, got, (uintptr_t)m + 5 + k);
    got = ((fn)(m + PAGE - 3))();
    snprintf(what, sizeof what, "%s crossing mov", name);
    check(got == cross, what, got, cross);
  }
}

/* Runs body(arg) in a child process, whose checks count here as one. */
static void in_child(void (*body)(void*), void* arg, const char* what) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    failures = 0;
    body(arg);
    fflush(stdout);
    _exit(failures ? 1 : 0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  check(WIFEXITED(st) && WEXITSTATUS(st) == 0, what, st, 0);
}

struct shared_file {
  int fd;
  uint8_t* w;  /* page 0, writable */
  uint8_t* x;  /* a mapping of pages 0 and 1 */
};

/* A third address in another process, then new code. */
static void aliases_child(void* arg) {
  struct shared_file* f = arg;
  uint8_t* d = map_pair(f->fd, 1);
  run_aliases(d, "child D", 0x1000, 0x22221111);
  put_getpc(f->w, 0x2000);
  run_aliases(d, "child D after its write", 0x2000, 0x22221111);
}

/* A memfd of three pages, each also mapped on its own at w[0..2] (to write code into). */
static int three_pages(const char* name, uint8_t* w[3]) {
  int fd = memfd_create(name, 0);
  if (fd < 0 || ftruncate(fd, 3 * PAGE) != 0) {
    perror("sharedcode: memfd");
    exit(2);
  }
  for (int i = 0; i < 3; ++i) w[i] = map_at(fd, NULL, i * PAGE, 0);
  return fd;
}

static void aliases(void) {
  uint8_t* ws[3];
  int fd = three_pages("sharedcode", ws);
  uint8_t *w = ws[0], *w1 = ws[1], *w2 = ws[2];
  put_getpc(w, 0x1000);
  put_crossing(w, w1, 0x1111, 0x2222);
  memcpy(w2, w1, 3);
  w2[1] = 0x33;  /* the same first page, another next page: high half 0x3322 */
  uint8_t* a = map_pair(fd, 1);
  uint8_t* b = map_pair(fd, 1);
  uint8_t* c = map_pair(fd, 2);
  run_aliases(a, "A", 0x1000, 0x22221111);
  run_aliases(b, "B", 0x1000, 0x22221111);
  run_aliases(c, "C (another next page)", 0x1000, 0x33221111);
  run_aliases(a, "A again", 0x1000, 0x22221111);
  struct shared_file f = {fd, w, NULL};
  in_child(aliases_child, &f, "child's checks");
  run_aliases(a, "A after the child's write", 0x2000, 0x22221111);
  run_aliases(b, "B after the child's write", 0x2000, 0x22221111);
}

/* The caller at offset kCaller of page 0: stc; call (page 1 + kThunk); adc eax, 0;
 * mov ecx, [esp-4]; add eax, ecx; ret. With the thunk there it returns
 * 2 * (its address + 6) + 1: the return address in EAX and below ESP, CF kept. */
enum { kCaller = 0x200, kThunk = 0x100 };
static void put_thunk_caller(uint8_t* p) {
  const int32_t rel = (PAGE + kThunk) - (kCaller + 6);
  uint8_t code[] = {0xF9, 0xE8, 0, 0, 0, 0, 0x83, 0xD0, 0x00, 0x8B, 0x4C, 0x24, 0xFC, 0x01, 0xC8, 0xC3};
  memcpy(code + 2, &rel, 4);
  memcpy(p + kCaller, code, sizeof code);
}
static void put_thunk(uint8_t* p) { memcpy(p + kThunk, "\x8b\x04\x24\xc3", 4); }  /* mov eax, [esp]; ret */
static void put_mov_ret(uint8_t* p, uint32_t v) {  /* mov eax, v; ret */
  p[kThunk] = 0xB8;
  memcpy(p + kThunk + 1, &v, 4);
  p[kThunk + 5] = 0xC3;
}

static void run_thunk(uint8_t* m, const char* name, int thunk, uint32_t v) {
  const uint32_t ret = (uint32_t)(uintptr_t)m + kCaller + 6;
  const uint32_t want = thunk ? 2 * ret + 1 : v + 1 + ret;
  char what[80];
  for (int i = 0; i < 50; ++i) {
    uint32_t got = ((fn)(m + kCaller))();
    snprintf(what, sizeof what, "%s thunk call", name);
    check(got == want, what, got, want);
  }
}

/* Another process: the thunk page replaced under the same address. */
static void thunks_child(void* arg) {
  struct shared_file* f = arg;
  run_thunk(f->x, "child X", 1, 0);
  map_at(f->fd, f->x + PAGE, 2 * PAGE, MAP_FIXED);
  run_thunk(f->x, "child X (other code mapped at the target)", 0, 0x5a5a0000);
}

static sigjmp_buf fault_jmp;
static volatile uint32_t fault_addr, fault_eip;
static void on_segv(int sig, siginfo_t* si, void* ctx) {
  (void)sig;
  fault_addr = (uint32_t)(uintptr_t)si->si_addr;
  fault_eip = (uint32_t)((ucontext_t*)ctx)->uc_mcontext.gregs[REG_EIP];
  siglongjmp(fault_jmp, 1);
}

static void pc_thunks(void) {
  uint8_t* ws[3];
  int fd = three_pages("sharedthunk", ws);
  uint8_t *w0 = ws[0], *w1 = ws[1], *w2 = ws[2];
  put_thunk_caller(w0);
  put_thunk(w1);
  put_mov_ret(w2, 0x5a5a0000);
  uint8_t* x = map_pair(fd, 1);  /* caller, thunk */
  uint8_t* y = map_pair(fd, 2);  /* the same caller, other code at the target */
  run_thunk(x, "X (thunk)", 1, 0);
  run_thunk(y, "Y (other code)", 0, 0x5a5a0000);
  run_thunk(x, "X again", 1, 0);
  put_mov_ret(w1, 0x12340000);  /* the thunk rewritten */
  run_thunk(x, "X (thunk rewritten)", 0, 0x12340000);
  put_thunk(w1);
  run_thunk(x, "X (thunk back)", 1, 0);
  /* No page at the target: the fault is the fetch there, after the push. */
  uint8_t* z = map_pair(fd, 1);
  munmap(z + PAGE, PAGE);
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGSEGV, &sa, &old);
  for (int i = 0; i < 3; ++i) {
    fault_addr = fault_eip = 0;
    if (sigsetjmp(fault_jmp, 1) == 0) {
      ((fn)(z + kCaller))();
      check(0, "Z (no page) returned", 0, 1);
    }
    const uint32_t t = (uint32_t)(uintptr_t)z + PAGE + kThunk;
    check(fault_addr == t, "Z fault address", fault_addr, t);
    check(fault_eip == t, "Z fault EIP", fault_eip, t);
  }
  sigaction(SIGSEGV, &old, NULL);
  run_thunk(x, "X after Z", 1, 0);
  struct shared_file f = {fd, NULL, x};
  in_child(thunks_child, &f, "child's thunk checks");
  run_thunk(x, "X after the child", 1, 0);
}

/* Inline caches. At kIcDirect of page 0: call (page 1 + kThunk); ret. At kIcIndirect:
 * call [esp + 4]; ret (the target is the argument). Page 1 and page 2 each hold
 * mov eax, v; ret at kThunk, with different v. */
enum { kIcDirect = 0x300, kIcIndirect = 0x340 };
typedef uint32_t (*fn1)(uint32_t);
static void put_ic_callers(uint8_t* p) {
  const int32_t rel = (PAGE + kThunk) - (kIcDirect + 5);
  uint8_t direct[] = {0xE8, 0, 0, 0, 0, 0xC3};
  memcpy(direct + 1, &rel, 4);
  memcpy(p + kIcDirect, direct, sizeof direct);
  memcpy(p + kIcIndirect, "\xff\x54\x24\x04\xc3", 5);
}

static void run_ic(uint8_t* m, const char* name, uint32_t want) {
  char what[96];
  for (int i = 0; i < 200; ++i) {  /* past the count of misses before a site learns */
    uint32_t got = ((fn)(m + kIcDirect))();
    snprintf(what, sizeof what, "%s direct call to the next page", name);
    check(got == want, what, got, want);
    got = ((fn1)(m + kIcIndirect))((uint32_t)(uintptr_t)(m + PAGE + kThunk));
    snprintf(what, sizeof what, "%s indirect call to the next page", name);
    check(got == want, what, got, want);
  }
}

struct ic_child {
  int fd, page;
  uint8_t* m;
};

static void ic_child(void* arg) {
  struct ic_child* c = arg;
  map_at(c->fd, c->m + PAGE, c->page * PAGE, MAP_FIXED);
  run_ic(c->m, c->page == 1 ? "child (page 1)" : "child (page 2)", c->page == 1 ? 0x11110000 : 0x22220000);
}

static void inline_caches(void) {
  uint8_t* ws[3];
  int fd = three_pages("sharedic", ws);
  put_ic_callers(ws[0]);
  put_mov_ret(ws[1], 0x11110000);
  put_mov_ret(ws[2], 0x22220000);
  uint8_t* m = map_pair(fd, 1);
  run_ic(m, "page 1", 0x11110000);
  map_at(fd, m + PAGE, 2 * PAGE, MAP_FIXED);  /* the same address, other code */
  run_ic(m, "page 2 remapped", 0x22220000);
  map_at(fd, m + PAGE, PAGE, MAP_FIXED);
  run_ic(m, "page 1 remapped back", 0x11110000);
  /* Children one after the other (their address spaces may reuse one another's slot in
   * ringshift), each mapping its page at the same address; the parent in between. */
  for (int i = 0; i < 8; ++i) {
    struct ic_child c = {fd, 1 + (i & 1), m};
    in_child(ic_child, &c, "child's inline cache checks");
    if (i % 4 == 3) run_ic(m, "page 1 after children", 0x11110000);
  }
}

/* Successive processes fill a fresh anonymous page (the kernel recycles physical pages)
 * with code returning their own number. */
static void recycled(int rounds) {
  fflush(stdout);
  for (int i = 0; i < rounds; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      uint8_t* p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      const uint8_t code[] = {0xB8, (uint8_t)i, (uint8_t)(i >> 8), 0, 0, 0xC3};  /* mov eax, i; ret */
      memcpy(p + 64 * (i % 8), code, sizeof code);
      _exit(((fn)(p + 64 * (i % 8)))() == (uint32_t)i ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "recycled page runs its own code", st, 0);
  }
}

/* A minimal static i386 ELF: _exit(code). */
static size_t tiny_elf(uint8_t* buf, uint8_t code) {
  const uint32_t vaddr = 0x08048000, entry = vaddr + 84;
  memset(buf, 0, 128);
  memcpy(buf, "\x7f" "ELF\x01\x01\x01", 7);
  uint16_t h16[] = {2, 3};  /* ET_EXEC, EM_386 */
  memcpy(buf + 16, h16, 4);
  uint32_t version = 1, phoff = 52;
  memcpy(buf + 20, &version, 4);
  memcpy(buf + 24, &entry, 4);
  memcpy(buf + 28, &phoff, 4);
  uint16_t sizes[] = {52, 32, 1};  /* ehsize, phentsize, phnum */
  memcpy(buf + 40, sizes, 6);
  const uint8_t code_bytes[] = {0xBB, code, 0, 0, 0, 0xB8, 1, 0, 0, 0, 0xCD, 0x80};  /* exit(code) */
  uint32_t ph[8] = {1, 0, vaddr, vaddr, 84 + sizeof code_bytes, 84 + sizeof code_bytes, 5, PAGE};
  memcpy(buf + 52, ph, 32);
  memcpy(buf + 84, code_bytes, sizeof code_bytes);
  return 84 + sizeof code_bytes;
}

static void new_binaries(int rounds) {
  for (int i = 0; i < rounds; ++i) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/sharedcode-exe-%d", i);
    uint8_t buf[128];
    size_t n = tiny_elf(buf, (uint8_t)(i * 7 + 3));
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd < 0 || write(fd, buf, n) != (ssize_t)n || close(fd) != 0) {
      perror("sharedcode: write exe");
      exit(2);
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      char* argv[] = {path, NULL};
      execv(path, argv);
      _exit(255);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    unlink(path);
    check(WIFEXITED(st) && WEXITSTATUS(st) == (uint8_t)(i * 7 + 3), "new executable runs its own code",
          WEXITSTATUS(st), (uint8_t)(i * 7 + 3));
  }
}

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 100;
  aliases();
  pc_thunks();
  inline_caches();
  recycled(rounds);
  new_binaries(rounds);
  printf("sharedcode: %d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
