#!/usr/bin/env python3
"""tools/host_runs_i386.py must not take an i386 emulator registered with binfmt_misc for
the CPU: entries as the kernel lists them, in a directory standing for
/proc/sys/fs/binfmt_misc."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from host_runs_i386 import i386_emulator  # noqa: E402

I386 = ("enabled\ninterpreter /usr/bin/qemu-i386-static\nflags: F\noffset 0\n"
        "magic 7f454c4601010100000000000000000002000300\nmask fffffffffffefe00fffffffffffffffffeffffff\n")
ARM = I386.replace("qemu-i386", "qemu-arm").replace("02000300", "02002800")  # e_machine 40
failures = []


def case(name, entries, want):
    with tempfile.TemporaryDirectory() as d:
        for n, text in entries.items():
            with open(os.path.join(d, n), "w") as f:
                f.write(text)
        got = i386_emulator(d)
    if got != want:
        failures.append("%s: got %r, want %r" % (name, got, want))


case("an i386 emulator", {"register": "", "status": "enabled\n", "qemu-i386": I386}, "/usr/bin/qemu-i386-static")
case("disabled", {"qemu-i386": I386.replace("enabled", "disabled", 1)}, "")
case("another architecture", {"qemu-arm": ARM}, "")
case("not at offset 0", {"x": I386.replace("offset 0", "offset 4")}, "")
case("malformed magic", {"x": I386.replace("magic 7f", "magic zz")}, "")
case("no entries", {}, "")
if failures:
    print("FAIL host_runs_i386:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("PASS host_runs_i386: an enabled binfmt_misc entry for i386 ELF is an emulator; others are not")
