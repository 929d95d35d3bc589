#!/usr/bin/env python3
"""Workload benchmark: native i386 vs ringshift vs qemu-system-i386 -accel tcg, one run.

Builds the workloads of bench/workloads/*.c (gcc -m32 -O2 -static), runs each natively
on this machine (pinned to one CPU, as the guest has one), then puts them into the Debian
guest's busybox initramfs (guests/linux/fetch.sh --extra) with a script that runs every
workload RUNS times, and boots that once under ringshift and once under QEMU TCG with the
same kernel, initramfs, command line and RAM. Each workload times itself with
clock_gettime(CLOCK_MONOTONIC) and prints
    RESULT name=<workload> ns_per_op=<float> ops=<n> total_s=<float>
Inside a VM that is the guest kernel's clock, which ringshift and QEMU both drive from the
host's clock. Also measured per VMM: boot-to-init (the guest's uptime in /init's banner,
as bench/boot.py; median of RUNS boots), wall time from start to power-off of the
workload boot, and peak RSS of the VMM process minus guest RAM.

With the native runs it also measures what the host charges for the operations ringshift's
memory virtualization uses (bench/host_costs.c: a fault signal, mmap/mprotect of a page,
a first touch, WRGSBASE, FXSAVE), which bound the kernel-heavy workloads from below.

Output: a table of medians and ratios (ringshift/native, QEMU/native, QEMU/ringshift;
times, so above 1 means slower than the reference), OUT_DIR/results.json, OUT_DIR/
results.svg (ratios to native, log scale), the guest consoles in OUT_DIR/*.console.txt,
and, unless --quick or --no-record, bench/RESULTS.md and bench/results.svg.

Usage: bench/run_all.py [RINGSHIFT | BUILD_DIR] [--runs N] [--quick] [--no-qemu]
                        [--no-ringshift] [--no-native] [--only W,W] [--out-dir DIR]
                        [--vmm-arg ARG]... [--cache DIR] [--flavour 686|686-pae] [--timeout S]
                        [--record | --no-record]
RINGSHIFT is the ringshift executable; given a build directory (default build),
BUILD_DIR/ringshift is used. Installs qemu-system-x86 (and gcc-multilib when gcc -m32
cannot link a static program) with apt-get when missing. Exit status 1 if anything failed.
Python 3 standard library only."""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "test", "linux"))
import rsguest  # noqa: E402

WORKLOAD_DIR = os.path.join(HERE, "workloads")
MEMORY_MIB = rsguest.MEMORY_MIB

# name, kind, OPS of a full run, OPS of --quick, extra gcc flags, unit of one op.
# OPS are sized for roughly 0.2-0.8 s natively on a current x86 core and at most ~10-15 s
# under either VMM (QEMU is up to ~50x slower on x87, ringshift ~40x on fork), so a full
# run (3 ways x 3 runs) takes about ten minutes.
WORKLOADS = [
    ("int", "cpu", 40000000, 8000000, [], "byte of CRC-32 + hash"),
    ("mem", "cpu", 4000000, 1000000, [], "dependent random load in 32 MiB"),
    ("x87", "cpu", 50000000, 10000000, ["-mfpmath=387", "-fno-math-errno"], "long double series term"),
    ("sse", "cpu", 300000000, 60000000, ["-msse2", "-mfpmath=sse"], "float/double element"),
    ("string", "cpu", 400000, 80000, [], "4 KiB memcpy+strlen+strcmp"),
    ("indirect", "cpu", 60000000, 12000000, [], "indirect call"),
    ("syscall", "kernel", 2000000, 400000, [], "getppid system call"),
    ("fork_wait", "kernel", 3000, 600, [], "fork + exit + wait"),
    ("fork_exec", "kernel", 1000, 200, [], "fork + exec busybox true + wait"),
    ("pagefault", "kernel", 200000, 40000, [], "fault on a fresh anonymous page"),
    ("pipe", "kernel", 100000, 20000, [], "pipe round trip"),
    ("ctxsw", "kernel", 400000, 80000, [], "context switch (sched_yield)"),
    ("shell", "shell", 400000, 80000, [], "busybox sh loop iteration"),
]
WL = {w[0]: w for w in WORKLOADS}
RESULT = re.compile(r"RESULT name=(\S+) ns_per_op=([0-9.]+) ops=(\d+) total_s=([0-9.]+)")
FAILED = re.compile(r"RESULT name=(\S+) error=(\S+)")
CLOCKSOURCE = re.compile(r"clocksource: Switched to clocksource (\S+)")
GUEST_DIR = "/rs/bench"
CHECK = "/rs/bench.sh"
OFF = "/rs/off.sh"


