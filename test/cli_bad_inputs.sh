#!/bin/bash
# Every bad invocation must end in exactly one "ringshift: error:" line on stderr and
# exit status 2, with nothing on stdout; drive lines that are fine must start the machine.
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
# Disk images: a good one (1 MiB, no boot signature), odd-sized, empty, a directory; a
# boot sector that ends the run at once with status 67 (0x21 to port 0xF4); one locked by
# another process (this shell holds an exclusive flock on it, as a running VMM would).
head -c 1048576 /dev/zero > "$tmp/disk.img"
cp "$tmp/disk.img" "$tmp/boot.img"
printf '\xb0\x21\xe6\xf4\xf4' | dd of="$tmp/boot.img" conv=notrunc status=none   # mov al,21h; out 0F4h,al; hlt
printf '\x55\xaa' | dd of="$tmp/boot.img" bs=1 seek=510 conv=notrunc status=none
cp "$tmp/boot.img" "$tmp/boot,img"
head -c 1000 /dev/zero > "$tmp/odd.img"
head -c 2560 /dev/zero > "$tmp/odd.iso"   # whole 512-byte sectors, not whole 2048-byte ones
: > "$tmp/empty.img"
mkdir "$tmp/dir.img"
cp "$tmp/disk.img" "$tmp/locked.img"
exec 9<"$tmp/locked.img"
flock -x 9 || { echo "FAIL cannot lock"; exit 1; }
fail=0
check() {
  local name="$1"; shift
  timeout 20 "$rs" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
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
check "-hdc odd-sized"    run -hdc "$tmp/zeros"
check "five IDE disks"    run -hda a -hdb b -hdc c -hdd d --disk e
check "missing image"     run -hda "$tmp/nope.img"
check "missing -drive"    run -drive file="$tmp/nope.img",if=virtio
check "image directory"   run -hda "$tmp/dir.img"
check "odd-sized image"   run -drive file="$tmp/odd.img",if=virtio
check "odd-sized CD"      run -cdrom "$tmp/odd.iso"
check "empty image"       run -hda "$tmp/empty.img"
check "locked image"      run -hda "$tmp/locked.img"
check "locked, read-only" run -drive file="$tmp/locked.img",readonly=on
check "locked, snapshot"  run -snapshot -hda "$tmp/locked.img"
check "one file twice"    run -hda "$tmp/disk.img" -hdb "$tmp/disk.img"
check "file twice, virtio" run -hda "$tmp/disk.img" -drive file="$tmp/disk.img",if=virtio
check "file twice, ro+rw" run -drive file="$tmp/disk.img",readonly=on -drive file="$tmp/disk.img",if=virtio
check "file twice, path"  run -hda "$tmp/disk.img" -hdb "$tmp/../$(basename "$tmp")/disk.img"
check "unknown -drive key" run -drive file="$tmp/disk.img",bogus=1
check "format=qcow2"      run -drive file="$tmp/disk.img",format=qcow2
check "if=scsi"           run -drive file="$tmp/disk.img",if=scsi
check "cdrom on virtio"   run -drive file="$tmp/disk.img",if=virtio,media=cdrom
check "index taken"       run -hdc "$tmp/disk.img" -cdrom "$tmp/boot.img"
check "index range"       run -drive file="$tmp/disk.img",index=4
check "second floppy"     run -fda "$tmp/disk.img" -fdb "$tmp/boot.img"
check "cache=writethrough" run -drive file="$tmp/disk.img",cache=writethrough
check "-device e1000"     run -hda "$tmp/disk.img" -device e1000
check "if=none unused"    run -drive id=d0,if=none,file="$tmp/disk.img"
check "-device no drive"  run -device virtio-blk-pci,drive=d0
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
check "map budget zero"   run --kernel "$tmp/junk" --map-budget 0
check "map budget text"   run --kernel "$tmp/junk" --map-budget lots
check "gdb port range"    run --kernel "$tmp/junk" --gdb 99999
check "gdb port text"     run --kernel "$tmp/junk" --gdb localhost:gdb
check "gdb empty port"    run --kernel "$tmp/junk" --gdb 127.0.0.1:
check "bad display"       run --kernel "$tmp/junk" -display sdl
check "display+nographic" run --kernel "$tmp/junk" -nographic -display curses
# Drives that are fine: the run starts and the BIOS decides (8: nothing bootable, 67: the
# boot sector ran), with a virtio disk alone as the boot disk, as with SeaBIOS.
status() {  # status NAME EXPECTED ARGS...
  local name="$1" want="$2"; shift 2
  timeout 20 "$rs" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  local st=$?
  if [ "$st" -ne "$want" ]; then echo "FAIL $name: status $st, not $want; stderr:"; cat "$tmp/err"; fail=1; else echo "ok   $name: status $st"; fi
}
status "two readers share"   8 run -drive file="$tmp/disk.img",readonly=on -drive file="$tmp/disk.img",if=virtio,readonly
status "two snapshots share" 8 run -snapshot -hda "$tmp/disk.img" -hdb "$tmp/disk.img"
status "boot from virtio"    67 run -drive file="$tmp/boot.img",if=virtio,format=raw,cache=none
status "boot from -device"   67 run -device virtio-blk-pci,drive=d0 -drive id=d0,if=none,file="$tmp/boot.img"
status "boot from -hdc"      67 run -hdc "$tmp/boot.img"
status "boot, comma in name" 67 run -drive file="$tmp/boot,,img",if=ide
exec 9<&-
# A second ringshift on an image a first one is running (a boot sector spinning on "jmp $").
cp "$tmp/disk.img" "$tmp/spin.img"
printf '\xeb\xfe' | dd of="$tmp/spin.img" conv=notrunc status=none
printf '\x55\xaa' | dd of="$tmp/spin.img" bs=1 seek=510 conv=notrunc status=none
"$rs" run -display none -hda "$tmp/spin.img" </dev/null >"$tmp/first" 2>&1 &
first=$!
# Its BIOS is booting once the image is open and locked (probing the lock could race it).
for _ in $(seq 200); do grep -q Booting "$tmp/first" && break; sleep 0.05; done
check "image of a running VM" run -drive file="$tmp/spin.img",if=virtio
check "...even read-only"     run -cdrom "$tmp/spin.img"
kill "$first"; wait "$first" 2>/dev/null
status "after it has ended"  8 run -hda "$tmp/disk.img" -drive file="$tmp/spin.img",if=virtio,readonly,media=disk
"$rs" --help >"$tmp/out" 2>&1 && grep -q -- '--kernel' "$tmp/out" && grep -q -- '-hda FILE' "$tmp/out" || { echo "FAIL --help"; fail=1; }
# The new "nothing to boot" line replaced "missing --kernel": the user is told about drives.
"$rs" run 2>&1 | grep -q 'nothing to boot: give --kernel FILE or a drive' || { echo "FAIL nothing-to-boot message"; fail=1; }
"$rs" --version | grep -q '^ringshift [0-9]' || { echo "FAIL --version"; fail=1; }
exit $fail
