/* pagefault: page faults on fresh anonymous memory. Each round maps 4 MiB of anonymous
 * memory, writes one byte in each 4 KiB page (a demand-zero fault each) and unmaps it.
 * One op = one page (fault + zeroing + its share of the unmap). */
#include <sys/mman.h>
#include "bench.h"

#define REGION (4u * 1024 * 1024)
#define PAGE 4096u

int main(int argc, char **argv)
{
    long ops = bench_ops(argc, argv, 200000);
    long per = REGION / PAGE;
    long rounds = (ops + per - 1) / per;
    ops = rounds * per;
    uint32_t acc = 0;
    int64_t t0 = bench_now_ns();
    for (long r = 0; r < rounds; r++) {
        volatile uint8_t *p = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            bench_die("mmap");
        for (uint32_t off = 0; off < REGION; off += PAGE)
            p[off] = (uint8_t)off;
        acc += p[PAGE];
        if (munmap((void *)p, REGION))
            bench_die("munmap");
    }
    int64_t t1 = bench_now_ns();
    bench_sink = acc;
    bench_report("pagefault", ops, t0, t1);
    return 0;
}
