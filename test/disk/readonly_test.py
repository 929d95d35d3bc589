#!/usr/bin/env python3
"""A read-only disk: -drive file=F,if=ide|virtio,format=raw,readonly=on. Every write the
guest tries fails with an error, reads work, the VMM does not crash, the image file is
unchanged.

The host makes a 64 MiB ext4 image holding data/r1 and data/r2 (random data, mke2fs -d)
and notes its sha256. One boot (test/disk/guest/readonly.sh): the guest writes a block
to the raw device (dd conv=fsync: must fail), mounts the file system -o rw (refused, made
read-only, or the mount succeeds and writing a file with fsync must fail), then mounts it
-o ro and prints the files' sums, which must be the host's. The VMM must exit 0 when the
guest powers off, with no panic/oops/BUG/WARN on the console (I/O error lines are
expected here). The image's sha256 is what it was.

Under QEMU, which refuses a read-only IDE hard disk, --if ide uses a blkdebug node that
fails every write with EIO instead (what a guest sees of a read-only disk on an IDE
controller: ABRT on WRITE DMA, an I/O error); virtio-blk is QEMU's own readonly=on (the
VIRTIO_BLK_F_RO feature: the kernel marks /dev/vda read-only).

usage: test/disk/readonly_test.py (--ringshift PATH | --qemu) [--if ide|virtio]
                                  [--workdir DIR] [--cache DIR] [--timeout S]
"""

import os
import shutil
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import disktest  # noqa: E402
from rsguest import Drive  # noqa: E402


def body(t):
    src = os.path.join(t.work, "src")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(os.path.join(src, "data"))
    want = {}
    for name, size in (("r1", 1048583), ("r2", 4095)):
        h = disktest.random_file(os.path.join(src, "data", name), size, "readonly-" + name)
        want["data/" + name] = (h, size)
    image = disktest.make_ext4(os.path.join(t.work, "disk.img"), populate=src)
    before = disktest.sha256_file(image)

    run = t.boot("boot", "readonly.sh", [Drive(t.iface, image, readonly=True)])
    got = t.sums(t.guest_ok("boot", run, disk_errors_allowed=True))
    t.compare_sums("boot: the guest reads the host's files from the read-only disk", got, want)
    after = disktest.sha256_file(image)
    t.check(after == before, "host: the image is unchanged (sha256 %s)" % before[:16]
            + ("" if after == before else ", now %s" % after[:16]))


if __name__ == "__main__":
    test = disktest.Test(__doc__, "readonly", timeout=120)
    sys.exit(test.main(body))
