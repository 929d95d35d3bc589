#!/usr/bin/env python3
"""Run a machine with its serial console on stdin/stdout and drive it like expect.

usage: qemu_expect.py [--timeout S] [--log FILE] STEP... -- COMMAND...
  --expect REGEX   wait until REGEX matches the console output seen since the previous
                   match (ANSI/VT100 control sequences removed first, so text a boot
                   loader draws with cursor moves still matches)
  --send KEYS      write KEYS to the console (Python escapes: \\r, \\x1b[B ...)
  --pause S        sleep S seconds
  --timeout S      give up on any one --expect after S seconds (default 120)
  --log FILE       keep the raw console output there
Steps run in the order given. Each match prints the wall time since COMMAND started and
the CPU time COMMAND has used (less dependent on the host's load).
When the steps are done the command is terminated; exit status 0 when every --expect
matched, 1 when one did not (the tail of the output is printed), 2 on bad usage.
COMMAND is anything with the console on stdio, e.g.
  qemu-system-i386 -display none -serial stdio -monitor none -hda grub.img
and later ringshift run -hda grub.img.
"""
import os
import re
import select
import signal
import subprocess
import sys
import time

CONTROL = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z@]|\x1b[%][@G8]|\x1b[=>78DEHMcde]|[\x0e\x0f]")


def cpu_seconds(pid):
    """User + system CPU time of the process so far (wall time depends on the host's load)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def usage(msg):
    sys.stderr.write(f"qemu_expect.py: {msg}\n")
    sys.exit(2)


def main(argv):
    timeout = 120.0
    log = None
    steps = []
    i = 0
    while i < len(argv) and argv[i] != "--":
        a = argv[i]
        if a in ("-h", "--help"):
            print(__doc__)
            return 0
        if a not in ("--expect", "--send", "--pause", "--timeout", "--log") or i + 1 >= len(argv):
            usage(f"bad argument {a!r} (try --help)")
        v = argv[i + 1]
        if a == "--timeout":
            timeout = float(v)
        elif a == "--log":
            log = open(v, "wb")
        elif a == "--expect":
            steps.append(("expect", re.compile(v.encode())))
        elif a == "--send":
            steps.append(("send", v.encode().decode("unicode_escape").encode("latin-1")))
        else:
            steps.append(("pause", float(v)))
        i += 2
    command = argv[i + 1:]
    if not command:
        usage("no command after --")

    start = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    raw = bytearray()      # everything, for the log and the failure report
    pending = b""          # not yet matched, control sequences removed
    carry = b""            # an incomplete control sequence at the end of the last read
    ok = True
    try:
        for kind, arg in steps:
            if kind == "send":
                proc.stdin.write(arg)
                proc.stdin.flush()
                continue
            if kind == "pause":
                time.sleep(arg)
                continue
            deadline = time.monotonic() + timeout
            while True:
                m = arg.search(pending)
                if m:
                    print(f"  {time.monotonic() - start:7.2f} s  (cpu {cpu_seconds(proc.pid):6.2f} s)  "
                          f"matched {arg.pattern.decode()!r}", flush=True)
                    pending = pending[m.end():]
                    break
                left = deadline - time.monotonic()
                if left <= 0 or proc.poll() is not None and not select.select([proc.stdout], [], [], 0)[0]:
                    why = "timed out" if left <= 0 else f"machine exited with status {proc.returncode}"
                    print(f"  {time.monotonic() - start:7.2f} s  {why} waiting for {arg.pattern.decode()!r}",
                          flush=True)
                    tail = CONTROL.sub(b"", bytes(raw[-3000:])).decode("latin-1")
                    print("  ---- last console output ----\n" + tail + "\n  ----", flush=True)
                    ok = False
                    break
                r, _, _ = select.select([proc.stdout], [], [], min(left, 0.5))
                if not r:
                    continue
                data = os.read(proc.stdout.fileno(), 65536)
                if not data:
                    proc.wait()
                    continue
                raw += data
                if log:
                    log.write(data)
                    log.flush()
                text = carry + data
                cut = text.rfind(b"\x1b")
                if cut >= 0 and len(text) - cut < 16 and not CONTROL.match(text, cut):
                    carry, text = text[cut:], text[:cut]
                else:
                    carry = b""
                pending += CONTROL.sub(b"", text).replace(b"\r", b"")
            if not ok:
                break
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if log:
            log.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
