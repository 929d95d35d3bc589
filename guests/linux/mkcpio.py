#!/usr/bin/env python3
"""Pack a directory tree as a newc ("070701") cpio archive, gzipped when OUT ends in .gz.

Used by guests/linux/fetch.sh so that building the initramfs needs no `cpio` package.
Regular files, directories and symbolic links are stored with their permission bits;
owner and group are always 0 and timestamps a fixed value (SOURCE_DATE_EPOCH or 0), so the
same tree always gives the same bytes. Hard links are stored as separate files. The tree
holds no device nodes; --nod adds one to the archive (e.g. dev/console) without mknod.

usage: mkcpio.py [--nod 'PATH c|b MAJOR MINOR MODE']... ROOT OUT
"""

import argparse
import gzip
import os
import stat
import sys

MAGIC = b"070701"
TRAILER = "TRAILER!!!"


class Writer:
    def __init__(self, out, mtime):
        self.out = out
        self.mtime = mtime
        self.ino = 1
        self.offset = 0

    def _write(self, data):
        self.out.write(data)
        self.offset += len(data)

    def _pad(self):
        if self.offset % 4:
            self._write(b"\0" * (4 - self.offset % 4))

    def entry(self, name, mode, data=b"", nlink=1, rdev=(0, 0)):
        encoded = name.encode("utf-8") + b"\0"
        fields = (
            self.ino if name != TRAILER else 0,
            mode,
            0,  # uid
            0,  # gid
            nlink,
            self.mtime if name != TRAILER else 0,
            len(data),
            0,  # devmajor
            0,  # devminor
            rdev[0],
            rdev[1],
            len(encoded),
            0,  # check (unused in newc)
        )
        self.ino += 1
        self._write(MAGIC + b"".join(b"%08X" % f for f in fields))
        self._write(encoded)
        self._pad()
        if data:
            self._write(data)
            self._pad()


def walk(root):
    """Yield (archive name, path) for every entry below root, parents first, sorted."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        # os.walk does not descend into symlinks to directories but lists them in
        # dirnames; they are emitted as entries like any other name.
        for name in sorted(dirnames + filenames):
            arcname = name if rel == "." else os.path.join(rel, name)
            yield arcname, os.path.join(dirpath, name)


def parse_nod(spec):
    parts = spec.split()
    if len(parts) != 5 or parts[1] not in ("c", "b"):
        raise argparse.ArgumentTypeError("--nod wants 'PATH c|b MAJOR MINOR MODE', got %r" % spec)
    path, kind, major, minor, mode = parts
    fmt = stat.S_IFCHR if kind == "c" else stat.S_IFBLK
    return path.lstrip("/"), fmt | int(mode, 8), (int(major), int(minor))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nod", action="append", default=[], type=parse_nod,
                    help="add a device node: 'PATH c|b MAJOR MINOR MODE' (octal mode)")
    ap.add_argument("root", help="directory whose contents become the archive root")
    ap.add_argument("out", help="output file; gzip-compressed when it ends in .gz")
    args = ap.parse_args()

    if not os.path.isdir(args.root):
        sys.exit("mkcpio: %s is not a directory" % args.root)
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))

    tmp = args.out + ".tmp"
    if args.out.endswith(".gz"):
        raw = open(tmp, "wb")
        # mtime=0 and no file name in the gzip header: reproducible output.
        out = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0)
    else:
        raw = None
        out = open(tmp, "wb")

    count = 0
    ok = False
    try:
        w = Writer(out, mtime)
        for arcname, path in walk(args.root):
            st = os.lstat(path)
            perm = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                w.entry(arcname, stat.S_IFLNK | 0o777, os.readlink(path).encode("utf-8"))
            elif stat.S_ISDIR(st.st_mode):
                w.entry(arcname, stat.S_IFDIR | perm, nlink=2)
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    w.entry(arcname, stat.S_IFREG | perm, f.read())
            else:
                sys.exit("mkcpio: %s: not a regular file, directory or symlink" % path)
            count += 1
        for name, mode, rdev in args.nod:
            w.entry(name, mode, rdev=rdev)
            count += 1
        w.entry(TRAILER, 0, nlink=1)
        # newc archives are conventionally padded to a 512-byte block.
        if w.offset % 512:
            w._write(b"\0" * (512 - w.offset % 512))
        ok = True
    finally:
        out.close()
        if raw is not None:
            raw.close()
        if not ok:
            os.unlink(tmp)
    os.replace(tmp, args.out)
    print("mkcpio: %d entries -> %s" % (count, args.out))


if __name__ == "__main__":
    main()
