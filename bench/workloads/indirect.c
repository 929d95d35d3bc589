/* indirect: indirect calls. One op = one call through a table of 8 function pointers,
 * the target chosen by a pseudo-random sequence so it changes from call to call (the
 * table is read through a volatile pointer so GCC cannot devirtualize). */
#include "bench.h"

typedef uint32_t (*fn)(uint32_t);

__attribute__((noinline)) static uint32_t f0(uint32_t x) { return x + 1; }
__attribute__((noinline)) static uint32_t f1(uint32_t x) { return x ^ 0x5a5a5a5au; }
__attribute__((noinline)) static uint32_t f2(uint32_t x) { return x * 3; }
__attribute__((noinline)) static uint32_t f3(uint32_t x) { return x - 7; }
__attribute__((noinline)) static uint32_t f4(uint32_t x) { return (x << 3) | (x >> 29); }
__attribute__((noinline)) static uint32_t f5(uint32_t x) { return x + 0x9e3779b9u; }
__attribute__((noinline)) static uint32_t f6(uint32_t x) { return ~x; }
__attribute__((noinline)) static uint32_t f7(uint32_t x) { return x >> 1; }

static fn table[8] = {f0, f1, f2, f3, f4, f5, f6, f7};

int main(int argc, char **argv)
{
    long ops = bench_ops(argc, argv, 60000000);
    fn *volatile tp = table;
    fn *t = tp;
    int64_t t0 = bench_now_ns();
    uint32_t x = 1, seed = 7;
    for (long n = 0; n < ops; n++) {
        seed = seed * 1664525u + 1013904223u;
        x = t[seed >> 29](x);
    }
    int64_t t1 = bench_now_ns();
    bench_sink = x;
    bench_report("indirect", ops, t0, t1);
    return 0;
}
