"""Shared helpers of the Linux guest tests (test/linux, test/disk) and bench/boot.py:
building the test programs, the initramfs (through guests/linux/fetch.sh) and the command
line that boots it under ringshift or under QEMU TCG, with disks in QEMU's spellings, and
running it with the console read line by line. Python 3 standard library only."""

import argparse
import os
import re
import shutil
import tempfile
import subprocess
import sys
import threading
import time

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


def default_cache(flavour=None):
    """The guest cache of a kernel flavour (fetch.sh's default for it)."""
    return DEFAULT_CACHE if flavour in (None, "686") else DEFAULT_CACHE + "-" + flavour


def make_initramfs(extra_dir, out, cache=None, disk_modules=False, flavour=None):
    """Runs guests/linux/fetch.sh (which downloads the guest into the cache when it is
    missing) to build OUT from the default tree plus EXTRA_DIR; DISK_MODULES: with the
    kernel's disk modules (fetch.sh --disk-modules; loaded by /sbin/rs-disks in the guest).
    Returns (bzImage, out, kernel release)."""
    cmd = ["bash", FETCH, "--initramfs", out]
    if extra_dir:
        cmd += ["--extra", extra_dir]
    if disk_modules:
        cmd.append("--disk-modules")
    if flavour:
        cmd += ["--flavour", flavour]
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
    ap.add_argument("--flavour", choices=("686", "686-pae"), default="686",
                    help="the Debian kernel: 686 (default) or 686-pae")
    ap.add_argument("--timeout", type=float, default=timeout)
    args = ap.parse_args()
    work = os.path.abspath(args.workdir) if args.workdir else tempfile.mkdtemp(prefix=prefix)
    extra = os.path.join(work, "extra")
    os.makedirs(os.path.join(extra, "rs"), exist_ok=True)
    return args, work, extra


def busybox_path(cache=None, flavour=None):
    return os.path.join(cache or default_cache(flavour), "busybox")


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


class Drive:
    """A disk for vmm_command: KIND "ide" or "virtio" (a raw hard disk image on the PIIX
    IDE controller or on virtio-blk over PCI) or "cdrom" (an ISO image on the IDE
    controller's ATAPI CD drive), READONLY: the guest's writes must fail."""

    def __init__(self, kind, path, readonly=False):
        if kind not in ("ide", "virtio", "cdrom"):
            raise ValueError(kind)
        self.kind, self.path, self.readonly = kind, os.path.abspath(path), readonly


def drive_args(vmm, drives, snapshot=False, workdir=None):
    """The VMM's flags for DRIVES (and -snapshot), in QEMU's spellings, which ringshift
    accepts too: -drive file=F,if=ide|virtio,format=raw[,readonly=on], -cdrom F.
    QEMU refuses a read-only IDE hard disk ("Block node is read-only"); there the drive is
    a blkdebug node over the image that fails every write with EIO (the guest sees ABRT on
    WRITE DMA, then an I/O error), which is what a read-only disk shows a guest on a
    real IDE controller. Its rules file goes to WORKDIR."""
    args = []
    for d in drives:
        if d.kind == "cdrom":
            args += ["-cdrom", d.path]
            continue
        if "," in d.path:
            raise Error("a drive's file name must not contain a comma: " + d.path)
        if vmm == "qemu" and d.kind == "ide" and d.readonly:
            rules = os.path.join(workdir or tempfile.mkdtemp(prefix="rs-blkdebug."), "fail-writes.blkdebug")
            with open(rules, "w") as f:
                f.write('[inject-error]\nevent = "pwritev"\niotype = "write"\nerrno = "5"\n')
            args += ["-drive", "file=blkdebug:%s:%s,if=ide,format=raw" % (rules, d.path)]
            continue
        args += ["-drive", "file=%s,if=%s,format=raw%s" % (d.path, d.kind, ",readonly=on" if d.readonly else "")]
    if snapshot:
        args.append("-snapshot")
    return args


