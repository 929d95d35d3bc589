#!/usr/bin/env python3
"""Firmware-path costs, ringshift beside QEMU + SeaBIOS (TCG) in one run on this machine:
- one real -> 32-bit protected -> 16-bit protected -> real round trip (mode_switch.asm,
  run as a ROM with -bios in both);
- one int 13h AH=42h sector read from a hard disk, in real mode and wrapped in a protected
  -> real -> protected round trip as GRUB does (int13_read.asm as a disk image);
- the time from reset to the boot loader's first marker and to the Linux guest's init,
  through GRUB, syslinux and isolinux (the images of guests/images/build.sh), by
  guests/images/qemu_expect.py.
Per-operation costs are (time(N) - time(1)) / N, medians of --runs runs.

usage: bench/firmware/bench_firmware.py BUILD_DIR [--images DIR] [--runs 3] [--no-qemu]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def timed(cmd):
    t0 = time.monotonic()
    subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t0


def per_op(cmd_for, n, runs):
    """Median over runs of (t(n) - t(1)) / n, in microseconds."""
    samples = []
    for _ in range(runs):
        samples.append((timed(cmd_for(n)) - timed(cmd_for(1))) / n * 1e6)
    return statistics.median(samples)


def nasm(src, out, *defs):
    subprocess.run(["nasm", "-f", "bin", *defs, "-o", out, os.path.join(HERE, src)], check=True)


def boot_times(cmd):
    """Seconds to the loader's marker and to init, from qemu_expect.py's report."""
    out = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True).stdout
    return [float(m) for m in re.findall(r"^\s*([0-9.]+) s .*matched", out, re.M)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--images", default=None)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-qemu", action="store_true")
    a = ap.parse_args()
    rs = os.path.join(os.path.abspath(a.build), "ringshift")
    qemu = None if a.no_qemu else "qemu-system-i386"
    tmp = tempfile.mkdtemp(prefix="ringshift-fw-")
    rows = []

    def rom(n):
        p = os.path.join(tmp, "ms%d.rom" % n)
        if not os.path.exists(p):
            nasm("mode_switch.asm", p, "-DROUNDS=%d" % n)
        return p

    def disk(n, pm):
        p = os.path.join(tmp, "i13%s%d.img" % ("pm" if pm else "", n))
        if not os.path.exists(p):
            nasm("int13_read.asm", p, "-DREADS=%d" % n, *(["-DPMODE"] if pm else []))
        return p

    qdev = ["-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-display", "none", "-no-reboot"]
    n = 100000
    r = per_op(lambda k: [rs, "run", "-bios", rom(k)], n, a.runs)
    q = per_op(lambda k: [qemu, "-bios", rom(k), *qdev], n, a.runs) if qemu else None
    rows.append(("real -> PM -> real round trip", r, q))
    n = 20000
    for pm, what in ((False, "int 13h 42h read (real mode)"), (True, "int 13h 42h read from PM (GRUB's way)")):
        r = per_op(lambda k: [rs, "run", "--disk", disk(k, pm) + ",readonly"], n, a.runs)
        q = per_op(lambda k: [qemu, "-hda", disk(k, pm), "-snapshot", *qdev], n, a.runs) if qemu else None
        rows.append((what, r, q))
    print("| per operation | ringshift (us) | QEMU + SeaBIOS (us) |")
    print("|---|---|---|")
    for what, r, q in rows:
        print("| %s | %.2f | %s |" % (what, r, "%.1f" % q if q is not None else "-"))

    if a.images:
        expect = [sys.executable, os.path.join(REPO, "guests/images/qemu_expect.py"), "--timeout", "180"]
        init = "ringshift-guest: init started"
        tests = [("GRUB 2 (hard disk)", ["--expect", "ringshift-grub: grub.cfg read", "--expect", init],
                  ["-hda", os.path.join(a.images, "grub.img")], ["-snapshot"]),
                 ("syslinux (hard disk, Enter at the menu)",
                  ["--expect", "ringshift syslinux test menu", "--send", "\\r", "--expect", init],
                  ["-hda", os.path.join(a.images, "syslinux.img")], ["-snapshot"]),
                 ("isolinux (El Torito CD)", ["--expect", "ISOLINUX", "--expect", init],
                  ["-cdrom", os.path.join(a.images, "cd.iso"), "-boot", "d"], [])]
        print()
        print("| reset to ... (s, wall) | ringshift: loader | ringshift: init | QEMU: loader | QEMU: init |")
        print("|---|---|---|---|---|")
        for what, steps, drives, qextra in tests:
            rr = [boot_times(expect + steps + ["--", rs, "run", "-m", "256M", *drives]) for _ in range(a.runs)]
            qq = [boot_times(expect + steps + ["--", qemu, "-m", "256M", "-display", "none", "-serial", "stdio",
                                               "-monitor", "none", *drives, *qextra]) for _ in range(a.runs)] if qemu else []

            def med(xs, i):
                v = [x[i] for x in xs if len(x) > i]
                return "%.2f" % statistics.median(v) if v else "-"
            print("| %s | %s | %s | %s | %s |" % (what, med(rr, 0), med(rr, 1), med(qq, 0), med(qq, 1)))


if __name__ == "__main__":
    main()
