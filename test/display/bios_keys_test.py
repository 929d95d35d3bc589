#!/usr/bin/env python3
"""Keys through the BIOS: `ringshift run -display curses -hda keys.img` in a tmux pane
(guests/tests/bios/keys.asm). Once the guest's prompt, written with int 10h, is on the
screen, the test types a, A, Up and Enter with `tmux send-keys`; the guest reads them with
int 16h (the ROM's STI/HLT wait, the real int 09h handler behind IRQ 1) and passes with
exit status 1 when each came back as the PC/AT BIOS word.

usage: bios_keys_test.py --ringshift PATH --image keys.img
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringshift", required=True)
    ap.add_argument("--image", required=True)
    a = ap.parse_args()
    tmux = shutil.which("tmux")
    if not tmux:
        print("FAIL tmux not found (apt-get install -y tmux)")
        return 1
    work = tempfile.mkdtemp(prefix="rs-bios-keys-")
    sock, status_file, image = (os.path.join(work, n) for n in ("tmux.sock", "status", "keys.img"))
    shutil.copy(a.image, image)  # the guest may write its disk
    base = [tmux, "-S", sock, "-f", "/dev/null"]
    cmd = "%s run -display curses -m 64M -hda %s --no-reboot; echo $? > %s" % (a.ringshift, image, status_file)
    subprocess.run(base + ["new-session", "-d", "-s", "keys", "-x", "100", "-y", "30", cmd], check=True)
    ok = False
    try:
        deadline = time.monotonic() + 30
        screen = ""
        while time.monotonic() < deadline and "keys: type" not in screen:
            time.sleep(0.1)
            r = subprocess.run(base + ["capture-pane", "-p", "-t", "keys"], capture_output=True, text=True)
            screen = r.stdout
        if "keys: type" not in screen:
            print("FAIL the prompt never appeared; screen:\n" + screen)
            return 1
        print("PASS the prompt written with int 10h is on the screen")
        last = ""
        for key in ("a", "A", "Up", "Enter"):
            subprocess.run(base + ["send-keys", "-t", "keys", key], check=True)
            time.sleep(0.3)
            r = subprocess.run(base + ["capture-pane", "-p", "-t", "keys"], capture_output=True, text=True)
            if "keys: type" in r.stdout:
                last = r.stdout  # the words the guest has shown so far
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not os.path.exists(status_file):
            time.sleep(0.1)
        status = open(status_file).read().strip() if os.path.exists(status_file) else None
        ok = status == "1"
        print(("PASS" if ok else "FAIL") + " the guest read a, A, Up and Enter through int 16h (exit status %s)" % status)
        if not ok:
            print("the guest's screen before it ended:\n" + last.rstrip())
    finally:
        subprocess.run(base + ["kill-server"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
