#!/usr/bin/env python3
"""-display curses through a real terminal: runs `ringshift run -display curses --kernel
vga_keys.elf` (guests/tests/system/vga_keys.asm) in a tmux pane, types keys with
`tmux send-keys` and reads the screen with `tmux capture-pane` (-e for colours) and the
cursor with `tmux display -p`.

Checks, in order:
  - the box the guest drew in CP437 line drawing arrives as UTF-8 (╔═╗║╚╝, ┌─┐│└┘, ░▒▓█),
    in its colours (yellow on blue: SGR 93/44; white on red 97/41; the prompt light green
    92; the status line black on grey 30/47), on the alternate screen;
  - the cursor is where the guest put it through the CRTC, and hidden/shown by CR0A;
  - typed letters with Shift for capitals and symbols, an arrow and other E0 keys,
    Ctrl and Alt, F12, Backspace, Enter and F1 reach the guest as set-1 scan codes (the
    guest's status line shows the exact bytes, make and break counted);
  - Esc ends the guest (debug-exit value 0: status 1), and the terminal is back as it was:
    the normal screen, the cursor visible, autowrap on, `stty -g` unchanged;
  - without a terminal on stdout, -display curses is one clear error (status 2);
  - a second run: Ctrl-A h shows the help over the screen, a key takes it away, Ctrl-A
    Ctrl-A types Ctrl-A, Ctrl-A x quits with status 0, the terminal restored again.

usage: display_test.py --ringshift PATH --kernel vga_keys.elf
Exit status 0 on success, 1 otherwise.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

COLS, ROWS = 100, 30
TIMEOUT = 15.0


class Fail(Exception):
    pass


class Pane:
    def __init__(self, tmux, sock):
        self.base = [tmux, "-S", sock, "-f", "/dev/null"]

    def tmux(self, *args):
        r = subprocess.run(self.base + list(args), capture_output=True, text=True, timeout=20)
        if r.returncode != 0:
            raise Fail(f"tmux {' '.join(args)}: {r.stderr.strip()}")
        return r.stdout

    def lines(self):
        return self.tmux("capture-pane", "-p", "-t", "vga").split("\n")

    def escaped_lines(self):
        return self.tmux("capture-pane", "-p", "-e", "-t", "vga").split("\n")

    def info(self, fmt):
        return self.tmux("display", "-p", "-t", "vga", fmt).strip()

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "vga", *keys)

    def text(self, s):
        self.tmux("send-keys", "-t", "vga", "-l", s)

    def wait(self, what, pred, timeout=TIMEOUT):
        end = time.monotonic() + timeout
        while True:
            got = pred()
            if got:
                return got
            if time.monotonic() > end:
                raise Fail(f"timed out waiting for {what}")
            time.sleep(0.05)

    def wait_line(self, row, expected, timeout=TIMEOUT):
        def ok():
            return self.lines()[row].rstrip() == expected
        try:
            self.wait(f"row {row} to read {expected!r}", ok, timeout)
        except Fail:
            raise Fail(f"row {row} reads {self.lines()[row].rstrip()!r}, expected {expected!r}")

    def wait_info(self, fmt, expected, timeout=TIMEOUT):
        try:
            self.wait(f"{fmt} = {expected}", lambda: self.info(fmt) == expected, timeout)
        except Fail:
            raise Fail(f"{fmt} is {self.info(fmt)!r}, expected {expected!r}")


SGR = re.compile(r"\x1b\[([0-9;]*)m")


def colours_at(escaped, row, text):
    """The (foreground, background) SGR codes in effect where text starts on a row of
    `capture-pane -e` output (tmux carries the attributes over from the rows above)."""
    pos = escaped[row].find(text)
    if pos < 0:
        raise Fail(f"{text!r} not in {escaped[row]!r}")
    before = "".join(escaped[:row]) + escaped[row][:pos]
    fg, bg = 39, 49
    for m in SGR.finditer(before):
        for p in (m.group(1) or "0").split(";"):
            n = int(p or 0)
            if n == 0:
                fg, bg = 39, 49
            elif 30 <= n <= 37 or 90 <= n <= 97 or n == 39:
                fg = n
            elif 40 <= n <= 47 or 100 <= n <= 107 or n == 49:
                bg = n
    return fg, bg


def check(what, got, expected):
    if got != expected:
        raise Fail(f"{what}: got {got!r}, expected {expected!r}")
    print(f"ok  {what}: {got!r}")


def first_run(p):
    p.wait("the guest's status line", lambda: any(l.startswith("codes:") for l in p.lines()))
    lines = p.lines()
    check("row 0: double-line box top (CP437 C9 CD BB)", lines[0].rstrip(), "╔" + "═" * 38 + "╗")
    check("row 1: box sides and title", lines[1].rstrip(), "║ ringshift VGA test" + " " * 19 + "║")
    check("row 3: single lines and shades", lines[3].rstrip(), "║ ┌─┐│└┘ ░▒▓█" + " " * 26 + "║")
    check("row 4: box bottom (C8 CD BC)", lines[4].rstrip(), "╚" + "═" * 38 + "╝")
    check("row 6: prompt", lines[6].rstrip(), ">")
    esc = p.escaped_lines()
    check("colours of the title (yellow on blue)", colours_at(esc, 1, "ringshift VGA"), (93, 44))
    check("colours of the sample (white on red)", colours_at(esc, 3, "┌─┐"), (97, 41))
    check("colour of the prompt (light green on black)", colours_at(esc, 6, ">"), (92, 40))
    status_row = next(i for i, l in enumerate(lines) if l.startswith("codes:"))
    check("status line row", status_row, 24)
    check("colours of the status line (black on grey)", colours_at(esc, 24, "codes:"), (30, 47))
    check("cursor, visibility, alternate screen", p.info("#{cursor_x},#{cursor_y},#{cursor_flag},#{alternate_on}"),
          "2,6,1,1")

    # Letters, Shift for a capital and a symbol, space.
    p.text("Hi! a")
    p.wait_line(6, "> Hi! a")
    p.wait_info("#{cursor_x},#{cursor_y}", "7,6")
    # H = Shift 2A, 23 A3, AA; i = 17 97; ! = 2A 02 82 AA; space 39 B9; a 1E 9E.
    p.wait_line(24, "codes: 2a 02 82 aa 39 b9 1e 9e  make 07 break 07")
    print("ok  scan codes of 'Hi! a' with make and break")
    # An arrow and the other E0 keys.
    p.keys("Right", "Up")
    p.wait_line(6, "> Hi! a<RT><UP>")
    p.wait_line(24, "codes: e0 4d e0 cd e0 48 e0 c8  make 09 break 09")
    print("ok  arrows: E0 4D / E0 48 with their breaks")
    p.keys("Home", "End", "DC", "PPage")
    p.wait_line(6, "> Hi! a<RT><UP><HOME><END><DEL><PGUP>")
    # Ctrl and Alt, F12, Backspace.
    p.keys("C-b", "M-x", "F12", "BSpace")
    p.wait_line(6, "> Hi! a<RT><UP><HOME><END><DEL><PGUP>^BM-xF1")
    p.wait_line(24, "codes: 38 2d ad b8 58 d8 0e 8e  make 13 break 13")
    print("ok  Ctrl-b, Alt-x, F12, Backspace")
    # Enter: a new prompt, the cursor after it.
    p.keys("Enter")
    p.wait_line(7, ">")
    p.wait_info("#{cursor_x},#{cursor_y},#{cursor_flag}", "2,7,1")
    print("ok  Enter")
    # F1 hides the cursor (CR0A bit 5), F1 again shows it.
    p.keys("F1")
    p.wait_info("#{cursor_flag}", "0")
    p.keys("F1")
    p.wait_info("#{cursor_x},#{cursor_y},#{cursor_flag}", "2,7,1")
    print("ok  the cursor hidden and shown through the CRTC")
    # Esc (alone: after the escape timeout) ends the guest with debug-exit value 0.
    p.keys("Escape")
    p.wait("the first run to end", lambda: any(l.startswith("STATUS1=") for l in p.lines()))
    status = next(l for l in p.lines() if l.startswith("STATUS1=")).strip()
    check("exit status after Esc", status, "STATUS1=1")


def second_run(p):
    p.wait("the second run's status line", lambda: any(l.startswith("codes:") for l in p.lines()))
    p.keys("C-a", "h")
    p.wait_line(1, "   Ctrl-A x    quit ringshift", timeout=5)
    print("ok  Ctrl-A h shows the help")
    p.text("z")
    p.wait_line(6, "> z")
    p.wait_line(1, "║ ringshift VGA test" + " " * 19 + "║")
    print("ok  a key takes the help away and reaches the guest")
    p.keys("C-a", "C-a")
    p.wait_line(6, "> z^A")
    print("ok  Ctrl-A Ctrl-A types Ctrl-A")
    p.keys("C-a", "x")
    p.wait("the second run to end", lambda: any(l.startswith("STATUS2=") for l in p.lines()))
    status = next(l for l in p.lines() if l.startswith("STATUS2=")).strip()
    check("exit status after Ctrl-A x", status, "STATUS2=0")


def restored(p, work, n):
    p.wait(f"stty after run {n}", lambda: os.path.exists(os.path.join(work, f"stty.after{n}")))
    time.sleep(0.1)
    before = open(os.path.join(work, "stty.before")).read().strip()
    after = open(os.path.join(work, f"stty.after{n}")).read().strip()
    check(f"run {n}: stty -g before and after", after, before)
    check(f"run {n}: alternate screen left, cursor visible, autowrap on",
          p.info("#{alternate_on},#{cursor_flag},#{wrap_flag}"), "0,1,1")
    if any("ringshift VGA test" in l for l in p.lines()):
        raise Fail(f"run {n}: the guest's screen is still on the terminal")
    print(f"ok  run {n}: the normal screen is back")


def not_a_terminal(ringshift, kernel):
    """-display curses with stdout redirected: one clear error, status 2."""
    r = subprocess.run([ringshift, "run", "-display", "curses", "--kernel", kernel], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=30)
    check("-display curses without a terminal: status", r.returncode, 2)
    check("-display curses without a terminal: message", r.stderr.strip(),
          "ringshift: error: -display curses shows the screen on a terminal: stdout is not one")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringshift", required=True)
    ap.add_argument("--kernel", required=True)
    a = ap.parse_args()
    tmux = shutil.which("tmux")
    if not tmux:
        print("FAIL: tmux not found (install the Debian package 'tmux')")
        return 1
    work = tempfile.mkdtemp(prefix="ringshift-display.")
    sock = os.path.join(work, "tmux.sock")
    run = f"'{os.path.abspath(a.ringshift)}' run -display curses --kernel '{os.path.abspath(a.kernel)}'"
    driver = os.path.join(work, "driver.sh")
    with open(driver, "w") as f:
        f.write(f"""cd '{work}'
