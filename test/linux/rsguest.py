"""Shared helpers of the Linux guest tests (test/linux) and bench/boot.py: building the
test programs, the initramfs (through guests/linux/fetch.sh) and the command line that
boots it under ringshift or under QEMU TCG. Python 3 standard library only."""

import argparse
import os
import re
import shutil
import tempfile
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FETCH = os.path.join(REPO, "guests", "linux", "fetch.sh")
DEFAULT_CACHE = os.path.join(REPO, "guests", "linux", "cache")
MEMORY_MIB = 128

# Kernel messages that fail a run: a panic, an oops or die() (their "[#N]" counter), a
# BUG: line (also "BUG: soft lockup", "BUG: kernel NULL pointer dereference", ...), a
# WARN() splat, and user programs killed by an unhandled fault (show_unhandled_signals).
TROUBLE = re.compile(r"Kernel panic|Oops|BUG:|WARNING: CPU|\] \[#\d+\]|: \d{4} \[#\d+\]"
                     r"|general protection fault|invalid opcode:|segfault at |traps: ")

KERNEL_LINE = re.compile(r"^\[\s*\d+\.\d+\] ")


class Error(Exception):
    pass


def note(msg):
    print(msg, flush=True)


def build_progs(outdir, names=("ctest", "cpuidcheck", "now", "gendata")):
    """gcc -m32 -static -O2 each test/linux/progs/NAME.c into OUTDIR/NAME."""
    gcc = shutil.which("gcc")
    if not gcc:
        raise Error("gcc not found: apt-get install -y gcc gcc-multilib")
    os.makedirs(outdir, exist_ok=True)
    for name in names:
        src = os.path.join(HERE, "progs", name + ".c")
        out = os.path.join(outdir, name)
        cmd = [gcc, "-m32", "-static", "-O2", "-Wall", "-Wextra", "-o", out, src]
        if name == "ctest":
            cmd[4:4] = ["-msse2", "-mfpmath=sse"]
            cmd.append("-lm")
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            hint = ""
            if "bits/" in p.stdout or "cannot find" in p.stdout or "gnu/stubs-32" in p.stdout:
                hint = " (32-bit static libc missing: apt-get install -y gcc-multilib)"
            raise Error("building %s failed%s:\n%s" % (name, hint, p.stdout))
    return outdir


def make_initramfs(extra_dir, out, cache=None):
    """Runs guests/linux/fetch.sh (which downloads the guest into the cache when it is
    missing) to build OUT from the default tree plus EXTRA_DIR. Returns (bzImage, out)."""
    cmd = ["bash", FETCH, "--initramfs", out]
    if extra_dir:
        cmd += ["--extra", extra_dir]
    if cache:
        cmd.append(cache)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise Error("%s failed (status %d):\n%s%s" % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
    info = dict(line.split(": ", 1) for line in p.stdout.splitlines() if ": " in line)
    bz = info.get("bzImage")
    if not bz or not os.path.exists(bz):
        raise Error("fetch.sh did not name a bzImage:\n" + p.stdout)
    return bz, out, info.get("kernel", "?")


def test_setup(doc, prefix, timeout):
    """Command line of a ringshift-only guest test (--ringshift PATH [--workdir DIR]
    [--cache DIR] [--timeout S]) and its work directory with an empty extra/rs/ for the
    initramfs. Returns (args, work, extra)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--ringshift", required=True, metavar="PATH")
    ap.add_argument("--workdir")
    ap.add_argument("--cache")
    ap.add_argument("--timeout", type=float, default=timeout)
    args = ap.parse_args()
    work = os.path.abspath(args.workdir) if args.workdir else tempfile.mkdtemp(prefix=prefix)
    extra = os.path.join(work, "extra")
    os.makedirs(os.path.join(extra, "rs"), exist_ok=True)
    return args, work, extra


def busybox_path(cache=None):
    return os.path.join(cache or DEFAULT_CACHE, "busybox")


def applet_dir(busybox, where):
    """A directory of symlinks to BUSYBOX, one per applet, to run guest scripts natively."""
    os.makedirs(where, exist_ok=True)
    names = subprocess.run([busybox, "--list"], stdout=subprocess.PIPE, text=True, check=True).stdout.split()
    for name in names:
        link = os.path.join(where, name)
        if not os.path.lexists(link):
            os.symlink(os.path.abspath(busybox), link)
    return where


def ensure_qemu():
    q = shutil.which("qemu-system-i386")
    if q:
        return q
    note("qemu-system-i386 not found: apt-get install -y qemu-system-x86")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        r = subprocess.run(["apt-get", "install", "-y", "qemu-system-x86"], env=env)
        if r.returncode != 0:
            subprocess.run(["apt-get", "update"], env=env)
            subprocess.run(["apt-get", "install", "-y", "qemu-system-x86"], env=env)
    q = shutil.which("qemu-system-i386")
    if not q:
        raise Error("qemu-system-i386 is not installed (apt-get install -y qemu-system-x86)")
    return q


def vmm_command(vmm, binary, bzimage, initrd, append, memory=MEMORY_MIB):
    """The command that boots BZIMAGE + INITRD with APPEND, the serial console on stdio.
    VMM is "ringshift" (BINARY is its path) or "qemu" (BINARY optional)."""
    if vmm == "ringshift":
        return [binary, "run", "--kernel", bzimage, "--initrd", initrd, "-m", "%dM" % memory,
                "--no-reboot", "--append", append]
    if vmm == "qemu":
        return [binary or ensure_qemu(), "-accel", "tcg", "-m", str(memory), "-display", "none",
                "-serial", "stdio", "-monitor", "none", "-no-reboot", "-kernel", bzimage,
                "-initrd", initrd, "-append", append]
    raise ValueError(vmm)


def kernel_append(check):
    """The kernel command line the tests use: console on COM1, reboot at once on a panic
    (with --no-reboot / -no-reboot that ends the run instead of hanging it), and the check
    script for /init."""
    args = ["console=ttyS0", "panic=-1"]
    # Extra arguments for investigations, e.g. RS_APPEND=nokaslr so that a profile can
    # name kernel blocks with a /proc/kallsyms taken from the same kernel.
    args += os.environ.get("RS_APPEND", "").split()
    if check:
        args.append("rs.check=" + check)
    return " ".join(args)


def trouble(lines):
    return [l for l in lines if TROUBLE.search(l)]


def user_lines(lines):
    """Lines that are not kernel log messages (printk may interleave with user output)."""
    return [l for l in lines if not KERNEL_LINE.match(l)]


def section(lines, name):
    """The user lines between "=== NAME begin" and "=== NAME end" (None if missing)."""
    try:
        b = lines.index("=== %s begin" % name)
        e = lines.index("=== %s end" % name, b)
    except ValueError:
        return None
    return user_lines(lines[b + 1:e])


INIT_BANNER = re.compile(r"ringshift-guest: init started \(uptime ([0-9.]+) s")


def uptime_at_init(lines):
    for l in lines:
        m = INIT_BANNER.search(l)
        if m:
            return float(m.group(1))
    return None


def tail(lines, n=40):
    return "\n".join("    " + l for l in lines[-n:])


if __name__ == "__main__":
    sys.exit("rsguest.py is a module of test/linux/boot_test.py, pty_test.py and bench/boot.py")
