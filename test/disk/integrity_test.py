#!/usr/bin/env python3
"""Disk data integrity: files of random data written by the guest on an ext4 disk are
there, intact, for the host and on the next boot.

The host makes a 64 MiB raw image with a fresh ext4 (mke2fs, no mounts). Boot 1 (guest
script test/disk/guest/integrity.sh, phase write): the guest loads the disk modules,
mounts /dev/sda (--if ide: the PIIX IDE controller) or /dev/vda (--if virtio: virtio-blk
over PCI), writes 7 files of random data (1 byte to 4 MiB, odd sizes, two over 1 MiB)
while 4 writers rewrite, fsync and re-read their own files and a reader re-reads a big
one (every re-read after drop_caches, so from the disk), prints all 11 files' sha256,
checks them after drop_caches and after a remount, unmounts, powers off. Then the host:
e2fsck -fn is clean, and every file dumped by debugfs has the sum the guest printed.
Boot 2 (phase verify) mounts again and prints the sums: the same. Every boot: the VMM
exits 0, no panic/oops/BUG/WARN, no ata/I/O/EXT4 error line on the console.

usage: test/disk/integrity_test.py (--ringshift PATH | --qemu) [--if ide|virtio]
                                   [--workdir DIR] [--cache DIR] [--timeout S]
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import disktest  # noqa: E402
from rsguest import Drive  # noqa: E402

FILES = 11  # a..g and w1..w4


def body(t):
    image = disktest.make_ext4(os.path.join(t.work, "disk.img"))
    drives = [Drive(t.iface, image)]

    run = t.boot("boot1", "integrity.sh", drives, phase="write")
    written = t.sums(t.guest_ok("boot1", run))
    t.check(len(written) == FILES, "boot1: the guest printed %d file sums (expected %d)" % (len(written), FILES))

    t.fsck("host after boot1", image)
    t.compare_sums("host: debugfs dump of the image matches the guest's sums", t.image_sums(image, written), written)

    run = t.boot("boot2", "integrity.sh", drives, phase="verify")
    again = t.sums(t.guest_ok("boot2", run))
    t.compare_sums("boot2: the guest reads the same files back", again, written)
    t.fsck("host after boot2", image)


if __name__ == "__main__":
    test = disktest.Test(__doc__, "integrity", timeout=180)
    sys.exit(test.main(body))
