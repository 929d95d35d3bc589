#!/usr/bin/env python3
"""Single-step and watchpoints through the raw GDB protocol, against a guest with the
timer interrupting it at ~20 kHz (guests/gdb/step_target.asm):
- a software breakpoint (Z0) stops before the instruction, at its address;
- each step ('s' and vCont;s) runs exactly one instruction: the next EIP, never the
  timer handler, although interrupts are due all the time;
- a step into a faulting instruction (UD2) stops at the first instruction of its
  handler, with the fault's frame on the stack;
- a hardware breakpoint (Z1) after continuing; a read watchpoint (Z3) stops after the
  instruction that read the variable, with rwatch:ADDR in the stop reply;
- Ctrl-C (0x03) stops the spinning guest; 'k' ends ringshift with status 0.

usage: test/gdb/step_test.py RINGSHIFT GUEST_ELF
"""

import os
import re
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdbutil  # noqa: E402
from fuzz_stub import Client, frame  # noqa: E402


def symbols(elf):
    out = subprocess.run(["nm", elf], stdout=subprocess.PIPE, text=True, check=True).stdout
    return {p[2]: int(p[0], 16) for p in (l.split() for l in out.splitlines()) if len(p) == 3}


def eip(c):
    return struct.unpack("<I", bytes.fromhex(c.packet(b"p8").decode()))[0]


def reg(c, n):
    return struct.unpack("<I", bytes.fromhex(c.packet(b"p%x" % n).decode()))[0]


def main():
    ringshift, elf = sys.argv[1], sys.argv[2]
    sym = symbols(elf)
    port = gdbutil.free_port()
    vmm = gdbutil.start_waiting(ringshift, elf, port, stdout=subprocess.DEVNULL)
    failures = []

    def check(cond, what):
        print(("PASS " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    try:
        c = Client(port)
        check(c.packet(b"QStartNoAckMode") == b"OK", "no-ack mode")
        check(c.packet(b"?").startswith(b"T05"), "stopped at start")
        check(c.packet(b"Z0,%x,1" % sym["step_here"]) == b"OK", "Z0 at step_here")
        stop = c.packet(b"c", timeout=20)
        check(stop.startswith(b"T05") and b"swbreak" in stop and eip(c) == sym["step_here"],
              "breakpoint stops before step_here (%r, eip %#x)" % (stop, eip(c)))
        check(c.packet(b"z0,%x,1" % sym["step_here"]) == b"OK", "z0")
        eips = []
        for cmd in (b"s", b"vCont;s:1"):
            stop = c.packet(cmd, timeout=10)
            eips.append(eip(c))
            check(stop.startswith(b"T05"), "step stop reply %r" % stop)
        check(eips == [sym["step_here"] + 1, sym["step_here"] + 2],
              "two steps = two instructions (nop, inc eax), no timer handler: %s" % [hex(e) for e in eips])
        check(eip(c) == sym["ud_at"], "at UD2")
        esp = reg(c, 4)
        c.packet(b"s", timeout=10)
        check(eip(c) == sym["ud_handler"], "a step into UD2 stops at the #UD handler (eip %#x)" % eip(c))
        frame_eip = struct.unpack("<I", bytes.fromhex(c.packet(b"m%x,4" % (esp - 12)).decode()))[0]
        check(frame_eip == sym["ud_at"], "the fault frame on the stack points at UD2 (%#x)" % frame_eip)
        # two more steps: the handler's add and iretd, back after the UD2
        c.packet(b"s", timeout=10)
        c.packet(b"s", timeout=10)
        check(eip(c) == sym["after_ud"], "iretd returns past UD2 (eip %#x)" % eip(c))
        check(c.packet(b"Z1,%x,1" % sym["read_here"]) == b"OK", "Z1 at read_here")
        stop = c.packet(b"c", timeout=20)
        check(b"hwbreak" in stop and eip(c) == sym["read_here"], "hardware breakpoint (%r)" % stop)
        c.packet(b"z1,%x,1" % sym["read_here"])
        check(c.packet(b"Z3,%x,4" % sym["rvar"]) == b"OK", "Z3 on rvar")
        stop = c.packet(b"c", timeout=20)
        m = re.search(rb"rwatch:([0-9a-f]+);", stop)
        check(m is not None and int(m.group(1), 16) == sym["rvar"] and eip(c) == sym["spin"],
              "read watchpoint fires after the read (%r, eip %#x)" % (stop, eip(c)))
        check(reg(c, 1) == 0x12345678, "the read completed (ECX)")
        c.packet(b"z3,%x,4" % sym["rvar"])
        ticks_before = struct.unpack("<I", bytes.fromhex(c.packet(b"m%x,4" % sym["ticks"]).decode()))[0]
        c.s.sendall(frame(b"c"))
        time.sleep(0.5)
        c.s.sendall(b"\x03")
        stop = c.reply(10)
        here = eip(c)
        check(stop.startswith(b"T02") and (here == sym["spin"] or sym["irq_handler"] <= here < sym["other"]),
              "Ctrl-C stops the spinning guest, in the loop or its timer handler (%r, eip %#x)" % (stop, here))
        ticks_after = struct.unpack("<I", bytes.fromhex(c.packet(b"m%x,4" % sym["ticks"]).decode()))[0]
        check(ticks_after - ticks_before > 1000,
              "the timer kept interrupting the spinning guest after gdb resumed it (%d ticks in 0.5 s)"
              % (ticks_after - ticks_before))
        c.s.sendall(frame(b"k"))
        status = vmm.wait(timeout=10)
        check(status == 0, "k ends ringshift with status 0 (%s)" % status)
    except Exception as e:  # noqa: BLE001
        failures.append(str(e))
        print("FAIL %s" % e)
    finally:
        gdbutil.kill_if_running(vmm)
    print("%s: gdbstub step/breakpoint/watchpoint protocol test" % ("FAIL" if failures else "PASS"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
