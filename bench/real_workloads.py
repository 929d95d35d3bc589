"""The real workloads of bench/run_all.py, beside its C programs: Debian's own programs.

dash_loop, mawk_loop: interpreter-style user code in the same tree, a dash arithmetic loop
and a mawk (bytecode interpreter) loop, one process each, ASLR on.

pie_script, pie_script_norand: a shell script (guests/pie/workload.sh, run by Debian's
dash) whose rounds each start about 170 short-lived processes of dynamically linked
position-independent programs from Debian 12's i386 packages (coreutils, sed, grep, mawk,
findutils, diffutils, gzip, and bash running a configure-like script). guests/pie/build.sh
unpacks the packages into a tree and makes an initramfs of the busybox guest with that
tree at /pie; the script runs in `chroot /pie` in the guest and in a chroot of the same
tree natively (in a private mount namespace with /proc, /dev and a tmpfs /tmp, pinned to
one CPU, under `setarch i686`). pie_script runs with ASLR on (the guest's default, the
host's randomize_va_space), pie_script_norand with it off: `norandmaps` on the guest's
kernel command line, `setarch -R` natively. One boot per VMM and setting runs all its
repetitions; ringshift runs with --stats, and the blocks it translated and the time it
spent translating are those of that boot minus those of a boot of the same guest that
only powers off (pie.runs=0).

debian_boot: the Debian 12 system image of guests/debian/build.sh booted to its serial
login prompt by guests/debian/boot_check.py (IDE disk, -snapshot, GRUB's menu left to time
out), under ringshift (with --stats: the blocks and translation time of the whole boot)
and QEMU TCG; skipped with a note when the image is not built. Python 3 standard library
only."""
import os
import re
import statistics
import subprocess
import sys
import tempfile

import bench_lib as lib
import bench_report as report
import rsguest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PIE_BUILD = os.path.join(REPO, "guests", "pie", "build.sh")
BOOT_CHECK = os.path.join(REPO, "guests", "debian", "boot_check.py")
DEBIAN_IMAGE = os.path.join(REPO, "guests", "debian", "cache", "debian.img")

# name, rounds of a full run, rounds with --quick, guest kernel arguments, setarch flags
# of the native run, what one op is.
PIE = [
    ("pie_script", 5, 1, [], [], "one round of the PIE shell script (guests/pie/workload.sh), ASLR on"),
    ("pie_script_norand", 5, 1, ["norandmaps"], ["-R"],
     "the same round with ASLR off (guest: norandmaps; native: setarch -R)"),
    # Interpreter-style user code: one long loop in one process of the same tree.
    ("dash_loop", 5, 3, [], [], "200,000 iterations of an arithmetic loop in Debian's dash (PIE, ASLR on)"),
    ("mawk_loop", 5, 3, [], [], "1,500,000 iterations of a loop in Debian's mawk, a bytecode interpreter (PIE, ASLR on)"),
]
PIE_NAMES = [p[0] for p in PIE]
DEBIAN = "debian_boot"
NAMES = PIE_NAMES + [DEBIAN]
WHATS = [(p[0], p[5]) for p in PIE] + [(DEBIAN, "boot of the Debian 12 image to its serial login prompt")]
PIE_INFO = re.compile(r"PIE-INFO (.*)")
LOGIN = re.compile(r"PASS .*login prompt after ([\d.]+) s")
CLOCK = re.compile(r"BENCH-CLOCK (start|end) ([0-9.]+)")
# Natively: the guest's mounts in a private mount namespace, then the command after TREE.
NATIVE_SH = ('mount -t proc proc "$1/proc" && mount --bind /dev "$1/dev" && '
             'mount -t tmpfs -o nosuid,nodev tmpfs "$1/tmp" && shift && exec "$@"')


def build_pie(cache, flavour):
    """guests/pie/build.sh: {"tree", "bzImage", "initramfs", "kernel"}; RuntimeError when it fails."""
    cmd = ["bash", PIE_BUILD, "--flavour", flavour] + (["--linux-cache", cache] if cache else [])
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    got = dict(l.split(": ", 1) for l in p.stdout.splitlines() if ": " in l)
    if p.returncode != 0 or not all(k in got for k in ("tree", "bzImage", "initramfs")):
        raise RuntimeError("%s failed (status %d):\n%s" % (" ".join(cmd), p.returncode, (p.stdout + p.stderr)[-3000:]))
    return got


