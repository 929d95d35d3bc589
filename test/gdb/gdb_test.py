#!/usr/bin/env python3
"""gdbstub test with stock gdb in batch mode against the bare-metal C guest
(guests/gdb/target.c, built with -g): break at a function, check arguments, registers
(x87/SSE through the target description) and memory, stepi and step, finish, change a
register and a variable and see the guest take the changed path, a write watchpoint,
Ctrl-C on a spinning guest, detach and let it finish.

usage: test/gdb/gdb_test.py RINGSHIFT GUEST_ELF [--port N]
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdbutil  # noqa: E402

SCRIPT = r"""
set pagination off
set confirm off
set height 0
file {elf}
target remote 127.0.0.1:{port}
p/x $pc
p/x $fctrl
p/x $mxcsr
p $xmm0.v4_int32
python
try:
    gdb.execute("x/x 0x30000000")
except gdb.MemoryError as e:
    print("memory error:", e)
end
break add_squares
continue
p a
p b
p/x $esp
stepi
p $pc
step
p local
finish
set $eax = 100
watch watched
continue
delete
break path
continue
p x
set var x = 42
delete
echo CONTINUING-INTO-SPIN\n
continue
p spins > 0
p spinning
set var spinning = 0
detach
"""

# What gdb must print, in this order.
EXPECT = [
    (r"\$1 = 0x10000c", "stopped at the entry point before the first instruction (-S)"),
    (r"\$2 = 0x37f", "x87 control word through the target description"),
    (r"\$3 = 0x1f80", "MXCSR through the target description"),
    (r"\$4 = \{0, 0, 0, 0\}", "XMM0 as a vector"),
    (r"memory error: Cannot access memory at address 0x30000000", "an address outside RAM answers an error"),
    (r"Breakpoint 1, add_squares \(a=3, b=4\)", "breakpoint at a function, arguments"),
    (r"\$5 = 3", "argument a"),
    (r"\$6 = 4", "argument b"),
    (r"\$7 = 0x[0-9a-f]+", "ESP"),
    (r"\$8 = \(void \(\*\)\(\)\) 0x[0-9a-f]+ <add_squares\+\d+>", "stepi moved within add_squares"),
    (r"\n44\s+return local;", "step to the next source line"),
    (r"\$9 = 25", "local variable"),
    (r"Value returned is \$10 = 25", "finish shows the return value"),
    (r"Hardware watchpoint 2: watched", "write watchpoint set"),
    (r"Old value = 0\s+New value = 100", "watchpoint fired on the write, with the value set through EAX"),
    (r"Breakpoint 3, path \(x=7\)", "second breakpoint"),
    (r"\$11 = 7", "argument x before the change"),
    (r"CONTINUING-INTO-SPIN", "marker"),
    (r"Program received signal SIGINT", "Ctrl-C stopped the spinning guest"),
    (r"in spin \(\)", "stopped in spin()"),
    (r"\$12 = 1", "spins counted while running"),
    (r"\$13 = 1", "spinning still set"),
    (r"Remote target\) detached", "detached"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ringshift")
    ap.add_argument("elf")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    port = args.port or gdbutil.free_port()
    try:
        vmm = gdbutil.start_waiting(args.ringshift, args.elf, port)
    except RuntimeError as e:
        print("FAIL %s" % e)
        return 1
    script = os.path.join(os.path.dirname(os.path.abspath(args.elf)), "gdb_test.gdb")
    with open(script, "w") as f:
        f.write(SCRIPT.format(elf=args.elf, port=port))
    gdb = subprocess.Popen(["gdb", "-nx", "-batch", "-x", script], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = []

    def reader():
        for raw in gdb.stdout:
            line = raw.decode("utf-8", "replace")
            out.append(line)
            if "CONTINUING-INTO-SPIN" in line:
                def interrupt():
                    time.sleep(1.0)
                    gdb.send_signal(signal.SIGINT)  # what Ctrl-C at the terminal does
                threading.Thread(target=interrupt, daemon=True).start()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    ok = True
    try:
        gdb.wait(timeout=60)
    except subprocess.TimeoutExpired:
        gdb.kill()
        print("FAIL gdb did not finish in 60 s")
        ok = False
    t.join(5)
    try:
        vout, verr = vmm.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        vmm.kill()
        vout, verr = vmm.communicate()
        print("FAIL ringshift still running 20 s after gdb detached")
        ok = False
    text = "".join(out)
    pos = 0
    for pattern, what in EXPECT:
        m = re.compile(pattern).search(text, pos)
        if not m:
            print("FAIL %s: /%s/ not found in gdb's output after offset %d" % (what, pattern, pos))
            ok = False
            break
        print("PASS %s" % what)
        pos = m.end()
    serial = vout.decode("utf-8", "replace")
    for needle, what in (("path: changed", "the guest took the path changed through memory"),
                         ("done: r=100 changed", "the guest finished after detach with the changed values")):
        if needle in serial:
            print("PASS %s" % what)
        else:
            print("FAIL %s: %r not in the guest's output %r" % (what, needle, serial))
            ok = False
    if vmm.returncode != 1:
        print("FAIL ringshift exit status %s, expected 1 (the guest's own verdict)" % vmm.returncode)
        ok = False
    if not ok:
        print("--- gdb output ---\n" + text + "--- ringshift stderr ---\n" + verr.decode("utf-8", "replace"))
    print("%s: gdb against the bare-metal guest" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
