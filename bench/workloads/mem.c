/* mem: memory-bound. A 32 MiB array of 32-bit indexes forms one random cycle
 * (Sattolo's shuffle); one op = one dependent load following the chain, so nearly every
 * op misses the caches and the TLB. */
#include "bench.h"

#define WORDS (32u * 1024 * 1024 / 4)

int main(int argc, char **argv)
{
    long ops = bench_ops(argc, argv, 6000000);
    uint32_t *next = malloc(WORDS * sizeof *next);
    if (!next)
        bench_die("malloc");
    for (uint32_t i = 0; i < WORDS; i++)
        next[i] = i;
    uint32_t seed = 12345;
    for (uint32_t i = WORDS - 1; i > 0; i--) {
        seed = seed * 1103515245u + 12345u;
        uint32_t j = (seed >> 4) % i;
        uint32_t t = next[i];
        next[i] = next[j];
        next[j] = t;
    }

    int64_t t0 = bench_now_ns();
    uint32_t p = 0;
    for (long n = 0; n < ops; n++)
        p = next[p];
    int64_t t1 = bench_now_ns();
    bench_sink = p;
    bench_report("mem", ops, t0, t1);
    free(next);
    return 0;
}
