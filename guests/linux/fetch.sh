#!/usr/bin/env bash
# Fetch the default Linux guest of ringshift: Debian 12's i386 kernel (the package that
# linux-image-686 depends on, Linux 6.1 non-PAE) and busybox-static (i386), downloaded by
# apt-get into a private cache (the host's apt state is not touched), then build a busybox
# initramfs (newc cpio + gzip by mkcpio.py; no cpio package needed). The cache is ignored
# by git: nothing downloaded is committed.
#
# With --disk-modules the initramfs carries the kernel's disk modules (IDE/ATAPI through
# libata and ata_piix, SCSI disk and CD, virtio-blk over PCI, ext4, iso9660: $disk_modules
# below and what they depend on, 24 modules, 2.3 MB, 0.85 MB compressed) in
# lib/modules/RELEASE, picked from the kernel package by modules.py (dependencies from the
# modules' own modinfo; no kmod on the host) and kept in CACHE_DIR/modules (a cache made
# before gets them on first use: the cached kernel's package is downloaded once more).
# They are loaded only when asked: rs.disks=1 on the kernel command line makes /init run
# /sbin/rs-disks, which insmods them in dependency order (a check script or the shell can
# run rs-disks too). Without --disk-modules the initramfs is as before: unpacking the
# modules would add about 50 ms to every boot.
#
# usage: guests/linux/fetch.sh [--extra DIR]... [--initramfs FILE] [--disk-modules] [--update]
#                              [CACHE_DIR]
#   CACHE_DIR        default guests/linux/cache in the repository
#   --extra DIR      copy DIR's contents into the initramfs root (repeatable; later wins)
#   --initramfs FILE write the initramfs there instead of CACHE_DIR/initramfs.cpio.gz
#                    (its tree goes to FILE.rootfs); lets tests build their own
#   --disk-modules   put the disk modules into the initramfs (see above)
#   --update         ask the archive for newer packages even when the cache is complete
#   --flavour F      the kernel: 686 (default; non-PAE) or 686-pae (Debian's default on
#                    PAE CPUs); a 686-pae guest has its own cache, guests/linux/cache-686-pae
# The kernel command line option rs.check=/path runs that script from the initramfs and
# powers off; without it /init starts a shell on the console (see skel/init). rs.disks=1
# loads the disk modules first.
# Environment: RINGSHIFT_DEBIAN_MIRROR, RINGSHIFT_DEBIAN_SECURITY_MIRROR (by default the
# archives the host's apt sources name for bookworm and bookworm-security: no archive
# address is written into the repository).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() { echo "fetch.sh: $*" >&2; exit 1; }
note() { echo "fetch.sh: $*" >&2; }

cache=
initramfs=
update=0
flavour=686
with_modules=0
extras=()
while [ $# -gt 0 ]; do
    case "$1" in
        --extra) [ $# -ge 2 ] || die "--extra needs a directory"
                 [ -d "$2" ] || die "--extra $2: not a directory"
                 extras+=("$(cd "$2" && pwd)"); shift 2 ;;
        --extra=*) d=${1#--extra=}; [ -d "$d" ] || die "--extra $d: not a directory"
                 extras+=("$(cd "$d" && pwd)"); shift ;;
        --initramfs) [ $# -ge 2 ] || die "--initramfs needs a file name"
                 initramfs=$2; shift 2 ;;
        --initramfs=*) initramfs=${1#--initramfs=}; shift ;;
        --update) update=1; shift ;;
        --flavour) [ $# -ge 2 ] || die "--flavour needs 686 or 686-pae"
                 flavour=$2; shift 2 ;;
        --flavour=*) flavour=${1#--flavour=}; shift ;;
        --disk-modules) with_modules=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
        -*) die "unknown option $1 (try --help)" ;;
        *) [ -z "$cache" ] || die "only one cache directory, got $cache and $1"
           cache=$1; shift ;;
    esac
done

case "$flavour" in
    686) default_cache=$repo/guests/linux/cache ;;
    686-pae) default_cache=$repo/guests/linux/cache-686-pae ;;
    *) die "--flavour $flavour: 686 or 686-pae" ;;
