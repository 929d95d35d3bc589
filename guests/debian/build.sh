#!/usr/bin/env bash
# Build a full Debian 12 (bookworm) i386 system on a raw PC hard-disk image: systemd, udev,
# Debian's linux-image-686 kernel with its initramfs (initramfs-tools, MODULES=most: the
# ata_piix/sd_mod, virtio_pci/virtio_blk and ext4 modules, so the root file system is found
# on an IDE or a virtio disk), GRUB 2 in the MBR, the console on COM1 with root logged in
# automatically, and `poweroff` ending the VM.
#
# No loop devices and no mounts: mmdebstrap installs the system into a directory, mke2fs -d
# copies that tree into the partition of the image file, sfdisk writes the partition table
# and GRUB's boot.img/core.img go in with dd (guests/lib/disk_image.sh). Runs as root (the
# tree must hold root-owned files; mmdebstrap's unshare mode keeps its own mounts in a
# private mount namespace). The packages come from the archives the host's apt sources
# name for bookworm, bookworm-updates and bookworm-security: no address in the repository.
#
# usage: guests/debian/build.sh [--out FILE] [--size SIZE] [--kernel 686|686-pae]
#                               [--include PKG[,PKG...]]... [--force]
#   --out FILE       the image (default guests/debian/cache/debian.img); FILE.info and
#                    FILE.packages (dpkg-query -W of the image) are written beside it
#   --size SIZE      disk size, e.g. 2G or 3072M; a bare number is MiB (default 2G)
#   --kernel FLAVOUR 686-pae (default: what Debian installs on a PAE CPU) or 686
#   --include PKGS   more packages to install (comma- or space-separated, repeatable)
#   --force          rebuild even when FILE exists (otherwise an existing image is kept)
# Host packages: mmdebstrap arch-test debian-archive-keyring e2fsprogs fdisk grub-common
# grub-pc-bin (the script names the missing ones), and qemu-user-static on a host that
# cannot run i386 programs itself. About 2-4 minutes and 1 GB of
# temporary space next to FILE; the image is sparse (about 0.5 GB used of 2 GB).
# Environment: RINGSHIFT_DEBIAN_MIRROR, RINGSHIFT_DEBIAN_SECURITY_MIRROR (archives to use
# instead of the host's).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() { echo "build.sh: $*" >&2; exit 1; }
note() { echo "build.sh: $*" >&2; }

# shellcheck source=SCRIPTDIR/../lib/apt_archive.sh
. "$here/../lib/apt_archive.sh"
# shellcheck source=SCRIPTDIR/../lib/disk_image.sh
. "$here/../lib/disk_image.sh"
# shellcheck source=SCRIPTDIR/../lib/host_tools.sh
. "$here/../lib/host_tools.sh"

out=
size=2G
flavour=686-pae
force=0
extra=()
# add_extra LIST: package names separated by commas or blanks.
add_extra() { local names; IFS=$', \t\n' read -r -a names <<< "$1"; extra+=("${names[@]}"); }
while [ $# -gt 0 ]; do
    case "$1" in
        --out) [ $# -ge 2 ] || die "--out needs a file name"; out=$2; shift 2 ;;
        --out=*) out=${1#--out=}; shift ;;
        --size) [ $# -ge 2 ] || die "--size needs a size"; size=$2; shift 2 ;;
        --size=*) size=${1#--size=}; shift ;;
        --kernel) [ $# -ge 2 ] || die "--kernel needs 686 or 686-pae"; flavour=$2; shift 2 ;;
        --kernel=*) flavour=${1#--kernel=}; shift ;;
        --include) [ $# -ge 2 ] || die "--include needs package names"; add_extra "$2"; shift 2 ;;
        --include=*) add_extra "${1#--include=}"; shift ;;
        --force) force=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown argument $1 (try --help)" ;;
    esac
done
case "$flavour" in 686|686-pae) ;; *) die "--kernel $flavour: not 686 or 686-pae" ;; esac
case "$size" in
    *[0-9]G) size_mib=$(( ${size%G} * 1024 )) ;;
    *[0-9]M) size_mib=${size%M} ;;
    *[0-9]) size_mib=$size ;;
    *) die "--size $size: not a number of MiB or a size ending in M or G" ;;
esac
if ! [[ "$size_mib" =~ ^[0-9]+$ ]] || [ "$size_mib" -lt 512 ]; then die "--size $size: at least 512M"; fi

out=${out:-$repo/guests/debian/cache/debian.img}
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
outdir=$(dirname "$out")
# The default cache directory is never committed (as guests/linux/cache).
if [ "$outdir" = "$repo/guests/debian/cache" ] && [ ! -f "$outdir/.gitignore" ]; then
    echo '*' > "$outdir/.gitignore"
fi

# What the image is made of, recorded in FILE.info: an existing image built another way is
# not silently taken for this one.
packages=(systemd-sysv udev "linux-image-$flavour" initramfs-tools zstd e2fsprogs util-linux
          procps kmod less pciutils pci.ids hdparm "${extra[@]+"${extra[@]}"}")
