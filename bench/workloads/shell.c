/* shell: a busybox shell loop, timed from outside. Runs
 *   sh -c 'i=0; while [ $i -lt OPS ]; do i=$((i+1)); done'
 * by fork + exec of the program named by the second argument (default /bin/sh; natively
 * bench/run_all.py passes the guest's busybox binary, run as argv[0] "sh") and waits for
 * it. One op = one loop iteration (the time includes the one exec of the shell).
 * Usage: shell [OPS [PATH]] */
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

int main(int argc, char **argv)
{
    long ops = bench_ops(argc, argv, 100000);
    const char *path = argc > 2 ? argv[2] : "/bin/sh";
    char script[128];
    snprintf(script, sizeof script, "i=0; while [ $i -lt %ld ]; do i=$((i+1)); done", ops);
    char *const args[] = {"sh", "-c", script, NULL};
    int64_t t0 = bench_now_ns();
    if (bench_spawn_wait("shell", path, args) != 0)
        return 1;
    int64_t t1 = bench_now_ns();
    bench_report("shell", ops, t0, t1);
    return 0;
}