esac
cache=${cache:-$default_cache}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
# Whatever the cache directory, git never picks up its contents.
[ -f "$cache/.gitignore" ] || echo '*' > "$cache/.gitignore"

if [ -n "$initramfs" ]; then
    mkdir -p "$(dirname "$initramfs")"
    initramfs="$(cd "$(dirname "$initramfs")" && pwd)/$(basename "$initramfs")"
    rootfs="$initramfs.rootfs"
else
    initramfs=$cache/initramfs.cpio.gz
    rootfs=$cache/rootfs
fi

# One fetch at a time per cache (tests may start in parallel on a fresh machine).
exec 9>"$cache/.lock"
flock 9

# ---------------------------------------------------------------- packages
# The host's archive for a suite, from its apt configuration (host_archive).
# shellcheck source=SCRIPTDIR/../lib/apt_archive.sh
. "$here/../lib/apt_archive.sh"
mirror=${RINGSHIFT_DEBIAN_MIRROR:-$(host_archive bookworm)}
security=${RINGSHIFT_DEBIAN_SECURITY_MIRROR:-$(host_archive bookworm-security)}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

# apt runs entirely inside the cache: its own sources list (so the host's sources, pins and
# architecture do not matter), package lists, package cache and an empty dpkg status.
apt_opts=(
    -oAPT::Architecture=i386
    -oAPT::Architectures=i386
    "-oDir::State::Lists=$cache/lists"
    "-oDir::Cache=$cache/apt"
    -oDir::State::Status=/dev/null
    "-oDir::Etc::SourceList=$cache/sources.list"
    "-oDir::Etc::SourceParts=$cache/apt/empty"
    "-oDir::Etc::PreferencesParts=$cache/apt/empty"
    -oDir::Etc::Preferences=/dev/null
    -oAcquire::Languages=none
    -qq
)

# The disk modules the initramfs carries (modules.py adds their dependencies). crc32c is
# ext4's and jbd2's softdep (loaded through the crypto API), named here because softdeps are
# not followed.
disk_modules="crc32c_generic ata_piix sd_mod sr_mod virtio_pci virtio_blk ext4 isofs"

have_outputs() {
    [ -s "$cache/bzImage" ] && [ -s "$cache/busybox" ] && [ -s "$cache/VERSION" ]
}

# The cached modules were picked from the cached kernel for today's $disk_modules.
modules_stamp() {
    printf 'release %s\nmodules %s\n' "$(sed -n 's/^release //p' "$cache/VERSION")" "$disk_modules"
}
have_modules() {
    [ -s "$cache/modules/rs-modules.order" ] && [ -s "$cache/modules.stamp" ] \
        && [ "$(cat "$cache/modules.stamp")" = "$(modules_stamp)" ]
}

# Picks the disk modules out of an unpacked kernel package (DIR with lib/modules/RELEASE)
# into $cache/modules; the cache's VERSION must already name RELEASE.
pick_modules() {
    local release
    release=$(sed -n 's/^release //p' "$cache/VERSION")
    [ -d "$1/lib/modules/$release/kernel" ] || die "the kernel package has no lib/modules/$release/kernel"
    rm -f "$cache/modules.stamp"
    # shellcheck disable=SC2086 # a list of module names
    python3 "$here/modules.py" "$1/lib/modules/$release" "$cache/modules" $disk_modules >/dev/null \
        || die "picking the disk modules failed"
    modules_stamp > "$cache/modules.stamp"
    note "disk modules: $(wc -l < "$cache/modules/rs-modules.order") in $cache/modules"
}

# The cache's sources list and package lists.
apt_setup() {
    [ -r "$keyring" ] || die "$keyring missing (apt-get install debian-archive-keyring)"
    mkdir -p "$cache/lists/partial" "$cache/apt/archives/partial" "$cache/apt/empty"
    [ -n "$mirror" ] || die "the host's apt sources name no Debian 12 (bookworm) archive: add one (and apt-get update) or set RINGSHIFT_DEBIAN_MIRROR"
    {
        echo "deb [arch=i386 signed-by=$keyring] $mirror bookworm main"
        echo "deb [arch=i386 signed-by=$keyring] $mirror bookworm-updates main"
        # Security updates when the host has them configured.
        [ -z "$security" ] || echo "deb [arch=i386 signed-by=$keyring] $security bookworm-security main"
    } > "$cache/sources.list"
    note "apt-get update (i386 lists in $cache/lists)"
    if ! apt-get "${apt_opts[@]}" update; then
        # One failing index (say a security mirror caught mid-sync) need not stop us:
        # whatever the lists that did arrive offer is resolved below, or we fail there.
        note "warning: apt-get update reported errors; going on with the lists it got"
    fi
}