options="suite=bookworm arch=i386 variant=minbase size=${size_mib}M packages=${packages[*]}"

# One build at a time per output directory (flock on the directory itself: no lock file).
exec 9<"$outdir"
flock 9

if [ -s "$out" ] && [ "$force" = 0 ]; then
    built=$(sed -n 's/^options: //p' "$out.info" 2>/dev/null || true)
    if [ -n "$built" ] && [ "$built" != "$options" ]; then
        die "$out was built with other options ($built); use --force to rebuild, or another --out"
    fi
    note "$out exists (--force rebuilds it)"
    echo "image: $out"
    exit 0
fi

# ---------------------------------------------------------------- host tools
# package : a command or file it provides (see missing_packages)
tools=(
    "mmdebstrap:mmdebstrap"
    "arch-test:arch-test"   # mmdebstrap's check that i386 binaries run on this host
    "debian-archive-keyring:/usr/share/keyrings/debian-archive-keyring.gpg"
    "e2fsprogs:mke2fs"
    "fdisk:sfdisk"
    "grub-common:grub-mkimage"
    "grub-pc-bin:$GRUB_PC/boot.img"
)
export PATH="$PATH:/usr/sbin:/sbin"
missing=$(missing_packages "${tools[@]}")
[ -z "$missing" ] || die "missing host packages: $missing (apt-get install -y $missing)"
[ "$(id -u)" = 0 ] || die "run as root: the tree must hold root-owned files for mke2fs -d"

mirror=${RINGSHIFT_DEBIAN_MIRROR:-$(host_archive bookworm)}
security=${RINGSHIFT_DEBIAN_SECURITY_MIRROR:-$(host_archive bookworm-security)}
[ "$security" != none ] || security=  # RINGSHIFT_DEBIAN_SECURITY_MIRROR=none: without it
[ -n "$mirror" ] || die "the host's apt sources name no Debian 12 (bookworm) archive: add one (and apt-get update) or set RINGSHIFT_DEBIAN_MIRROR"
sources=("deb $mirror bookworm main" "deb $mirror bookworm-updates main")
# Security updates when the host has them configured (the same kernel as guests/linux).
[ -z "$security" ] || sources+=("deb $security bookworm-security main")

start=$SECONDS
work=$(mktemp -d "$outdir/.debian-build.XXXXXX")
chmod 755 "$work"           # apt's _apt user downloads into the tree (else apt warns, as root)
# The tree is never mounted on (unshare mode's mounts stay in mmdebstrap's own namespace);
# --one-file-system all the same, so a leftover mount could never be emptied.
# A host without 32-bit user mode runs the guest's maintainer scripts through qemu-user,
# registered for this build only.
emulator=$(i386_via_qemu_user) || die "i386 programs cannot run on this host, and mmdebstrap needs them"
[ -z "$emulator" ] || note "this host cannot run i386 programs: qemu-i386-static runs them for this build"
trap 'rm -rf --one-file-system "$work"; rm -f "$out.tmp"; i386_emulator_remove "$emulator"' EXIT
root=$work/root
uuid=$(cat /proc/sys/kernel/random/uuid)   # the root file system's (fstab, grub.cfg)
hostname=ringshift-debian

# ---------------------------------------------------------------- the system tree
note "mmdebstrap: Debian 12 i386 ($flavour kernel) from $mirror into $root"
# minbase: Essential + apt, no Recommends; the rest named above. The hook lists the
# initramfs inside the chroot (lsinitramfs needs the guest's own tools), by its real name:
# zstd ignores a symbolic link such as /initrd.img.
make_tree() {
    rm -rf --one-file-system "$root"
    mmdebstrap --mode=unshare --variant=minbase --architectures=i386 \
        --include="$(IFS=,; echo "${packages[*]}")" \
        --customize-hook="chroot \"\$1\" sh -c 'lsinitramfs \"\$(readlink -f /initrd.img)\"' > '$work/initramfs.list'" \
        --customize-hook="chroot \"\$1\" dpkg-query -W > '$work/packages.list'" \
        bookworm "$root" "$@"
}
# A security archive caught mid-sync ("File has unexpected size") fails the whole run:
# then the system comes from bookworm and bookworm-updates alone, and says so.
if ! make_tree "${sources[@]}"; then
    [ -n "$security" ] || die "mmdebstrap failed"
    note "mmdebstrap failed with $security bookworm-security; again without it (no security updates in this image)"
    make_tree "${sources[@]:0:2}" || die "mmdebstrap failed"
fi