stty -g > stty.before
{run} 2> err1
echo STATUS1=$?
stty -g > stty.after1
read -r _go
clear
{run} 2> err2
echo STATUS2=$?
stty -g > stty.after2
exec sleep 600
""")
    p = Pane(tmux, sock)
    env_term = os.environ.get("TERM") or "xterm-256color"
    ok = False
    try:
        p.tmux("-2", "new-session", "-d", "-s", "vga", "-x", str(COLS), "-y", str(ROWS), "-e", f"TERM={env_term}",
               f"bash --norc --noprofile '{driver}'")
        not_a_terminal(a.ringshift, a.kernel)
        first_run(p)
        restored(p, work, 1)
        p.keys("Enter")  # on to the second run
        second_run(p)
        restored(p, work, 2)
        ok = True
    except (Fail, subprocess.TimeoutExpired) as e:
        print(f"FAIL: {e}")
        try:
            print("--- screen ---")
            print("\n".join(p.lines()))
            print("--- cursor ---")
            print(p.info("#{cursor_x},#{cursor_y} flag #{cursor_flag} alternate #{alternate_on}"))
        except Fail:
            pass
        for n in (1, 2):
            err = os.path.join(work, f"err{n}")
            if os.path.exists(err) and os.path.getsize(err):
                print(f"--- ringshift stderr, run {n} ---")
                print(open(err).read()[-2000:])
    finally:
        subprocess.run(p.base + ["kill-server"], capture_output=True)
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"(files kept in {work})")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
