/* fork_wait: one op = fork() a child that _exit(0)s at once, and waitpid() for it
 * (copying the address space of a small static program, then tearing it down). */
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

int main(int argc, char **argv)
{
    long ops = bench_ops(argc, argv, 4000);
    int64_t t0 = bench_now_ns();
    for (long n = 0; n < ops; n++) {
        pid_t pid = fork();
        if (pid < 0)
            bench_die("fork");
        if (pid == 0)
            _exit(0);
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            bench_die("waitpid");
    }
    int64_t t1 = bench_now_ns();
    bench_report("fork_wait", ops, t0, t1);
    return 0;
}
