"""Shared harness of the disk tests (test/disk/*_test.py): the command line, the
initramfs with the kernel's disk modules and the guest scripts of test/disk/guest, boots
under ringshift or QEMU TCG with disks (test/linux/rsguest.py), the guest's reports, and
the host's own look at the images (mke2fs, e2fsck -fn, debugfs dump: no mounts, no root
needed). Python 3 standard library only; the host tools come from e2fsprogs and xorriso.

Every test prints one PASS/FAIL line per check and a summary line, keeps each boot's
console in its work directory, and exits 0 when every check passed, 1 otherwise.
"""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "linux"))
import rsguest  # noqa: E402

Error = rsguest.Error

# Kernel lines that say a disk or a file system lost data or hit an error, beside
# rsguest.TROUBLE: libata errors ("ata1.00: failed command: WRITE DMA", "ata1: ... error"),
# the block layer's and the buffer cache's I/O errors, ext4's and jbd2's errors, SCSI
# sense reports of failed commands.
DISK_TROUBLE = re.compile(r"ata\d.*(error|failed)|I/O error|EXT4-fs error|EXT4-fs warning|JBD2: .*(error|abort)"
                          r"|blk_update_request|print_req_error|critical (medium|target) error"
                          r"|FAILED Result|Sense Key|\[sr\d\].*(error|failed)|virtio_blk.*error")
SUM = re.compile(r"\bsum (\S+) ([0-9a-f]{64}) (\d+)\b")
GUEST_STATUS = re.compile(r"ringshift-guest: check exited with status (\d+)")
DEVICE = {"ide": "sda", "virtio": "vda"}


class Abort(Exception):
    """Nothing more can be checked (the VMM refused to start, a boot gave nothing)."""


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tool(name, package):
    path = shutil.which(name) or next((p for p in ("/sbin/" + name, "/usr/sbin/" + name) if os.path.exists(p)), None)
    if not path:
        raise Error("%s not found: apt-get install -y %s" % (name, package))
    return path


def run_tool(cmd, what):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise Error("%s failed (status %d): %s\n%s" % (what, p.returncode, " ".join(cmd), p.stdout))
    return p.stdout


def make_ext4(path, mib=64, populate=None):
    """A raw image of MIB MiB holding a fresh ext4 file system (the contents of the
    directory POPULATE, if given, through mke2fs -d: no mounts). At 64 MiB mke2fs picks
    its "small" type: 1 KiB blocks, so the guest's disk requests are 1 KiB-aligned, not
    only whole pages."""
    if os.path.exists(path):
        os.unlink(path)
    with open(path, "wb") as f:
        f.truncate(mib << 20)
    cmd = [tool("mke2fs", "e2fsprogs"), "-q", "-t", "ext4", "-F", "-L", "rsdisk"]
    if populate:
        cmd += ["-d", populate]
    run_tool(cmd + [path], "mke2fs")
    return path


def random_file(path, size, seed):
    """SIZE bytes of reproducible pseudo-random data (SHA-256 in counter mode of SEED)."""
    out = bytearray()
    n = 0
    while len(out) < size:
        out += hashlib.sha256(b"%s:%d" % (seed.encode(), n)).digest()
        n += 1
    with open(path, "wb") as f:
        f.write(out[:size])
    return hashlib.sha256(out[:size]).hexdigest()


