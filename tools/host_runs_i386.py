#!/usr/bin/env python3
"""Whether this host runs i386 (32-bit x86) Linux programs natively, as the tests' oracle
needs: exit status 0 if it does, 1 (with the reason on stdout) if not.

Writes the smallest static i386 ELF that calls exit(42) and runs it. Hosts without IA-32
emulation (a kernel built without it, `ia32_emulation=false`, or a hypervisor such as PVM
that gives user space no 32-bit code segment) refuse it with ENOEXEC.
Used by guests/tests/run_guest_test.sh, test/linux/boot_test.py and the difftest ctest
entries (their native side is skipped, and said so, where it cannot run).
"""

import os
import struct
import subprocess
import sys
import tempfile

LOAD = 0x08048000
CODE = bytes([0xB8, 0x01, 0x00, 0x00, 0x00,  # mov eax, 1 (exit)
              0xBB, 0x2A, 0x00, 0x00, 0x00,  # mov ebx, 42
              0xCD, 0x80])                   # int 0x80


def tiny_elf():
    ehdr_size, phdr_size = 52, 32
    entry = LOAD + ehdr_size + phdr_size
    ident = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9)
    ehdr = ident + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, entry, ehdr_size, 0, 0, ehdr_size, phdr_size, 1, 0, 0, 0)
    size = ehdr_size + phdr_size + len(CODE)
    phdr = struct.pack("<IIIIIIII", 1, 0, LOAD, LOAD, size, size, 5, 0x1000)
    return ehdr + phdr + CODE


I386_ELF = tiny_elf()[:20]  # e_ident .. e_machine: what a binfmt_misc magic for i386 matches


def i386_emulator(d="/proc/sys/fs/binfmt_misc"):
    """The interpreter of an enabled binfmt_misc entry that takes i386 ELF programs (qemu-user,
    as guests/lib/host_tools.sh registers for a Debian build on a host without IA-32), or "".
    Such a host runs them emulated: no oracle. d: binfmt_misc's directory."""
    try:
        names = os.listdir(d)
    except OSError:
        return ""
    for n in names:
        try:
            with open(os.path.join(d, n)) as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        fields = dict(line.split(" ", 1) for line in lines[1:] if " " in line)
        if not lines or lines[0].strip() != "enabled" or fields.get("offset", "").strip() != "0" or "magic" not in fields:
            continue
        try:
            magic = bytes.fromhex(fields["magic"].strip())
            mask = bytes.fromhex(fields["mask"].strip()) if "mask" in fields else b"\xff" * len(magic)
        except ValueError:
            continue
        if len(magic) <= min(len(I386_ELF), len(mask)) and \
                not any((I386_ELF[i] ^ magic[i]) & mask[i] for i in range(len(magic))):
            return fields.get("interpreter", "?").strip()
    return ""


def host_runs_i386():
    """(True, "") or (False, why)."""
    emulator = i386_emulator()
    if emulator:
        return False, "i386 programs run here through binfmt_misc's %s, an emulator, not this CPU" % emulator
    fd, path = tempfile.mkstemp(prefix="i386-probe-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(tiny_elf())
        os.chmod(path, 0o755)
        try:
            r = subprocess.run([path], timeout=10)
        except OSError as e:
            return False, "a static i386 program cannot be executed here (%s)" % e.strerror
        if r.returncode != 42:
            return False, "a static i386 program that exits with 42 ended with status %d" % r.returncode
        return True, ""
    finally:
        os.unlink(path)


if __name__ == "__main__":
    ok, why = host_runs_i386()
    if not ok:
        print(why)
    sys.exit(0 if ok else 1)
