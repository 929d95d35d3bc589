#!/usr/bin/env python3
"""--jitdump: the file perf inject --jit reads (tools/perf/Documentation/
jitdump-specification.txt) describes the translated code the perf map names.

Runs the bare-metal guest with --perf-map --jitdump --symbols for a second and checks:
- the header: magic "JiTD", version 1, its own size, x86-64 (EM_X86_64 = 62), our pid;
- the records: code loads (id 0) whose sizes add up to the file, with the process's pid,
  increasing code indexes and timestamps (CLOCK_MONOTONIC, as perf record -k mono), and
  vma = code address;
- every perf-map line (address, size, name) has a record with the same three, symbols
  included (kmain+0x..._guest_...);
- each record's bytes are the block's code: a kernel block (this guest runs at CPL 0)
  starts with its head's poll read, mov r10b, [r15 + disp32] (45 8A 97).

usage: test/jitdump_test.py RINGSHIFT GUEST_ELF
"""

import os
import signal
import struct
import subprocess
import sys
import time


def main():
    ringshift, guest = sys.argv[1], sys.argv[2]
    t0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    p = subprocess.Popen([ringshift, "run", "--kernel", guest, "--perf-map", "--jitdump", "--symbols", guest],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=20)
    t1 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    dump, pmap = f"/tmp/jit-{p.pid}.dump", f"/tmp/perf-{p.pid}.map"
    try:
        data = open(dump, "rb").read()
        lines = open(pmap).read().split("\n")
    finally:
        for f in (dump, pmap):
            if os.path.exists(f):
                os.remove(f)

    magic, version, hsize, mach, _pad, pid, stamp, flags = struct.unpack_from("<IIIIIIQQ", data, 0)
    assert magic == 0x4A695444, hex(magic)
    assert version == 1 and hsize == 40 and mach == 62 and flags == 0, (version, hsize, mach, flags)
    assert pid == p.pid, (pid, p.pid)
    assert t0 <= stamp <= t1, (t0, stamp, t1)

    records = {}
    at, index, last = hsize, 0, stamp
    while at < len(data):
        rid, size, ts, rpid, _tid, vma, addr, csize, cindex = struct.unpack_from("<IIQIIQQQQ", data, at)
        assert rid == 0, f"record {index}: id {rid}"
        assert rpid == p.pid and vma == addr and cindex == index, (rpid, vma, addr, cindex, index)
        assert last <= ts <= t1, (last, ts, t1)
        body = data[at + 56:at + size]
        nul = body.index(b"\0")
        name, code = body[:nul].decode(), body[nul + 1:]
        assert len(code) == csize, (name, len(code), csize)
        assert code[:3] == b"\x45\x8a\x97", f"{name}: {code[:8].hex()} is not a block head's poll read"
        records[addr] = (csize, name)
        at, index, last = at + size, index + 1, ts
    assert at == len(data), "the last record runs past the file"
    assert index > 10, f"only {index} records"

    named = 0
    for line in lines:
        if not line:
            continue
        addr, size, name = line.split(" ", 2)
        assert records.get(int(addr, 16)) == (int(size, 16), name), (line, records.get(int(addr, 16)))
        named += "kmain+0x" in name
    assert named > 0, "no block named by the guest's symbols"
    print(f"jitdump: {index} records, all {len([l for l in lines if l])} perf-map entries among them")


if __name__ == "__main__":
    main()