def note(msg):
    print("bench/run_all: " + msg, flush=True)


def apt_install(pkgs):
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    note("apt-get update && apt-get install -y " + " ".join(pkgs))
    subprocess.run(["apt-get", "update"], env=env)
    return subprocess.run(["apt-get", "install", "-y"] + pkgs, env=env).returncode == 0


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


def build(names, bindir):
    os.makedirs(bindir, exist_ok=True)
    for name in names:
        flags = WL[name][4]
        out = os.path.join(bindir, name)
        cmd = ["gcc", "-m32", "-O2", "-static", "-Wall", "-Wextra"] + flags + [
            "-I", WORKLOAD_DIR, "-o", out, os.path.join(WORKLOAD_DIR, name + ".c")]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            sys.exit("bench/run_all: building %s failed:\n%s" % (name, p.stdout))
    return bindir


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


# ---------------------------------------------------------------- native


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
# one-CPU guest (otherwise the two sides of a pipe would run in parallel on two CPUs).
# Single-process workloads are left to the scheduler, like the VMM processes.
PINNED = {"fork_wait", "fork_exec", "pipe", "ctxsw", "shell"}


def run_native(names, ops, runs, bindir, busybox):
    """Each workload RUNS times on the host; the multi-process ones pinned to one CPU (the
    idlest at the start of the run). Returns ({w: [ns]}, {w: [err]})."""
    got, errors = {}, {}
    for name in names:
        cmd = [os.path.join(bindir, name), str(ops[name])]
        if name in ("fork_exec", "shell"):
            cmd.append(busybox)
        for _ in range(runs):
            pin = None
            if name in PINNED:
                cpu = idlest_cpu()
                pin = lambda: os.sched_setaffinity(0, {cpu})  # noqa: E731
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=pin)
            g, _ = parse_results(p.stdout.splitlines())
            if p.returncode != 0 or name not in g:
                errors.setdefault(name, []).append("status %d: %s" % (p.returncode, p.stdout.strip()[-200:]))
                continue
            got.setdefault(name, []).extend(g[name])
        if name in got:
            note("  native    %-10s %12.1f ns/op (median of %d)" % (name, statistics.median(got[name]),
                                                                      len(got[name])))
    return got, errors


# ---------------------------------------------------------------- guests


def guest_script(names, ops, runs):
    lines = ["# bench/run_all.py: runs every workload %d times, then /init powers off" % runs,
             'echo "=== bench begin"',
             'read -r up _ </proc/uptime; echo "BENCH-CLOCK start $up"']
    for name in names:
        lines.append("for r in %s; do" % " ".join(str(i + 1) for i in range(runs)))
        lines.append("    %s/%s %d || echo \"RESULT name=%s error=status$?\"" % (GUEST_DIR, name, ops[name], name))
        lines.append("done")
    lines += ['read -r up _ </proc/uptime; echo "BENCH-CLOCK end $up"',
              'echo "=== bench end"', "exit 0", ""]
    return "\n".join(lines)


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