fetch_packages() {
    apt_setup
    local kpkg kver meta_ver bver
    local meta=linux-image-$flavour
    kpkg=$(apt-cache "${apt_opts[@]}" depends "$meta" \
           | sed -n "s/^ *Depends: \(linux-image-[0-9][^ ]*-$flavour\)\$/\1/p" | head -n1)
    [ -n "$kpkg" ] || die "cannot resolve the kernel package that $meta depends on"
    meta_ver=$(apt-cache "${apt_opts[@]}" show --no-all-versions "$meta" | sed -n 's/^Version: //p')
    kver=$(apt-cache "${apt_opts[@]}" show --no-all-versions "$kpkg" | sed -n 's/^Version: //p')
    bver=$(apt-cache "${apt_opts[@]}" show --no-all-versions busybox-static | sed -n 's/^Version: //p')
    if [ -z "$kver" ] || [ -z "$bver" ]; then
        die "cannot find versions of $kpkg and busybox-static"
    fi

    local want
    want=$(printf '%s %s\n%s %s\nbusybox-static %s\n' "$meta" "$meta_ver" "$kpkg" "$kver" "$bver")
    if have_outputs && [ "$(grep -v '^release ' "$cache/VERSION")" = "$want" ]; then
        note "cache is up to date ($kpkg $kver, busybox-static $bver)"
        [ "$with_modules" = 0 ] || have_modules || fetch_modules
        return
    fi

    local work
    work=$(mktemp -d "$cache/download.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    note "downloading $kpkg=$kver busybox-static=$bver"
    # -oAPT::Sandbox::User=root: the work directory need not be writable by _apt.
    (cd "$work" && apt-get "${apt_opts[@]}" -oAPT::Sandbox::User=root \
         download "$kpkg=$kver" "busybox-static=$bver")
    note "unpacking"
    dpkg-deb -x "$work/${kpkg}_"*_i386.deb "$work/kernel"
    dpkg-deb -x "$work/busybox-static_"*_i386.deb "$work/busybox"

    local vmlinuz release
    vmlinuz=$(find "$work/kernel/boot" -maxdepth 1 -name 'vmlinuz-*' | head -n1)
    [ -n "$vmlinuz" ] || die "$kpkg has no boot/vmlinuz-*"
    release=${vmlinuz##*/vmlinuz-}
    [ "$(dd if="$vmlinuz" bs=1 skip=514 count=4 2>/dev/null)" = HdrS ] \
        || die "$vmlinuz is not a bzImage"
    [ -x "$work/busybox/bin/busybox" ] || die "busybox-static has no bin/busybox"

    install -m 644 "$vmlinuz" "$cache/bzImage.new"
    install -m 644 "$work/kernel/boot/config-$release" "$cache/config"
    install -m 755 "$work/busybox/bin/busybox" "$cache/busybox.new"
    mv -f "$cache/bzImage.new" "$cache/bzImage"
    mv -f "$cache/busybox.new" "$cache/busybox"
    printf '%s\nrelease %s\n' "$want" "$release" > "$cache/VERSION.new"
    mv -f "$cache/VERSION.new" "$cache/VERSION"   # marks the cache complete
    pick_modules "$work/kernel"
    rm -rf "$work"
    trap - EXIT
}

# A cache made before the initramfs carried modules (or for another module list): the
# same kernel package again (the version VERSION names, so the modules match the cached
# bzImage), for its modules only.
fetch_modules() {
    local kpkg kver work
    kpkg=$(sed -n '2s/ .*//p' "$cache/VERSION")
    kver=$(sed -n '2s/^[^ ]* //p' "$cache/VERSION")
    [ -n "$kpkg" ] && [ -n "$kver" ] || die "$cache/VERSION names no kernel package: run with --update"
    if [ ! -s "$cache/sources.list" ] || ! ls "$cache/lists/"*_Packages* >/dev/null 2>&1; then
        apt_setup
    fi
    work=$(mktemp -d "$cache/download.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    note "downloading $kpkg=$kver for its modules"
    if ! (cd "$work" && apt-get "${apt_opts[@]}" -oAPT::Sandbox::User=root download "$kpkg=$kver"); then
        apt_setup
        (cd "$work" && apt-get "${apt_opts[@]}" -oAPT::Sandbox::User=root download "$kpkg=$kver") \
            || die "$kpkg=$kver (the cached kernel) is no longer in the archive: run with --update"
    fi
    dpkg-deb -x "$work/${kpkg}_"*_i386.deb "$work/kernel"
    pick_modules "$work/kernel"
    rm -rf "$work"
    trap - EXIT
}

if [ "$update" = 1 ] || ! have_outputs; then
    fetch_packages
else
    note "using cached packages: $(grep -v '^release ' "$cache/VERSION" | tr '\n' ' ')"
    [ "$with_modules" = 0 ] || have_modules || fetch_modules
fi

# ---------------------------------------------------------------- initramfs
# Rebuilt on every run from scratch (about a second); mkcpio.py writes the same bytes for
# the same tree.
rm -rf "$rootfs"
mkdir -p "$rootfs"
(cd "$rootfs" && mkdir -p bin sbin usr/bin usr/sbin etc dev proc sys tmp run root mnt var/log)
chmod 1777 "$rootfs/tmp"
chmod 700 "$rootfs/root"
install -m 755 "$cache/busybox" "$rootfs/bin/busybox"

# Applet links where busybox itself puts them (bin/sh, sbin/poweroff, usr/bin/...). The
# i386 static busybox runs on an x86-64 Linux host; if it cannot, fall back to the applets
# the init script and a usable shell need.
if applets=$("$rootfs/bin/busybox" --list-full 2>/dev/null) && [ -n "$applets" ]; then
    :
else
    note "warning: cannot run the i386 busybox here; linking a fixed list of applets"
    applets=$(printf 'bin/%s\n' sh ash cat cp cttyhack dd df dmesg echo false grep gzip \
                  hostname kill ln ls mkdir mknod more mount mv ps pwd rm rmdir sed sleep \
                  stty sync touch true umount uname vi
              printf 'sbin/%s\n' halt ifconfig mdev poweroff reboot
              printf 'usr/bin/%s\n' [ [[ awk basename cmp cut dirname du env expr find \
                  head id md5sum od printf seq setsid sha256sum sort tail tee test time \
                  tr uniq uptime wc xargs yes)
fi
while IFS= read -r applet; do
    case "$applet" in ''|bin/busybox|linuxrc|init) continue ;; esac
    mkdir -p "$rootfs/$(dirname "$applet")"
    ln -sfn /bin/busybox "$rootfs/$applet"
done <<< "$applets"

cp -R "$here/skel/." "$rootfs/"
if [ "$with_modules" = 1 ]; then
    mkdir -p "$rootfs/lib/modules"
    cp -R "$cache/modules" "$rootfs/lib/modules/$(sed -n 's/^release //p' "$cache/VERSION")"
fi
for d in "${extras[@]+"${extras[@]}"}"; do
    note "adding $d"
    cp -R "$d/." "$rootfs/"
done
chmod 755 "$rootfs/init"

# /dev/console exists before /init runs, so the kernel can give init its stdio (devtmpfs
# is mounted over /dev later).
python3 "$here/mkcpio.py" --nod 'dev/console c 5 1 600' "$rootfs" "$initramfs" >&2

echo "kernel: $(sed -n 's/^release //p' "$cache/VERSION") ($(sed -n '2p' "$cache/VERSION"), busybox-static $(sed -n 's/^busybox-static //p' "$cache/VERSION"))"
echo "bzImage: $cache/bzImage"
echo "initramfs: $initramfs"
