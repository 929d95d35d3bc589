#!/usr/bin/env python3
"""The house at a glance, from the code itself.

  tools/house.py outline    one line per file under src/ from its opening comment
                            (what docs/outline.md holds; --write regenerates it)
  tools/house.py sizes      files over 400 lines and functions over 60 lines

A file's line is the first sentence of its opening // comment (a .cpp without one takes
its header's). Function lengths are found by brace matching on definitions that start
in column 0 or one indentation level (methods in class bodies), which is what this
code base's style makes them. Python 3 standard library only."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")


def files():
    out = []
    for d, _, fs in os.walk(SRC):
        for f in fs:
            if f.endswith((".cpp", ".h", ".asm", ".inc")):
                out.append(os.path.relpath(os.path.join(d, f), ROOT))
    return sorted(out, key=lambda f: (os.path.dirname(f), os.path.basename(f)))


def opening_comment(path):
    lines = []
    with open(os.path.join(ROOT, path)) as fh:
        for line in fh:
            s = line.strip()
            if s.startswith("//") or s.startswith(";"):
                lines.append(s.lstrip("/;").strip())
            elif lines or s.startswith("#include") or s.startswith("#pragma"):
                break
            elif s:
                break
    text = " ".join(l for l in lines if l)
    # The first sentence: up to a period that ends a word (not "vol.", "e.g.", "i.e.").
    for m in re.finditer(r"\.(\s|$)", text):
        word = text[:m.start()].rsplit(" ", 1)[-1].lower()
        if word not in ("vol", "e.g", "i.e", "etc", "cf", "no"):
            return text[:m.start() + 1].strip()
    return text.strip()


def outline():
    fs = files()
    have = set(fs)
    rows = []
    for f in fs:
        stem, ext = os.path.splitext(f)
        if ext == ".cpp" and stem + ".h" in have and not opening_comment(f):
            continue  # listed with its header
        name = os.path.basename(f)
        c = opening_comment(f)
        if ext == ".h" and stem + ".cpp" in have and not opening_comment(stem + ".cpp"):
            name = os.path.basename(stem) + ".h/.cpp"
        rows.append((f, name, c))
    out = ["# Outline of src/", "",
           "One line per file (a header and its .cpp share one when only the header has an opening",
           "comment), from the file's own opening comment. `tools/house.py outline --write`",
           "regenerates this page; the test `docs.outline` fails when it is out of date.", ""]
    room = None
    for f, name, c in rows:
        r = os.path.dirname(f)
        if r != room:
            out.append("")
            out.append("## " + r + "/")
            out.append("")
            room = r
        out.append("- `" + name + "`: " + (c or "(no opening comment)"))
    return "\n".join(out).replace("\n\n\n", "\n\n") + "\n"


DEF = re.compile(r"^( {0,2})(?!struct |class |alignas|enum |union )[A-Za-z_][\w:<>,\*&\s~\[\]]*?\b([\w:~]+)\s*\([^;]*$")


def functions(path):
    lines = open(os.path.join(ROOT, path)).read().split("\n")
    out = []
    i = 0
    while i < len(lines):
        m = DEF.match(lines[i])
        if m and not lines[i].lstrip().startswith(("return", "if", "for", "while", "switch", "case", "else")):
            # find the opening brace of the body before any ';'
            j = i
            body = None
            while j < len(lines) and j < i + 8:
                if ";" in lines[j] and "{" not in lines[j]:
                    break
                if lines[j].rstrip().endswith("{"):
                    body = j
                    break
                j += 1
            if body is not None:
                depth = 0
                k = body
                while k < len(lines):
                    depth += lines[k].count("{") - lines[k].count("}")
                    if depth <= 0:
                        break
                    k += 1
                n = k - i + 1
                out.append((m.group(2), i + 1, n))
                i = k + 1
                continue
        i += 1
    return out


def sizes():
    big = []
    longf = []
    for f in files():
        n = sum(1 for _ in open(os.path.join(ROOT, f)))
        if n > 400:
            big.append((n, f))
        if f.endswith((".cpp", ".h")):
            for name, line, length in functions(f):
                if length > 60:
                    longf.append((length, f, line, name))
    print("files over 400 lines:")
    for n, f in sorted(big, reverse=True):
        print(f"  {n:5d}  {f}")
    print("functions over 60 lines:")
    for n, f, line, name in sorted(longf, reverse=True):
        print(f"  {n:5d}  {f}:{line}  {name}")


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else "outline"
    if cmd == "outline":
        text = outline()
        if "--write" in sys.argv:
            with open(os.path.join(ROOT, "docs", "outline.md"), "w") as fh:
                fh.write(text)
        elif "--check" in sys.argv:
            cur = open(os.path.join(ROOT, "docs", "outline.md")).read()
            if cur != text:
                print("docs/outline.md is out of date: run tools/house.py outline --write", file=sys.stderr)
                return 1
        else:
            sys.stdout.write(text)
    elif cmd == "sizes":
        sizes()
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