def run_vmm(vmm, cmd_for, names, runs, timeout, out_dir):
    """One boot running all workloads, then RUNS-1 boots that only power off (for the
    median boot-to-init). Returns the VMM's result dict."""
    res = {"workloads": {}, "errors": {}, "boot_to_init_all": [], "problems": []}
    cmd = cmd_for(CHECK)
    note("%s: booting the guest to run %d workloads x %d: %s" % (vmm, len(names), runs, " ".join(cmd)))
    b = boot(cmd, timeout, os.path.join(out_dir, "%s.console.txt" % vmm))
    lines = b["lines"]
    up = rsguest.uptime_at_init(lines)
    got, errors = parse_results(lines)
    res.update({"command": cmd, "status": b["status"], "wall_s": b["wall_s"], "peak_rss_kib": b["peak_rss_kib"],
                "peak_rss_minus_ram_mib": b["peak_rss_kib"] / 1024.0 - MEMORY_MIB,
                "peak_private_mib": b["peak_private_kib"] / 1024.0})
    # The guest clock check: guest uptime across the workloads vs host time between the
    # two marker lines reaching us (serial output; close to 1 if the guest clock is real time).
    span = {}
    for line in lines:
        m = re.search(r"BENCH-CLOCK (start|end) ([0-9.]+)", line)
        if m:
            span[m.group(1)] = float(m.group(2))
    if len(span) == 2 and b["host_span_s"]:
        res["guest_over_host_clock"] = (span["end"] - span["start"]) / b["host_span_s"]
        note("  %-9s guest clock check: %.2f s guest uptime over %.2f s host time (ratio %.4f)"
             % (vmm, span["end"] - span["start"], b["host_span_s"], res["guest_over_host_clock"]))
    cs = [m.group(1) for m in map(CLOCKSOURCE.search, lines) if m]
    res["guest_clocksource"] = cs[-1] if cs else None
    if up is not None:
        res["boot_to_init_all"].append(up)
    if b["timed_out"]:
        res["problems"].append("no exit within %.0f s" % timeout)
    if b["status"] != 0:
        res["problems"].append("exit status %d" % b["status"])
    if "=== bench end" not in lines:
        res["problems"].append("the guest script did not finish (no '=== bench end')")
    bad = rsguest.trouble(lines)
    if bad:
        res["problems"].append("kernel trouble: " + " | ".join(bad[:5]))
    for name in names:
        if name in got:
            res["workloads"][name] = got[name]
        if name in errors or len(got.get(name, [])) != runs:
            res["errors"][name] = errors.get(name, []) + (
                ["%d of %d results" % (len(got.get(name, [])), runs)] if len(got.get(name, [])) != runs else [])
    for name in names:
        if name in got:
            note("  %-9s %-10s %12.1f ns/op (median of %d)" % (vmm, name, statistics.median(got[name]),
                                                                 len(got[name])))
        else:
            note("  %-9s %-10s FAILED %s" % (vmm, name, res["errors"].get(name)))
    note("  %-9s wall %.1f s, boot-to-init %s s, peak RSS %.1f MiB, exit status %d"
         % (vmm, b["wall_s"], up, b["peak_rss_kib"] / 1024.0, b["status"]))
    if res["problems"]:
        res["console_tail"] = lines[-25:]
        note("  %s PROBLEMS: %s; console tail:\n%s" % (vmm, "; ".join(res["problems"]), rsguest.tail(lines, 25)))
    for i in range(runs - 1):
        b2 = boot(cmd_for(OFF), min(timeout, 300), os.path.join(out_dir, "%s.boot%d.console.txt" % (vmm, i + 2)))
        up2 = rsguest.uptime_at_init(b2["lines"])
        if up2 is None or b2["status"] != 0:
            res["problems"].append("boot-only run %d: exit status %d, init banner %s"
                                   % (i + 2, b2["status"], "seen" if up2 is not None else "missing"))
        else:
            res["boot_to_init_all"].append(up2)
            note("  %-9s boot-only run %d: boot-to-init %.2f s, wall %.2f s" % (vmm, i + 2, up2, b2["wall_s"]))
    res["boot_to_init_s"] = statistics.median(res["boot_to_init_all"]) if res["boot_to_init_all"] else None
    return res


