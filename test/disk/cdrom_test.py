#!/usr/bin/env python3
"""The ATAPI CD: the guest mounts an ISO 9660 image given as -cdrom and reads the host's
files and the whole disc right.

The host builds an ISO 9660 image (xorriso -as mkisofs, Rock Ridge and Joliet) holding
data/c1 (3 MiB + 777 bytes of random data) and data/c2 (a small odd-sized file). One boot
(test/disk/guest/cdrom.sh): the guest loads the disk modules (libata, ata_piix, sr_mod,
cdrom, isofs), mounts /dev/sr0 -o ro and prints the files' sums, then the sum and size of
the whole device (read after drop_caches). They must be the host's: the files' and the
ISO file's own. The VMM exits 0, no error line on the console.

usage: test/disk/cdrom_test.py (--ringshift PATH | --qemu) [--workdir DIR] [--cache DIR]
                               [--timeout S]
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
    for name, size in (("c1", 3 * 1048576 + 777), ("c2", 12345)):
        want["data/" + name] = (disktest.random_file(os.path.join(src, "data", name), size, "cdrom-" + name), size)
    iso = os.path.join(t.work, "cd.iso")
    if os.path.exists(iso):
        os.unlink(iso)
    disktest.run_tool([disktest.tool("xorriso", "xorriso"), "-as", "mkisofs", "-quiet", "-R", "-J",
                       "-V", "RSDISKTEST", "-o", iso, src], "xorriso")
    want["device"] = (disktest.sha256_file(iso), os.path.getsize(iso))

    run = t.boot("boot", "cdrom.sh", [Drive("cdrom", iso)], dev="sr0")
    t.compare_sums("boot: the guest reads the host's files and the whole disc", t.sums(t.guest_ok("boot", run)), want)


if __name__ == "__main__":
    test = disktest.Test(__doc__, "cdrom", timeout=120, with_if=False)
    sys.exit(test.main(body))
