#!/usr/bin/env python3
"""gdb against a real-mode guest from the first instruction (-S): stock gdb in batch
mode (the stub's target description says i8086 while the CPU is in real mode) against guests/gdb/realmode_target.asm run as a ROM.
The stub reports the PC as the linear address CS * 16 + IP, so $pc at reset is
0xffff0 (CS = 0xf000), `x/i $pc` disassembles the reset vector's far jump, stepi
lands on F000:0100 = 0xf0100, a breakpoint at the linear address 0xf0200 stops in
target_fn with a 2-byte return address pushed (SP 0x6ffe), stepi runs one 16-bit
instruction (BX = 0xbeef), memory reads by linear address see what DS:offset wrote,
and the guest then finishes (exit status 1).

usage: test/gdb/realmode_test.py RINGSHIFT ROM
"""

import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdbutil  # noqa: E402

SCRIPT = r"""
set pagination off
set confirm off
target remote 127.0.0.1:{port}
p/x $pc
p/x $cs
x/i $pc
stepi
p/x $pc
break *0xf0200
continue
p/x $pc
p/x $sp
stepi
p/x $pc
p/x $bx
x/bx 0x12350
delete
continue
"""

EXPECT = [
    (r"\$1 = 0xffff0", "stopped at the reset vector, PC = CS * 16 + IP"),
    (r"\$2 = 0xf000", "CS = F000"),
    (r"0xffff0:\s+ljmp\s+\$0xf000,\$0x100", "the reset vector's far jump, disassembled as 16-bit code"),
    (r"\$3 = 0xf0100", "stepi took the far jump to F000:0100"),
    (r"Breakpoint 1, 0x000f0200", "breakpoint at the linear address of F000:0200"),
    (r"\$4 = 0xf0200", "PC at the breakpoint"),
    (r"\$5 = 0x6ffe", "near CALL pushed a 2-byte return address"),
    (r"\$6 = 0xf0203", "stepi ran one 3-byte instruction"),
    (r"\$7 = 0xbeef", "BX written by it"),
    (r"0x12350:\s+0x5a", "memory by linear address: what 1234:0010 was written with"),
]


def main():
    ringshift, rom = sys.argv[1], sys.argv[2]
    port = gdbutil.free_port()
    try:
        vmm = gdbutil.start_waiting(ringshift, rom, port, stdout=subprocess.DEVNULL, boot="--bios")
    except RuntimeError as e:
        print("FAIL %s" % e)
        return 1
    script = os.path.join(os.path.dirname(os.path.abspath(rom)), "realmode_test.gdb")
    with open(script, "w") as f:
        f.write(SCRIPT.format(port=port))
    try:
        out = subprocess.run(["gdb", "-nx", "-batch", "-x", script], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60).stdout.decode()
    except subprocess.TimeoutExpired:
        gdbutil.kill_if_running(vmm)
        print("FAIL gdb did not finish in 60 s")
        return 1
    try:
        status = vmm.wait(timeout=20)
    except subprocess.TimeoutExpired:
        gdbutil.kill_if_running(vmm)
        status = None
    ok = True
    pos = 0
    for pattern, what in EXPECT:
        m = re.compile(pattern).search(out, pos)
        print(("PASS " if m else "FAIL ") + what)
        if not m:
            ok = False
        else:
            pos = m.end()
    print(("PASS " if status == 1 else "FAIL ") + "the guest finished after gdb continued (status %s)" % status)
    ok = ok and status == 1
    if not ok:
        print("--- gdb output ---\n" + out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
