/* pipe: one op = a round trip of one byte between two processes over a pair of pipes
 * (write, the other side's read wakes up, writes back, read). */
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

int main(int argc, char **argv)
{
    long ops = bench_ops(argc, argv, 100000);
    int ab[2], ba[2];
    if (pipe(ab) || pipe(ba))
        bench_die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        bench_die("fork");
    char c = 'x';
    if (pid == 0) {
        for (long n = 0; n < ops; n++)
            if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    int64_t t0 = bench_now_ns();
    for (long n = 0; n < ops; n++)
        if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
            bench_die("pipe round trip");
    int64_t t1 = bench_now_ns();
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bench_die("waitpid");
    bench_report("pipe", ops, t0, t1);
    return 0;
}
