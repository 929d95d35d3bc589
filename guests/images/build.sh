#!/usr/bin/env bash
# Build bootable PC images of ringshift's Linux guest (Debian 12's i386 kernel and the
# busybox initramfs of guests/linux/fetch.sh) with unmodified boot loaders from Debian
# packages, as an ordinary user would make them but without root mounts or loop devices:
# file systems are written into image files by mkfs.fat/mtools and mke2fs -d, partition
# tables by sfdisk, boot code by the loaders' own installers (or dd where an installer
# would need a block device).
#
#   syslinux.img  hard disk: MBR (syslinux mbr.bin) + one FAT16 partition with syslinux and
#                 a two-entry menu (the second entry adds ringshift_menu=second)
#   grub.img      hard disk: MBR (GRUB boot.img) + core.img embedded after the MBR + one
#                 ext2 partition with /boot/grub and the kernel
#   cd.iso        El Torito no-emulation CD with isolinux (also an isohybrid disk image)
#   floppy.img    1.44 MB FAT12 floppy with syslinux; the kernel does not fit, so it shows
#                 a menu titled with a marker and chain-loads the first hard disk
# Every loader talks on the serial console (COM1, 115200 8N1) and the kernel gets
# console=ttyS0. See README.md beside this script.
#
# usage: guests/images/build.sh [--kernel FILE] [--initrd FILE] [--only NAME]... OUTDIR
#   --kernel FILE   bzImage to boot (default guests/linux/cache/bzImage, fetched by
#                   guests/linux/fetch.sh when the cache is empty)
#   --initrd FILE   initramfs (default guests/linux/cache/initramfs.cpio.gz)
#   --only NAME     build only syslinux, grub, cd or floppy (repeatable)
# Missing tools are installed with apt-get (as root; the script says what it installs).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() { echo "build.sh: $*" >&2; exit 1; }
note() { echo "build.sh: $*" >&2; }

kernel=
initrd=
out=
only=()
while [ $# -gt 0 ]; do
    case "$1" in
        --kernel) [ $# -ge 2 ] || die "--kernel needs a file"; kernel=$2; shift 2 ;;
        --kernel=*) kernel=${1#--kernel=}; shift ;;
        --initrd) [ $# -ge 2 ] || die "--initrd needs a file"; initrd=$2; shift 2 ;;
        --initrd=*) initrd=${1#--initrd=}; shift ;;
        --only) [ $# -ge 2 ] || die "--only needs a name"; only+=("$2"); shift 2 ;;
        --only=*) only+=("${1#--only=}"); shift ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
        -*) die "unknown option $1 (try --help)" ;;
        *) [ -z "$out" ] || die "only one output directory, got $out and $1"; out=$1; shift ;;
    esac
done
[ -n "$out" ] || die "usage: build.sh [--kernel FILE] [--initrd FILE] [--only NAME]... OUTDIR"
for n in "${only[@]+"${only[@]}"}"; do
    case "$n" in syslinux|grub|cd|floppy) ;; *) die "--only $n: not one of syslinux grub cd floppy" ;; esac
done
wanted() {
    [ ${#only[@]} -eq 0 ] && return 0
    local n; for n in "${only[@]}"; do [ "$n" = "$1" ] && return 0; done
    return 1
}

# ---------------------------------------------------------------- tools
# shellcheck source=SCRIPTDIR/../lib/host_tools.sh
. "$here/../lib/host_tools.sh"
# package : a file or command it provides (see missing_packages)
tools=(
    "fdisk:sfdisk"
    "dosfstools:mkfs.fat"
    "mtools:mcopy"
    "syslinux:syslinux"
    "syslinux-common:/usr/lib/syslinux/mbr/mbr.bin"
    "syslinux-common:/usr/lib/syslinux/modules/bios/ldlinux.c32"
    "isolinux:/usr/lib/ISOLINUX/isolinux.bin"
    "xorriso:xorriso"
    "e2fsprogs:mke2fs"
    "grub-common:grub-mkimage"
    "grub-pc-bin:/usr/lib/grub/i386-pc/boot.img"
)
export PATH="$PATH:/usr/sbin:/sbin"
read -r -a missing <<< "$(missing_packages "${tools[@]}")"
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]} (run as root, or apt-get install them)"
    note "installing missing packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
        note "apt-get install failed; updating the package lists and trying again"
        apt-get update >&2
        apt-get install -y --no-install-recommends "${missing[@]}" >&2
    fi
