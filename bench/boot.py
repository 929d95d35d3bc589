#!/usr/bin/env python3
"""Linux boot benchmark: boots the default Linux guest (Debian 12's i386 kernel and the
busybox initramfs of guests/linux/fetch.sh, with a check script that only exits, so /init
powers off at once) several times under ringshift and under qemu-system-i386 -accel tcg,
with the same kernel, initramfs, command line and RAM, and reports medians of
  boot-to-init  the guest's uptime when /init starts (its banner line
                "ringshift-guest: init started (uptime X s, ...)"), guest time
  wall          host wall time from starting the VMM to its exit after the power-off
and QEMU's time divided by ringshift's (above 1: ringshift is faster).

Usage: bench/boot.py [RINGSHIFT | BUILD_DIR] [--runs N] [--json FILE] [--no-qemu]
                     [--no-ringshift] [--cache DIR] [--timeout S]
RINGSHIFT is the ringshift executable; given a build directory (default build),
BUILD_DIR/ringshift is used. Installs qemu-system-x86 with apt-get when it is missing
(as root). Exit status 1 if any boot failed."""
import argparse
import json
import shutil
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "test", "linux"))
import rsguest  # noqa: E402

CHECK = "/rs/off.sh"


def boot_once(cmd, timeout):
    """Returns (uptime at init, wall seconds) or raises rsguest.Error."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
    except subprocess.TimeoutExpired as e:
        lines = (e.stdout or b"").decode("utf-8", "replace").splitlines()
        raise rsguest.Error("no exit within %.0f s; last output:\n%s" % (timeout, rsguest.tail(lines, 10)))
    wall = time.perf_counter() - t0
    lines = p.stdout.decode("utf-8", "replace").replace("\r", "").splitlines()
    uptime = rsguest.uptime_at_init(lines)
    bad = rsguest.trouble(lines)
    if p.returncode != 0 or uptime is None or bad or "ringshift-guest: check exited with status 0" not in lines:
        why = "exit status %d" % p.returncode
        if uptime is None:
            why += ", no init banner"
        if bad:
            why += ", kernel trouble: " + " | ".join(bad[:3])
        raise rsguest.Error("%s; last output:\n%s" % (why, rsguest.tail(lines, 10)))
    return uptime, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ringshift", nargs="?", default="build", help="ringshift executable or build directory")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--no-qemu", action="store_true")
    ap.add_argument("--no-ringshift", action="store_true")
    ap.add_argument("--cache", help="guest cache directory (default guests/linux/cache)")
    ap.add_argument("--timeout", type=float, default=180, help="seconds per boot (default 180)")
    args = ap.parse_args()

    rs = args.ringshift
    if os.path.isdir(rs):
        rs = os.path.join(rs, "ringshift")
    vmms = []
    if not args.no_ringshift:
        if not os.access(rs, os.X_OK):
            sys.exit("bench/boot.py: no ringshift executable at %s (build first, or --no-ringshift)" % rs)
        vmms.append(("ringshift", os.path.abspath(rs)))
    if not args.no_qemu:
        try:
            vmms.append(("qemu", rsguest.ensure_qemu()))
        except rsguest.Error as e:
            sys.exit("bench/boot.py: %s (or --no-qemu)" % e)
    if not vmms:
        sys.exit("bench/boot.py: nothing to run")

    work = tempfile.mkdtemp(prefix="rs-bench-boot.")
    extra = os.path.join(work, "extra")
    os.makedirs(os.path.join(extra, "rs"))
    with open(os.path.join(extra, "rs", "off.sh"), "w") as f:
        f.write("# bench/boot.py: nothing to check; /init powers off\nexit 0\n")
    try:
        bz, initrd, kernel = rsguest.make_initramfs(extra, os.path.join(work, "initramfs.cpio.gz"), args.cache)
    except rsguest.Error as e:
        sys.exit("bench/boot.py: %s" % e)
    append = rsguest.kernel_append(CHECK)
    print("bench/boot: %s, %d MiB, %d runs each, append %r" % (kernel, rsguest.MEMORY_MIB, args.runs, append),
          flush=True)

    results, failed = {}, False
    for name, binary in vmms:
        cmd = rsguest.vmm_command(name, binary, bz, initrd, append)
        ups, walls = [], []
        for i in range(args.runs):
            try:
                up, wall = boot_once(cmd, args.timeout)
            except rsguest.Error as e:
                print("  %-9s run %d FAILED: %s" % (name, i + 1, e), flush=True)
                failed = True
                break
            ups.append(up)
            walls.append(wall)
            print("  %-9s run %d: boot-to-init %6.2f s  wall %6.2f s" % (name, i + 1, up, wall), flush=True)
        if ups:
            results[name] = {"runs": len(ups), "boot_to_init_s": statistics.median(ups),
                             "wall_s": statistics.median(walls), "boot_to_init_all": ups, "wall_all": walls}

    print("bench/boot: medians")
    for name, r in results.items():
        print("  %-9s boot-to-init %6.2f s  wall to exit %6.2f s  (%d runs)"
              % (name, r["boot_to_init_s"], r["wall_s"], r["runs"]))
    if "ringshift" in results and "qemu" in results:
        q, s = results["qemu"], results["ringshift"]
        ratio = {"boot_to_init": q["boot_to_init_s"] / s["boot_to_init_s"], "wall": q["wall_s"] / s["wall_s"]}
        results["qemu_over_ringshift"] = ratio
        print("  QEMU/ringshift: boot-to-init %.2fx  wall %.2fx  (above 1: ringshift faster)"
              % (ratio["boot_to_init"], ratio["wall"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"kernel": kernel, "memory_mib": rsguest.MEMORY_MIB, "append": append, "results": results,
                       "complete": not failed}, f, indent=2)
            f.write("\n")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