def pie_info(lines):
    """The PIE-INFO words of LINES as {key: [value, ...]}."""
    out = {}
    for line in lines:
        m = PIE_INFO.search(line)
        for word in m.group(1).split() if m else ():
            k, _, v = word.partition("=")
            out.setdefault(k, []).append(v)
    return out


def aslr_problem(name, info):
    """A failure when the two cat processes of an ASLR-off run were not loaded at one
    address, or None (with ASLR on they may be, by chance, 1 in a few hundred)."""
    bad = [v for v in info.get("cat_loaded_at", []) if len(set(v.split(","))) != 1]
    if "norand" in name and bad:
        return "ASLR was not off: cat loaded at %s" % ", ".join(bad)
    return None


def run_native(tree, pie, runs, rounds, timeout):
    """RUNS native runs of one PIE workload: ([ns], [error], info)."""
    name, flags = pie[0], pie[4]
    got, errors, lines = [], [], []
    for _ in range(runs):
        cpu = lib.idlest_cpu()
        cmd = (["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", NATIVE_SH, "sh", tree,
                "setarch", "i686"] + flags + ["chroot", tree, "/bin/dash", "/bench/workload.sh", name, str(rounds)])
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout,
                               preexec_fn=lambda: os.sched_setaffinity(0, {cpu}))
        except subprocess.TimeoutExpired:
            errors.append("no result within %.0f s" % timeout)
            continue
        lines += p.stdout.splitlines()
        g, _ = lib.parse_results(p.stdout.splitlines())
        if p.returncode != 0 or name not in g:
            errors.append("status %d: %s" % (p.returncode, p.stdout.strip()[-300:]))
            continue
        got += g[name]
    info = pie_info(lines)
    problem = aslr_problem(name, info)
    if problem:
        errors.append(problem)
    return got, errors, info


def pie_boot(vmm, binary, guest, pie, runs, rounds, cfg):
    """One boot of the PIE guest running RUNS runs (0: boot only). Returns a dict:
    ns [per op], errors, problems, info, stats (ringshift's --stats), wall_s, clock."""
    name = pie[0]
    append = rsguest.kernel_append("/rs/pie.sh", ["pie.name=%s" % name, "pie.rounds=%d" % rounds,
                                                  "pie.runs=%d" % runs] + pie[3])
    cmd = rsguest.vmm_command(vmm, binary, guest["bzImage"], guest["initramfs"], append)
    if vmm == "ringshift":
        cmd += cfg["vmm_args"] + ([] if "--stats" in cfg["vmm_args"] else ["--stats"])
    log = os.path.join(cfg["out_dir"], "%s.%s%s.console.txt" % (vmm, name, "" if runs else ".boot-only"))
    b = lib.boot(cmd, cfg["timeout"], log)
    lines = b["lines"]
    got, errors = lib.parse_results(lines)
    res = {"command": cmd, "ns": got.get(name, []), "errors": errors.get(name, []), "problems": [],
           "info": pie_info(lines), "stats": lib.rs_stats(lines), "wall_s": b["wall_s"], "status": b["status"]}
    span = {m.group(1): float(m.group(2)) for m in map(CLOCK.search, lines) if m}
    if len(span) == 2 and b["host_span_s"]:
        res["guest_over_host_clock"] = (span["end"] - span["start"]) / b["host_span_s"]
    cs = [m.group(1) for m in map(lib.CLOCKSOURCE.search, lines) if m]
    res["guest_clocksource"] = cs[-1] if cs else None
    if b["timed_out"]:
        res["problems"].append("no exit within %.0f s" % cfg["timeout"])
    if b["status"] != 0:
        res["problems"].append("exit status %d" % b["status"])
    if "=== bench end" not in lines:
        res["problems"].append("the guest script did not finish (no '=== bench end')")
    bad = rsguest.trouble(lines)
    if bad:
        res["problems"].append("kernel trouble: " + " | ".join(bad[:5]))
    if runs and len(res["ns"]) < runs and not res["errors"]:
        res["errors"].append("%d of %d runs gave a result" % (len(res["ns"]), runs))
    problem = aslr_problem(name, res["info"])
    if problem:
        res["problems"].append(problem)
    if vmm == "ringshift" and not res["stats"]:
        res["problems"].append("no --stats figures at exit")
    return res