# ---------------------------------------------------------------- report


def machine_info(qemu, ringshift):
    info = {"date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
            "cpu": "?", "cores": os.cpu_count(), "kernel": platform.release(), "host": platform.machine()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            info["mem_total"] = f.readline().split(":", 1)[1].strip()
    except OSError:
        pass
    info["loadavg_at_start"] = " ".join(open("/proc/loadavg").read().split()[:3])
    info["gcc"] = subprocess.run(["gcc", "--version"], stdout=subprocess.PIPE, text=True).stdout.splitlines()[0]
    if qemu:
        info["qemu"] = subprocess.run([qemu, "--version"], stdout=subprocess.PIPE, text=True).stdout.splitlines()[0]
    if ringshift:
        info["ringshift"] = subprocess.run([ringshift, "--version"], stdout=subprocess.PIPE,
                                           text=True).stdout.strip()
        info["ringshift_path"] = ringshift
    try:
        info["git"] = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                                     text=True).stdout.strip()
        if subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "bench/run_all.py", "bench/workloads"],
                          stdout=subprocess.PIPE, text=True).stdout.strip():
            info["git"] += " + uncommitted changes to bench/"
    except OSError:
        pass
    return info


def ratio(a, b):
    return a / b if a is not None and b else None


def make_rows(names, native, vmms):
    """One row per workload, then boot-to-init, wall and memory. Values in the unit."""
    def med(d, w):
        v = d.get(w)
        return statistics.median(v) if v else None

    rows = []
    for name in names:
        n = med(native, name)
        s = med(vmms.get("ringshift", {}).get("workloads", {}), name)
        q = med(vmms.get("qemu", {}).get("workloads", {}), name)
        rows.append({"name": name, "kind": WL[name][1], "unit": "ns/op", "what": WL[name][5],
                     "native": n, "ringshift": s, "qemu": q})
    extra = [("boot-to-init", "s", "boot_to_init_s", "guest uptime at /init"),
             ("wall to poweroff", "s", "wall_s", "whole workload boot"),
             ("peak RSS - guest RAM", "MiB", "peak_rss_minus_ram_mib", "VMM process, %d MiB guest" % MEMORY_MIB),
             ("peak RssAnon+RssFile", "MiB", "peak_private_mib", "without shared-memory mappings")]
    for label, unit, key, what in extra:
        rows.append({"name": label, "kind": "vmm", "unit": unit, "what": what, "native": None,
                     "ringshift": vmms.get("ringshift", {}).get(key), "qemu": vmms.get("qemu", {}).get(key)})
    for r in rows:
        r["ringshift_over_native"] = ratio(r["ringshift"], r["native"])
        r["qemu_over_native"] = ratio(r["qemu"], r["native"])
        r["qemu_over_ringshift"] = ratio(r["qemu"], r["ringshift"]) if r["kind"] != "vmm" or r["unit"] == "s" \
            else None
    return rows


def fmt(v, unit=None):
    if v is None:
        return "-"
    if unit == "MiB":
        return "%.1f" % v
    if abs(v) >= 1000:
        return "%.0f" % v
    if abs(v) >= 10:
        return "%.1f" % v
    return "%.2f" % v


def fmt_ratio(v):
    return "-" if v is None else ("%.1fx" % v if v >= 10 else "%.2fx" % v)


def table_lines(rows, markdown):
    head = ["workload", "unit", "native", "ringshift", "QEMU", "ringshift/native", "QEMU/native", "QEMU/ringshift"]
    body = [[r["name"], r["unit"], fmt(r["native"], r["unit"]), fmt(r["ringshift"], r["unit"]),
             fmt(r["qemu"], r["unit"]), fmt_ratio(r["ringshift_over_native"]), fmt_ratio(r["qemu_over_native"]),
             fmt_ratio(r["qemu_over_ringshift"])] for r in rows]
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * 6) + "|"]
        out += ["| " + " | ".join(b) + " |" for b in body]
        return out
    widths = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    line = lambda cells: "  ".join(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(cells))
    return [line(head), "  ".join("-" * w for w in widths)] + [line(b) for b in body]


