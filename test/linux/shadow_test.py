#!/usr/bin/env python3
"""Shadow page-table coherence under the real kernel: memstress (test/linux/progs) churns
address spaces (fresh pages, fork with copy-on-write both ways, mprotect, munmap and
remap, exec) and checks every value it reads back, and sharedcode (translations shared
across address spaces: one page at several addresses and in two processes, code written
through one mapping, recycled pages and new executables), and stackfault (a page fault
in the middle of a run of PUSHes, of POPs, and at a RET after a POP: the ESP, EIP and
registers the guest's signal handler sees, which ringshift, moving ESP once per run, must
put back), while ringshift runs with
RINGSHIFT_VERIFY_SHADOW=1, which compares every entry of the address space being
entered with the guest's page tables at each CR3 load and reports any that differ.
Covers what keeps host mappings across address-space switches (kept kernel halves,
deferred protection changes, parked pages).

usage: test/linux/shadow_test.py --ringshift PATH [--workdir DIR] [--cache DIR] [--timeout S]
Exit status 0 on success, 1 otherwise.
"""

import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rsguest  # noqa: E402

ROUNDS = 30
SCRIPT = """echo === shadow begin
/rs/memstress %d
echo memstress status $?
/rs/sharedcode 100
echo sharedcode status $?
/rs/stackfault
echo stackfault status $?
i=0
while [ $i -lt 100 ]; do /bin/true; i=$((i+1)); done
echo forks done $i
echo === shadow end
""" % ROUNDS


def main():
    args, work, extra = rsguest.test_setup(__doc__, "rs-linux-shadow.", 120)
    ok = True
    try:
        rsguest.build_progs(os.path.join(extra, "rs"), names=("memstress", "sharedcode", "stackfault"))
        with open(os.path.join(extra, "rs", "shadow.sh"), "w") as f:
            f.write(SCRIPT)
        bz, initrd, _ = rsguest.make_initramfs(extra, os.path.join(work, "initramfs.cpio.gz"), args.cache,
                                                     flavour=args.flavour)
        cmd = rsguest.vmm_command("ringshift", args.ringshift, bz, initrd, rsguest.kernel_append("/rs/shadow.sh"))
        env = dict(os.environ, RINGSHIFT_VERIFY_SHADOW="1")
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=args.timeout, env=env)
        out = p.stdout.decode("utf-8", "replace").splitlines()
        err = p.stderr.decode("utf-8", "replace").splitlines()
        body = rsguest.section(out, "shadow") or []
        checks = [
            ("ringshift exit status 0 (guest powered off)", p.returncode == 0),
            ("memstress: %d rounds, 0 mismatches" % ROUNDS,
             any(l.strip() == "memstress: %d rounds, 0 mismatches" % ROUNDS for l in body)),
            ("memstress status 0", any(l.strip() == "memstress status 0" for l in body)),
            ("sharedcode: 0 failures", any(l.strip().startswith("sharedcode: ") and l.strip().endswith(
                " checks, 0 failures") for l in body)),
            ("sharedcode status 0", any(l.strip() == "sharedcode status 0" for l in body)),
            ("stackfault: 0 failures", any(l.strip().startswith("stackfault: ") and l.strip().endswith(
                " checks, 0 failures") for l in body)),
            ("stackfault status 0", any(l.strip() == "stackfault status 0" for l in body)),
            ("100 fork+exec", any(l.strip() == "forks done 100" for l in body)),
        ]
        stale = [l for l in err if l.startswith("shadow verify")]
        checks.append(("no stale shadow entry at any CR3 load (%d reported)" % len(stale), not stale))
        bad = rsguest.trouble(out)
        checks.append(("no kernel trouble on the console", not bad))
        for name, good in checks:
            print("%s %s" % ("PASS" if good else "FAIL", name))
            ok = ok and good
        if not ok:
            for l in stale[:5] + bad[:5]:
                print("  " + l)
            print(rsguest.tail(out, 20))
    except (rsguest.Error, OSError, subprocess.TimeoutExpired) as e:
        print("FAIL setup or timeout: %s" % e)
        ok = False
    print("%s: shadow coherence" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
