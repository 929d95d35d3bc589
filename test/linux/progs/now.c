/* now: print the wall clock as seconds.microseconds since the epoch (gettimeofday), for
 * the Linux boot test's guest-versus-host clock comparison (busybox `date +%s` has whole
 * seconds only). */
#include <stdio.h>
#include <sys/time.h>

int main(void)
{
    struct timeval tv;
    if (gettimeofday(&tv, NULL))
        return 1;
    printf("%lld.%06ld\n", (long long)tv.tv_sec, (long)tv.tv_usec);
    return 0;
}