def svg_chart(rows, info, title):
    """Grouped horizontal bars: ringshift/native and QEMU/native per workload, log x."""
    import math
    data = [r for r in rows if r["kind"] != "vmm" and (r["ringshift_over_native"] or r["qemu_over_native"])]
    series = [("ringshift_over_native", "ringshift / native", "#1f77b4"),
              ("qemu_over_native", "QEMU TCG / native", "#ff7f0e")]
    vals = [r[k] for r in data for k, _, _ in series if r[k]]
    lo = 10 ** math.floor(math.log10(min(vals + [1.0]) * 0.9))
    hi = 10 ** math.ceil(math.log10(max(vals + [10.0]) * 1.1))
    left, right, top, bar, gap = 110, 70, 70, 13, 12
    plot_w = 620
    group_h = bar * len(series) + gap
    height = top + group_h * len(data) + 70
    width = left + plot_w + right
    x = lambda v: left + plot_w * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
           'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">' % (width, height, width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>' % (left, esc(title)),
           '<text x="%d" y="40" font-size="11" fill="#555">time relative to native i386 on the same host '
           '(log scale; 1 = native speed, lower is better)</text>' % left,
           '<text x="%d" y="54" font-size="11" fill="#555">%s</text>' % (left, esc(info))]
    bottom = top + group_h * len(data)
    d = int(math.log10(lo))
    while 10 ** d <= hi:
        for m in (1, 2, 5):
            v = m * 10 ** d
            if lo <= v <= hi:
                xv = x(v)
                major = m == 1
                out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="1"/>'
                           % (xv, top - 4, xv, bottom, "#bbb" if major else "#e5e5e5"))
                out.append('<text x="%.1f" y="%d" text-anchor="middle" fill="#333">%sx</text>'
                           % (xv, bottom + 16, ("%g" % v)))
        d += 1
    out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#000" stroke-width="1.5"/>'
               % (x(1), top - 4, x(1), bottom))
    for i, r in enumerate(data):
        y0 = top + i * group_h
        out.append('<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>'
                   % (left - 8, y0 + bar * len(series) / 2, esc(r["name"])))
        for j, (key, _, color) in enumerate(series):
            v = r[key]
            yb = y0 + j * bar
            if not v:
                out.append('<text x="%d" y="%.1f" font-size="10" fill="#a00" dominant-baseline="middle">'
                           'no result</text>' % (left + 4, yb + bar / 2))
                continue
            x0, x1 = x(lo), x(v)
            out.append('<rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="%s"/>'
                       % (x0, yb + 1, max(x1 - x0, 1), bar - 2, color))
            out.append('<text x="%.1f" y="%.1f" font-size="10" dominant-baseline="middle">%s</text>'
                       % (x1 + 4, yb + bar / 2, fmt_ratio(v)))
    ly = bottom + 36
    lx = left
    for _, label, color in series:
        out.append('<rect x="%d" y="%d" width="12" height="12" fill="%s"/>' % (lx, ly - 10, color))
        out.append('<text x="%d" y="%d">%s</text>' % (lx + 17, ly, esc(label)))
        lx += 170
    out.append("</svg>")
    return "\n".join(out) + "\n"


HOST_COSTS = [
    ("host_fault_signal", "a fault delivered as SIGSEGV (SA_ONSTACK) and the return from the handler"),
    ("host_mmap_page", "mmap(MAP_FIXED) of one memfd page into a reserved window (a shadow fill)"),
    ("host_first_touch", "first access to a freshly mapped page (a minor fault in the host)"),
    ("host_mmap_populate_page", "the same mmap with MAP_POPULATE (what a shadow fill does)"),
    ("host_populated_touch", "first access to a page mapped with MAP_POPULATE"),
    ("host_mprotect_page", "mprotect of one page"),
    ("host_unmap_page", "one page back to PROT_NONE anonymous"),
    ("host_wrgsbase_pair", "WRGSBASE, a load through GS, WRGSBASE"),
    ("host_fxsave_pair", "FXSAVE + FXRSTOR"),
]


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


