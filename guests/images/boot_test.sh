#!/usr/bin/env bash
# One image of guests/images/build.sh booted by ringshift through its BIOS, driven
# like check_qemu.sh drives QEMU (qemu_expect.py: the console on stdio, markers, keys):
# the boot loader's marker, the kernel command line it passed, and the initramfs's
# "ringshift-guest: init started". The images are not written: hard disks are
# attached read-only, the floppy is a copy.
#
# usage: guests/images/boot_test.sh RINGSHIFT OUTDIR NAME
#   NAME: syslinux-menu (Down, Enter: the menu's second entry), syslinux-default, grub,
#         cd, floppy (syslinux on the floppy chain-loads the GRUB disk)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 3 ] || { echo "usage: boot_test.sh RINGSHIFT OUTDIR NAME" >&2; exit 2; }
ringshift=$1
out=$(cd "$2" && pwd)
name=$3
machine=("$ringshift" run -m 256M --no-reboot)
expect=(python3 "$here/qemu_expect.py" --timeout "${CHECK_TIMEOUT:-120}" --log "$out/ringshift-$name.log")
INIT='ringshift-guest: init started'

case $name in
  syslinux-menu)
    exec "${expect[@]}" --expect 'ringshift syslinux test menu' --send '\x1b[B' --send '\r' \
        --expect 'Kernel command line: [^\n]*ringshift_menu=second' --expect "$INIT" \
        -- "${machine[@]}" --disk "$out/syslinux.img,readonly" ;;
  syslinux-default)
    exec "${expect[@]}" --expect 'ringshift syslinux test menu' \
        --expect 'Kernel command line: [^\n]*ringshift_menu=first' --expect "$INIT" \
        -- "${machine[@]}" --disk "$out/syslinux.img,readonly" ;;
  grub)
    exec "${expect[@]}" --expect 'ringshift-grub: grub.cfg read' \
        --expect 'Kernel command line: [^\n]*ringshift_menu=grub' --expect "$INIT" \
        -- "${machine[@]}" --disk "$out/grub.img,readonly" -boot c ;;
  cd)
    exec "${expect[@]}" --expect 'ISOLINUX' \
        --expect 'Kernel command line: [^\n]*ringshift_menu=cd' --expect "$INIT" \
        -- "${machine[@]}" -cdrom "$out/cd.iso" -boot d ;;
  floppy)
    floppy=$(mktemp "${TMPDIR:-/tmp}/ringshift-floppy.XXXXXX")
    trap 'rm -f "$floppy"' EXIT
    cp "$out/floppy.img" "$floppy"
    "${expect[@]}" --expect 'ringshift-floppy: syslinux menu from the floppy' \
        --expect 'ringshift-grub: grub.cfg read' --expect "$INIT" \
        -- "${machine[@]}" -fda "$floppy" --disk "$out/grub.img,readonly" -boot a ;;
  *)
    echo "boot_test.sh: unknown image test '$name'" >&2; exit 2 ;;
esac
