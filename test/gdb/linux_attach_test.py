#!/usr/bin/env python3
"""gdb attaching to a running Linux guest: boot the Debian guest with --gdb, let it run
a ticking script, attach with stock gdb (which stops it), read the IDT entry of vector
0x80 through guest virtual memory and check it against /proc/kallsyms, continue,
interrupt with Ctrl-C, detach, and check that the guest keeps working to a clean
poweroff.

usage: test/gdb/linux_attach_test.py RINGSHIFT [--workdir DIR] [--cache DIR]
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "linux"))
import rsguest  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdbutil  # noqa: E402

# SIDT is not privileged (no UMIP here): a user program can tell where the IDT is.
SIDT_C = r"""
#include <stdio.h>
int main(void) {
  struct __attribute__((packed)) { unsigned short limit; unsigned int base; } idtr;
  __asm__ volatile("sidt %0" : "=m"(idtr));
  printf("idtr: %08x %04x\n", idtr.base, idtr.limit);
  return 0;
}
"""

GUEST_SCRIPT = """\
/rs/sidt
grep -w entry_INT80_32 /proc/kallsyms | sed 's/^/kallsyms: /'
i=0
while [ $i -lt 40 ]; do echo "tick $i"; i=$((i+1)); sleep 0.1; done
echo attach-test: guest still working
"""

GDB_SCRIPT = """\
set pagination off
set confirm off
target remote 127.0.0.1:{port}
echo ATTACHED\\n
x/2wx {gate:#x}
p/x $eip
echo CONTINUING\\n
continue
x/2wx {gate:#x}
detach
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ringshift")
    ap.add_argument("--workdir")
    ap.add_argument("--cache")
    args = ap.parse_args()
    work = os.path.abspath(args.workdir) if args.workdir else tempfile.mkdtemp(prefix="rs-gdb-linux.")
    extra = os.path.join(work, "extra")
    os.makedirs(os.path.join(extra, "rs"), exist_ok=True)
    with open(os.path.join(extra, "rs", "attach.sh"), "w") as f:
        f.write(GUEST_SCRIPT)
    with open(os.path.join(work, "sidt.c"), "w") as f:
        f.write(SIDT_C)
    try:
        subprocess.run(["gcc", "-m32", "-static", "-O2", "-o", os.path.join(extra, "rs", "sidt"),
                        os.path.join(work, "sidt.c")], check=True)
        bz, initrd, _ = rsguest.make_initramfs(extra, os.path.join(work, "initramfs.cpio.gz"), args.cache)
    except (rsguest.Error, subprocess.CalledProcessError) as e:
        print("FAIL setup: %s" % e)
        return 1
    port = gdbutil.free_port()
    vmm = subprocess.Popen([args.ringshift, "run", "--kernel", bz, "--initrd", initrd, "-m", "128M",
                            "--gdb", str(port), "--append", "console=ttyS0 panic=-1 rs.check=/rs/attach.sh"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    console = []
    syms = {}
    ticking = threading.Event()

    def read_console():
        for raw in vmm.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            console.append(line)
            m = re.match(r"kallsyms: ([0-9a-f]{8}) \w (\S+)", line)
            if m:
                syms[m.group(2)] = int(m.group(1), 16)
            m = re.match(r"idtr: ([0-9a-f]{8}) ([0-9a-f]{4})", line)
            if m:
                syms["idtr"] = int(m.group(1), 16)
            if line.startswith("tick 3"):
                ticking.set()

    threading.Thread(target=read_console, daemon=True).start()
    ok = True
    try:
        if not ticking.wait(60):
            raise RuntimeError("the guest never started ticking")
        if "idtr" not in syms or "entry_INT80_32" not in syms:
            raise RuntimeError("the guest did not print its IDTR and entry_INT80_32: %r" % syms)
        gate = syms["idtr"] + 0x80 * 8
        script = os.path.join(work, "attach.gdb")
        with open(script, "w") as f:
            f.write(GDB_SCRIPT.format(port=port, gate=gate))
        ticks_before = sum(1 for l in console if l.startswith("tick "))
        gdb = subprocess.Popen(["gdb", "-nx", "-batch", "-x", script], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = []
        stopped_ticks = []

        def read_gdb():
            for raw in gdb.stdout:
                line = raw.decode("utf-8", "replace")
                out.append(line)
                if "ATTACHED" in line:
                    stopped_ticks.append(sum(1 for l in console if l.startswith("tick ")))
                if "CONTINUING" in line:
                    def interrupt():
                        time.sleep(1.0)
                        gdb.send_signal(signal.SIGINT)
                    threading.Thread(target=interrupt, daemon=True).start()

        t = threading.Thread(target=read_gdb, daemon=True)
        t.start()
        gdb.wait(timeout=60)
        t.join(5)
        text = "".join(out)
        words = re.findall(r"0x[0-9a-f]+(?: <[^>]*>)?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)", text)
        gates = [tuple(int(x, 16) for x in w) for w in words]
        if len(gates) < 2:
            raise RuntimeError("gdb did not read the IDT twice:\n" + text)
        lo, hi = gates[0]
        handler = (hi & 0xFFFF0000) | (lo & 0xFFFF)
        if handler != syms["entry_INT80_32"] or (hi & 0xFFFF) != 0xEE00:
            raise RuntimeError("IDT[0x80] = %08x %08x: handler %08x (entry_INT80_32 is %08x), type/DPL %04x "
                               "(expected an interrupt gate with DPL 3, 0xee00)"
                               % (lo, hi, handler, syms["entry_INT80_32"], hi & 0xFFFF))
        print("PASS IDT[0x80] read through guest memory: interrupt gate, DPL 3, handler entry_INT80_32 = %#x" % handler)
        if gates[1] != gates[0]:
            raise RuntimeError("the IDT entry read differently the second time")
        if "Program received signal SIGINT" not in text:
            raise RuntimeError("Ctrl-C did not stop the guest:\n" + text)
        print("PASS continue, then Ctrl-C stopped the running kernel")
        if "Remote target) detached" not in text:
            raise RuntimeError("gdb did not detach:\n" + text)
        status = vmm.wait(timeout=60)
        ticks = sum(1 for l in console if l.startswith("tick "))
        if status != 0 or "attach-test: guest still working" not in console or ticks != 40:
            raise RuntimeError("after detach: ringshift status %s, %d ticks, console tail:\n%s"
                               % (status, ticks, rsguest.tail(console, 10)))
        print("PASS detached: the guest went on (%d ticks before attaching, all 40 after) and powered off"
              % ticks_before)
        bad = rsguest.trouble(console)
        if bad:
            raise RuntimeError("kernel trouble: " + " | ".join(bad[:5]))
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        print("FAIL %s" % e)
        ok = False
    finally:
        gdbutil.kill_if_running(vmm)
    print("%s: gdb attached to a running Linux guest" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