def write_markdown(path, info, args_line, mode, rows, vmms, failures, runtime, svg_name, host=None):
    L = ["# ringshift workload benchmark results", "",
         "Generated by `bench/run_all.py` (%s). Regenerate with `%s`." % (mode, args_line), "",
         "- Date: %s" % info["date"],
         "- Machine: %s, %s cores, %s RAM, host kernel %s (%s); load average at start %s"
         % (info["cpu"], info["cores"], info.get("mem_total", "?"), info["kernel"], info["host"],
            info["loadavg_at_start"]),
         "- %s (`%s`); %s; %s; benchmark scripts at git %s"
         % (info.get("ringshift", "ringshift not run"), info.get("ringshift_path", "-"),
            info.get("qemu", "QEMU not run"), info["gcc"], info.get("git", "?")),
         "- Guest: Debian 12 i386 kernel + busybox initramfs (guests/linux/fetch.sh), %d MiB RAM, 1 CPU, "
         "the same kernel, initramfs and command line under both VMMs" % MEMORY_MIB,
         "- Guest clocksource: %s; guest uptime / host time across the workload run (clock check, "
         "1 = the guest clock keeps real time): %s"
         % (", ".join("%s %s" % (k, v.get("guest_clocksource")) for k, v in vmms.items()),
            ", ".join("%s %s" % (k, "%.4f" % v["guest_over_host_clock"] if v.get("guest_over_host_clock")
                                 else "?") for k, v in vmms.items())),
         "- Load average at the end: %s (other work on this 2-core machine adds noise)"
         % info.get("loadavg_at_end", "?"),
         "- Total run time of the benchmark: %.0f s" % runtime, ""]
    L += table_lines(rows, True)
    L += ["", "![ratios to native](%s)" % svg_name, "",
          "Ratios are times (ns per op, seconds): above 1 means slower than the reference. "
          "QEMU/ringshift above 1 means ringshift is faster than QEMU.", "",
          "## How it is measured", "",
          "- Every workload is a C program in `bench/workloads/` (gcc -m32 -O2 -static) that runs a fixed "
          "amount of work and times it itself with `clock_gettime(CLOCK_MONOTONIC)`, printing "
          "`RESULT name=... ns_per_op=...`. Each figure is the median of the runs.",
          "- Natively the same binaries run on the host; the multi-process workloads (fork_wait, "
          "fork_exec, pipe, ctxsw, shell) pinned to one CPU (the idlest at the start of the run) as the "
          "guest has one CPU, the others, like the VMM processes, not pinned. "
          "`fork_exec` and `shell` exec the guest's busybox binary natively too, so the exec'd program "
          "is identical.",
          "- In a VM the clock is the guest kernel's; ringshift and QEMU both drive it from the host's "
          "clock, so the guest-measured times are real (host) time. Setup outside the timed loop (e.g. "
          "building the 32 MiB chain of `mem`) is not counted.",
          "- One boot per VMM runs every workload and repetition (`/rs/bench.sh` via rs.check=); "
          "boot-to-init is the guest's uptime printed by /init (median of that boot and the extra "
          "boot-only boots), wall is the host time of the workload boot from start to power-off, peak "
          "RSS is the VMM process's VmHWM minus the guest RAM size (guest pages never touched are not "
          "resident, so this can be below the VMM's real overhead). VmHWM counts a shared page once per "
          "mapping: ringshift keeps guest RAM in a memfd and maps a guest page into every shadow window "
          "that uses it (the kernel half of each cached address space), so its figure includes those "
          "aliases. The row below it, the peak of RssAnon + RssFile, leaves shared memory out: for "
          "ringshift that is the VMM's own memory (translation cache, tables) without guest RAM; for QEMU "
          "it includes the guest RAM the guest touched (anonymous memory there).",
          "- What one op is:", ""]
    L += ["  - `%s`: %s" % (w[0], w[5]) for w in WORKLOADS if w[0] in {r["name"] for r in rows}]
    if host:
        L += ["", "## What the host charges", "",
              "`bench/host_costs.c`, run natively in the same benchmark run (median ns). ringshift's shadow "
              "page tables are host mappings, so these set the floor under page faults and fork: a guest "
              "fault on a fresh page costs at least a fault signal, an mmap and a first touch.", "",
              "| operation | ns | what |", "|---|---:|---|"]
        L += ["| %s | %.0f | %s |" % (k, host[k], what) for k, what in HOST_COSTS if k in host]
    if failures:
        L += ["", "## Failures", ""] + ["- " + f for f in failures]
    L.append("")
    with open(path, "w") as f:
        f.write("\n".join(L))


