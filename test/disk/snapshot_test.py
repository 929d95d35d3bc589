#!/usr/bin/env python3
"""-snapshot: the guest's writes go to a temporary overlay; the image file stays
byte-identical, yet the guest reads its own writes back from the disk.

The host makes a 64 MiB ext4 image holding original/o1 (random data, mke2fs -d) and
notes its sha256. One boot with -snapshot (test/disk/guest/snapshot.sh): the guest
mounts the disk, writes snap/s1 (1 MiB + 3 bytes) and snap/s2, appends 5000 zero bytes to
original/o1, syncs, prints the sums, and checks them after drop_caches and after a
remount (so they come back from the device, i.e. from the overlay and the image mixed);
o1's sum must be that of the host's data plus the zeros. Then the host: the image's
sha256 and size are what they were, and e2fsck -fn is clean.

usage: test/disk/snapshot_test.py (--ringshift PATH | --qemu) [--if ide|virtio]
                                  [--workdir DIR] [--cache DIR] [--timeout S]
"""

import hashlib
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
    os.makedirs(os.path.join(src, "original"))
    o1 = os.path.join(src, "original", "o1")
    disktest.random_file(o1, 300007, "snapshot-o1")
    with open(o1, "rb") as f:
        o1_after = hashlib.sha256(f.read() + b"\0" * 5000).hexdigest()
    image = disktest.make_ext4(os.path.join(t.work, "disk.img"), populate=src)
    before = disktest.sha256_file(image)
    size = os.path.getsize(image)

    run = t.boot("boot", "snapshot.sh", [Drive(t.iface, image)], snapshot=True)
    sums = t.sums(t.guest_ok("boot", run))
    t.check(sorted(sums) == ["original/o1", "snap/s1", "snap/s2"] and sums["snap/s1"][1] == 1048579
            and sums["original/o1"][1] == 300007 + 5000,
            "boot: the guest wrote its files (%s)" % ", ".join("%s %d bytes" % (n, s[1]) for n, s in sorted(sums.items())))
    t.check(sums.get("original/o1", ("",))[0] == o1_after,
            "boot: original/o1 read back as the host's data with the guest's 5000 zero bytes appended")
    after = disktest.sha256_file(image)
    t.check(after == before and os.path.getsize(image) == size,
            "host: the image is byte-identical after the run (sha256 %s)" % before[:16]
            + ("" if after == before else ", now %s" % after[:16]))
    t.fsck("host after the run", image)


if __name__ == "__main__":
    test = disktest.Test(__doc__, "snapshot", timeout=120)
    sys.exit(test.main(body))
