#!/usr/bin/env python3
"""A/B comparison of two ringshift builds on one of the PIE guest's workloads
(bench/real_workloads.py: dash_loop, mawk_loop, pie_script, pie_script_norand).

On the 2-core VMs this project is measured on, one build's figure moves by up to 2x from
run to run (a dash_loop round 1.05-2.35 s in six runs of one binary): the host's load
changes, and each run puts the guest's code (ASLR) and the translation cache (the host's
ASLR) at new addresses, which moves translated loops' speed by tens of percent on its
own (docs/design.md 4.2): one build run against itself in four pairs gave ratios of
0.68-1.12. A difference of a few percent between two builds therefore shows only over
many runs (16 pairs or more). This script runs the two builds in pairs AT THE SAME TIME,
each pinned to its own CPU (the CPUs swapped from pair to pair), so that both see the
same host load, and prints each pair's ratio new/old, their median and how many pairs
each build won. --sequential alternates them on any CPU instead (for workloads that
must have the machine to themselves).

--workload translation compares translation instead: each run boots the guest and runs
one dash_loop round with --stats, and the figure is the median block's translation time
(`ringshift translation per block (ns): median=`); one CPU of these VMs has run ~1.6x
slower than the other for minutes, which the swapped pairs cancel.

usage: bench/ab.py OLD NEW [--workload dash_loop|...|translation] [--pairs 16] [--rounds 1]

OLD and NEW are ringshift executables or build directories. Python 3 standard library
only."""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "test", "linux"))

import bench_lib as lib  # noqa: E402
import real_workloads as rw  # noqa: E402
import rsguest  # noqa: E402


def binary(path):
    b = os.path.join(path, "ringshift") if os.path.isdir(path) else path
    if not os.access(b, os.X_OK):
        sys.exit("bench/ab: %s is not an executable" % b)
    return os.path.abspath(b)


def run_one(cmd, cpu, log_path, timeout, out, key):
    pinned = ["taskset", "-c", str(cpu)] + cmd if cpu is not None else cmd
    b = lib.boot(pinned, timeout, log_path)
    got, errors = lib.parse_results(b["lines"])
    out[key] = (got, errors, b["status"], [ln.decode(errors="replace") if isinstance(ln, bytes) else ln
                                            for ln in b["lines"]])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--workload", default="dash_loop", choices=list(rw.PIE_NAMES) + ["translation"])
    ap.add_argument("--pairs", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=1, help="rounds of the workload per run (default 1)")
    ap.add_argument("--sequential", action="store_true", help="alternate the builds instead of running them together")
    ap.add_argument("--vmm-arg", action="append", default=[], help="extra ringshift argument for both builds")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--out-dir", default=None, help="consoles (default: a temporary directory)")
    args = ap.parse_args()
    if args.pairs < 1 or args.rounds < 1:
        sys.exit("bench/ab: --pairs and --rounds must be at least 1")
    builds = {"old": binary(args.old), "new": binary(args.new)}
    cpus = os.sched_getaffinity(0)
    if not args.sequential and len(cpus) < 2:
        sys.exit("bench/ab: running the builds together needs two CPUs (or use --sequential)")
    translation = args.workload == "translation"
    pie = next(p for p in rw.PIE if p[0] == ("dash_loop" if translation else args.workload))
    vmm_args = args.vmm_arg + (["--stats"] if translation and "--stats" not in args.vmm_arg else [])
    unit = "ns a block (median)" if translation else "ms"
    try:
        guest = rw.build_pie(None, "686")
    except RuntimeError as e:
        sys.exit("bench/ab: %s" % e)
    append = rsguest.kernel_append("/rs/pie.sh", ["pie.name=%s" % pie[0], "pie.rounds=%d" % args.rounds,
                                                  "pie.runs=1"] + pie[3])
    out_dir = args.out_dir or tempfile.mkdtemp(prefix="rs-ab.")
    os.makedirs(out_dir, exist_ok=True)
    c0, c1 = sorted(cpus)[:2] if len(cpus) >= 2 else (None, None)
    ratios, wins, figures = [], {"old": 0, "new": 0}, {"old": [], "new": []}
    print("bench/ab: %s, %d pairs of %d round(s), %s; consoles in %s"
          % ("translation (dash_loop guest)" if translation else pie[0], args.pairs, args.rounds, "sequential" if args.sequential else "together, pinned", out_dir),
          flush=True)
    for i in range(args.pairs):
        order = ("old", "new") if i % 2 == 0 else ("new", "old")
        res, threads = {}, []
        for k, v in enumerate(order):
            cmd = rsguest.vmm_command("ringshift", builds[v], guest["bzImage"], guest["initramfs"], append) + vmm_args
            log = os.path.join(out_dir, "%s.%d.console.txt" % (v, i))
            cpu = None if args.sequential else (c0 if k == 0 else c1)
            t = threading.Thread(target=run_one, args=(cmd, cpu, log, args.timeout, res, v))
            t.start()
            if args.sequential:
                t.join()
            threads.append(t)
        for t in threads:
            t.join()
        ns = {}
        for v in ("old", "new"):
            got, errors, status, _ = res[v]
            if status != 0 or errors.get(pie[0]) or not got.get(pie[0]):
                sys.exit("bench/ab: %s run %d failed (status %s, %s): see %s"
                         % (v, i, status, errors.get(pie[0]), os.path.join(out_dir, "%s.%d.console.txt" % (v, i))))
            if translation:
                st = lib.rs_stats(res[v][3])
                if not st or "median_block_us" not in st:
                    sys.exit("bench/ab: %s run %d printed no translation median: see %s"
                             % (v, i, os.path.join(out_dir, "%s.%d.console.txt" % (v, i))))
                ns[v] = st["median_block_us"] * 1e6  # (shown in ns below)
            else:
                ns[v] = got[pie[0]][0]
            figures[v].append(ns[v])
        r = ns["new"] / ns["old"]
        ratios.append(r)
        wins["new" if r < 1 else "old"] += 1
        scale = 1e3 if translation else 1e6  # printed in ns a block, or ms
        print("pair %2d: old %9.1f  new %9.1f %s  new/old %.3f" % (i + 1, ns["old"] / scale, ns["new"] / scale, unit, r),
              flush=True)
    print("bench/ab: %s median new/old %.3f (pairs %d; faster: new %d, old %d); medians old %.1f, new %.1f; "
          "minima old %.1f, new %.1f (%s)"
          % (args.workload, statistics.median(ratios), len(ratios), wins["new"], wins["old"],
             statistics.median(figures["old"]) / scale, statistics.median(figures["new"]) / scale,
             min(figures["old"]) / scale, min(figures["new"]) / scale, unit))


if __name__ == "__main__":
    main()