# ---------------------------------------------------------------- main


def main():
    started = time.perf_counter()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ringshift", nargs="?", default="build", help="ringshift executable or build directory")
    ap.add_argument("--runs", type=int, help="repetitions of each figure (default 3; 1 with --quick)")
    ap.add_argument("--quick", action="store_true", help="1 run, a fifth of the work, no bench/RESULTS.md")
    ap.add_argument("--no-qemu", action="store_true")
    ap.add_argument("--no-ringshift", action="store_true")
    ap.add_argument("--no-native", action="store_true")
    ap.add_argument("--only", help="comma-separated workloads (default all)")
    ap.add_argument("--out-dir", default=os.path.join(HERE, "out"))
    ap.add_argument("--vmm-arg", action="append", default=[], help="extra ringshift argument, e.g. --stats")
    ap.add_argument("--cache", help="guest cache directory (default guests/linux/cache)")
    ap.add_argument("--flavour", choices=("686", "686-pae"), default="686",
                    help="the Debian kernel: 686 (default) or 686-pae (PAE paging, NX)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per VMM boot (default 1800)")
    rec = ap.add_mutually_exclusive_group()
    rec.add_argument("--record", action="store_true", help="write bench/RESULTS.md and bench/results.svg "
                     "(the default unless --quick or --only)")
    rec.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    names = [w[0] for w in WORKLOADS]
    if args.only:
        names = [n for n in args.only.split(",") if n]
        bad = [n for n in names if n not in WL]
        if bad:
            sys.exit("bench/run_all: unknown workloads %s (known: %s)" % (bad, ", ".join(WL)))
    ops = {n: WL[n][3] if args.quick else WL[n][2] for n in names}
    record = args.record or not (args.quick or args.only or args.no_record)

    rs = args.ringshift
    if os.path.isdir(rs):
        rs = os.path.join(rs, "ringshift")
    rs = None if args.no_ringshift else os.path.abspath(rs)
    if rs and not os.access(rs, os.X_OK):
        sys.exit("bench/run_all: no ringshift executable at %s (build first, or --no-ringshift)" % rs)
    qemu = None if args.no_qemu else ensure_qemu()
    out_dir = os.path.abspath(args.out_dir)
    os.makedirs(out_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="rs-bench-all.")
    ensure_gcc_m32(work)

    bindir = build(names, os.path.join(out_dir, "bin"))
    note("built %d workloads into %s (gcc -m32 -O2 -static)" % (len(names), bindir))
    info = machine_info(qemu, rs)
    note("%s, %s cores, kernel %s, load %s; %d run(s) each%s"
         % (info["cpu"], info["cores"], info["kernel"], info["loadavg_at_start"], runs,
            ", quick (reduced work)" if args.quick else ""))

    # The initramfs: the default guest plus /rs/bench/<workloads>, /rs/bench.sh, /rs/off.sh.
    extra = os.path.join(work, "extra")
    os.makedirs(os.path.join(extra, GUEST_DIR.lstrip("/")))
    for name in names:
        shutil.copy2(os.path.join(bindir, name), os.path.join(extra, GUEST_DIR.lstrip("/"), name))
    with open(os.path.join(extra, CHECK.lstrip("/")), "w") as f:
        f.write(guest_script(names, ops, runs))
    with open(os.path.join(extra, OFF.lstrip("/")), "w") as f:
        f.write("# bench/run_all.py: boot only; /init powers off\nexit 0\n")
    try:
        bz, initrd, kernel = rsguest.make_initramfs(extra, os.path.join(work, "initramfs.cpio.gz"), args.cache,
                                                    flavour=args.flavour)
    except rsguest.Error as e:
        sys.exit("bench/run_all: %s" % e)
    info["guest_kernel"] = kernel
    busybox = rsguest.busybox_path(args.cache, args.flavour)

    native, native_errors, host = {}, {}, {}
    if not args.no_native:
        host = host_costs(bindir, runs)
        note("host operation costs (ns): " + ", ".join("%s %.0f" % (k, v) for k, v in host.items()))
        note("native: %d workloads x %d runs" % (len(names), runs))
        native, native_errors = run_native(names, ops, runs, bindir, busybox)

    vmms = {}
    for vmm, binary in (("ringshift", rs), ("qemu", qemu)):
        if not binary:
            continue

        def cmd_for(check, vmm=vmm, binary=binary):
            c = rsguest.vmm_command(vmm, binary, bz, initrd, rsguest.kernel_append(check))
            return c + args.vmm_arg if vmm == "ringshift" else c

        vmms[vmm] = run_vmm(vmm, cmd_for, names, runs, args.timeout, out_dir)

    failures = ["native %s: %s" % (k, "; ".join(v)) for k, v in native_errors.items()]
    for vmm, r in vmms.items():
        failures += ["%s: %s" % (vmm, p) for p in r["problems"]]
        failures += ["%s %s: %s" % (vmm, k, "; ".join(v)) for k, v in r["errors"].items()]
    rows = make_rows(names, native, vmms)
    info["loadavg_at_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
    runtime = time.perf_counter() - started
    mode = "%s, %d run%s per figure" % ("quick mode (a fifth of the work)" if args.quick else "full run", runs,
                                        "" if runs == 1 else "s")

    print()
    print("bench/run_all: medians (%s); ratios are times, above 1 = slower than the reference" % mode)
    for line in table_lines(rows, False):
        print("  " + line)
    for f in failures:
        print("  FAILED: " + f)
    print("  total run time %.0f s" % runtime)

    vmms_json = {k: {kk: vv for kk, vv in v.items() if kk != "lines"} for k, v in vmms.items()}
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump({"machine": info, "mode": mode, "runs": runs, "quick": args.quick, "memory_mib": MEMORY_MIB,
                   "ops": ops, "native": native, "native_errors": native_errors, "host_costs_ns": host,
                   "vmms": vmms_json, "rows": rows,
                   "failures": failures, "runtime_s": runtime, "complete": not failures}, f, indent=2)
        f.write("\n")
    title = "ringshift vs QEMU TCG, i386 workloads (%s)" % info["date"].split()[0]
    chart_info = "%s, %s cores; %s; median of %d" % (info["cpu"], info["cores"], info.get("qemu", ""), runs)
    svg = svg_chart(rows, chart_info, title)
    with open(os.path.join(out_dir, "results.svg"), "w") as f:
        f.write(svg)
    note("wrote %s/results.json and results.svg, consoles in %s/*.console.txt" % (out_dir, out_dir))
    if record:
        with open(os.path.join(HERE, "results.svg"), "w") as f:
            f.write(svg)
        cmdline = "bench/run_all.py " + " ".join(a if " " not in a else repr(a) for a in sys.argv[1:])
        write_markdown(os.path.join(HERE, "RESULTS.md"), info, cmdline.strip(), mode, rows, vmms, failures,
                       runtime, "results.svg", host)
        note("wrote bench/RESULTS.md and bench/results.svg")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
