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
 *  - successive new executables written to files and exec'd run their own code.
 * gcc -m32 -static -O2; the guest's kernel is the only thing it needs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
static int checks, failures;

static void check(int ok, const char* what, unsigned long got, unsigned long want) {
  checks++;
  if (!ok) {
    failures++;
    printf("sharedcode: FAIL %s: got %#lx, want %#lx\n", what, got, want);
  }
}

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

static void aliases(void) {
  int fd = memfd_create("sharedcode", 0);
  if (fd < 0 || ftruncate(fd, 3 * PAGE) != 0) {
    perror("sharedcode: memfd");
    exit(2);
  }
  uint8_t* w = map_at(fd, NULL, 0, 0);
  uint8_t* w1 = map_at(fd, NULL, PAGE, 0);
  uint8_t* w2 = map_at(fd, NULL, 2 * PAGE, 0);
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
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {  /* a third address in another process, then new code */
    failures = 0;
    uint8_t* d = map_pair(fd, 1);
    run_aliases(d, "child D", 0x1000, 0x22221111);
    put_getpc(w, 0x2000);
    run_aliases(d, "child D after its write", 0x2000, 0x22221111);
    fflush(stdout);
    _exit(failures ? 1 : 0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child's checks", st, 0);
  run_aliases(a, "A after the child's write", 0x2000, 0x22221111);
  run_aliases(b, "B after the child's write", 0x2000, 0x22221111);
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
  recycled(rounds);
  new_binaries(rounds);
  printf("sharedcode: %d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