def e2fsck(image):
    """(clean, output) of e2fsck -fn on IMAGE (read-only check, forced)."""
    p = subprocess.run([tool("e2fsck", "e2fsprogs"), "-fn", image], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    return p.returncode == 0, p.stdout


def debugfs_dump(image, fs_path, out):
    """Copies FS_PATH out of the ext4 IMAGE into OUT with debugfs (no mount); returns
    OUT's sha256, or None when debugfs could not (the file is not there)."""
    if os.path.exists(out):
        os.unlink(out)
    p = subprocess.run([tool("debugfs", "e2fsprogs"), "-R", "dump -p /%s %s" % (fs_path, out), image],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0 or not os.path.exists(out) or "not found" in p.stdout.lower():
        return None
    return sha256_file(out)


class Test:
    """One disk test: its arguments, work directory, verdicts and boots.

    WITH_IF: the test takes --if ide|virtio (the disk's interface)."""

    def __init__(self, doc, name, timeout=120, with_if=True):
        ap = argparse.ArgumentParser(description=doc.splitlines()[0], epilog=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
        g = ap.add_mutually_exclusive_group(required=True)
        g.add_argument("--ringshift", metavar="PATH", help="the ringshift binary")
        g.add_argument("--qemu", action="store_true", help="run under qemu-system-i386 -accel tcg instead")
        if with_if:
            ap.add_argument("--if", dest="iface", choices=("ide", "virtio"), default="ide",
                            help="the disk's interface: PIIX IDE (/dev/sda) or virtio-blk (/dev/vda); default ide")
        ap.add_argument("--workdir", help="keep images, initramfs and console logs here (default: a new /tmp dir)")
        ap.add_argument("--cache", help="guest cache directory (default guests/linux/cache)")
        ap.add_argument("--timeout", type=float, default=timeout,
                        help="seconds for each boot (default %d)" % timeout)
        ap.add_argument("--memory", type=int, default=rsguest.MEMORY_MIB, help="guest RAM in MiB (default 128)")
        self.args = ap.parse_args()
        self.name = name
        self.iface = getattr(self.args, "iface", None)
        self.dev = DEVICE.get(self.iface)
        self.vmm = "qemu" if self.args.qemu else "ringshift"
        self.work = os.path.abspath(self.args.workdir) if self.args.workdir else \
            tempfile.mkdtemp(prefix="rs-disk-%s." % name)
        os.makedirs(self.work, exist_ok=True)
        self.results = []
        self.t0 = time.time()
        self.bz = self.initrd = None
        self.binary = None

    # ------------------------------------------------------------------ verdicts
    def check(self, ok, what):
        self.results.append((bool(ok), what))
        print("%s %s" % ("PASS" if ok else "FAIL", what), flush=True)
        return ok

    def finish(self):
        failed = [w for ok, w in self.results if not ok]
        label = self.name + (" (%s)" % self.iface if self.iface else "")
        print("%s: disk %s under %s: %d checks, %d failed; wall %.1f s; work %s"
              % ("PASS" if not failed and self.results else "FAIL", label, self.vmm, len(self.results),
                 len(failed), time.time() - self.t0, self.work), flush=True)
        return 0 if self.results and not failed else 1

    def main(self, body):
        """Runs BODY(self) and returns the exit status."""
        try:
            if self.vmm == "ringshift" and not os.access(self.args.ringshift, os.X_OK):
                raise Error("not an executable: %s" % self.args.ringshift)
            self.binary = self.args.ringshift if self.vmm == "ringshift" else rsguest.ensure_qemu()
            body(self)
        except Abort:
            pass
        except (Error, OSError, subprocess.SubprocessError) as e:
            self.check(False, "setup: %s" % e)
        return self.finish()

    # ------------------------------------------------------------------ guest
    def build_initramfs(self):
        """The initramfs: the disk modules and every script of test/disk/guest in /rs."""
        extra = os.path.join(self.work, "extra")
        shutil.rmtree(extra, ignore_errors=True)
        shutil.copytree(os.path.join(HERE, "guest"), os.path.join(extra, "rs"))
        self.bz, self.initrd, _ = rsguest.make_initramfs(extra, os.path.join(self.work, "initramfs.cpio.gz"),
                                                         self.args.cache, disk_modules=True)

    def boot(self, label, script, drives, phase=None, dev=None, snapshot=False, kill_on=None):
        """Boots the guest with /rs/SCRIPT as its check and DRIVES (rsguest.Drive);
        rs.dev=DEV (default the test's) and rs.phase=PHASE on the kernel command line.
        KILL_ON: a regex; the VMM is killed with SIGKILL as soon as a console line
        matches. Returns the rsguest.Run; raises Abort when the VMM refused to start."""
        if self.initrd is None:
            self.build_initramfs()
        extra = ["rs.dev=" + (dev or self.dev)]
        if phase:
            extra.append("rs.phase=" + phase)
        append = rsguest.kernel_append("/rs/" + script, extra)
        cmd = rsguest.vmm_command(self.vmm, self.binary, self.bz, self.initrd, append, self.args.memory,
                                  drives, snapshot, self.work)
        log = os.path.join(self.work, label + ".console.log")
        print("boot %s under %s, log %s\n  %s" % (label, self.vmm, log, " ".join(cmd)), flush=True)
        on_line = (lambda line: bool(kill_on.search(line))) if kill_on else None
        run = rsguest.run_console(cmd, self.args.timeout, log, on_line=on_line)
        why = rsguest.rejected(self.vmm, run)
        if why:
            flags = " ".join(rsguest.drive_args(self.vmm, drives, snapshot, self.work))
            self.check(False, "%s: %s (its disk flags: %s)" % (label, why, flags))
            raise Abort()
        if run.timed_out:
            self.check(False, "%s: %s still running after %.0f s: killed" % (label, self.vmm, self.args.timeout))
        print("  %s: %.1f s" % (label, run.wall), flush=True)
        return run

    def guest_ok(self, label, run, disk_errors_allowed=False, powered_off=True):
        """The checks of every boot: the VMM's exit, the kernel's console, the guest's own
        verdicts and the check script's status. Returns the guest's user lines."""
        lines = run.lines
        ulines = rsguest.user_lines(lines)
        failed_before = sum(1 for ok, _ in self.results if not ok)
        if powered_off:
            if run.status is not None:
                self.check(run.status == 0, "%s: %s exit status %d%s" % (
                    label, self.vmm, run.status, "" if run.status == 0 else
                    " (stderr: %s)" % " | ".join(run.err[-3:])))
        bad = rsguest.trouble(lines)
        self.check(not bad, "%s: no panic/oops/BUG/WARN on the console" % label
                   + ("" if not bad else ": " + " | ".join(bad[:4])))
        if not disk_errors_allowed:
            derr = [l for l in lines if DISK_TROUBLE.search(l)]
            self.check(not derr, "%s: no disk or file-system errors on the console" % label
                       + ("" if not derr else ": " + " | ".join(derr[:4])))
        body = rsguest.section(lines, "disk")
        if body is None:
            body = ulines[ulines.index("=== disk begin") + 1:] if "=== disk begin" in ulines else []
            if powered_off:
                self.check(False, "%s: the check script's report is incomplete (no '=== disk end')" % label)
        for l in body:
            if l.startswith(("PASS ", "FAIL ")):
                self.check(l.startswith("PASS "), "%s: guest: %s" % (label, l[5:]))
            elif l.startswith(("writer ", "reader", "disk:", "rs-disks:", "busy files")):
                print("  %s: %s" % (label, l))
        if powered_off:
            st = [GUEST_STATUS.search(l) for l in ulines]
            st = [m.group(1) for m in st if m]
            self.check(st == ["0"], "%s: check script exit status %s" % (label, st[0] if st else "missing"))
        if sum(1 for ok, _ in self.results if not ok) > failed_before:
            print("  --- %s console (last 25 lines) ---\n%s" % (label, rsguest.tail(lines, 25)))
        return body

    @staticmethod
    def sums(lines):
        """{name: (sha256, size)} from the guest's "sum NAME SHA256 SIZE" lines."""
        out = {}
        for l in lines:
            m = SUM.search(l)
            if m:
                out[m.group(1)] = (m.group(2), int(m.group(3)))
        return out

    def compare_sums(self, what, got, want):
        """GOT against WANT ({name: (sha256, size)}), one verdict naming the differences."""
        diffs = []
        for name in sorted(set(got) | set(want)):
            if name not in got:
                diffs.append("%s missing" % name)
            elif name not in want:
                diffs.append("%s unexpected" % name)
            elif got[name] != want[name]:
                diffs.append("%s: %s (%d bytes), expected %s (%d bytes)" % (
                    name, got[name][0][:16], got[name][1], want[name][0][:16], want[name][1]))
        return self.check(not diffs and want, "%s: %d file%s%s" % (
            what, len(want), "" if len(want) == 1 else "s", "" if not diffs else ": " + "; ".join(diffs[:4])))

    def image_sums(self, image, names):
        """{name: (sha256, size)} of NAMES read out of the ext4 IMAGE by debugfs."""
        out = {}
        d = os.path.join(self.work, "dump")
        os.makedirs(d, exist_ok=True)
        for name in names:
            dst = os.path.join(d, name.replace("/", "_"))
            h = debugfs_dump(image, name, dst)
            if h is not None:
                out[name] = (h, os.path.getsize(dst))
        return out

    def fsck(self, label, image):
        clean, text = e2fsck(image)
        self.check(clean, "%s: e2fsck -fn clean" % label + ("" if clean else ":\n" + "\n".join(
            "    " + l for l in text.splitlines()[-12:])))
        return clean