release=$(basename "$(readlink "$root/vmlinuz")")
release=${release#vmlinuz-}
if [ -z "$release" ] || [ ! -s "$root/boot/vmlinuz-$release" ] || [ ! -s "$root/boot/initrd.img-$release" ] \
   || [ "$(readlink "$root/initrd.img")" != "boot/initrd.img-$release" ]; then
    die "no /vmlinuz -> boot/vmlinuz-* and /initrd.img -> boot/initrd.img-* in the tree"
fi
# The root file system must be reachable on IDE (ata_piix + sd_mod) and virtio (virtio_pci
# + virtio_blk) disks; initramfs-tools' MODULES=most puts them in, this checks it did.
for m in ata_piix libata sd_mod virtio_pci virtio_blk ext4; do
    grep -q "/$m\.ko" "$work/initramfs.list" || die "the initramfs has no $m.ko"
done

# ---------------------------------------------------------------- configuration
echo "$hostname" > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n' "$hostname" > "$root/etc/hosts"
rm -f "$root/etc/resolv.conf"                # mmdebstrap copies the host's; no network here
printf '# <file system> <mount point> <type> <options> <dump> <pass>\nUUID=%s / ext4 errors=remount-ro 0 1\n' \
    "$uuid" > "$root/etc/fstab"

# Root logged in on the serial console: the getty that systemd starts for console=ttyS0.
mkdir -p "$root/etc/systemd/system/serial-getty@ttyS0.service.d"
cat > "$root/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" <<'EOF'
# guests/debian/build.sh: root's shell on the console without a password.
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --keep-baud 115200,57600,38400,9600 - $TERM
EOF

# Masked (a link to /dev/null, as systemctl mask does): the first-boot wizard would prompt
# on the console (the machine-id is empty, so every copy of the image boots as a first
# boot), the network units would wait for links there are none of, and the timers would
# run apt, fstrim and e2scrub in the middle of tests.
for u in systemd-firstboot.service systemd-networkd.service systemd-networkd.socket \
         systemd-networkd-wait-online.service systemd-network-generator.service \
         systemd-timesyncd.service systemd-resolved.service \
         apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
         fstrim.timer; do
    ln -sfn /dev/null "$root/etc/systemd/system/$u"
done

# GRUB: the modules grub-install would copy (so grub.cfg may insmod more) and grub.cfg.
# /vmlinuz and /initrd.img are the links linux-base keeps on the newest kernel, so the
# entry still boots after a kernel upgrade inside the guest (there is no update-grub).
mkdir -p "$root/boot/grub/i386-pc"
cp "$GRUB_PC"/*.mod "$GRUB_PC"/*.lst "$root/boot/grub/i386-pc/"
cat > "$root/boot/grub/grub.cfg" <<EOF
# guests/debian/build.sh: GRUB and Linux on COM1 (ringshift's console), 115200 8N1.
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=1
set default=0
menuentry 'Debian GNU/Linux 12 i386 ($release)' {
    linux /vmlinuz root=UUID=$uuid ro console=ttyS0,115200
    initrd /initrd.img
}
EOF

# ---------------------------------------------------------------- the disk
tree_mib=$(du -sxm "$root" | cut -f1)
part_mib=$(( size_mib - PART_START / 2048 ))
[ $(( tree_mib * 5 / 4 + 64 )) -le "$part_mib" ] \
    || die "the system ($tree_mib MiB) does not fit a $size_mib MiB disk with room to spare: --size bigger"
tmp=$out.tmp
new_disk "$tmp" "$size_mib" 83                    # 83 = Linux
note "mke2fs -t ext4 -d: $tree_mib MiB into a $part_mib MiB partition"
# ext4 written straight into the partition (-E offset), as guests/images does with ext2.
mke2fs -q -F -t ext4 -U "$uuid" -L debian-root -E "offset=$(( PART_START * 512 ))" \
    -d "$root" "$tmp" "$(( $(part_sectors "$tmp") / 2 ))k"

# core.img finds the root file system by its UUID (the disk may be hd0 or not), then reads
# /boot/grub/grub.cfg from it; ext2 reads ext4.
cat > "$work/early.cfg" <<EOF
search --no-floppy --fs-uuid --set=root $uuid
set prefix=(\$root)/boot/grub
EOF
grub-mkimage -O i386-pc -d "$GRUB_PC" -o "$work/core.img" -c "$work/early.cfg" -p /boot/grub \
    biosdisk part_msdos ext2 search search_fs_uuid linux normal serial terminal echo test \
    configfile boot
core_sectors=$(grub_mbr_install "$tmp" "$work/core.img" "$work")

{
    echo "options: $options"
    echo "kernel: $release"
    echo "root: UUID=$uuid"
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(( SECONDS - start )) s"
} > "$work/info"
mv -f "$work/packages.list" "$out.packages"
mv -f "$work/info" "$out.info"
mv -f "$tmp" "$out"                           # last: an image at FILE is complete
note "done in $(( SECONDS - start )) s: $size_mib MiB disk, $(( $(du -k "$out" | cut -f1) / 1024 )) MiB allocated, core.img $core_sectors sectors"
echo "kernel: $release"
echo "image: $out"