fi

# ---------------------------------------------------------------- payload
if [ -z "$kernel" ] || [ -z "$initrd" ]; then
    cache=$repo/guests/linux/cache
    if [ ! -s "$cache/bzImage" ] || [ ! -s "$cache/initramfs.cpio.gz" ]; then
        note "guest cache is empty: running guests/linux/fetch.sh"
        "$repo/guests/linux/fetch.sh" >&2
    fi
    kernel=${kernel:-$cache/bzImage}
    initrd=${initrd:-$cache/initramfs.cpio.gz}
fi
[ -s "$kernel" ] || die "$kernel: no such kernel"
[ -s "$initrd" ] || die "$initrd: no such initramfs"
[ "$(dd if="$kernel" bs=1 skip=514 count=4 2>/dev/null)" = HdrS ] || die "$kernel is not a bzImage"

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT

SYSLINUX_BIOS=/usr/lib/syslinux/modules/bios
APPEND="console=ttyS0"
# Marker shown by the floppy's syslinux (the initramfs prints "ringshift-guest: init started").
FLOPPY_MARKER="ringshift-floppy: syslinux menu from the floppy"

export MTOOLS_SKIP_CHECK=1   # images made by mkfs.fat need no geometry check

mib() { echo $(( ($1 + 1048575) / 1048576 )); }
payload_mib=$(mib $(( $(stat -c %s "$kernel") + $(stat -c %s "$initrd") )))
# new_disk, part_sectors, grub_mbr_install; PART_START, GRUB_PC.
# shellcheck source=SCRIPTDIR/../lib/disk_image.sh
. "$here/../lib/disk_image.sh"

# ---------------------------------------------------------------- syslinux.img
build_syslinux() {
    local img=$out/syslinux.img size off sectors
    size=$(( payload_mib + 8 ))
    new_disk "$img" "$size" 6                 # 6 = FAT16
    off=$(( PART_START * 512 ))
    sectors=$(part_sectors "$img")
    mkfs.fat -F 16 -n RINGSHIFT -i 52494e47 --offset "$PART_START" -h "$PART_START" \
        "$img" $(( sectors / 2 )) >/dev/null
    cat > "$work/syslinux.cfg" <<EOF
SERIAL 0 115200
UI menu.c32
PROMPT 0
TIMEOUT 50
MENU TITLE ringshift syslinux test menu
LABEL first
  MENU LABEL ^1 Debian i386 kernel + busybox initramfs
  MENU DEFAULT
  LINUX /bzImage
  INITRD /initrd.gz
  APPEND $APPEND ringshift_menu=first
LABEL second
  MENU LABEL ^2 The same, second entry (ringshift_menu=second)
  LINUX /bzImage
  INITRD /initrd.gz
  APPEND $APPEND ringshift_menu=second
EOF
    local i="$img@@$off"
    mmd -i "$i" ::/syslinux
    mcopy -i "$i" "$kernel" ::/bzImage
    mcopy -i "$i" "$initrd" ::/initrd.gz
    mcopy -i "$i" "$work/syslinux.cfg" ::/syslinux/syslinux.cfg
    local m; for m in menu.c32 libutil.c32; do mcopy -i "$i" "$SYSLINUX_BIOS/$m" ::/syslinux/; done
    # Writes ldlinux.sys and ldlinux.c32 into /syslinux and the FAT boot sector.
    syslinux --install --offset "$off" --directory /syslinux "$img"
    dd if=/usr/lib/syslinux/mbr/mbr.bin of="$img" bs=440 count=1 conv=notrunc status=none
    note "syslinux.img: $size MiB"
}

