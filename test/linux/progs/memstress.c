/* Address-space churn for the shadow page tables (test/linux/shadow_test.py): fresh
 * anonymous pages, fork with copy-on-write in both directions, mprotect, munmap and
 * remap of the same addresses, exec. Every value read back is checked; the exit status
 * is the number of mismatches (0 = all good). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES 512
#define PG 4096

static unsigned bad;

static void fill(volatile uint32_t* p, uint32_t seed) {
  for (unsigned i = 0; i < PAGES; ++i) p[i * (PG / 4) + (i & 7)] = seed ^ (i * 2654435761u);
}

static void check(const char* what, volatile uint32_t* p, uint32_t seed) {
  for (unsigned i = 0; i < PAGES; ++i)
    if (p[i * (PG / 4) + (i & 7)] != (seed ^ (i * 2654435761u))) {
      if (bad++ < 5) printf("memstress: %s: page %u holds %#x\n", what, i, (unsigned)p[i * (PG / 4) + (i & 7)]);
    }
}

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 20;
  for (int r = 0; r < rounds; ++r) {
    volatile uint32_t* p = mmap(0, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 100;
    fill(p, 0x1000u + r);
    pid_t c = fork();
    if (c == 0) {
      unsigned before = bad;
      check("child sees the parent's pages", p, 0x1000u + r);
      fill(p, 0x2000u + r);  /* copy-on-write in the child */
      check("child's own copies", p, 0x2000u + r);
      _exit(bad - before > 250 ? 250 : (int)(bad - before));
    }
    fill(p + 1, 0x3000u + r);  /* the parent writes too, while the child runs */
    int st = 0;
    waitpid(c, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st)) {
      bad++;
      printf("memstress: round %d: child status %#x\n", r, st);
    }
    check("parent after the child's writes", p, 0x1000u + r);
    check("parent's second word", p + 1, 0x3000u + r);
    mprotect((void*)p, PAGES * PG, PROT_READ);
    check("read-only", p, 0x1000u + r);
    mprotect((void*)p, PAGES * PG, PROT_READ | PROT_WRITE);
    fill(p, 0x4000u + r);
    check("writable again", p, 0x4000u + r);
    munmap((void*)p, PAGES * PG);
    /* The same addresses again: fresh zero pages, not the old contents. */
    volatile uint32_t* q = mmap((void*)p, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (q != p) return 101;
    for (unsigned i = 0; i < PAGES; ++i)
      if (q[i * (PG / 4) + (i & 7)] != 0 && bad++ < 5) printf("memstress: remapped page %u not zero\n", i);
    munmap((void*)q, PAGES * PG);
    if (r % 5 == 0) {
      pid_t e = fork();
      if (e == 0) {
        execl("/bin/true", "true", (char*)0);
        _exit(127);
      }
      waitpid(e, &st, 0);
      if (!WIFEXITED(st) || WEXITSTATUS(st)) bad++;
    }
  }
  printf("memstress: %d rounds, %u mismatches\n", rounds, bad);
  return bad > 250 ? 250 : (int)bad;
}
