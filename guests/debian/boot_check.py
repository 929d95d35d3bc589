#!/usr/bin/env python3
"""Boot the Debian image of guests/debian/build.sh under QEMU or ringshift and check it.

The serial console (COM1) is on a pipe. The check follows the boot through its stages
(GRUB, the kernel, the initramfs finding the root file system, systemd, the autologin
shell), driving GRUB from the console on the way ('e' at its menu opens the entry's
editor, Ctrl-X boots it: GRUB's serial terminal works both ways), then types a few commands at the root prompt (uname -r, /proc/cmdline, findmnt /,
systemctl is-system-running), requires the console to be free of kernel trouble (the
TROUBLE pattern of test/linux/rsguest.py) and no failed systemd unit, types `poweroff` and
requires the emulator to exit with status 0. It prints the time from the start to each
stage, so a run that stops early shows how far it got. Python 3 standard library only.

    guests/debian/boot_check.py --qemu                      # IDE disk (-hda)
    guests/debian/boot_check.py --qemu --if virtio          # virtio-blk disk
    guests/debian/boot_check.py --ringshift build/ringshift

The guest's disk writes go to a temporary overlay (-snapshot, both emulators) unless
--write is given, so the image stays as built and every run is the same first boot.
Exit status 0 when every check passed, 1 otherwise, 2 for a bad command line."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(REPO, "test", "linux"))
from rsguest import TROUBLE  # noqa: E402  (kernel messages that fail a run)

DEFAULT_IMAGE = os.path.join(HERE, "cache", "debian.img")

# The stages of a boot in the order they come, each with what marks it on the console.
STAGES = [
    ("grub menu", re.compile(r"GNU GRUB")),
    ("grub entry editor", re.compile(r"setparams 'Debian")),
    ("grub boots the entry", re.compile(r"Booting `|Booting a command list")),
    ("kernel", re.compile(r"Linux version \d")),
    ("initramfs", re.compile(r"Loading, please wait|Begin: Loading essential drivers")),
    ("root device found", re.compile(r"EXT4-fs \([a-z]+\d+\): mounted filesystem")),
    ("systemd", re.compile(r"Welcome to .*Debian")),
    ("login prompt", re.compile(r"login: ")),
    ("root shell", re.compile(r"root@[\w.-]+:~# ")),
]
# The initramfs gave up on the root device: nothing will come after this.
NO_ROOT = re.compile(r"Gave up waiting for root|ALERT! .* does not exist|\(initramfs\) ")
WAITING_ROOT = re.compile(r"Waiting for root file system")
PANIC = re.compile(r"Kernel panic")
ESCAPES = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>78cDEHM])")


class Console:
    """The emulator's stdout, read by a thread; text() is all of it without terminal
    escape sequences and carriage returns."""

    def __init__(self, proc, log, echo):
        self.proc = proc
        self.raw = bytearray()
        self.lock = threading.Lock()
        self.log = log
        self.echo = echo
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        fd = self.proc.stdout.fileno()
        while True:
            data = os.read(fd, 65536)
            if not data:
                break
            with self.lock:
                self.raw += data
            if self.log:
                self.log.write(data)
                self.log.flush()
            if self.echo:
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()

    def text(self):
        with self.lock:
            s = self.raw.decode("utf-8", "replace")
        return ESCAPES.sub("", s).replace("\r", "")

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def type(self, line):
        self.send(line.encode() + b"\n")


def fatal(msg):
    """A problem with the command line or the host, not with the guest: status 2."""
    print("boot_check.py: " + msg, file=sys.stderr)
    sys.exit(2)


def command(args):
    img = os.path.abspath(args.image)
    if args.ringshift:
        cmd = [args.ringshift, "run", "-m", args.memory, "--no-reboot"]
        disk = ["-hda", img]
    else:
        qemu = args.qemu if os.path.sep in args.qemu else shutil.which(args.qemu)
        if not qemu:
            fatal("%s not found (apt-get install -y qemu-system-x86)" % args.qemu)
        cmd = [qemu, "-accel", "tcg", "-m", args.memory, "-nographic", "-no-reboot"]
        disk = ["-hda", img]
    if args.interface == "virtio":
        # QEMU's spelling; ringshift takes it once it has a virtio-blk device.
        disk = ["-drive", "file=%s,if=virtio,format=raw" % img]
    if not args.write:
        cmd.append("-snapshot")
    return cmd + disk + args.vmm_arg


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    vmm = ap.add_mutually_exclusive_group(required=True)
    vmm.add_argument("--qemu", nargs="?", const="qemu-system-i386", metavar="PATH",
                     help="run qemu-system-i386 (TCG), or PATH")
    vmm.add_argument("--ringshift", metavar="PATH", help="run ringshift at PATH")
    ap.add_argument("--image", default=DEFAULT_IMAGE, help="default: %(default)s")
    ap.add_argument("--if", dest="interface", choices=("ide", "virtio"), default="ide",
                    help="the disk's interface: ide (-hda, the default) or virtio")
    ap.add_argument("-m", "--memory", default="512M")
    ap.add_argument("--timeout", type=float, default=600,
                    help="seconds for the whole run (default %(default)s)")
    ap.add_argument("--write", action="store_true",
                    help="let the guest write to the image (no -snapshot)")
    ap.add_argument("--vmm-arg", action="append", default=[], metavar="ARG",
                    help="one more argument for the emulator (repeatable)")
    ap.add_argument("--no-grub-keys", dest="grub_keys", action="store_false",
                    help="let GRUB's menu time out instead of driving it from the console")
    ap.add_argument("--log", metavar="FILE", help="write the raw console output to FILE")
    ap.add_argument("--stderr", metavar="FILE", help="write the emulator's stderr to FILE (e.g. ringshift's "
                    "--stats figures, given with --vmm-arg=--stats)")
    ap.add_argument("-v", "--verbose", action="store_true", help="show the console as it comes")
    args = ap.parse_args()
    if not os.path.isfile(args.image):
        fatal("%s: no image (build it with guests/debian/build.sh)" % args.image)

    cmd = command(args)
    print("boot_check: " + " ".join(cmd), flush=True)
    log = open(args.log, "wb") if args.log else None
    start = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    except OSError as e:
        fatal("cannot run %s: %s" % (cmd[0], e.strerror))
    stderr = []
    err_thread = threading.Thread(target=lambda: stderr.append(proc.stderr.read()), daemon=True)
    err_thread.start()
    con = Console(proc, log, args.verbose)
    deadline = start + args.timeout
    reached = {}          # stage -> seconds from the start
    failures = []
    waiting_since = None

    def elapsed():
        return time.monotonic() - start

    def wait_for(pattern, what):
        """Waits for PATTERN in the console; notes the stages on the way. Returns the text
        or None (a failure is recorded) when the run ends, stops progressing or times out."""
        nonlocal waiting_since
        while True:
            text = con.text()
            for name, rx in STAGES:
                if name not in reached and rx.search(text):
                    reached[name] = elapsed()
            if waiting_since is None and WAITING_ROOT.search(text):
                waiting_since = elapsed()
            if pattern.search(text):
                return text
            if NO_ROOT.search(text):
                failures.append("the initramfs found no root file system (waiting for %s)" % what)
                return None
            if PANIC.search(text):
                time.sleep(1)       # the rest of the panic message
                failures.append("kernel panic (waiting for %s)" % what)
                return None
            if proc.poll() is not None:
                failures.append("the emulator exited with status %d (waiting for %s)"
                                % (proc.returncode, what))
                return None
            if time.monotonic() > deadline:
                failures.append("timed out after %.0f s waiting for %s" % (args.timeout, what))
                return None
            time.sleep(0.1)

    results = {}
    ok = True
    if args.grub_keys:
        # GRUB reads the serial console: 'e' at the menu (within its 1 s timeout) opens the
        # entry's editor, Ctrl-X boots what it shows.
        ok = wait_for(STAGES[0][1], "GRUB's menu") is not None
        if ok:
            con.send(b"e")
            ok = wait_for(re.compile(r"setparams 'Debian|Booting `"), "GRUB's entry editor") is not None
        if ok and "grub entry editor" not in reached:
            failures.append("GRUB booted the entry: the 'e' typed at its menu did not reach it")
            ok = False
        if ok:
            con.send(b"\x18")
    if ok and wait_for(STAGES[-1][1], "the root shell prompt"):
        # The commands' output lies between two markers that the echo of the typed line does
        # not contain ($((...)) is expanded only in the output). No pager, no colours.
        con.type("export SYSTEMD_PAGER=cat SYSTEMD_COLORS=0; echo RS-BEGIN-$((6*7)); "
                 "echo uname: $(uname -r); echo cmdline: $(cat /proc/cmdline); "
                 "echo root: $(findmnt -n -o SOURCE,FSTYPE,OPTIONS /); "
                 "echo state: $(systemctl is-system-running --wait); "
                 "systemctl --failed --no-legend --plain | sed 's/^/failed: /'; "
                 "dmesg --level=emerg,alert,crit,err | sed 's/^/dmesg-err: /'; "
                 "echo RS-END-$((6*7))")
        text = wait_for(re.compile(r"RS-END-42"), "the commands' output")
        if text:
            body = text[text.index("RS-BEGIN-42"):text.index("RS-END-42")].splitlines()[1:]
            for line in body:
                key, _, value = line.partition(": ")
                if key in ("uname", "cmdline", "root", "state"):
                    results[key] = value.strip()
                elif key in ("failed", "dmesg-err"):
                    results.setdefault(key, []).append(value.strip())
            for key in ("uname", "cmdline", "root", "state"):
                print("  %-8s %s" % (key + ":", results.get(key, "(missing)")))
            for line in results.get("dmesg-err", []):
                print("  dmesg (err): %s" % line)
            want_dev = "/dev/vda1" if args.interface == "virtio" else "/dev/sda1"
            root = results.get("root", "").split()
            if len(root) < 3 or root[0] != want_dev or root[1] != "ext4" or "rw" not in root[2].split(","):
                failures.append("root is %r, not %s ext4 rw" % (results.get("root"), want_dev))
            if "root=UUID=" not in results.get("cmdline", ""):
                failures.append("no root=UUID= on the kernel command line")
            if results.get("state") != "running":
                failures.append("systemd says %r, not 'running'; failed units: %s"
                                % (results.get("state"), "; ".join(results.get("failed", [])) or "none"))
            poweroff_at = elapsed()
            con.type("poweroff")
            try:
                rc = proc.wait(timeout=max(10, deadline - time.monotonic()))
                reached["exit after poweroff"] = elapsed()
                print("  poweroff took %.1f s, exit status %d" % (elapsed() - poweroff_at, rc))
                if rc != 0:
                    failures.append("exit status %d after poweroff, not 0" % rc)
            except subprocess.TimeoutExpired:
                failures.append("the emulator did not exit after poweroff")

    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    con.thread.join(timeout=5)
    err_thread.join(timeout=5)
    if args.stderr:
        with open(args.stderr, "wb") as f:
            f.write(b"".join(stderr))
    text = con.text()
    trouble = [l for l in text.splitlines() if TROUBLE.search(l)]
    if trouble:
        failures.append("kernel trouble on the console:\n    " + "\n    ".join(trouble[:20]))

    print("boot_check: stages (seconds from the start):")
    for name, _ in STAGES:
        print("  %-22s %s" % (name, "%7.1f" % reached[name] if name in reached else "      -"))
    if waiting_since is not None and "root device found" not in reached:
        print("  %-22s %7.1f" % ("waiting for root", waiting_since))
    if "exit after poweroff" in reached:
        print("  %-22s %7.1f" % ("exit after poweroff", reached["exit after poweroff"]))
    if log:
        log.close()
    if failures:
        if not args.verbose:
            print("boot_check: the console's last lines:")
            for line in text.splitlines()[-25:]:
                print("  | " + line)
        err = b"".join(stderr).decode("utf-8", "replace").strip()
        if err:
            print("boot_check: the emulator's stderr:\n  " + err.replace("\n", "\n  "))
        for f in failures:
            print("boot_check: FAIL: " + f)
        return 1
    print("boot_check: PASS (%s, %s disk): login prompt after %.1f s, root shell after %.1f s"
          % ("ringshift" if args.ringshift else "QEMU TCG", args.interface,
             reached["login prompt"], reached["root shell"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