def run_vmm_pie(vmm, binary, guest, pie, runs, rounds, cfg):
    """The workload boot of one PIE workload under VMM and, for ringshift, the boot-only
    boot whose translation figures are taken from the workload boot's."""
    res = pie_boot(vmm, binary, guest, pie, runs, rounds, cfg)
    if vmm == "ringshift" and res["stats"]:
        base = pie_boot(vmm, binary, guest, pie, 0, rounds, cfg)
        res["boot_only_stats"] = base["stats"]
        res["problems"] += ["boot-only boot: " + p for p in base["problems"]]
        if base["stats"]:
            res["workload_stats"] = {k: res["stats"][k] - base["stats"][k] for k in res["stats"]}
    med = statistics.median(res["ns"]) if res["ns"] else None
    st = res.get("workload_stats") or {}
    lib.note("  %-9s %-18s %s, wall %.1f s%s" % (
        vmm, pie[0], "%.1f ms/op (median of %d)" % (med / 1e6, len(res["ns"])) if med else "FAILED",
        res["wall_s"], ", %d blocks / %.2f s translating beyond the boot" % (st["blocks"], st["translate_s"])
        if st else ""))
    for p in res["problems"] + res["errors"]:
        lib.note("  %-9s %-18s PROBLEM: %s" % (vmm, pie[0], p))
    clock = res.get("guest_over_host_clock")
    if runs and clock and abs(clock - 1) > 0.02:
        res["clock_note"] = ("%s %s: the guest's clock (clocksource %s) ran at %.3f of host time across the "
                             "runs, so its times are off by as much" % (vmm, pie[0], res["guest_clocksource"], clock))
        lib.note("  " + res["clock_note"])
    return res


def run_debian(vmm, binary, runs, cfg):
    """RUNS boots of the Debian image under VMM: {"login_s": [...], "stats": [...], "errors"}."""
    res = {"login_s": [], "stats": [], "errors": []}
    for i in range(runs):
        cmd = [sys.executable, BOOT_CHECK, "--no-grub-keys", "--timeout", str(int(min(cfg["timeout"], 900)))]
        err = tempfile.NamedTemporaryFile(prefix="rs-bench-stderr.", delete=False).name
        if vmm == "ringshift":
            cmd += ["--ringshift", binary, "--stderr", err]
            cmd += ["--vmm-arg=" + a for a in cfg["vmm_args"] + ([] if "--stats" in cfg["vmm_args"] else ["--stats"])]
        else:
            cmd += ["--qemu", binary]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        with open(os.path.join(cfg["out_dir"], "%s.debian_boot%d.txt" % (vmm, i + 1)), "w") as f:
            f.write("$ %s\n%s" % (" ".join(cmd), p.stdout))
        with open(err, errors="replace") as f:
            stats = lib.rs_stats(f.read().splitlines())
        os.unlink(err)
        m = LOGIN.search(p.stdout)
        if not m:
            res["errors"].append("boot %d: %s" % (i + 1, " | ".join(l for l in p.stdout.splitlines()
                                                                   if "FAIL" in l)[-300:] or "no PASS"))
            continue
        res["login_s"].append(float(m.group(1)))
        if stats:
            res["stats"].append(stats)
        lib.note("  %-9s debian_boot %d: login prompt after %.1f s%s" % (
            vmm, i + 1, float(m.group(1)), ", %d blocks, %.2f s translating" % (stats["blocks"], stats["translate_s"])
            if stats else ""))
    return res


def median_stat(stats, key):
    vals = [s[key] for s in stats if s and key in s]
    return statistics.median(vals) if vals else None


def make_row(name, what, unit, native, rs, qemu, blocks=None, translate=None, kind="real"):
    row = {"name": name, "kind": kind, "unit": unit, "what": what, "native": native, "ringshift": rs,
           "qemu": qemu, "rs_blocks": blocks, "rs_translate_s": translate}
    row["ringshift_over_native"] = None if kind == "ratio" else report.ratio(rs, native)
    row["qemu_over_native"] = None if kind == "ratio" else report.ratio(qemu, native)
    row["qemu_over_ringshift"] = None if kind == "ratio" else report.ratio(qemu, rs)
    return row


