/* ctxsw: context switches. Two processes pinned to the same CPU (sched_setaffinity; the
 * guest has one CPU anyway) call sched_yield() in turn. The parent does OPS/2 yields;
 * each of its yields switches to the child and the child's yield switches back, so one
 * op = one context switch (time / (2 * parent yields)). */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

int main(int argc, char **argv)
{
    long ops = bench_ops(argc, argv, 400000);
    long yields = ops / 2;
    ops = yields * 2;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &set);
    if (sched_setaffinity(0, sizeof set, &set))
        bench_die("sched_setaffinity");
    int go[2];
    if (pipe(go))
        bench_die("pipe");
    pid_t pid = fork(); /* inherits the affinity */
    if (pid < 0)
        bench_die("fork");
    if (pid == 0) {
        if (write(go[1], "r", 1) != 1)
            _exit(1);
        for (;;)
            sched_yield();
    }
    char c;
    if (read(go[0], &c, 1) != 1) /* the child is running */
        bench_die("read");
    int64_t t0 = bench_now_ns();
    for (long n = 0; n < yields; n++)
        sched_yield();
    int64_t t1 = bench_now_ns();
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    bench_report("ctxsw", ops, t0, t1);
    return 0;
}
