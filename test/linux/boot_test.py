#!/usr/bin/env python3
"""Linux boot test: boot Debian 12's i386 kernel with a busybox initramfs whose /init runs
test/linux/check.sh, then judge the console log against the host.

The host is the oracle: the test programs (test/linux/progs, built here with
`gcc -m32 -static -O2`) and the pipeline script (with the guest's own busybox) run
natively first, and the guest must print the same (on a host that cannot run i386
programs, tools/host_runs_i386.py, those two comparisons are not made, and the output
says so). Checked:
  - no kernel panic, oops, BUG:, WARN splat or user-mode crash report on the console;
  - /proc/cpuinfo agrees with CPUID (cpuidcheck), vendor/family/model/stepping included;
  - ctest (integer, x87, SSE, string functions, setjmp, signals) prints what it prints on
    the host, line for line;
  - 500 fork+exec+wait of busybox applets all right;
  - pipelines over a 10 MiB file in tmpfs give the host's checksums;
  - the guest clock is within 2 s of the host clock (twice: early and at the end) and runs
    at the host's rate between the two (0.5% + 50 ms);
  - under ringshift, the kernel took its TSC frequency from the VMM and runs on the TSC;
  - check.sh reports no failure and exits 0, /init powers off, and the VMM exits 0.

usage: test/linux/boot_test.py (--ringshift PATH | --qemu) [--workdir DIR] [--cache DIR]
                               [--timeout SECONDS] [--memory MIB] [--vmm-arg ARG]...
Under --qemu (qemu-system-i386 -accel tcg) the x87 transcendental lines of ctest may
differ (QEMU computes fsin & co. in double precision); under ringshift they may not.
Exit status 0 when everything passed, 1 otherwise. The console log is kept in the
work directory (default: a new directory under /tmp, printed).
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import rsguest  # noqa: E402
from host_runs_i386 import host_runs_i386  # noqa: E402

CLOCK_TOLERANCE = 2.0
# The guest's clock rate against the host's: 50 ms for the lines' way out, 0.5% of the run.
RATE_SLACK, RATE_TOLERANCE = 0.05, 0.005
CHECK = "/rs/check.sh"


def line_key(line):
    """What a ctest line is about, without its values ("x87t fsin(0.5)", "ssea rcpps")."""
    if " = " in line:
        return line.split(" = ")[0]
    if ":" in line:
        return line.split(":")[0]
    return " ".join(line.split()[:2])


def host_oracle(progs, busybox, work):
    """Expected ctest output and pipeline lines, computed natively."""
    ctest = subprocess.run([os.path.join(progs, "ctest")], stdout=subprocess.PIPE, text=True, timeout=120)
    if ctest.returncode != 0:
        raise rsguest.Error("ctest failed natively (status %d)" % ctest.returncode)
    bbdir = rsguest.applet_dir(busybox, os.path.join(work, "host-applets"))
    tmp = os.path.join(work, "host-tmp")
    os.makedirs(tmp, exist_ok=True)
    pipe = subprocess.run([os.path.join(bbdir, "sh"), os.path.join(rsguest.HERE, "pipeline.sh"), tmp,
                           os.path.join(progs, "gendata")],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300,
                          env={"PATH": bbdir, "LC_ALL": "C"})
    if pipe.returncode != 0:
        raise rsguest.Error("pipeline.sh failed natively (status %d): %s" % (pipe.returncode, pipe.stderr))
    # An oracle independent of busybox for the file itself.
    data = subprocess.run([os.path.join(progs, "gendata"), "10485760", "20240501"], stdout=subprocess.PIPE,
                          check=True).stdout
    own = ["pipeline: lines %d bytes %d" % (data.count(b"\n"), len(data)),
           "pipeline: sha256 " + hashlib.sha256(data).hexdigest()]
    lines = pipe.stdout.splitlines()
    if lines[:2] != own:
        raise rsguest.Error("native busybox and Python disagree on the data file: %s vs %s" % (lines[:2], own))
    return ctest.stdout.splitlines(), lines


def boot(cmd, timeout, log_path):
    """Runs CMD, reading its stdout line by line; returns (status or None on time-out,
    [(host time, line)], wall seconds)."""
    r = rsguest.run_console(cmd, timeout, log_path, merge_stderr=True)
    return r.status, r.timed, r.wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--ringshift", metavar="PATH", help="the ringshift binary")
    g.add_argument("--qemu", action="store_true", help="boot under qemu-system-i386 -accel tcg instead")
    ap.add_argument("--workdir", help="keep programs, initramfs and console.log here")
    ap.add_argument("--cache", help="guest cache directory (default guests/linux/cache)")
    ap.add_argument("--flavour", choices=("686", "686-pae"), default="686",
                    help="the Debian kernel: 686 (default) or 686-pae (its own cache)")
    ap.add_argument("--timeout", type=float, default=240, help="seconds for the whole boot (default 240)")
    ap.add_argument("--memory", type=int, default=rsguest.MEMORY_MIB, help="guest RAM in MiB (default 128)")
    ap.add_argument("--vmm-arg", action="append", default=[], metavar="ARG",
                    help="extra argument for the VMM (repeatable), e.g. --vmm-arg=--stats")
    args = ap.parse_args()

    work = os.path.abspath(args.workdir) if args.workdir else tempfile.mkdtemp(prefix="rs-linux-boot.")
    os.makedirs(work, exist_ok=True)
    vmm = "qemu" if args.qemu else "ringshift"
    results = []

    def verdict(ok, what):
        results.append((ok, what))
        print("%s %s" % ("PASS" if ok else "FAIL", what), flush=True)

    try:
        if vmm == "ringshift" and not os.access(args.ringshift, os.X_OK):
            raise rsguest.Error("not an executable: %s" % args.ringshift)
        extra = os.path.join(work, "extra")
        shutil.rmtree(extra, ignore_errors=True)
        progs = rsguest.build_progs(os.path.join(extra, "rs"))
        for f in ("check.sh", "pipeline.sh"):
            shutil.copy(os.path.join(rsguest.HERE, f), os.path.join(extra, "rs", f))
        bz, initrd, kernel = rsguest.make_initramfs(extra, os.path.join(work, "initramfs.cpio.gz"), args.cache,
                                                     flavour=args.flavour)
        native, why = host_runs_i386()
        if native:
            want_ctest, want_pipe = host_oracle(progs, rsguest.busybox_path(args.cache, args.flavour), work)
        else:
            want_ctest = want_pipe = None
            print("NOTE no host oracle: %s; ctest and pipeline outputs are not compared" % why, flush=True)
        binary = args.ringshift if vmm == "ringshift" else rsguest.ensure_qemu()
        cmd = rsguest.vmm_command(vmm, binary, bz, initrd, rsguest.kernel_append(CHECK), args.memory) + args.vmm_arg
    except (rsguest.Error, subprocess.SubprocessError, OSError) as e:
        print("FAIL setup: %s" % e)
        return 1

    log_path = os.path.join(work, "console.log")
    print("booting %s (%s) under %s, log %s" % (kernel, os.path.basename(initrd), vmm, log_path), flush=True)
    print("  " + " ".join(cmd), flush=True)
    status, timed, wall = boot(cmd, args.timeout, log_path)
    lines = [l for _, l in timed]
    ulines = rsguest.user_lines(lines)

    # the VMM and the guest's end
    if status is None:
        verdict(False, "%s still running after %.0f s: killed" % (vmm, args.timeout))
    else:
        verdict(status == 0, "%s exit status %d" % (vmm, status))
    bad = rsguest.trouble(lines)
    verdict(not bad, "console free of panic/oops/BUG/WARN/crash reports"
            + ("" if not bad else ": " + " | ".join(bad[:5])))
    uptime = rsguest.uptime_at_init(lines)
    verdict(uptime is not None, "init started" + (" (uptime %.2f s)" % uptime if uptime is not None else ""))
    st_line = [l for l in ulines if l.startswith("ringshift-guest: check exited with status")]
    verdict(st_line == ["ringshift-guest: check exited with status 0"],
            "check.sh exit status " + (st_line[0].rsplit(" ", 1)[1] if st_line else "missing"))
    verdict("ringshift-guest: powering off" in ulines, "init powered off")
    guest_fails = [l for l in ulines if l.startswith("FAIL")]
    verdict(not guest_fails, "check.sh verdicts: %d PASS, %d FAIL" %
            (sum(1 for l in ulines if l.startswith("PASS")), len(guest_fails))
            + ("" if not guest_fails else " (" + "; ".join(guest_fails[:5]) + ")"))

    # cpuidcheck
    cpu = rsguest.section(lines, "cpuidcheck")
    if cpu is None:
        verdict(False, "cpuidcheck output missing")
    else:
        model = [l for l in cpu if l.startswith("cpuid: vendor")]
        notes = [l for l in cpu if l.startswith("NOTE")]
        verdict(any(l.startswith("PASS cpuidcheck") for l in cpu),
                "/proc/cpuinfo agrees with CPUID" + (" (%s)" % model[0][7:].split(" (")[0] if model else ""))
        for n in notes:
            print("  " + n)

    # ctest
    got = rsguest.section(lines, "ctest")
    if got is None:
        verdict(False, "ctest output missing")
    elif want_ctest is None:
        print("NOTE ctest printed %d lines: not compared (no host oracle)" % len(got))
    else:
        tolerated = ("x87t", "ssea") if vmm == "qemu" else ()
        diffs, allowed = [], 0
        if len(got) != len(want_ctest):
            diffs.append("%d lines, host printed %d" % (len(got), len(want_ctest)))
        for i, (g_, w_) in enumerate(zip(got, want_ctest)):
            if g_ != w_:
                if g_.startswith(tolerated) and line_key(g_) == line_key(w_):
                    allowed += 1
                else:
                    diffs.append("line %d: guest %r, host %r" % (i + 1, g_, w_))
        what = "ctest output identical to the host's (%d lines)" % len(want_ctest)
        if allowed:
            what += ", %d x87-transcendental/rcpps lines differ (tolerated under QEMU only)" % allowed
        verdict(not diffs, what if not diffs else "ctest differs from the host: " + "; ".join(diffs[:4]))
        for d in diffs[4:12]:
            print("  " + d)

    # fork+exec
    fe = [l for l in ulines if "fork+exec+wait" in l and l.startswith(("PASS", "FAIL"))]
    verdict(bool(fe) and fe[0].startswith("PASS"), fe[0][5:] if fe else "fork+exec+wait result missing")

    # pipeline
    pipe = rsguest.section(lines, "pipeline")
    if pipe is None:
        verdict(False, "pipeline output missing")
    elif want_pipe is None:
        print("NOTE pipeline printed %d results: not compared (no host oracle)" % len(pipe))
    else:
        verdict(pipe == want_pipe, "pipeline checksums match the host's (%d results)" % len(want_pipe)
                if pipe == want_pipe else "pipeline differs: guest %s, host %s" % (pipe, want_pipe))

    # clock: the guest's time against the host's at the moment the line arrived
    for name in ("clock-start", "clock"):
        hits = [(t, l) for t, l in timed if l.startswith("=== %s " % name)]
        if not hits:
            verdict(False, "%s line missing" % name)
            continue
        t, l = hits[0]
        try:
            guest = float(l.split()[2])
        except (IndexError, ValueError):
            verdict(False, "%s line malformed: %r" % (name, l))
            continue
        d = guest - t
        verdict(abs(d) <= CLOCK_TOLERANCE, "guest clock %s host clock by %.2f s at %s (limit %.0f s)"
                % ("behind" if d < 0 else "ahead of", abs(d), name, CLOCK_TOLERANCE))

    # the guest clock's rate: its time between the two lines against the host's. A guest
    # told the wrong TSC frequency (or one that calibrated it wrong) drifts here.
    ends = [[(t, l) for t, l in timed if l.startswith("=== %s " % n)] for n in ("clock-start", "clock")]
    try:
        (t0, l0), (t1, l1) = ends[0][0], ends[1][0]
        host_dt, guest_dt = t1 - t0, float(l1.split()[2]) - float(l0.split()[2])
        limit = RATE_SLACK + RATE_TOLERANCE * host_dt
        verdict(abs(guest_dt - host_dt) <= limit, "guest clock ran %.3f s while the host's ran %.3f s (limit %.3f s)"
                % (guest_dt, host_dt, limit))
    except (IndexError, ValueError):
        verdict(False, "clock lines missing or malformed: no clock rate")

    # the TSC frequency from the VMM (cpu/backdoor.cpp), not from a PIT calibration
    if vmm == "ringshift":
        told = [l for l in lines if "TSC freq read from hypervisor" in l]
        verdict(bool(told), "kernel took the TSC frequency from the VMM"
                + (" (%s)" % told[0].split(":", 1)[1].strip() if told else ""))
        switched = [l for l in lines if "Switched to clocksource" in l]
        verdict(bool(switched) and switched[-1].rstrip().endswith(" tsc"),
                "clocksource tsc" + ("" if switched else ": no switch seen")
                + ("" if not switched or switched[-1].rstrip().endswith(" tsc")
                   else " (last: %s)" % switched[-1].split()[-1]))

    failed = [w for ok, w in results if not ok]
    print("%s: linux boot under %s: %d checks, %d failed; boot-to-init %s, wall %.1f s; log %s"
          % ("PASS" if not failed else "FAIL", vmm, len(results), len(failed),
             "%.2f s" % uptime if uptime is not None else "?", wall, log_path))
    if failed:
        print("--- console (last 40 lines) ---")
        print(rsguest.tail(lines))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
