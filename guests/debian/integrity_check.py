#!/usr/bin/env python3
"""Data integrity on the Debian system image: what the guest synced is on the host's disk.

On a sparse copy of guests/debian/cache/debian.img (the image itself is not touched),
under ringshift or QEMU TCG, on an IDE or a virtio-blk disk:

1. boot 1 writes files of random data (odd sizes, up to 8 MB) and, at the same time, four
   writers of 20 files each; prints every file's SHA-256, `sync`s and powers off (exit
   status 0);
2. on the host: `e2fsck -fn` of the root partition is clean, and every file taken out of
   it with debugfs (no mounts) has the checksum the guest printed;
3. boot 2 checks every file against those sums, then writes one more file, `sync`s, says
   so, and the emulator is killed (SIGKILL) at that very line;
4. boot 3 mounts the file system (journal replay) with no EXT4 error and finds the last
   file intact; it powers off, and `e2fsck -fn` on the host is clean again.

    guests/debian/integrity_check.py --ringshift build/ringshift [--if virtio]
    guests/debian/integrity_check.py --qemu [--if virtio]

Takes 3-5 minutes per run (three boots and two e2fsck of a 2 GiB file system). Exit
status 0 when every check passed, 1 otherwise, 2 for a bad command line."""

import argparse
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
import boot_check  # noqa: E402  (Console, STAGES, TROUBLE, command)

SHELL = boot_check.STAGES[-1][1]
SUM = re.compile(r"^([0-9a-f]{64})  (\S+)$", re.M)
DISK_TROUBLE = re.compile(r"EXT4-fs error|I/O error|blk_update_request|ata\d.*(failed|error)|"
                          r"virtio_blk.*error|Buffer I/O")
PART_OFFSET = 1 << 20   # guests/debian/build.sh's one partition starts at sector 2048

WRITE_FILES = r"""
mkdir -p /root/rs && cd /root/rs && rm -f ./*
for s in 1 511 4097 65537 1048577 8000000; do head -c $s /dev/urandom > f$s; done
for j in 1 2 3 4; do (for k in $(seq 20); do head -c 262144 /dev/urandom > c$j-$k; done) & done; wait
sha256sum * > /root/rs.sums; sync; sed 's/^/sum: /' /root/rs.sums
"""


class Failed(Exception):
    pass


