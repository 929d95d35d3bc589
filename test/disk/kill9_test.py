#!/usr/bin/env python3
"""Synced data survives kill -9 of the VMM: what the guest wrote and synced is in the
image file the moment the guest sees its sync complete.

Boot 1 (test/disk/guest/kill9.sh, phase write): the guest mounts the ext4 disk (/dev/sda
or /dev/vda), writes 2 MiB + 3 bytes of random data to data/k, syncs, prints its sum,
starts two loops that keep writing and syncing other files, and prints a marker; the host
kills the VMM with SIGKILL the moment the marker arrives (the file system is mid-write,
its journal not clean). Boot 2 (phase verify): the guest mounts it again (the journal
is replayed) with no error on the console, and data/k has the sum printed before the
kill. Then the host: e2fsck -fn is clean, and debugfs reads the same data/k.

usage: test/disk/kill9_test.py (--ringshift PATH | --qemu) [--if ide|virtio]
                               [--workdir DIR] [--cache DIR] [--timeout S]
"""

import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import disktest  # noqa: E402
from rsguest import Drive  # noqa: E402

MARKER = re.compile(r"^=== kill9 now")


def body(t):
    image = disktest.make_ext4(os.path.join(t.work, "disk.img"))
    drives = [Drive(t.iface, image)]

    run = t.boot("boot1", "kill9.sh", drives, phase="write", kill_on=MARKER)
    t.check(run.killed, "boot1: %s killed with SIGKILL at the guest's marker" % t.vmm
            + ("" if run.killed else " (no marker: status %s)" % run.status))
    synced = t.sums(t.guest_ok("boot1", run, powered_off=False))
    t.check("data/k" in synced, "boot1: the guest printed data/k's sum before the marker")
    if not run.killed or "data/k" not in synced:
        raise disktest.Abort()

    run = t.boot("boot2", "kill9.sh", drives, phase="verify")
    body2 = t.guest_ok("boot2", run)
    recovered = [l for l in run.lines if "recovery complete" in l or "recovering journal" in l]
    print("  boot2: journal: %s" % (" | ".join(l.split("] ", 1)[-1] for l in recovered) or "no replay reported"))
    t.compare_sums("boot2: the synced file survived the kill", t.sums(body2), {"data/k": synced["data/k"]})
    t.fsck("host after boot2", image)
    t.compare_sums("host: debugfs dump of data/k matches", t.image_sums(image, ["data/k"]), {"data/k": synced["data/k"]})


if __name__ == "__main__":
    test = disktest.Test(__doc__, "kill9", timeout=150)
    sys.exit(test.main(body))