def pie_rows(res):
    """A row per PIE workload that ran, and the ASLR on/off ratios when both did."""
    rows = {}
    for name, _, _, _, _, what in PIE:
        r = res.get(name)
        if not r:
            continue
        med = lambda v: statistics.median(v) if v else None  # noqa: E731
        rs = r.get("ringshift") or {}
        st = rs.get("workload_stats") or {}
        procs = (rs or r.get("qemu") or {}).get("info", {}).get("processes_per_round")
        if procs:
            what += "; %s processes a round" % procs[0]
        ms = [med(v) / 1e6 if med(v) else None for v in (r.get("native"), rs.get("ns"), (r.get("qemu") or {}).get("ns"))]
        rows[name] = make_row(name, what, "ms/op", *ms, st.get("blocks"), st.get("translate_s"))
    out = list(rows.values())
    if "pie_script" in rows and "pie_script_norand" in rows:
        on, off = rows["pie_script"], rows["pie_script_norand"]
        out.append(make_row("pie ASLR on/off", "pie_script / pie_script_norand", "ratio",
                            *[report.ratio(on[k], off[k]) for k in ("native", "ringshift", "qemu", "rs_blocks",
                                                                     "rs_translate_s")], kind="ratio"))
    return out


def run(names, cfg):
    """Runs the real workloads among NAMES. CFG: runs, quick, ringshift, qemu (paths or
    None), native (bool), out_dir, timeout, vmm_args, cache, flavour. Returns
    {"rows", "failures", "results", "notes"}."""
    out = {"rows": [], "failures": [], "results": {}, "notes": []}
    pies = [p for p in PIE if p[0] in names]
    if pies:
        run_pies(pies, cfg, out)
    if DEBIAN in names:
        run_debian_row(cfg, out)
    return out


def run_pies(pies, cfg, out):
    try:
        guest = build_pie(cfg["cache"], cfg["flavour"])
    except RuntimeError as e:
        out["failures"].append("guests/pie/build.sh: %s" % e)
        return
    with open("/proc/sys/kernel/randomize_va_space") as f:
        host_aslr = f.read().strip()
    out["notes"].append("PIE guest: kernel %s; host randomize_va_space=%s" % (guest.get("kernel", "?"), host_aslr))
    lib.note("PIE workloads: tree %s, initramfs %s; host randomize_va_space=%s"
             % (guest["tree"], guest["initramfs"], host_aslr))
    res = out["results"].setdefault("pie", {})
    for pie in pies:
        name, rounds = pie[0], pie[2] if cfg["quick"] else pie[1]
        r = res[name] = {"rounds": rounds}
        if cfg["native"]:
            r["native"], errors, r["native_info"] = run_native(guest["tree"], pie, cfg["runs"], rounds, cfg["timeout"])
            out["failures"] += ["native %s: %s" % (name, e) for e in errors]
            if r["native"]:
                lib.note("  native    %-18s %.1f ms/op (median of %d)" % (name, statistics.median(r["native"]) / 1e6,
                                                                         len(r["native"])))
        for vmm in ("ringshift", "qemu"):
            if cfg[vmm]:
                v = r[vmm] = run_vmm_pie(vmm, cfg[vmm], guest, pie, cfg["runs"], rounds, cfg)
                out["failures"] += ["%s %s: %s" % (vmm, name, p) for p in v["problems"] + v["errors"]]
                out["notes"] += [v["clock_note"]] if "clock_note" in v else []
    out["rows"] += pie_rows(res)


def run_debian_row(cfg, out):
    if not os.path.isfile(DEBIAN_IMAGE):
        out["notes"].append("debian_boot skipped: no %s (guests/debian/build.sh builds it)"
                            % os.path.relpath(DEBIAN_IMAGE, REPO))
        lib.note(out["notes"][-1])
        return
    res = out["results"]["debian_boot"] = {}
    for vmm in ("ringshift", "qemu"):
        if cfg[vmm]:
            r = res[vmm] = run_debian(vmm, cfg[vmm], cfg["runs"], cfg)
            out["failures"] += ["%s debian_boot: %s" % (vmm, e) for e in r["errors"]]
    med = lambda vmm: statistics.median(res[vmm]["login_s"]) if res.get(vmm, {}).get("login_s") else None  # noqa
    stats = res.get("ringshift", {}).get("stats", [])
    out["rows"].append(make_row(DEBIAN, WHATS[-1][1], "s", None, med("ringshift"), med("qemu"),
                                median_stat(stats, "blocks"), median_stat(stats, "translate_s")))
    blocks, secs, median = (median_stat(stats, k) for k in ("blocks", "translate_s", "median_block_us"))
    if blocks and secs and median:
        out["notes"].append("ringshift debian_boot translation per block: median %.2f us, mean %.2f us "
                            "(medians over the boots)" % (median, secs * 1e6 / blocks))


