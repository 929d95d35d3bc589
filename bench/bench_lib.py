"""Shared parts of the workload benchmark (bench/run_all.py, bench/real_workloads.py):
installing what is missing, the RESULT lines the workloads print, the idlest CPU for the
pinned native runs, booting a VMM with its console on a pipe while its peak RSS is
sampled, the figures ringshift's --stats prints at exit, and what the host charges for
the operations shadow paging is made of (bench/host_costs.c). Python 3 standard library
only."""
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RESULT = re.compile(r"RESULT name=(\S+) ns_per_op=([0-9.]+) ops=(\d+) total_s=([0-9.]+)")
FAILED = re.compile(r"RESULT name=(\S+) error=(\S+)")
CLOCKSOURCE = re.compile(r"clocksource: Switched to clocksource (\S+)")
# ringshift --stats at exit (src/main.cpp print_stats): blocks translated, and the time
# spent translating them.
RS_STATS = re.compile(r"ringshift stats: blocks=(\d+) guest_insns=(\d+)")
RS_TRANSLATE = re.compile(r"ringshift translation: .*\btranslate_ms=([0-9.]+)")
# The median block's translation time (the target is a median: a few blocks that meet a
# fresh huge page move the mean, not it).
RS_MEDIAN = re.compile(r"ringshift translation per block \(ns\): median=([0-9.]+)")


def note(msg):
    print("bench/run_all: " + msg, flush=True)


def apt_install(pkgs):
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    note("apt-get update && apt-get install -y " + " ".join(pkgs))
    subprocess.run(["apt-get", "update"], env=env)
    return subprocess.run(["apt-get", "install", "-y"] + pkgs, env=env).returncode == 0



def ensure_qemu():
    q = shutil.which("qemu-system-i386")
    if q:
        return q
    note("qemu-system-i386 not found: installing qemu-system-x86")
    apt_install(["qemu-system-x86"])
    q = shutil.which("qemu-system-i386")
    if not q:
        sys.exit("bench/run_all: qemu-system-i386 is not installed (apt-get install -y qemu-system-x86, or --no-qemu)")
    return q



def ensure_gcc_m32(tmp):
    src = os.path.join(tmp, "probe.c")
    with open(src, "w") as f:
        f.write("#include <stdio.h>\nint main(void) { puts(\"ok\"); return 0; }\n")
    cmd = ["gcc", "-m32", "-O2", "-static", "-o", os.path.join(tmp, "probe"), src]
    for attempt in range(2):
        if shutil.which("gcc") and subprocess.run(cmd, stdout=subprocess.DEVNULL,
                                                  stderr=subprocess.DEVNULL).returncode == 0:
            return
        if attempt == 0:
            note("gcc -m32 -static does not work: installing gcc-multilib")
            apt_install(["gcc", "gcc-multilib"])
    sys.exit("bench/run_all: gcc -m32 -static cannot build a program (apt-get install -y gcc gcc-multilib)")


def vmm_paths(ringshift, no_ringshift, no_qemu):
    """The ringshift executable (RINGSHIFT, or RINGSHIFT/ringshift for a build directory)
    and qemu-system-i386, installed when missing; None for those not to run."""
    rs = ringshift
    if os.path.isdir(rs):
        rs = os.path.join(rs, "ringshift")
    rs = None if no_ringshift else os.path.abspath(rs)
    if rs and not os.access(rs, os.X_OK):
        sys.exit("bench/run_all: no ringshift executable at %s (build first, or --no-ringshift)" % rs)
    return rs, None if no_qemu else ensure_qemu()


def parse_results(lines):
    """{workload: [ns_per_op, ...]}, {workload: [error, ...]} from RESULT lines."""
    got, errors = {}, {}
    for line in lines:
        m = RESULT.search(line)
        if m:
            got.setdefault(m.group(1), []).append(float(m.group(2)))
            continue
        m = FAILED.search(line)
        if m:
            errors.setdefault(m.group(1), []).append(m.group(2))
    return got, errors



def cpu_times():
    with open("/proc/stat") as f:
        return {int(l.split()[0][3:]): [int(x) for x in l.split()[1:]] for l in f
                if l.startswith("cpu") and l[3].isdigit()}


