/* string: the C library's string functions (glibc's, as selected for the CPU the program
 * sees). One op = one 4 KiB memcpy, one strlen of a 4 KiB string and one strcmp of two
 * 4 KiB strings that differ in the last byte. */
#include "bench.h"

#define LEN 4096

int main(int argc, char **argv)
{
    long ops = bench_ops(argc, argv, 400000);
    static char a[LEN + 1], b[LEN + 1], c[8][LEN + 1];
    for (int i = 0; i < LEN; i++)
        a[i] = b[i] = (char)('a' + i % 26);
    b[LEN - 1] = 'Z';
    a[LEN] = b[LEN] = 0;

    int64_t t0 = bench_now_ns();
    uint32_t acc = 0;
    for (long n = 0; n < ops; n++) {
        char *dst = c[n & 7];
        memcpy(dst, n & 1 ? a : b, LEN + 1);
        acc += (uint32_t)strlen(dst);
        acc += (uint32_t)strcmp(a, dst) & 0xff;
        __asm__ volatile("" ::: "memory"); /* the strings are read again each op */
    }
    int64_t t1 = bench_now_ns();
    bench_sink = acc;
    bench_report("string", ops, t0, t1);
    return 0;
}
