#!/usr/bin/env python3
"""Pick kernel modules and everything they depend on out of a kernel's module tree, for
the test initramfs: no kmod/depmod on the host, the dependencies come from each module's
own .modinfo section (its depends= field, which the kernel build writes from the symbols
the module imports).

Copies the closure of the named modules from SRC (a lib/modules/RELEASE directory) to DST
with the same relative paths, and writes DST/rs-modules.order: the modules' paths in an
order in which `insmod` can load them one by one (every module after its dependencies;
the named modules in the order given). A module's softdep= (e.g. ext4's "pre: crc32c",
resolved by modprobe through aliases) is not followed: name such modules yourself. DST is
replaced. Prints one line per module to stdout.

usage: modules.py SRC DST MODULE...
Python 3 standard library only.
"""

import os
import shutil
import struct
import sys


def modinfo(path):
    """The key=value strings of a module's .modinfo section, as a list of (key, value)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF":
        raise ValueError("%s: not an ELF file" % path)
    if data[4] == 1:  # ELFCLASS32
        shoff, = struct.unpack_from("<I", data, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x2E)
        sh = lambda i: struct.unpack_from("<IIIIII", data, shoff + i * shentsize)  # noqa: E731
    else:  # ELFCLASS64
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

        def sh(i):
            name, typ, _flags, _addr, off, size = struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
            return name, typ, _flags, _addr, off, size
    strtab_off = sh(shstrndx)[4]
    for i in range(shnum):
        name, _typ, _flags, _addr, off, size = sh(i)
        end = data.index(b"\0", strtab_off + name)
        if data[strtab_off + name:end] == b".modinfo":
            out = []
            for item in data[off:off + size].split(b"\0"):
                if b"=" in item:
                    k, v = item.decode("utf-8", "replace").split("=", 1)
                    out.append((k, v))
            return out
    raise ValueError("%s: no .modinfo section" % path)


def norm(name):
    return name.replace("-", "_")


def index(src):
    """Module name -> path relative to SRC, for every .ko below SRC."""
    mods = {}
    for d, _, files in os.walk(src):
        for f in files:
            if f.endswith(".ko"):
                mods[norm(f[:-3])] = os.path.relpath(os.path.join(d, f), src)
    return mods


def closure(src, mods, roots):
    """Load order: depth-first, every module after its dependencies."""
    order, state = [], {}

    def visit(name, chain):
        if state.get(name) == "done":
            return
        if state.get(name) == "active":
            raise ValueError("dependency cycle: " + " -> ".join(chain + [name]))
        if name not in mods:
            raise ValueError("no module %s in %s%s" % (name, src, " (needed by %s)" % chain[-1] if chain else ""))
        state[name] = "active"
        info = modinfo(os.path.join(src, mods[name]))
        for k, v in info:
            if k == "depends":
                for dep in filter(None, v.split(",")):
                    visit(norm(dep), chain + [name])
        state[name] = "done"
        order.append(name)

    for r in roots:
        visit(norm(r), [])
    return order


def main(argv):
    if len(argv) < 4 or argv[1] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        return 2
    src, dst, roots = argv[1], argv[2], argv[3:]
    if not os.path.isdir(src):
        sys.stderr.write("modules.py: %s is not a directory\n" % src)
        return 1
    mods = index(src)
    try:
        order = closure(src, mods, roots)
    except ValueError as e:
        sys.stderr.write("modules.py: %s\n" % e)
        return 1
    tmp = dst + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    total = 0
    for name in order:
        rel = mods[name]
        os.makedirs(os.path.dirname(os.path.join(tmp, rel)), exist_ok=True)
        shutil.copyfile(os.path.join(src, rel), os.path.join(tmp, rel))
        size = os.path.getsize(os.path.join(tmp, rel))
        total += size
        print("module %s %s (%d bytes)" % (name, rel, size))
    with open(os.path.join(tmp, "rs-modules.order"), "w") as f:
        f.write("".join(mods[n] + "\n" for n in order))
    shutil.rmtree(dst, ignore_errors=True)
    os.replace(tmp, dst)
    print("modules: %d, %d bytes" % (len(order), total))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
