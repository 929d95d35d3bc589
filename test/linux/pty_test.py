#!/usr/bin/env python3
"""Serial console test: boot the default Linux guest (no rs.check=, so /init starts a
shell on ttyS0) with a pseudo-terminal as the VMM's stdin and stdout, as a user at a
terminal would; wait for the shell prompt, type `echo $((6*7))` and Enter, expect the
shell's answer 42, type `exit`, and expect /init to power off and the VMM to exit with
status 0.

usage: test/linux/pty_test.py (--ringshift PATH | --qemu) [--workdir DIR] [--cache DIR]
                              [--timeout SECONDS]
The terminal starts in the pty's default (cooked) mode: it is up to the VMM to put it in
raw mode if it wants key-by-key input (QEMU does). The busybox shell asks the terminal
for the cursor position (ESC [6n) when it prints a prompt; it goes on without an answer
(checked under QEMU), so the test does not answer, which also keeps a cooked-mode pty from
holding an answer until the next Enter. Exit status 0 on success, 1 otherwise.
"""

import argparse
import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsguest  # noqa: E402

PROMPT = re.compile(rb"ringshift-guest:[^\r\n]*# ")  # not anchored: a late kernel message may follow it
CPR_QUERY = b"\x1b[6n"


class Console:
    def __init__(self, master, proc, log):
        self.master = master
        self.proc = proc
        self.log = log
        self.buf = b""       # everything read so far, minus ESC [6n
        self.seen = 0        # how far expect() has consumed

    def pump(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(self.master, 4096)
        except OSError:  # EIO: the VMM closed its side
            return False
        if not data:
            return False
        self.log.write(data)
        self.log.flush()
        # the shell's cursor-position queries are left unanswered (busybox does not wait
        # for the answer) and are not part of the output the patterns look at
        data = data.replace(CPR_QUERY, b"")
        self.buf += data
        return True

    def expect(self, pattern, timeout, what):
        """Waits until PATTERN (a compiled bytes regex) matches the output after the
        last match; returns the match."""
        deadline = time.time() + timeout
        while True:
            m = pattern.search(self.buf, self.seen)
            if m:
                self.seen = m.end()
                return m
            left = deadline - time.time()
            if left <= 0:
                raise rsguest.Error("timed out after %.0f s waiting for %s" % (timeout, what))
            if not self.pump(min(left, 0.5)):
                if self.proc.poll() is not None:
                    raise rsguest.Error("the VMM exited (status %s) while waiting for %s"
                                        % (self.proc.returncode, what))

    def type(self, text, delay=0.02):
        # a key at a time, as typed (a VMM whose UART has a small FIFO must not lose any)
        for ch in text.encode():
            os.write(self.master, bytes([ch]))
            time.sleep(delay)


def start(cmd, log, err):
    """Starts CMD on a fresh pty; returns (master, a second slave fd kept for reading the
    terminal's settings, the settings before the run, the process, a Console)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    keep = os.dup(slave)
    before = termios.tcgetattr(keep)
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=err, start_new_session=True,
                            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(slave)
    return master, keep, before, proc, Console(master, proc, log)


def wait_exit(proc, con, timeout):
    deadline = time.time() + timeout
    while proc.poll() is None and time.time() < deadline:
        con.pump(0.2)
    if proc.poll() is None:
        raise rsguest.Error("still running %.0f s later" % timeout)
    return proc.returncode


def terminal_checks(cmd, work, timeout):
    """ringshift only: the terminal is raw while the guest runs and restored afterwards,
    whether ringshift ends by Ctrl-A x or by a signal; Ctrl-A h prints the escapes."""
    ok = True
    for how in ("ctrl-a", "sigterm"):
        log_path = os.path.join(work, "pty-%s.log" % how)
        with open(log_path, "wb") as log, open(os.path.join(work, "pty-%s-stderr.log" % how), "wb") as err:
            master, keep, before, proc, con = start(cmd, log, err)
            try:
                con.expect(PROMPT, timeout, "the first prompt")
                lflag = termios.tcgetattr(keep)[3]
                if lflag & (termios.ICANON | termios.ECHO | termios.ISIG):
                    raise rsguest.Error("the terminal is not in raw mode while the guest runs (lflag %#x)" % lflag)
                if how == "ctrl-a":
                    con.type("\x01h")
                    con.expect(re.compile(rb"Ctrl-A x +quit"), 30, "the Ctrl-A h help")
                    con.type("\x01x")
                    status = wait_exit(proc, con, 30)
                    expected = 0
                else:
                    proc.send_signal(15)
                    status = wait_exit(proc, con, 30)
                    expected = 130
                if status != expected:
                    raise rsguest.Error("exit status %d after %s, expected %d" % (status, how, expected))
                after = termios.tcgetattr(keep)
                if after != before:
                    raise rsguest.Error("terminal settings not restored after %s: %r != %r" % (how, after, before))
                print("PASS %s: raw terminal while running, exit status %d, terminal restored" % (how, status),
                      flush=True)
            except rsguest.Error as e:
                print("FAIL %s: %s (log %s)" % (how, e, log_path), flush=True)
                ok = False
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                os.close(master)
                os.close(keep)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--ringshift", metavar="PATH", help="the ringshift binary")
    g.add_argument("--qemu", action="store_true", help="boot under qemu-system-i386 -accel tcg instead")
    ap.add_argument("--workdir", help="keep the initramfs and the console log here")
    ap.add_argument("--cache", help="guest cache directory (default guests/linux/cache)")
    ap.add_argument("--flavour", choices=("686", "686-pae"), default="686",
                    help="the Debian kernel: 686 (default) or 686-pae (its own cache)")
    ap.add_argument("--timeout", type=float, default=120, help="seconds for the whole run (default 120)")
    args = ap.parse_args()

    vmm = "qemu" if args.qemu else "ringshift"
    work = os.path.abspath(args.workdir) if args.workdir else tempfile.mkdtemp(prefix="rs-linux-pty.")
    os.makedirs(work, exist_ok=True)
    try:
        if vmm == "ringshift" and not os.access(args.ringshift, os.X_OK):
            raise rsguest.Error("not an executable: %s" % args.ringshift)
        bz, initrd, kernel = rsguest.make_initramfs(None, os.path.join(work, "initramfs.cpio.gz"), args.cache,
                                                     flavour=args.flavour)
        binary = args.ringshift if vmm == "ringshift" else rsguest.ensure_qemu()
        cmd = rsguest.vmm_command(vmm, binary, bz, initrd, rsguest.kernel_append(None))
    except (rsguest.Error, OSError) as e:
        print("FAIL setup: %s" % e)
        return 1

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    log_path = os.path.join(work, "pty-console.log")
    err_path = os.path.join(work, "pty-stderr.log")
    print("booting %s under %s on a pty, log %s" % (kernel, vmm, log_path), flush=True)
    print("  " + " ".join(cmd), flush=True)
    t0 = time.time()
    deadline = t0 + args.timeout
    with open(log_path, "wb") as log, open(err_path, "wb") as err:
        # the pty becomes the VMM's controlling terminal, as in an interactive session
        proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=err, start_new_session=True,
                                preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        con = Console(master, proc, log)
        ok = False
        try:
            con.expect(re.compile(rb"starting shell on the console"), deadline - time.time(), "the shell banner")
            con.expect(PROMPT, deadline - time.time(), "the first prompt")
            t_prompt = time.time() - t0
            print("PASS shell prompt after %.1f s" % t_prompt, flush=True)
            con.type("echo $((6*7))\r")
            con.expect(re.compile(rb"\n\r*42\r*\n"), min(30, deadline - time.time()), "the answer 42")
            con.expect(PROMPT, min(30, deadline - time.time()), "the prompt after the answer")
            print("PASS typed echo $((6*7)), the shell answered 42", flush=True)
            con.type("exit\r")
            con.expect(re.compile(rb"ringshift-guest: powering off"), min(30, deadline - time.time()),
                       "init powering off")
            while proc.poll() is None and time.time() < deadline:
                con.pump(0.2)
            if proc.poll() is None:
                raise rsguest.Error("%s still running %.0f s after the shell exited" % (vmm, args.timeout))
            if proc.returncode != 0:
                raise rsguest.Error("%s exit status %d after poweroff, expected 0" % (vmm, proc.returncode))
            print("PASS exit -> init powered off, %s exit status 0" % vmm, flush=True)
            bad = rsguest.trouble(con.buf.decode("utf-8", "replace").splitlines())
            if bad:
                raise rsguest.Error("kernel trouble on the console: " + " | ".join(bad[:5]))
            ok = True
        except rsguest.Error as e:
            print("FAIL %s" % e, flush=True)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            os.close(master)
    if ok and vmm == "ringshift":
        ok = terminal_checks(cmd, work, args.timeout)
    wall = time.time() - t0
    if not ok:
        text = open(log_path, "rb").read().decode("utf-8", "replace").replace("\r", "")
        print("--- console (last 30 lines) ---")
        print(rsguest.tail(text.splitlines(), 30))
        errtext = open(err_path, "rb").read().decode("utf-8", "replace").strip()
        if errtext:
            print("--- %s stderr ---\n%s" % (vmm, errtext[-2000:]))
    print("%s: serial console through a pty under %s, wall %.1f s" % ("PASS" if ok else "FAIL", vmm, wall))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
