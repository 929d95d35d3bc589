/* syscall: the null system call. One op = syscall(SYS_getppid) (through glibc's
 * syscall(), so no caching in the C library), a kernel entry and exit that does
 * almost nothing. */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <unistd.h>
#include "bench.h"

int main(int argc, char **argv)
{
    long ops = bench_ops(argc, argv, 2000000);
    uint32_t acc = 0;
    int64_t t0 = bench_now_ns();
    for (long n = 0; n < ops; n++)
        acc += (uint32_t)syscall(SYS_getppid);
    int64_t t1 = bench_now_ns();
    bench_sink = acc;
    bench_report("syscall", ops, t0, t1);
    return 0;
}
