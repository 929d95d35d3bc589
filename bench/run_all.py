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

Beside the C programs, real workloads (bench/real_workloads.py): pie_script and
pie_script_norand, a shell script starting short-lived dynamically linked PIE programs of
Debian 12's i386 packages (guests/pie/build.sh) in a chroot, in the guest and natively,
with ASLR on and off; dash_loop and mawk_loop, interpreter loops of Debian's dash and
mawk from the same tree; debian_boot, the Debian system image (guests/debian/build.sh) to
its login prompt (skipped with a note when the image is not built; in --quick mode only
when --only names it). For ringshift they show the blocks translated and the time spent
translating (ringshift --stats).

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
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "test", "linux"))
import rsguest  # noqa: E402
from bench_lib import note, ensure_gcc_m32, vmm_paths, parse_results, idlest_cpu, boot, host_costs  # noqa: E402
from bench_lib import CLOCKSOURCE  # noqa: E402
from bench_report import machine_info, ratio, write_outputs  # noqa: E402
import real_workloads as real  # noqa: E402
sys.path.insert(0, os.path.join(REPO, "tools"))
from host_runs_i386 import host_runs_i386  # noqa: E402

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
GUEST_DIR = "/rs/bench"
CHECK = "/rs/bench.sh"
OFF = "/rs/off.sh"


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


# ---------------------------------------------------------------- native


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


def make_rows(names, native, vmms, real_rows=()):
    """One row per workload, then REAL_ROWS (bench/real_workloads.py), then boot-to-init,
    wall and memory of the workload boot when there was one. Values in the unit."""
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
    for label, unit, key, what in extra if vmms else ():
        rows.append({"name": label, "kind": "vmm", "unit": unit, "what": what, "native": None,
                     "ringshift": vmms.get("ringshift", {}).get(key), "qemu": vmms.get("qemu", {}).get(key)})
    rows[len(names):len(names)] = real_rows
    for r in rows[:len(names)] + rows[len(names) + len(real_rows):]:
        r["ringshift_over_native"] = ratio(r["ringshift"], r["native"])
        r["qemu_over_native"] = ratio(r["qemu"], r["native"])
        r["qemu_over_ringshift"] = ratio(r["qemu"], r["ringshift"]) if r["kind"] != "vmm" or r["unit"] == "s" \
            else None
    return rows




# ---------------------------------------------------------------- main


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ringshift", nargs="?", default="build", help="ringshift executable or build directory")
    ap.add_argument("--runs", type=int, help="repetitions of each figure (default 3; 1 with --quick)")
    ap.add_argument("--quick", action="store_true", help="1 run, a fifth of the work, no bench/RESULTS.md")
    ap.add_argument("--no-qemu", action="store_true")
    ap.add_argument("--no-ringshift", action="store_true")
    ap.add_argument("--no-native", action="store_true")
    ap.add_argument("--only", help="comma-separated workloads (default all; debian_boot not with --quick)")
    ap.add_argument("--out-dir", default=os.path.join(HERE, "out"))
    ap.add_argument("--vmm-arg", action="append", default=[], help="extra ringshift argument, e.g. --vmm-arg=--stats")
    ap.add_argument("--cache", help="guest cache directory (default guests/linux/cache)")
    ap.add_argument("--flavour", choices=("686", "686-pae"), default="686",
                    help="the Debian kernel: 686 (default) or 686-pae (PAE paging, NX)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per VMM boot (default 1800)")
    rec = ap.add_mutually_exclusive_group()
    rec.add_argument("--record", action="store_true", help="write bench/RESULTS.md and bench/results.svg "
                     "(the default unless --quick or --only)")
    rec.add_argument("--no-record", action="store_true")
    return ap.parse_args()


def select(args):
    """The C workloads and the real ones to run: --only's, or all (without debian_boot
    in --quick mode, a boot of a minute or more per VMM)."""
    known = [w[0] for w in WORKLOADS] + real.NAMES
    if args.only:
        picked = [n for n in args.only.split(",") if n]
        bad = [n for n in picked if n not in known]
        if bad:
            sys.exit("bench/run_all: unknown workloads %s (known: %s)" % (bad, ", ".join(known)))
    else:
        picked = [n for n in known if not (args.quick and n == real.DEBIAN)]
        if args.quick:
            note("quick mode: debian_boot left out (--only ...,debian_boot runs it)")
    return [n for n in picked if n in WL], [n for n in picked if n in real.NAMES]


def run_classic(args, names, runs, rs, qemu, out_dir, work, info):
    """The C workloads: built, run natively, then one boot per VMM running them all.
    Returns (native, native_errors, host_costs, vmms, failures, ops)."""
    ops = {n: WL[n][3] if args.quick else WL[n][2] for n in names}
    if not names:
        return {}, {}, {}, {}, [], ops
    ensure_gcc_m32(work)
    bindir = build(names, os.path.join(out_dir, "bin"))
    note("built %d workloads into %s (gcc -m32 -O2 -static)" % (len(names), bindir))

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
    if not args.no_native and not args.no_i386:
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
    return native, native_errors, host, vmms, failures, ops


def main():
    started = time.perf_counter()
    args = parse_args()
    runs = args.runs or (1 if args.quick else 3)
    names, real_names = select(args)
    record = args.record or not (args.quick or args.only or args.no_record)
    rs, qemu = vmm_paths(args.ringshift, args.no_ringshift, args.no_qemu)
    out_dir = os.path.abspath(args.out_dir)
    os.makedirs(out_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="rs-bench-all.")
    info = machine_info(qemu, rs)
    # The workloads are i386 programs: a host without 32-bit user mode (a PVM guest) gives
    # no native figures, the VMM columns still run.
    args.no_i386 = False
    if not args.no_native:
        ok, why = host_runs_i386()
        if not ok:
            args.no_i386 = True
            info["native"] = "none: " + why
            note("no native runs: %s" % why)
    note("%s, %s cores, kernel %s, load %s; %d run(s) each%s"
         % (info["cpu"], info["cores"], info["kernel"], info["loadavg_at_start"], runs,
            ", quick (reduced work)" if args.quick else ""))

    native, native_errors, host, vmms, failures, ops = run_classic(args, names, runs, rs, qemu, out_dir, work, info)
    rw = real.run(real_names, {"runs": runs, "quick": args.quick, "ringshift": rs, "qemu": qemu,
                               "native": not args.no_native and not args.no_i386, "out_dir": out_dir, "timeout": args.timeout,
                               "vmm_args": args.vmm_arg, "cache": args.cache, "flavour": args.flavour})
    failures += rw["failures"]
    rows = make_rows(names, native, vmms, rw["rows"])
    info["loadavg_at_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
    runtime = time.perf_counter() - started
    mode = "%s, %d run%s per figure" % ("quick mode (a fifth of the work)" if args.quick else "full run", runs,
                                        "" if runs == 1 else "s")

    vmms_json = {k: {kk: vv for kk, vv in v.items() if kk != "lines"} for k, v in vmms.items()}
    data = {"machine": info, "mode": mode, "runs": runs, "quick": args.quick, "memory_mib": MEMORY_MIB,
            "ops": ops, "native": native, "native_errors": native_errors, "host_costs_ns": host,
            "vmms": vmms_json, "real": rw["results"], "real_notes": rw["notes"], "rows": rows,
            "failures": failures, "runtime_s": runtime, "complete": not failures}
    whats = [(w[0], w[5]) for w in WORKLOADS] + real.WHATS
    write_outputs(data, out_dir, record, vmms, whats, real.markdown_lines(rw))
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
