/* The test programs' self-checks: check() counts each one and prints a failure as
 * "CHECK_PROG: FAIL what: got X, want Y"; CHECK_PROG is defined before the include. */
#include <stdio.h>

static int checks, failures;

static void check(int ok, const char* what, unsigned long got, unsigned long want) {
  checks++;
  if (!ok) {
    failures++;
    printf("%s: FAIL %s: got %#lx, want %#lx\n", CHECK_PROG, what, got, want);
  }
}
