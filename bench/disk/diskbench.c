/* Disk throughput as a program sees it, on a block device or an image file, the same
 * static i386 binary on the host and in a guest:
 *   diskbench FILE MIB RANDOM_READS [buffered]
 * 1. sequential write of MIB MiB in 1 MiB writes, then fdatasync (MB/s includes it);
 * 2. sequential read of the same MiB in 1 MiB reads;
 * 3. RANDOM_READS reads of 4 KiB at random 4 KiB-aligned offsets in those MiB (IOPS).
 * O_DIRECT when the file takes it (a guest's block device: every read reaches the
 * virtual disk, not the guest's page cache); otherwise buffered, after
 * posix_fadvise(DONTNEED) of the written range. With `buffered`: never O_DIRECT and the
 * page cache kept (what a VMM's own buffered reads of its image file cost). Prints
 *   RESULT name=<seq_write|seq_read|rand_read_4k> value=<n> unit=<MB/s|IOPS> direct=<0|1>
 * Writes over the first MIB MiB of FILE. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "diskbench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static uint32_t rng = 12345;
static uint32_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

int main(int argc, char **argv) {
    if (argc != 4 && !(argc == 5 && !strcmp(argv[4], "buffered"))) {
        fprintf(stderr, "usage: diskbench FILE MIB RANDOM_READS [buffered]\n");
        return 2;
    }
    const char *path = argv[1];
    const long mib = atol(argv[2]), nrand = atol(argv[3]);
    const int buffered = argc == 5;
    int direct = !buffered;
    int fd = buffered ? -1 : open(path, O_RDWR | O_DIRECT);
    if (fd < 0) {
        direct = 0;
        fd = open(path, O_RDWR);
    }
    if (fd < 0) die(path);
    const size_t block = 1 << 20;
    unsigned char *buf;
    if (posix_memalign((void **)&buf, 4096, block)) die("posix_memalign");
    for (size_t i = 0; i < block; ++i) buf[i] = (unsigned char)(i * 31 + 7);

    double t = now();
    for (long i = 0; i < mib; ++i) {
        buf[0] = (unsigned char)i; /* every MiB differs: nothing may dedupe or skip zeros */
        if (pwrite(fd, buf, block, (off_t)i * (off_t)block) != (ssize_t)block) die("write");
    }
    if (fdatasync(fd)) die("fdatasync");
    double dt = now() - t;
    printf("RESULT name=seq_write value=%.1f unit=MB/s direct=%d\n", (double)mib * block / dt / 1e6, direct);
    if (!direct && !buffered) posix_fadvise(fd, 0, (off_t)mib * (off_t)block, POSIX_FADV_DONTNEED);

    t = now();
    for (long i = 0; i < mib; ++i)
        if (pread(fd, buf, block, (off_t)i * (off_t)block) != (ssize_t)block) die("read");
    dt = now() - t;
    printf("RESULT name=seq_read value=%.1f unit=MB/s direct=%d\n", (double)mib * block / dt / 1e6, direct);
    if (!direct && !buffered) posix_fadvise(fd, 0, (off_t)mib * (off_t)block, POSIX_FADV_DONTNEED);

    const long pages = mib * 256;
    t = now();
    for (long i = 0; i < nrand; ++i) {
        const off_t at = (off_t)(next_rand() % (uint32_t)pages) * 4096;
        if (pread(fd, buf, 4096, at) != 4096) die("random read");
    }
    dt = now() - t;
    printf("RESULT name=rand_read_4k value=%.0f unit=IOPS direct=%d\n", (double)nrand / dt, direct);
    close(fd);
    return 0;
}