# ---------------------------------------------------------------- grub.img
build_grub() {
    local img=$out/grub.img size sectors root=$work/grub-root
    size=$(( payload_mib + 8 ))
    new_disk "$img" "$size" 83                # 83 = Linux
    sectors=$(part_sectors "$img")
    mkdir -p "$root/boot/grub/i386-pc"
    cp "$kernel" "$root/bzImage"
    cp "$initrd" "$root/initrd.gz"
    # The modules grub-install would put there, so the configuration may insmod more.
    cp "$GRUB_PC"/*.mod "$GRUB_PC"/*.lst "$root/boot/grub/i386-pc/"
    cat > "$root/boot/grub/grub.cfg" <<EOF
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=2
set default=0
echo 'ringshift-grub: grub.cfg read'
menuentry 'Debian i386 kernel + busybox initramfs' {
    linux /bzImage $APPEND ringshift_menu=grub
    initrd /initrd.gz
}
menuentry 'The same, second entry (ringshift_menu=second)' {
    linux /bzImage $APPEND ringshift_menu=second
    initrd /initrd.gz
}
EOF
    # ext2 written straight into the partition (-E offset), root-owned, no mount.
    mke2fs -q -F -t ext2 -L ringshift -E "offset=$(( PART_START * 512 )),root_owner=0:0" \
        -d "$root" "$img" "$(( sectors / 2 ))k"
    # core.img: the modules to read /boot/grub/grub.cfg from the first partition of the
    # boot disk and boot Linux from it, the serial terminal included.
    grub-mkimage -O i386-pc -d "$GRUB_PC" -o "$work/core.img" -p '(hd0,msdos1)/boot/grub' \
        biosdisk part_msdos ext2 linux normal serial terminal echo boot configfile \
        search search_fs_uuid search_label test ls cat minicmd
    local core_sectors
    core_sectors=$(grub_mbr_install "$img" "$work/core.img" "$work")
    note "grub.img: $size MiB (core.img $core_sectors sectors)"
}

# ---------------------------------------------------------------- cd.iso
build_cd() {
    local iso=$out/cd.iso root=$work/cd-root
    mkdir -p "$root/isolinux"
    cp /usr/lib/ISOLINUX/isolinux.bin "$SYSLINUX_BIOS/ldlinux.c32" "$root/isolinux/"
    cp "$kernel" "$root/isolinux/vmlinuz"
    cp "$initrd" "$root/isolinux/initrd.gz"
    cat > "$root/isolinux/isolinux.cfg" <<EOF
SERIAL 0 115200
PROMPT 0
TIMEOUT 10
DEFAULT linux
LABEL linux
  KERNEL /isolinux/vmlinuz
  INITRD /isolinux/initrd.gz
  APPEND $APPEND ringshift_menu=cd
EOF
    rm -f "$iso"
    xorriso -as mkisofs -quiet -o "$iso" -V RINGSHIFT -R -J \
        -b isolinux/isolinux.bin -c isolinux/boot.cat \
        -no-emul-boot -boot-load-size 4 -boot-info-table \
        -isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin \
        "$root" 2>"$work/xorriso.log" || { cat "$work/xorriso.log" >&2; die "xorriso failed"; }
    note "cd.iso: $(( ($(stat -c %s "$iso") + 1023) / 1024 )) KiB"
}

# ---------------------------------------------------------------- floppy.img
build_floppy() {
    local img=$out/floppy.img
    rm -f "$img"
    mformat -i "$img" -C -f 1440 -v RINGSHIFT ::
    # The kernel and initramfs (about 7 MB) fit neither 1.44 MB nor 2.88 MB: the floppy's
    # syslinux shows a menu whose title is the marker and, at the timeout, chain-loads the
    # first hard disk (syslinux.img or grub.img there boots on; without a hard disk
    # chain.c32 fails and syslinux's boot: prompt comes back). The marker is the menu
    # title because Debian's syslinux 6.04 writes SAY and DISPLAY text to the screen only,
    # not to the serial port; menu.c32 draws on both.
    cat > "$work/floppy.cfg" <<EOF
SERIAL 0 115200
UI menu.c32
PROMPT 0
TIMEOUT 30
MENU TITLE $FLOPPY_MARKER
LABEL harddisk
  MENU LABEL ^Boot the first hard disk (chain.c32 hd0)
  COM32 chain.c32
  APPEND hd0
EOF
    mmd -i "$img" ::/syslinux
    mcopy -i "$img" "$work/floppy.cfg" ::/syslinux/syslinux.cfg
    local m; for m in menu.c32 chain.c32 libcom32.c32 libutil.c32; do mcopy -i "$img" "$SYSLINUX_BIOS/$m" ::/syslinux/; done
    syslinux --install --directory /syslinux "$img"
    note "floppy.img: 1440 KiB ($(mdir -i "$img" :: | sed -n 's/^ *\([0-9 ]*\) bytes free.*/\1/p' | tr -d ' ') bytes free)"
}

wanted syslinux && build_syslinux
wanted grub && build_grub
wanted cd && build_cd
wanted floppy && build_floppy
for f in syslinux.img grub.img cd.iso floppy.img; do
    if [ -f "$out/$f" ]; then echo "$out/$f: $(stat -c %s "$out/$f") bytes"; fi
done
