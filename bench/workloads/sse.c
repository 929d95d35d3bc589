/* sse: SSE2 floating point (built with -msse2 -mfpmath=sse). One op = one element of a
 * float a*x+y update, a float dot product and a double multiply-add over 4096-element
 * arrays (L1/L2 resident); the loops are simple enough for GCC to vectorize (mulps,
 * addps) at -O2. */
#include "bench.h"

#define N 4096

static float xs[N], ys[N];
static double ds[N];

int main(int argc, char **argv)
{
    long ops = bench_ops(argc, argv, 200000000);
    long rounds = ops / N;
    if (rounds < 1)
        rounds = 1;
    ops = rounds * N;
    for (int i = 0; i < N; i++) {
        xs[i] = (float)i * 0.001f;
        ys[i] = 1.0f;
        ds[i] = (double)i * 0.5;
    }
    int64_t t0 = bench_now_ns();
    float dot = 0.0f;
    double dacc = 0.0;
    for (long r = 0; r < rounds; r++) {
        float a = 0.999f + (float)(r & 1) * 0.002f;
        for (int i = 0; i < N; i++)
            ys[i] = a * xs[i] + ys[i] * 0.5f;
        for (int i = 0; i < N; i++)
            ds[i] = ds[i] * 0.999 + 0.25;
        float d = 0.0f;
        for (int i = 0; i < N; i++)
            d += xs[i] * ys[i];
        dot += d;
        dacc += ds[r & (N - 1)];
    }
    int64_t t1 = bench_now_ns();
    bench_sink = (uint32_t)dot ^ (uint32_t)dacc;
    bench_report("sse", ops, t0, t1);
    return 0;
}
