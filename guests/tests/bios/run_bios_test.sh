#!/usr/bin/env bash
# run_bios_test.sh [--qemu] VMM IMAGE
#
# Boots one BIOS test disk image (guests/tests/bios/*.asm, see bios_test.inc) from a
# copy (the tests write to their disk) and passes when the guest reports PASS through
# the isa-debug-exit port: exit status 1.
#   ringshift:  VMM run -m 64M -hda COPY -boot c --no-reboot
#   --qemu:     VMM -nographic -net none -m 64M -drive file=COPY,format=raw,if=ide,index=0
#               -device isa-debug-exit,iobase=0xf4,iosize=4 -boot c -no-reboot
#               (QEMU + SeaBIOS, the reference the tests were checked against)
# On failure the guest's output (COM1) and the VMM's stderr are shown.
# RINGSHIFT_BIOS_TIMEOUT: seconds (default 50).
set -u
qemu=0
if [ "${1:-}" = --qemu ]; then
    qemu=1
    shift
fi
if [ "$#" -ne 2 ]; then
    echo "usage: $0 [--qemu] VMM IMAGE" >&2
    exit 1
fi
vmm=$1
image=$2
name=$(basename "$image" .img)
tmo=${RINGSHIFT_BIOS_TIMEOUT:-50}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ringshift-bios.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cp "$image" "$tmp/disk.img" || exit 1

if [ "$qemu" -eq 1 ]; then
    timeout -k 5 "$tmo" "$vmm" -nographic -net none -m 64M \
        -drive "file=$tmp/disk.img,format=raw,if=ide,index=0" \
        -device isa-debug-exit,iobase=0xf4,iosize=4 -boot c -no-reboot \
        > "$tmp/out" 2> "$tmp/err" < /dev/null
else
    timeout -k 5 "$tmo" "$vmm" run -m 64M -hda "$tmp/disk.img" -boot c --no-reboot \
        > "$tmp/out" 2> "$tmp/err" < /dev/null
fi
st=$?

if [ "$st" -eq 1 ] && grep -aq '^PASS' "$tmp/out"; then
    echo "PASS $name"
    exit 0
fi
case "$st" in
    3) why="the guest reported FAIL" ;;
    8) why="the BIOS found no bootable device" ;;
    124|137) why="timed out after ${tmo} s" ;;
    *) why="exit status $st" ;;
esac
echo "FAIL $name: $why (expected status 1, guest PASS)"
echo "--- guest output (COM1) ---"
tr -d '\033' < "$tmp/out" | tail -n 60
if [ -s "$tmp/err" ]; then
    echo "--- stderr (last 20 lines) ---"
    tail -n 20 "$tmp/err"
fi
exit 1
