"""The report of the workload benchmark (bench/run_all.py): the machine's description, the
table of medians and ratios (plain or markdown), the SVG chart of ratios to native and
bench/RESULTS.md. Python 3 standard library only."""
import datetime
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# The files whose uncommitted changes machine_info notes beside the git commit.
SCRIPTS = ["bench/run_all.py", "bench/bench_lib.py", "bench/bench_report.py", "bench/real_workloads.py",
           "bench/workloads", "guests/pie"]


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
        if subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", *SCRIPTS],
                          stdout=subprocess.PIPE, text=True).stdout.strip():
            info["git"] += " + uncommitted changes to bench/ or guests/pie/"
    except OSError:
        pass
    return info


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt(v, unit=None):
    if v is None:
        return "-"
    if unit == "ratio":
        return fmt_ratio(v)
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
    """The table of ROWS; with the columns of ringshift's translation figures (blocks
    translated, seconds spent translating) when a row has them (the real workloads)."""
    head = ["workload", "unit", "native", "ringshift", "QEMU", "ringshift/native", "QEMU/native", "QEMU/ringshift"]
    body = [[r["name"], r["unit"], fmt(r["native"], r["unit"]), fmt(r["ringshift"], r["unit"]),
             fmt(r["qemu"], r["unit"]), fmt_ratio(r["ringshift_over_native"]), fmt_ratio(r["qemu_over_native"]),
             fmt_ratio(r["qemu_over_ringshift"])] for r in rows]
    if any("rs_blocks" in r for r in rows):
        head += ["rs blocks", "rs translate s"]
        for r, b in zip(rows, body):
            blocks = r.get("rs_blocks")
            b += [fmt(blocks, "ratio") if r["unit"] == "ratio" or blocks is None else "%d" % blocks,
                  fmt(r.get("rs_translate_s"), "ratio" if r["unit"] == "ratio" else None)]
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|"]
        out += ["| " + " | ".join(b) + " |" for b in body]
        return out
    widths = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    line = lambda cells: "  ".join(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(cells))
    return [line(head), "  ".join("-" * w for w in widths)] + [line(b) for b in body]


def svg_chart(rows, info, title):
    """Grouped horizontal bars: ringshift/native and QEMU/native per workload, log x."""
    import math
    data = [r for r in rows if r["kind"] not in ("vmm", "ratio") and (r["ringshift_over_native"] or r["qemu_over_native"])]
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
    ("host_mmap_populate_page", "the same mmap with MAP_POPULATE (not used by shadow fills: no cheaper than mmap + touch here)"),
    ("host_populated_touch", "first access to a page mapped with MAP_POPULATE"),
    ("host_mprotect_page", "mprotect of one page"),
    ("host_unmap_page", "one page back to PROT_NONE anonymous"),
    ("host_wrgsbase_pair", "WRGSBASE, a load through GS, WRGSBASE"),
    ("host_fxsave_pair", "FXSAVE + FXRSTOR"),
]


def header_lines(info, args_line, mode, vmms, runtime, memory_mib):
    """The first lines of bench/RESULTS.md: what ran where."""
    return ["# ringshift workload benchmark results", "",
         "Generated by `bench/run_all.py` (%s). Regenerate with `%s`." % (mode, args_line), "",
         "- Date: %s" % info["date"],
         "- Machine: %s, %s cores, %s RAM, host kernel %s (%s); load average at start %s"
         % (info["cpu"], info["cores"], info.get("mem_total", "?"), info["kernel"], info["host"],
            info["loadavg_at_start"]),
         "- %s (`%s`); %s; %s; benchmark scripts at git %s"
         % (info.get("ringshift", "ringshift not run"), info.get("ringshift_path", "-"),
            info.get("qemu", "QEMU not run"), info["gcc"], info.get("git", "?")),
         "- Guest: Debian 12 i386 kernel + busybox initramfs (guests/linux/fetch.sh), %d MiB RAM, 1 CPU, "
         "the same kernel, initramfs and command line under both VMMs" % memory_mib,
         "- Guest clocksource: %s; guest uptime / host time across the workload run (clock check, "
         "1 = the guest clock keeps real time): %s"
         % (", ".join("%s %s" % (k, v.get("guest_clocksource")) for k, v in vmms.items()),
            ", ".join("%s %s" % (k, "%.4f" % v["guest_over_host_clock"] if v.get("guest_over_host_clock")
                                 else "?") for k, v in vmms.items())),
         "- Load average at the end: %s (other work on this 2-core machine adds noise)"
         % info.get("loadavg_at_end", "?"),
         "- Total run time of the benchmark: %.0f s" % runtime, ""]


def write_markdown(path, info, args_line, mode, rows, vmms, failures, runtime, svg_name, host=None,
                   memory_mib=128, whats=(), extra=()):
    """bench/RESULTS.md: WHATS are (workload, what one op is) of the rows' workloads, EXTRA
    the lines of a section on the real workloads (bench/real_workloads.py)."""
    L = header_lines(info, args_line, mode, vmms, runtime, memory_mib)
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
    L += ["  - `%s`: %s" % (name, what) for name, what in whats if name in {r["name"] for r in rows}]
    L += list(extra)
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


def write_outputs(data, out_dir, record, vmms, whats, extra):
    """Prints the table and writes OUT_DIR/results.json and results.svg, and when RECORD
    bench/RESULTS.md and bench/results.svg. DATA is results.json's content; WHATS and
    EXTRA as for write_markdown."""
    info, rows, failures = data["machine"], data["rows"], data["failures"]
    print()
    print("bench/run_all: medians (%s); ratios are times, above 1 = slower than the reference" % data["mode"])
    for line in table_lines(rows, False):
        print("  " + line)
    for n in data["real_notes"]:
        print("  note: " + n)
    for f in failures:
        print("  FAILED: " + f)
    print("  total run time %.0f s" % data["runtime_s"])
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    title = "ringshift vs QEMU TCG, i386 workloads (%s)" % info["date"].split()[0]
    chart_info = "%s, %s cores; %s; median of %d" % (info["cpu"], info["cores"], info.get("qemu", ""), data["runs"])
    svg = svg_chart(rows, chart_info, title)
    with open(os.path.join(out_dir, "results.svg"), "w") as f:
        f.write(svg)
    print("bench/run_all: wrote %s/results.json and results.svg, consoles in %s/*.console.txt"
          % (out_dir, out_dir), flush=True)
    if record:
        with open(os.path.join(HERE, "results.svg"), "w") as f:
            f.write(svg)
        cmdline = "bench/run_all.py " + " ".join(a if " " not in a else repr(a) for a in sys.argv[1:])
        write_markdown(os.path.join(HERE, "RESULTS.md"), info, cmdline.strip(), data["mode"], rows, vmms, failures,
                       data["runtime_s"], "results.svg", data["host_costs_ns"], data["memory_mib"], whats, extra)
        print("bench/run_all: wrote bench/RESULTS.md and bench/results.svg", flush=True)
