#!/usr/bin/env python3
"""Disk benchmark: a guest's sequential write/read (MB/s) and 4 KiB random read (IOPS)
on IDE and on virtio-blk, under ringshift and under QEMU TCG in one run, beside the
host's own figures on an image file of the same size.

The same static i386 program (bench/disk/diskbench.c) runs on the host and in the
Debian busybox guest (guests/linux/fetch.sh --disk-modules), where it reads and writes
the raw block device (/dev/sda, /dev/vda) with O_DIRECT, so every request reaches the
virtual disk. Both VMMs write back through the host's page cache (QEMU's default
cache=writeback; ringshift the same) and sync on the guest's flush. On the host the
program runs twice: with O_DIRECT (the host's disk itself) and buffered with the page
cache kept (what a VMM's own reads of its image file can reach at best).

Usage: bench/disk/bench_disk.py [RINGSHIFT | BUILD_DIR] [--runs N] [--mib M]
                                [--reads N] [--no-qemu] [--out FILE] [--cache DIR]
Prints a markdown table of medians; --out also writes it there (bench/disk/RESULTS.md
by default when every column ran).
"""

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "test", "linux"))
import rsguest  # noqa: E402

RESULT = re.compile(r"RESULT name=(\w+) value=([\d.]+) unit=(\S+) direct=(\d)")
METRICS = [("seq_write", "MB/s"), ("seq_read", "MB/s"), ("rand_read_4k", "IOPS")]


def build_diskbench(outdir):
    out = os.path.join(outdir, "diskbench")
    subprocess.run(["gcc", "-m32", "-static", "-O2", "-Wall", "-Wextra", "-o", out,
                    os.path.join(HERE, "diskbench.c")], check=True)
    return out


def parse(text):
    got = {}
    for m in RESULT.finditer(text):
        got.setdefault(m.group(1), []).append(float(m.group(2)))
    return got


def host_runs(prog, workdir, args):
    """diskbench on an image file on the host: O_DIRECT, then buffered (cache kept)."""
    img = os.path.join(workdir, "host.img")
    cols = {}
    for name, extra in (("host O_DIRECT", []), ("host buffered", ["buffered"])):
        vals = {}
        for _ in range(args.runs):
            with open(img, "wb") as f:
                f.truncate(args.mib_image << 20)
            p = subprocess.run([prog, img, str(args.mib), str(args.reads)] + extra,
                               stdout=subprocess.PIPE, text=True, check=True)
            for k, v in parse(p.stdout).items():
                vals.setdefault(k, []).extend(v)
        cols[name] = vals
    os.unlink(img)
    return cols


def guest_run(vmm, binary, bzimage, initrd, iface, workdir, args):
    """One boot that runs diskbench RUNS times on the guest's disk."""
    img = os.path.join(workdir, "guest-%s-%s.img" % (vmm, iface))
    with open(img, "wb") as f:
        f.truncate(args.mib_image << 20)
    append = rsguest.kernel_append("/diskbench.sh", extra=["rs.dev=" + ("sda" if iface == "ide" else "vda")])
    cmd = rsguest.vmm_command(vmm, binary, bzimage, initrd, append,
                              drives=[rsguest.Drive(iface, img)])
    log = os.path.join(workdir, "%s-%s.console.txt" % (vmm, iface))
    start = time.monotonic()
    run = rsguest.run_console(cmd, args.timeout, log)
    text = "\n".join(run.lines)
    os.unlink(img)
    vals = parse(text)
    if len(vals.get("rand_read_4k", [])) != args.runs:
        rsguest.note("%s %s: no results (console in %s)" % (vmm, iface, log))
        return {}
    rsguest.note("%s %s: %.1f s" % (vmm, iface, time.monotonic() - start))
    return vals


GUEST_SCRIPT = """#!/bin/sh
dev=sda
for arg in $(cat /proc/cmdline); do case "$arg" in rs.dev=*) dev="${arg#rs.dev=}" ;; esac; done
rs-disks "$dev" || exit 1
i=0
while [ $i -lt %(runs)d ]; do
    /diskbench /dev/$dev %(mib)d %(reads)d
    i=$((i + 1))
done
"""


def table(cols, order):
    med = {c: {k: statistics.median(v) for k, v in cols[c].items() if v} for c in order if c in cols}
    lines = ["| metric | " + " | ".join(order) + " |", "|---|" + "---:|" * len(order)]
    for key, unit in METRICS:
        row = ["%s (%s)" % (key, unit)]
        for c in order:
            v = med.get(c, {}).get(key)
            row.append("-" if v is None else ("%.0f" % v if unit == "IOPS" or v >= 100 else "%.1f" % v))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines), med


def ratios(med):
    out = []
    def r(a, b, key):
        x, y = med.get(a, {}).get(key), med.get(b, {}).get(key)
        return None if not x or not y else x / y
    for key, _ in METRICS:
        for a, b in (("ringshift virtio", "host buffered"), ("ringshift virtio", "qemu virtio"),
                     ("ringshift ide", "qemu ide")):
            v = r(a, b, key)
            if v is not None:
                out.append("- %s: %s / %s = %.2f" % (key, a, b, v))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("ringshift", nargs="?", default=os.path.join(REPO, "build"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mib", type=int, default=64, help="MiB written and read sequentially")
    ap.add_argument("--reads", type=int, default=20000, help="random 4 KiB reads")
    ap.add_argument("--no-qemu", action="store_true")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--cache", default=None)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    args.mib_image = args.mib + 16
    binary = args.ringshift
    if os.path.isdir(binary):
        binary = os.path.join(binary, "ringshift")
    workdir = tempfile.mkdtemp(prefix="rs-bench-disk.")
    extra = os.path.join(workdir, "extra")
    os.makedirs(extra)
    prog = build_diskbench(extra)
    with open(os.path.join(extra, "diskbench.sh"), "w") as f:
        f.write(GUEST_SCRIPT % {"runs": args.runs, "mib": args.mib, "reads": args.reads})
    bz, initrd, _ = rsguest.make_initramfs(extra, os.path.join(workdir, "initramfs.cpio.gz"),
                                           cache=args.cache, disk_modules=True)
    cols = host_runs(prog, workdir, args)
    vmms = [("ringshift", binary)] + ([] if args.no_qemu else [("qemu", None)])
    for vmm, b in vmms:
        for iface in ("ide", "virtio"):
            cols["%s %s" % (vmm, iface)] = guest_run(vmm, b, bz, initrd, iface, workdir, args)
    order = ["host O_DIRECT", "host buffered", "ringshift ide", "ringshift virtio", "qemu ide", "qemu virtio"]
    text, med = table(cols, order)
    header = ("Disk benchmark, %s, %s, %d CPUs; medians of %d runs, %d MiB sequential, %d random "
              "4 KiB reads, 128 MiB guests.\n\n" % (time.strftime("%Y-%m-%d"), platform.node() or "host",
                                                    os.cpu_count() or 0, args.runs, args.mib, args.reads))
    report = header + text + "\n\n" + ratios(med) + "\n"
    print(report)
    out = args.out or (os.path.join(HERE, "RESULTS.md") if all(cols.get(c) for c in order) else None)
    if out:
        with open(out, "w") as f:
            f.write("# Disk I/O: ringshift, QEMU TCG and the host\n\n" + report)
        rsguest.note("written to " + out)


if __name__ == "__main__":
    main()
