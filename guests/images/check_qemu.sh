#!/usr/bin/env bash
# Boot the images of guests/images/build.sh in QEMU (TCG, serial console on stdio) and
# check that each reaches its markers: the boot loader's, the kernel command line the
# loader passed, and the busybox initramfs's "ringshift-guest: init started". The
# syslinux menu is driven with keys once (Down, Enter: the second entry). For developers,
# not CI: QEMU is only the reference until ringshift's BIOS boots the same images.
#
# usage: guests/images/check_qemu.sh OUTDIR
# Environment: QEMU (default qemu-system-i386), QEMU_OPTS (extra options, e.g.
# "-accel kvm"), CHECK_TIMEOUT (seconds per marker, default 180).
# Prints the wall time from QEMU's start to each marker; exits 1 if any marker is missing.
# Raw console logs go to OUTDIR/qemu-*.log.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 1 ] || { echo "usage: check_qemu.sh OUTDIR" >&2; exit 2; }
out=$(cd "$1" && pwd)
qemu=${QEMU:-qemu-system-i386}
command -v "$qemu" >/dev/null || { echo "check_qemu.sh: $qemu not found (apt-get install qemu-system-x86)" >&2; exit 2; }
for f in syslinux.img grub.img cd.iso floppy.img; do
    [ -s "$out/$f" ] || { echo "check_qemu.sh: $out/$f missing (run guests/images/build.sh $1)" >&2; exit 2; }
done

# -snapshot: the guests' writes (none expected) never reach the image files.
# shellcheck disable=SC2206 # QEMU_OPTS is a list of words
machine=("$qemu" -display none -serial stdio -monitor none -m 256M -no-reboot -snapshot ${QEMU_OPTS:-})
expect=(python3 "$here/qemu_expect.py" --timeout "${CHECK_TIMEOUT:-180}")
INIT='ringshift-guest: init started'
failed=()

run() {   # run NAME STEPS... -- QEMU-OPTIONS...
    local name=$1; shift
    local steps=()
    while [ "$1" != -- ]; do steps+=("$1"); shift; done
    shift
    echo "== $name"
    if ! "${expect[@]}" --log "$out/qemu-$name.log" "${steps[@]}" -- "${machine[@]}" "$@"; then
        failed+=("$name")
    fi
}

hd() { echo "file=$out/$1,format=raw,if=ide,index=0,media=disk"; }

run syslinux-menu \
    --expect 'ringshift syslinux test menu' --send '\x1b[B' --send '\r' \
    --expect 'Kernel command line: [^\n]*ringshift_menu=second' --expect "$INIT" \
    -- -drive "$(hd syslinux.img)" -boot c
run syslinux-default \
    --expect 'ringshift syslinux test menu' \
    --expect 'Kernel command line: [^\n]*ringshift_menu=first' --expect "$INIT" \
    -- -drive "$(hd syslinux.img)" -boot c
run grub \
    --expect 'ringshift-grub: grub.cfg read' \
    --expect 'Kernel command line: [^\n]*ringshift_menu=grub' --expect "$INIT" \
    -- -drive "$(hd grub.img)" -boot c
run cd \
    --expect 'ISOLINUX' \
    --expect 'Kernel command line: [^\n]*ringshift_menu=cd' --expect "$INIT" \
    -- -drive "file=$out/cd.iso,format=raw,if=ide,index=2,media=cdrom" -boot d
run floppy \
    --expect 'ringshift-floppy: syslinux menu from the floppy' \
    --expect 'ringshift-grub: grub.cfg read' --expect "$INIT" \
    -- -drive "file=$out/floppy.img,format=raw,if=floppy,index=0" -drive "$(hd grub.img)" -boot a

if [ ${#failed[@]} -gt 0 ]; then
    echo "check_qemu.sh: FAILED: ${failed[*]} (logs in $out/qemu-*.log)"
    exit 1
fi
echo "check_qemu.sh: all images reached their markers"
