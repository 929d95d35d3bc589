/* x87: long double arithmetic (built with -mfpmath=387). One op = one term of a series
 * with an add, multiply, divide and a square root (fsqrt; -fno-math-errno keeps it
 * inline), all on the x87 stack in 80-bit precision. */
#include "bench.h"

int main(int argc, char **argv)
{
    long ops = bench_ops(argc, argv, 10000000);
    int64_t t0 = bench_now_ns();
    long double sum = 0.0L, x = 1.0L, prod = 1.0L;
    for (long n = 0; n < ops; n++) {
        sum += 1.0L / (x * x);
        prod = prod * 0.9999999L + __builtin_sqrtl(x) * 1e-12L;
        x += 1.0L;
    }
    int64_t t1 = bench_now_ns();
    bench_sink = (uint32_t)(sum * 1e6L) ^ (uint32_t)(prod * 1e6L);
    bench_report("x87", ops, t0, t1);
    return 0;
}
