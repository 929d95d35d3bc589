#!/bin/bash
# Every bad invocation must end in exactly one "ringshift: error:" line on stderr and
# exit status 2, with nothing on stdout.
rs="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'not an elf' > "$tmp/junk"
head -c 600 /dev/zero > "$tmp/zeros"
printf '\x7fELF' > "$tmp/trunc"
# A bzImage-shaped file: boot flag, "HdrS", protocol 2.15, LOADED_HIGH, 4 setup sectors
# and a protected-mode part that the header says is 64 KiB but the file does not hold.
mkbz() {  # mkbz FILE VERSION_LE_HEX
  head -c 2560 /dev/zero > "$1"
  printf '\x00\x10\x00\x00' | dd of="$1" bs=1 seek=$((0x1F4)) conv=notrunc status=none  # syssize
  printf '\x55\xaa\xeb\x66HdrS' | dd of="$1" bs=1 seek=$((0x1FE)) conv=notrunc status=none
  printf "$2" | dd of="$1" bs=1 seek=$((0x206)) conv=notrunc status=none
  printf '\x01' | dd of="$1" bs=1 seek=$((0x211)) conv=notrunc status=none
}
mkbz "$tmp/bz_trunc" '\x0f\x02'
mkbz "$tmp/bz_old" '\x01\x02'
fail=0
check() {
  local name="$1"; shift
  "$rs" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  local st=$?
  local lines; lines=$(wc -l <"$tmp/err")
  if [ "$st" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q '^ringshift: error: ' "$tmp/err" || [ -s "$tmp/out" ]; then
    echo "FAIL $name: status $st, stderr:"; cat "$tmp/err"; fail=1
  else
    echo "ok   $name: $(cat "$tmp/err")"
  fi
}
check "no command"        
check "unknown command"   fly
check "unknown flag"      run --kernel "$tmp/junk" --frobnicate
check "nothing to boot"   run
check "nothing to boot 2" run -m 64M -boot d
check "bad -boot letter"  run -hda "$tmp/zeros" -boot z
check "bad -boot repeat"  run -hda "$tmp/zeros" -boot order=cc
check "-hdc"              run -hdc "$tmp/zeros"
check "three disks"       run -hda "$tmp/zeros" -hdb "$tmp/junk" --disk "$tmp/trunc"
check "bad memory size"   run -m 12Q --kernel "$tmp/junk"
check "memory too large"  run -m 64G --kernel "$tmp/junk"
check "nonexistent file"  run --kernel "$tmp/nope"
check "directory"         run --kernel "$tmp"
check "not multiboot"     run --kernel "$tmp/junk"
check "all zeros"         run --kernel "$tmp/zeros"
check "truncated elf"     run --kernel "$tmp/trunc"
check "truncated bzImage" run --kernel "$tmp/bz_trunc"
check "old boot protocol" run --kernel "$tmp/bz_old"
check "bad log level"     run --kernel "$tmp/junk" --log-level shouty
check "missing initrd"    run --kernel "$tmp/junk" --initrd "$tmp/nope"
check "map budget small"  run --kernel "$tmp/junk" --map-budget 10
check "map budget text"   run --kernel "$tmp/junk" --map-budget lots
check "gdb port range"    run --kernel "$tmp/junk" --gdb 99999
check "gdb port text"     run --kernel "$tmp/junk" --gdb localhost:gdb
check "gdb empty port"    run --kernel "$tmp/junk" --gdb 127.0.0.1:
check "bad display"       run --kernel "$tmp/junk" -display sdl
check "display+nographic" run --kernel "$tmp/junk" -nographic -display curses
"$rs" --help >"$tmp/out" 2>&1 && grep -q -- '--kernel' "$tmp/out" && grep -q -- '-hda FILE' "$tmp/out" || { echo "FAIL --help"; fail=1; }
# The new "nothing to boot" line replaced "missing --kernel": the user is told about drives.
"$rs" run 2>&1 | grep -q 'nothing to boot: give --kernel FILE or a drive' || { echo "FAIL nothing-to-boot message"; fail=1; }
"$rs" --version | grep -q '^ringshift [0-9]' || { echo "FAIL --version"; fail=1; }
exit $fail