def vmm_command(vmm, binary, bzimage, initrd, append, memory=MEMORY_MIB, drives=(), snapshot=False,
                workdir=None):
    """The command that boots BZIMAGE + INITRD with APPEND, the serial console on stdio,
    with DRIVES (see Drive, drive_args). VMM is "ringshift" (BINARY is its path) or "qemu"
    (BINARY optional)."""
    if vmm == "ringshift":
        return [binary, "run", "--kernel", bzimage, "--initrd", initrd, "-m", "%dM" % memory,
                "--no-reboot", "--append", append] + drive_args(vmm, drives, snapshot, workdir)
    if vmm == "qemu":
        return [binary or ensure_qemu(), "-accel", "tcg", "-m", str(memory), "-display", "none",
                "-serial", "stdio", "-monitor", "none", "-no-reboot", "-kernel", bzimage,
                "-initrd", initrd, "-append", append] + drive_args(vmm, drives, snapshot, workdir)
    raise ValueError(vmm)


def kernel_append(check, extra=()):
    """The kernel command line the tests use: console on COM1, reboot at once on a panic
    (with --no-reboot / -no-reboot that ends the run instead of hanging it), the check
    script for /init and EXTRA words (e.g. "rs.dev=sda" for the check script to read
    from /proc/cmdline)."""
    args = ["console=ttyS0", "panic=-1"]
    # Extra arguments for investigations, e.g. RS_APPEND=nokaslr so that a profile can
    # name kernel blocks with a /proc/kallsyms taken from the same kernel.
    args += os.environ.get("RS_APPEND", "").split()
    if check:
        args.append("rs.check=" + check)
    args += list(extra)
    return " ".join(args)


class Run:
    """What run_console saw: status (None when killed by us or timed out), timed_out,
    killed (by on_line), timed [(host time, line)], lines, err (stderr lines; empty when
    merged into the console), wall seconds."""

    def __init__(self):
        self.status = None
        self.timed_out = False
        self.killed = False
        self.timed = []
        self.err = []
        self.wall = 0.0

    @property
    def lines(self):
        return [l for _, l in self.timed]


def run_console(cmd, timeout, log_path, merge_stderr=False, on_line=None):
    """Runs CMD (stdin empty), reading its stdout (the guest's console) line by line into
    LOG_PATH. ON_LINE(line) is called for each line; when it returns True the VMM is
    killed at once with SIGKILL (kill -9) and Run.killed is set. After TIMEOUT seconds
    it is killed too (Run.timed_out)."""
    r = Run()
    t0 = time.time()
    with open(log_path, "w") as log:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE)

        def reader():
            for raw in iter(p.stdout.readline, b""):
                now = time.time()
                line = raw.decode("utf-8", "replace").rstrip("\r\n").replace("\r", "")
                r.timed.append((now, line))
                log.write(line + "\n")
                log.flush()
                if on_line and not r.killed and on_line(line):
                    p.kill()
                    r.killed = True

        def err_reader():
            for raw in iter(p.stderr.readline, b""):
                r.err.append(raw.decode("utf-8", "replace").rstrip("\r\n"))

        threads = [threading.Thread(target=reader, daemon=True)]
        if not merge_stderr:
            threads.append(threading.Thread(target=err_reader, daemon=True))
        for th in threads:
            th.start()
        try:
            status = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            r.timed_out = True
            status = None
        for th in threads:
            th.join(5)
        if r.err:
            log.write("".join("stderr: %s\n" % l for l in r.err))
    r.status = None if r.killed else status
    r.wall = time.time() - t0
    return r


def rejected(vmm, run):
    """One line saying that the VMM refused its command line (it exited with an error
    before the kernel printed anything: an unknown option, a drive it cannot attach), or
    None. ringshift's errors are "ringshift: error: ..." lines with status 2."""
    if run.killed or run.timed_out or run.status == 0 or any("Linux version" in l for l in run.lines):
        return None
    msg = [l for l in run.err + run.lines if l.strip()]
    if vmm == "ringshift":
        msg = [l for l in msg if l.startswith("ringshift: error:")] or msg
    return "%s rejected the command line (exit status %s): %s" % (
        vmm, run.status, msg[0] if msg else "no message")


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