def markdown_lines(out):
    """The section of bench/RESULTS.md on the real workloads that ran (none: no lines)."""
    if not out["rows"] and not out["notes"]:
        return []
    L = ["", "## The real workloads", "",
         "- `pie_script`, `pie_script_norand`: `guests/pie/build.sh` unpacks Debian 12's i386 libc6, coreutils, "
         "dash, bash, sed, grep, mawk, findutils, diffutils, gzip and their dependencies (dpkg-deb -x) into a "
         "tree whose every program is a dynamically linked PIE (checked with readelf), and adds it at /pie to "
         "the busybox initramfs. `guests/pie/workload.sh` (Debian's dash) runs rounds of a shell script's "
         "everyday work (ls, sort, cut, wc, grep, sed, tr, seq, paste, mawk, expr, date, basename, md5sum, "
         "gzip, find, xargs, ... and `bash ./configure`, a configure-like script) in `chroot /pie`, times them "
         "with `date +%s%N` after one untimed warm-up round, and prints RESULT per round. Natively the same "
         "tree and script run in a chroot (a private mount namespace with /proc, /dev and a tmpfs /tmp, as "
         "in the guest), pinned to one CPU, under `setarch i686`.",
         "- ASLR: `pie_script` runs with the guest's default (randomize_va_space=2; natively the host's "
         "setting), `pie_script_norand` with `norandmaps` on the guest's command line (natively `setarch "
         "-R`); each run checks where two cat processes were loaded (the same address twice with ASLR off). "
         "Each setting is one boot per VMM running every repetition. `pie ASLR on/off` is the ratio of the "
         "two rows.",
         "- `dash_loop`, `mawk_loop`: interpreter-style user code from the same tree (`guests/pie/workload.sh` "
         "with that name): a round is one process's long loop, Debian's dash running `while [ $j -lt 200000 ]; "
         "do j=$((j + 1)); done`, and Debian's mawk (a bytecode interpreter) running 1,500,000 iterations of a "
         "numeric loop with an associative array and string building whose results it checks; ASLR on.",
         "- `rs blocks` and `rs translate s`: ringshift runs these boots with `--stats`; the figures are the "
         "blocks it translated and the time it spent translating in the workload boot minus those of a boot "
         "of the same guest that only powers off (the kernel's boot). For `debian_boot` they are the whole "
         "boot's.",
         "- `debian_boot`: the image of `guests/debian/build.sh` (GRUB, Debian's 686-pae kernel, systemd) "
         "booted by `guests/debian/boot_check.py --no-grub-keys` (IDE disk, -snapshot, 512 MiB) to the serial "
         "login prompt; seconds from the VMM's start, median of the boots."]
    for name, r in sorted(out["results"].get("pie", {}).items()):
        for vmm in ("ringshift", "qemu"):
            v = r.get(vmm)
            if not v:
                continue
            base = v.get("boot_only_stats")
            L.append("- %s %s: rounds a run %d; guest randomize_va_space %s; %s processes a round; guest clock / "
                     "host clock %s (clocksource %s)%s" % (
                         vmm, name, r["rounds"], ",".join(v["info"].get("randomize_va_space", ["?"])),
                         ",".join(sorted(set(v["info"].get("processes_per_round", ["?"])))),
                         "%.4f" % v["guest_over_host_clock"] if v.get("guest_over_host_clock") else "?",
                         v.get("guest_clocksource"),
                         "; the boot alone: %d blocks, %.2f s translating" % (base["blocks"], base["translate_s"])
                         if base else ""))
    L += ["- " + n for n in out["notes"]]
    return L
