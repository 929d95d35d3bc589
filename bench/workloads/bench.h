/* bench.h: shared by the workloads of bench/run_all.py. Each workload runs a fixed
 * amount of work (OPS, the first argument, or its default) and times itself with
 * clock_gettime(CLOCK_MONOTONIC), then prints one line
 *   RESULT name=<workload> ns_per_op=<float> ops=<n> total_s=<float>
 * Inside a VM that clock is the guest kernel's, which both ringshift and QEMU drive
 * from the host's clock, so guest-measured and host-measured times are comparable. */
#ifndef RS_BENCH_H
#define RS_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Results flow here so the compiler cannot drop the work. */
static volatile uint32_t bench_sink;

static inline int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline long bench_ops(int argc, char **argv, long dflt)
{
    if (argc > 1) {
        char *end;
        long n = strtol(argv[1], &end, 10);
        if (*end || n <= 0) {
            fprintf(stderr, "bad OPS %s\n", argv[1]);
            exit(2);
        }
        return n;
    }
    return dflt;
}

/* fork, execve PATH with ARGS in the child, wait: 0 when it exited with status 0. */
static inline int bench_spawn_wait(const char *who, const char *path, char *const args[])
{
    char *const env[] = {"PATH=/bin:/usr/bin", NULL};
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        exit(1);
    }
    if (pid == 0) {
        execve(path, args, env);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s: %s exited with status %#x\n", who, path, status);
        return -1;
    }
    return 0;
}

static inline void bench_report(const char *name, long ops, int64_t t0, int64_t t1)
{
    double total = (double)(t1 - t0);
    printf("RESULT name=%s ns_per_op=%.3f ops=%ld total_s=%.6f\n", name, total / (double)ops, ops, total / 1e9);
    fflush(stdout);
}

static inline void bench_die(const char *what)
{
    perror(what);
    exit(1);
}

#endif
