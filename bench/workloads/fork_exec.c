/* fork_exec: one op = fork(), exec of `true` (argv[0] "true") from the program named by
 * the second argument, and waitpid(). In the guest that is /bin/true, a link to the
 * initramfs's busybox; natively bench/run_all.py passes the same busybox binary, so the
 * exec'd program is identical. Usage: fork_exec [OPS [PATH]] */
#include <sys/wait.h>
#include <unistd.h>
#include "bench.h"

int main(int argc, char **argv)
{
    long ops = bench_ops(argc, argv, 1500);
    const char *path = argc > 2 ? argv[2] : "/bin/true";
    char *const args[] = {"true", NULL};
    int64_t t0 = bench_now_ns();
    for (long n = 0; n < ops; n++)
        if (bench_spawn_wait("fork_exec", path, args) != 0)
            return 1;
    int64_t t1 = bench_now_ns();
    bench_report("fork_exec", ops, t0, t1);
    return 0;
}
