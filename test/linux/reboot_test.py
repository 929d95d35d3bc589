#!/usr/bin/env python3
"""Guest reboot: `reboot -f` in the Linux guest (no ACPI: the kernel pulses the i8042's
reset line) restarts the machine, which boots the same kernel and initramfs again; with
--no-reboot ringshift exits with status 0 instead, saying the guest reset the machine.

usage: test/linux/reboot_test.py --ringshift PATH [--workdir DIR] [--cache DIR] [--timeout S]
Exit status 0 on success, 1 otherwise.
"""

import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsguest  # noqa: E402

BANNER = re.compile(r"ringshift-guest: init started")


def run(cmd, timeout, stop_after_banners=None):
    """Runs CMD; returns (status or None if stopped by us, console text, stderr text)."""
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + timeout
    out = []
    banners = 0
    stopped = False
    for raw in p.stdout:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        out.append(line)
        if BANNER.search(line):
            banners += 1
            if stop_after_banners and banners >= stop_after_banners:
                p.terminate()
                stopped = True
        if time.time() > deadline:
            p.kill()
            break
    p.wait()
    return (None if stopped else p.returncode), out, p.stderr.read().decode("utf-8", "replace")


def main():
    args, work, extra = rsguest.test_setup(__doc__, "rs-linux-reboot.", 60)
    with open(os.path.join(extra, "rs", "reboot.sh"), "w") as f:
        f.write("echo ringshift-guest: rebooting\nreboot -f\nsleep 30\necho ringshift-guest: reboot did not happen\n")
    ok = True
    try:
        bz, initrd, _ = rsguest.make_initramfs(extra, os.path.join(work, "initramfs.cpio.gz"), args.cache,
                                                     flavour=args.flavour)
        base = [args.ringshift, "run", "--kernel", bz, "--initrd", initrd, "-m", "128M",
                "--append", "console=ttyS0 panic=-1 rs.check=/rs/reboot.sh"]

        status, out, err = run(base + ["--no-reboot", "--log-level", "info"], args.timeout)
        text = "\n".join(out)
        if status != 0 or "reset the machine" not in err or "ringshift-guest: rebooting" not in text \
                or "reboot did not happen" in text:
            print("FAIL reboot -f with --no-reboot: status %s, stderr %r" % (status, err.strip()[-300:]))
            print(rsguest.tail(out, 15))
            ok = False
        else:
            print("PASS reboot -f with --no-reboot: exit status 0 (%s)" % err.strip().splitlines()[-1])

        status, out, err = run(base, args.timeout, stop_after_banners=2)
        banners = sum(1 for l in out if BANNER.search(l))
        if status is not None or banners < 2 or sum(1 for l in out if "Linux version" in l) < 2:
            print("FAIL reboot -f without --no-reboot: the guest did not boot a second time "
                  "(status %s, %d init banners)" % (status, banners))
            print(rsguest.tail(out, 15))
            ok = False
        else:
            print("PASS reboot -f restarts the machine: the kernel booted to init a second time")
        bad = rsguest.trouble(out)
        if bad:
            print("FAIL kernel trouble on the console: " + " | ".join(bad[:5]))
            ok = False
    except (rsguest.Error, OSError) as e:
        print("FAIL setup: %s" % e)
        ok = False
    print("%s: guest reboot" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