class Guest:
    """One boot: the emulator with its console on a pipe."""

    def __init__(self, cmd, log_path, timeout):
        self.log = open(log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.con = boot_check.Console(self.proc, self.log, False)
        self.deadline = time.monotonic() + timeout
        self.marks = 0

    def wait(self, pattern, what, since=0):
        while True:
            text = self.con.text()
            m = pattern.search(text, since)
            if m:
                return text, m
            if self.proc.poll() is not None:
                raise Failed("the emulator exited (status %d) waiting for %s" % (self.proc.returncode, what))
            if time.monotonic() > self.deadline:
                raise Failed("timed out waiting for %s" % what)
            time.sleep(0.1)

    def run(self, script, what):
        """Runs SCRIPT at the root prompt; returns its output lines."""
        self.marks += 1
        tag = "RS-%d-%d" % (os.getpid(), self.marks)
        start = len(self.con.text())
        # The echoed command line holds $((...)) unexpanded, the output the number.
        self.con.type("echo %s-B$((1+0)); { %s\n} 2>&1; echo %s-E$((1+0))" % (tag, script.strip(), tag))
        text, m = self.wait(re.compile(re.escape(tag) + "-E1"), what, start)
        begin = text.index(tag + "-B1", start)
        return text[begin:m.start()].splitlines()[1:]

    def poweroff(self):
        self.con.type("poweroff")
        try:
            rc = self.proc.wait(timeout=max(10, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise Failed("the emulator did not exit after poweroff")
        if rc != 0:
            raise Failed("exit status %d after poweroff, not 0" % rc)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.con.thread.join(timeout=5)
        self.log.close()
        bad = [l for l in self.con.text().splitlines() if boot_check.TROUBLE.search(l) or DISK_TROUBLE.search(l)]
        if bad:
            raise Failed("trouble on the console:\n    " + "\n    ".join(bad[:20]))


def e2fsck(img):
    p = subprocess.run(["e2fsck", "-fn", "%s?offset=%d" % (img, PART_OFFSET)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise Failed("e2fsck -fn: status %d\n%s" % (p.returncode, p.stdout[-2000:]))


def host_sums(img, names, workdir):
    """The files' SHA-256 as the host reads them out of the partition (debugfs dump)."""
    out = {}
    for name in names:
        dst = os.path.join(workdir, "dump-" + name)
        subprocess.run(["debugfs", "-R", "dump /root/rs/%s %s" % (name, dst), "%s?offset=%d" % (img, PART_OFFSET)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if os.path.exists(dst):
            with open(dst, "rb") as f:
                out[name] = hashlib.sha256(f.read()).hexdigest()
            os.unlink(dst)
    return out


def boot(args, img, n, workdir):
    cmd = boot_check.command(argparse.Namespace(image=img, ringshift=args.ringshift, qemu=args.qemu,
                                                memory=args.memory, interface=args.interface,
                                                write=True, vmm_arg=args.vmm_arg))
    g = Guest(cmd, os.path.join(workdir, "boot%d.console.txt" % n), args.timeout)
    g.wait(SHELL, "the root shell (boot %d)" % n)
    return g


def check(args, workdir):
    img = os.path.join(workdir, "debian.img")
    subprocess.run(["cp", "--sparse=always", args.image, img], check=True)
    t0 = time.monotonic()
    g = boot(args, img, 1, workdir)
    sums = {m.group(2): m.group(1) for line in g.run(WRITE_FILES, "the files written")
            for m in [re.match(r"sum: ([0-9a-f]{64})  (\S+)$", line)] if m}
    if len(sums) != 86:
        raise Failed("boot 1 wrote %d files, not 86" % len(sums))
    g.poweroff()
    g.close()
    print("boot 1: 86 files written and synced, powered off (%.0f s)" % (time.monotonic() - t0), flush=True)

    e2fsck(img)
    host = host_sums(img, sorted(sums), workdir)
    wrong = [n for n in sums if host.get(n) != sums[n]]
    if wrong:
        raise Failed("the host reads %d file(s) differently: %s" % (len(wrong), ", ".join(sorted(wrong)[:10])))
    print("host: e2fsck -fn clean, all 86 files match the guest's sums", flush=True)

    g = boot(args, img, 2, workdir)
    bad = [l for l in g.run("cd /root/rs && sha256sum -c /root/rs.sums | grep -v ': OK$'; echo checked",
                            "the files checked") if l.strip() and l.strip() != "checked"]
    if bad:
        raise Failed("boot 2 reads files differently:\n    " + "\n    ".join(bad[:10]))
    start = len(g.con.text())
    g.con.type("head -c 3000001 /dev/urandom > /root/rs/k9 && sha256sum /root/rs/k9 > /root/rs-k9.sum && sync "
               "&& echo RS-SYNCED-$((6*7))")
    g.wait(re.compile(r"RS-SYNCED-42"), "the synced marker", start)
    g.proc.send_signal(signal.SIGKILL)
    g.close()
    print("boot 2: the files read back; killed with SIGKILL right after a sync", flush=True)

    g = boot(args, img, 3, workdir)
    out = g.run("sha256sum -c /root/rs-k9.sum; dmesg | grep -c 'EXT4-fs [e]rror'", "the last file checked")
    if not any(l.endswith("/root/rs/k9: OK") for l in out) or "0" not in [l.strip() for l in out]:
        raise Failed("after the kill: %s" % "; ".join(out))
    g.poweroff()
    g.close()
    e2fsck(img)
    print("boot 3: the synced file survived the kill, no EXT4 error; e2fsck -fn clean", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    vmm = ap.add_mutually_exclusive_group(required=True)
    vmm.add_argument("--qemu", nargs="?", const="qemu-system-i386", metavar="PATH")
    vmm.add_argument("--ringshift", metavar="PATH")
    ap.add_argument("--image", default=boot_check.DEFAULT_IMAGE)
    ap.add_argument("--if", dest="interface", choices=("ide", "virtio"), default="ide")
    ap.add_argument("-m", "--memory", default="512M")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per boot")
    ap.add_argument("--vmm-arg", action="append", default=[], metavar="ARG")
    ap.add_argument("--workdir", help="keep the copy and the consoles here")
    args = ap.parse_args()
    if not os.path.isfile(args.image):
        boot_check.fatal("%s: no image (build it with guests/debian/build.sh)" % args.image)
    for tool in ("e2fsck", "debugfs"):
        if not shutil.which(tool):
            boot_check.fatal("%s not found (apt-get install -y e2fsprogs)" % tool)
    workdir = args.workdir or tempfile.mkdtemp(prefix="rs-debian-integrity.")
    os.makedirs(workdir, exist_ok=True)
    try:
        check(args, workdir)
    except Failed as e:
        print("integrity_check: FAIL (%s, %s): %s\n  consoles in %s" % ("ringshift" if args.ringshift else "QEMU",
                                                                       args.interface, e, workdir))
        return 1
    print("integrity_check: PASS (%s, %s disk)" % ("ringshift" if args.ringshift else "QEMU TCG", args.interface))
    if not args.workdir:
        shutil.rmtree(workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
