#!/usr/bin/env python3
"""Robustness of the gdbstub: random bytes, malformed and hostile packets (bad
checksums, bad hex, out-of-range registers and addresses, huge lengths, an oversized
packet, truncated frames, unknown queries) against a stopped guest. After every round the
stub must still answer '?' and 'g' correctly, an oversized packet may only drop the
connection (a new one must work), ringshift must never crash, and 'k' must end it with
status 0.

usage: test/gdb/fuzz_stub.py RINGSHIFT GUEST_ELF [--seed N] [--rounds N]
"""

import argparse
import os
import random
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdbutil  # noqa: E402

REGS_HEX = 2 * (16 * 4 + 8 * 10 + 8 * 4 + 8 * 16 + 4)  # the i386 core + SSE register file


def checksum(data):
    return sum(data) & 0xFF


def frame(payload):
    return b"$" + payload + b"#%02x" % checksum(payload)


class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send_raw(self, data):
        self.s.sendall(data)

    def packet(self, payload, timeout=10):
        """Sends a framed packet and returns the next reply payload."""
        self.s.sendall(frame(payload))
        return self.reply(timeout)

    def reply(self, timeout=10):
        deadline = time.time() + timeout
        while True:
            start = self.buf.find(b"$")
            if start >= 0:
                end = self.buf.find(b"#", start)
                if end >= 0 and len(self.buf) >= end + 3:
                    payload = self.buf[start + 1:end]
                    self.buf = self.buf[end + 3:]
                    return payload
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no reply")
            self.s.settimeout(left)
            data = self.s.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buf += data

    def drain(self, wait=0.05):
        self.s.settimeout(wait)
        try:
            while True:
                data = self.s.recv(65536)
                if not data:
                    raise ConnectionError("closed")
        except socket.timeout:
            pass
        self.buf = b""


def rand_hex(r, n):
    return "".join(r.choice("0123456789abcdefXYZ-,;:") for _ in range(n)).encode()


def hostile(r):
    choices = [
        lambda: b"m" + rand_hex(r, r.randint(0, 20)),
        lambda: b"m%x,%x" % (r.getrandbits(32), r.choice([0, 1, 4, 4096, 65536, 0xFFFFFFFF, 2**63])),
        lambda: b"m%x,%x" % (r.choice([0xFFFFFFFF, 0xFFFFFFFC, 0x100000000, 2**64 - 1]), r.randint(1, 64)),
        lambda: b"M%x,%x:" % (r.getrandbits(32), r.randint(0, 8)) + rand_hex(r, r.randint(0, 16)),
        lambda: b"M100000,4:zz" ,
        lambda: b"X%x,%x:" % (0x200000 + r.getrandbits(12), r.randint(0, 8)) + bytes(r.getrandbits(8) for _ in range(r.randint(0, 8))),
        lambda: b"p" + rand_hex(r, r.randint(0, 18)),
        lambda: b"p%x" % r.choice([41, 100, 2**32, 2**64 - 1]),
        lambda: b"P%x=" % r.randint(0, 60) + rand_hex(r, r.randint(0, 40)),
        lambda: b"G" + rand_hex(r, r.randint(0, 700)),
        lambda: b"Z%d,%x,%x" % (r.randint(0, 9), r.getrandbits(32), r.randint(0, 10000)),
        lambda: b"z%d,%s" % (r.randint(0, 9), rand_hex(r, 10)),
        lambda: b"qXfer:features:read:" + r.choice([b"target.xml", b"x.xml", b"", b"../etc/passwd"]) + b":" + rand_hex(r, 8),
        lambda: b"qXfer:features:read:target.xml:%x,%x" % (r.getrandbits(32), r.getrandbits(32)),
        lambda: b"vCont;" + r.choice([b"x", b"t", b"", b"r0,1"]),
        lambda: b"q" + bytes(r.getrandbits(7) | 0x20 for _ in range(r.randint(0, 40))),
        lambda: b"H" + rand_hex(r, 4),
        lambda: bytes(r.getrandbits(8) for _ in range(r.randint(0, 64))).replace(b"$", b"").replace(b"#", b""),
        lambda: b"",
    ]
    return r.choice(choices)()


def check_alive(c, what):
    stop = c.packet(b"?")
    if not stop.startswith(b"T") and not stop.startswith(b"S"):
        raise AssertionError("%s: '?' answered %r" % (what, stop))
    regs = c.packet(b"g")
    if len(regs) != REGS_HEX:
        raise AssertionError("%s: 'g' answered %d hex digits, expected %d" % (what, len(regs), REGS_HEX))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ringshift")
    ap.add_argument("elf")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=300)
    args = ap.parse_args()
    r = random.Random(args.seed)
    port = gdbutil.free_port()
    try:
        vmm = gdbutil.start_waiting(args.ringshift, args.elf, port, stdout=subprocess.DEVNULL)
    except RuntimeError as e:
        print("FAIL %s" % e)
        return 1
    ok = True
    reconnects = 0
    try:
        c = Client(port)  # nothing comes unprompted: the stop is reported on '?'
    except Exception as e:
        print("FAIL connect: %s" % e)
        vmm.kill()
        return 1
    try:
        check_alive(c, "start")
        for i in range(args.rounds):
            kind = r.random()
            try:
                if kind < 0.15:
                    c.send_raw(bytes(r.getrandbits(8) for _ in range(r.randint(1, 200))).replace(b"\x03", b""))
                    c.drain()
                elif kind < 0.25:
                    p = hostile(r)
                    c.send_raw(b"$" + p + b"#%02x" % ((checksum(p) + 1) & 0xFF))  # bad checksum: NAK
                    c.drain()
                elif kind < 0.30:
                    c.send_raw(b"$" + hostile(r))  # truncated: the next '$' starts over
                    c.drain()
                elif kind < 0.32:
                    c.send_raw(b"$" + b"m" * 20000 + b"#00")  # oversized: the stub drops us
                    c.drain(0.3)
                    raise ConnectionError("expected")
                else:
                    c.packet(hostile(r), timeout=1)
                check_alive(c, "round %d" % i)
            except (ConnectionError, TimeoutError, OSError):
                # The connection was dropped (oversized packet) or a garbage byte left the
                # parser mid-frame: a fresh connection must work. Dropping the connection
                # resumes the guest, and the new one stops it again.
                reconnects += 1
                try:
                    c.s.close()
                except OSError:
                    pass
                time.sleep(0.05)
                c = Client(port)  # a new connection stops the running guest again
                check_alive(c, "reconnect after round %d" % i)
            if vmm.poll() is not None:
                raise AssertionError("ringshift exited (status %s) during round %d" % (vmm.returncode, i))
        c.s.sendall(frame(b"k"))
        status = vmm.wait(timeout=10)
        err = vmm.stderr.read().decode("utf-8", "replace")
        if status != 0 or "internal error" in err:
            raise AssertionError("after 'k': status %s, stderr %r" % (status, err[-500:]))
    except Exception as e:
        print("FAIL %s" % e)
        ok = False
    finally:
        gdbutil.kill_if_running(vmm)
    print("%s: %d hostile rounds, %d reconnections, ringshift alive until 'k'" %
          ("PASS" if ok else "FAIL", args.rounds, reconnects))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
