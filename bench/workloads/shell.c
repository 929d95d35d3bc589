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
    char *const env[] = {"PATH=/bin:/usr/bin", NULL};
    int64_t t0 = bench_now_ns();
    pid_t pid = fork();
    if (pid < 0)
        bench_die("fork");
    if (pid == 0) {
        execve(path, args, env);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "shell: %s exited with status %#x\n", path, status);
        return 1;
    }
    int64_t t1 = bench_now_ns();
    bench_report("shell", ops, t0, t1);
    return 0;
}
