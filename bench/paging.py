#!/usr/bin/env python3
"""Paging benchmark: runs bench/guest/paging.elf (see its header) under ringshift and,
when installed, under qemu-system-i386 -accel tcg, several times each; converts the
guest's TSC cycle counts to microseconds with the guest's own PIT calibration and
prints medians:
  fill   us per first read of a fresh linear page (already mapped by the guest:
         the VMM's shadow fill), and per first write of one
  reread us per page when all N (65536) pages are read a second time (refills if the
         VMM keeps fewer host mappings than that)
  hot    us per read of a filled 4096-page working set (the baseline)
  switch us per MOV-to-CR3 context switch (+ reads of 4 pages in the new space)
  pf     us per guest page fault round trip (#PF -> guest handler maps -> restart)

Usage: bench/paging.py [RINGSHIFT | BUILD_DIR] [--elf PAGING.elf] [--runs N]
                       [--no-qemu] [--qemu PATH] [--timeout S]
RINGSHIFT is the ringshift executable; given a build directory, BUILD_DIR/ringshift
is used. The guest defaults to bench/guest/paging.elf in the build directory (or next
to the executable's directory)."""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys

KV = re.compile(r"^([a-z_0-9]+)=([0-9]+)\s*$")

# (name, cycles key, count key, label)
METRICS = [
    ("fill_read", "fill_read_cycles", "fill_pages", "us per page, first read (shadow fill)"),
    ("fill_write", "fill_write_cycles", "fill_pages", "us per page, first write"),
    ("reread", "reread_cycles", "fill_pages", "us per page, all N pages read again"),
    ("hot_read", "hot_read_cycles", "hot_reads", "us per read, 4096-page filled working set"),
    ("switch", "switch_cycles", "switch_count", "us per CR3 switch (+ 4 page reads)"),
    ("pf", "pf_cycles", "pf_count", "us per guest #PF round trip"),
]


def run_once(name, cmd, timeout):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        sys.exit(f"{name}: timed out after {timeout} s: {' '.join(cmd)}")
    out = p.stdout.decode(errors="replace")
    if p.returncode != 1 or "RESULT: PASS" not in out:
        sys.stderr.write(out[-2000:] + p.stderr.decode(errors="replace")[-2000:])
        sys.exit(f"{name}: exit status {p.returncode} (expected 1 = guest PASS): {' '.join(cmd)}")
    kv = {}
    for line in out.splitlines():
        m = KV.match(line.strip())
        if m:
            kv[m.group(1)] = int(m.group(2))
    for _, cyc, cnt, _ in METRICS:
        if cyc not in kv or cnt not in kv:
            sys.exit(f"{name}: missing {cyc} or {cnt} in the guest output")
    if not kv.get("tsc_cal_cycles") or not kv.get("tsc_cal_us"):
        sys.exit(f"{name}: no TSC calibration in the guest output")
    tsc_hz = kv["tsc_cal_cycles"] / (kv["tsc_cal_us"] / 1e6)
    res = {"tsc_mhz": tsc_hz / 1e6}
    for metric, cyc, cnt, _ in METRICS:
        res[metric] = kv[cyc] / kv[cnt] / tsc_hz * 1e6
    return res


def run_many(name, cmd, runs, timeout):
    results = [run_once(name, cmd, timeout) for _ in range(runs)]
    return {k: statistics.median(r[k] for r in results) for k in results[0]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ringshift", nargs="?", default="build",
                    help="ringshift executable or build directory (default: build)")
    ap.add_argument("--elf", help="the paging benchmark guest (default: <build>/bench/guest/paging.elf)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--no-qemu", action="store_true", help="do not run QEMU")
    ap.add_argument("--qemu", default=shutil.which("qemu-system-i386"), help="qemu-system-i386 to compare with")
    args = ap.parse_args()

    if os.path.isdir(args.ringshift):
        build = args.ringshift
        ringshift = os.path.join(build, "ringshift")
    else:
        ringshift = args.ringshift
        build = os.path.dirname(os.path.abspath(ringshift))
    elf = args.elf or os.path.join(build, "bench/guest/paging.elf")
    for f in (ringshift, elf):
        if not os.path.exists(f):
            sys.exit(f"missing {f}: build first (cmake --build BUILD_DIR), or pass --elf")

    results = {}
    results["ringshift"] = run_many("ringshift", [ringshift, "run", "-m", "64M", "--kernel", elf],
                                    args.runs, args.timeout)
    if args.qemu and not args.no_qemu:
        results["qemu-tcg"] = run_many("qemu", [args.qemu, "-accel", "tcg", "-m", "64M", "-display", "none",
                                                "-serial", "stdio", "-monitor", "none", "-no-reboot",
                                                "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                                                "-kernel", elf], args.runs, args.timeout)

    names = list(results)
    print(f"bench/paging: {args.runs} runs each, medians, microseconds (TSC calibrated on the guest's PIT)")
    print(f"  {'':44s}" + "".join(f"{n:>12s}" for n in names))
    for metric, _, _, label in METRICS:
        print(f"  {label:44s}" + "".join(f"{results[n][metric]:12.3f}" for n in names))
    print(f"  {'guest TSC (MHz)':44s}" + "".join(f"{results[n]['tsc_mhz']:12.0f}" for n in names))
    if "qemu-tcg" not in results and not args.no_qemu:
        print("  (qemu-system-i386 not installed: apt-get install -y qemu-system-x86 to compare)")


if __name__ == "__main__":
    main()
