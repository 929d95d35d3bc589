#!/usr/bin/env python3
"""Boot time of the Debian system image (guests/debian/build.sh) to its login prompt and
root shell, under ringshift and QEMU TCG, on IDE and on virtio-blk, in one run.

Each boot is guests/debian/boot_check.py (GRUB's menu times out by itself: no keys, so
both VMMs wait the same 1 s; -snapshot, so every boot is the same first boot). Prints a
markdown table of medians and writes it to bench/disk/BOOT.md (--out to change).

Usage: bench/disk/debian_boot.py [RINGSHIFT | BUILD_DIR] [--runs N] [--no-qemu] [--out FILE]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CHECK = os.path.join(REPO, "guests", "debian", "boot_check.py")
PASS = re.compile(r"PASS .*login prompt after ([\d.]+) s, root shell after ([\d.]+) s")


def one(vmm_args, iface, timeout):
    cmd = [sys.executable, CHECK] + vmm_args + ["--if", iface, "--no-grub-keys", "--timeout", str(timeout)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    m = PASS.search(p.stdout)
    if not m:
        print("FAILED: %s\n%s" % (" ".join(cmd), p.stdout[-3000:]), flush=True)
        return None
    return float(m.group(1)), float(m.group(2))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ringshift", nargs="?", default=os.path.join(REPO, "build"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-qemu", action="store_true")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--out", default=os.path.join(HERE, "BOOT.md"))
    args = ap.parse_args()
    rs = args.ringshift
    if os.path.isdir(rs):
        rs = os.path.join(rs, "ringshift")
    vmms = [("ringshift", ["--ringshift", rs])] + ([] if args.no_qemu else [("QEMU TCG", ["--qemu"])])
    med = {}
    for name, vargs in vmms:
        for iface in ("ide", "virtio"):
            got = [r for r in (one(vargs, iface, args.timeout) for _ in range(args.runs)) if r]
            if got:
                med[(name, iface)] = (statistics.median(g[0] for g in got), statistics.median(g[1] for g in got))
                print("%s %s: login %s" % (name, iface, ", ".join("%.1f" % g[0] for g in got)), flush=True)
    lines = ["Debian 12 image boot (GRUB, kernel 6.1 686, systemd) to the serial login prompt and the "
             "autologin root shell, %s, %d CPUs, medians of %d boots, 512 MiB guests:" %
             (time.strftime("%Y-%m-%d"), os.cpu_count() or 0, args.runs), "",
             "| VMM | disk | login prompt (s) | root shell (s) |", "|---|---|---:|---:|"]
    for (name, iface), (login, shell) in med.items():
        lines.append("| %s | %s | %.1f | %.1f |" % (name, iface, login, shell))
    for iface in ("ide", "virtio"):
        a, b = med.get(("ringshift", iface)), med.get(("QEMU TCG", iface))
        if a and b:
            lines.append("\n%s: QEMU TCG / ringshift = %.2f (login prompt)" % (iface, b[0] / a[0]))
    report = "\n".join(lines) + "\n"
    print(report)
    with open(args.out, "w") as f:
        f.write("# Booting the Debian system image\n\n" + report)


if __name__ == "__main__":
    main()