def idlest_cpu():
    """The allowed CPU with the most idle time over the last 0.1 s (other work on the
    machine should hurt the native runs no more than the VMMs, which are not pinned)."""
    allowed = os.sched_getaffinity(0)
    a = cpu_times()
    time.sleep(0.1)
    b = cpu_times()
    idle = {c: (b[c][3] + b[c][4]) - (a[c][3] + a[c][4]) for c in b if c in a and c in allowed}
    return max(sorted(idle), key=lambda c: idle[c]) if idle else sorted(allowed)[0]


# Workloads of more than one process: natively they run pinned to one CPU, as in the


def watch_hwm(pid, box, stop):
    """Peak RSS (VmHWM, a high-water mark, so sampling it misses nothing but the
    last interval) of the running VMM in KiB, in box[0]; in box[1] the largest sampled
    RssAnon + RssFile, the VMM's memory without shared-memory mappings (ringshift keeps
    guest RAM in a memfd and maps a guest page once per shadow window that uses it, and
    VmHWM counts every such mapping; QEMU's guest RAM is anonymous, so it stays in)."""
    while not stop.is_set():
        try:
            with open("/proc/%d/status" % pid) as f:
                private = 0
                for line in f:
                    if line.startswith("VmHWM:"):
                        box[0] = max(box[0], int(line.split()[1]))
                    elif line.startswith("RssAnon:") or line.startswith("RssFile:"):
                        private += int(line.split()[1])
                box[1] = max(box[1], private)
        except (OSError, ValueError):
            return
        stop.wait(0.05)


def boot(cmd, timeout, log_path):
    """Runs the VMM to its exit. Returns dict: lines, status, wall_s, peak_rss_kib."""
    t0 = time.perf_counter()
    with open(log_path, "w") as log:
        log.write("$ %s\n" % " ".join(cmd))
        log.flush()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        hwm, stop = [0, 0], threading.Event()
        w = threading.Thread(target=watch_hwm, args=(p.pid, hwm, stop), daemon=True)
        w.start()
        chunks, timed_out, marks, seen = [], [False], {}, b""

        def kill():
            timed_out[0] = True
            p.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        for chunk in iter(lambda: p.stdout.read1(65536), b""):
            chunks.append(chunk)
            seen = seen[-64:] + chunk
            for m in (b"BENCH-CLOCK start", b"BENCH-CLOCK end"):
                if m in seen and m not in marks:
                    marks[m] = time.perf_counter()
            log.write(chunk.decode("utf-8", "replace").replace("\r", ""))
            log.flush()
        _, status, ru = os.wait4(p.pid, 0)
        timer.cancel()
        stop.set()
        w.join()
        wall = time.perf_counter() - t0
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r", "")
    # ru_maxrss also counts the forked Python before exec; VmHWM is the VMM's own.
    rss = hwm[0] or ru.ru_maxrss
    host_span = None
    if len(marks) == 2:
        host_span = marks[b"BENCH-CLOCK end"] - marks[b"BENCH-CLOCK start"]
    return {"lines": text.splitlines(), "status": os.waitstatus_to_exitcode(status), "wall_s": wall,
            "peak_rss_kib": rss, "peak_private_kib": hwm[1], "timed_out": timed_out[0], "host_span_s": host_span}



def rs_stats(lines):
    """{"blocks", "guest_insns", "translate_s"[, "median_block_us"]} from ringshift's --stats
    lines, or None."""
    out = {}
    for line in lines:
        m = RS_STATS.search(line)
        if m:
            out["blocks"], out["guest_insns"] = int(m.group(1)), int(m.group(2))
        m = RS_TRANSLATE.search(line)
        if m:
            out["translate_s"] = float(m.group(1)) / 1000.0
        m = RS_MEDIAN.search(line)
        if m:
            out["median_block_us"] = float(m.group(1)) / 1000.0
    return out if "blocks" in out and "translate_s" in out else None


def host_costs(bindir, runs):
    """Builds and runs bench/host_costs.c (x86-64) RUNS times: {name: median ns}."""
    out = os.path.join(bindir, "host_costs")
    p = subprocess.run(["gcc", "-O2", "-mfsgsbase", "-o", out, os.path.join(HERE, "host_costs.c")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        note("host_costs.c did not build: %s" % p.stdout.strip()[-200:])
        return {}
    got = {}
    for _ in range(max(1, runs)):
        r = subprocess.run([out], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for m in RESULT.finditer(r.stdout):
            got.setdefault(m.group(1), []).append(float(m.group(2)))
    return {k: statistics.median(v) for k, v in got.items()}
