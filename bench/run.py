#!/usr/bin/env python3
"""CPU-bound benchmark: the same i386 machine code run natively, under ringshift and
(when installed) under QEMU TCG, in one run on this machine. Reports medians, the
speed of ringshift relative to native (native_time / ringshift_time) and to QEMU, and
peak RSS (VmHWM, sampled). Usage: bench/run.py [BUILD_DIR] [--runs N]"""
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time


def watch_hwm(pid, name, box):
    # ru_maxrss from wait4 also counts the memory of the forked Python before exec, so
    # read the exec'd program's own high-water mark (VmHWM) while it runs.
    while True:
        try:
            with open(f"/proc/{pid}/status") as f:
                fields = dict(l.split(":", 1) for l in f if ":" in l)
            if fields.get("Name", "").strip() == name[:15] and "VmHWM" in fields:
                box[0] = max(box[0], int(fields["VmHWM"].split()[0]))
        except OSError:
            return
        time.sleep(0.02)


def run_many(name, cmd, runs, expect_status):
    times, rss, out0 = [], [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        hwm = [0]
        w = threading.Thread(target=watch_hwm, args=(p.pid, os.path.basename(cmd[0]), hwm), daemon=True)
        w.start()
        out = p.stdout.read()
        _, status, _ = os.wait4(p.pid, 0)
        times.append(time.perf_counter() - t0)
        w.join()
        rss.append(hwm[0])  # KiB, sampled every 20 ms
        code = os.waitstatus_to_exitcode(status)
        if code != expect_status:
            sys.exit(f"{name}: exit status {code}, expected {expect_status}")
        text = out.decode(errors="replace")
        checksum = [l for l in text.splitlines() if "checksum" in l]
        if out0 is None:
            out0 = checksum
        elif checksum != out0:
            sys.exit(f"{name}: output changed between runs")
    return statistics.median(times), max(rss), out0


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    runs = 5
    if "--runs" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1])
        args = [a for a in args if a != str(runs)]
    build = args[0] if args else "build"
    guest = os.path.join(build, "bench/guest/loop.elf")
    native = os.path.join(build, "bench/guest/loop.native")
    ringshift = os.path.join(build, "ringshift")
    for f in (guest, native, ringshift):
        if not os.path.exists(f):
            sys.exit(f"missing {f}: build first (cmake --build {build})")

    results = {}
    results["native"] = run_many("native", [native], runs, 0)
    results["ringshift"] = run_many("ringshift", [ringshift, "run", "-m", "32M", "--kernel", guest], runs, 1)
    qemu = shutil.which("qemu-system-i386")
    if qemu:
        results["qemu-tcg"] = run_many("qemu", [qemu, "-accel", "tcg", "-m", "32M", "-display", "none", "-serial", "stdio",
                                                "-monitor", "none", "-no-reboot",
                                                "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                                                "-kernel", guest], runs, 1)
    checksums = {k: v[2] for k, v in results.items()}
    if len({tuple(c) for c in checksums.values()}) != 1:
        sys.exit(f"checksums differ: {checksums}")

    nat = results["native"][0]
    print(f"bench/loop: {runs} runs each, median wall time, peak RSS (guest RAM 32 MiB, touched pages count)")
    for k, (t, rss, _) in results.items():
        line = f"  {k:10s} {t:7.3f} s  speed vs native {nat / t:5.3f}x  peak RSS {rss / 1024:6.1f} MiB"
        if k != "qemu-tcg" and "qemu-tcg" in results:
            line += f"  vs QEMU {results['qemu-tcg'][0] / t:5.2f}x faster"
        print(line)
    if "qemu-tcg" not in results:
        print("  (qemu-system-i386 not installed: apt-get install -y qemu-system-x86 to compare)")


if __name__ == "__main__":
    main()
