#!/usr/bin/env bash
# Build the PIE guest of the benchmark (bench/run_all.py's pie_script workloads): a tree
# of Debian 12's i386 packages (libc6, coreutils, dash, bash, sed, grep, mawk, findutils,
# diffutils, gzip and what they depend on, unpacked with dpkg-deb -x: every program in it
# is a dynamically linked position-independent executable, which this script checks with
# readelf) plus the workload scripts of this directory in /bench, and an initramfs that is
# the default busybox guest (guests/linux/fetch.sh --extra) with that tree at /pie and
# /rs/pie.sh, the check script that runs the workload in `chroot /pie`.
#
# The tree is CACHE_DIR/extra/pie, so the host can run the same programs natively with
# `chroot CACHE_DIR/extra/pie` (i386 binaries run on an x86-64 host). Downloads are kept:
# a second run only reinstalls the scripts and rebuilds the initramfs (a few seconds),
# unless --update asks the archive for newer packages. The cache is ignored by git.
#
# usage: guests/pie/build.sh [--update] [--flavour 686|686-pae] [--linux-cache DIR]
#                            [CACHE_DIR]
#   CACHE_DIR          default guests/pie/cache in the repository
#   --update           resolve the packages again (apt-get update) and take newer ones
#   --flavour F        the guest kernel, passed to fetch.sh (default 686)
#   --linux-cache DIR  fetch.sh's cache directory (default: fetch.sh's for the flavour)
# Prints "tree: DIR", then fetch.sh's "kernel:", "bzImage:" and "initramfs:" lines.
# Boot it with rs.check=/rs/pie.sh on the kernel command line (guests/pie/check.sh says
# which other words it reads: pie.rounds=, pie.runs=, pie.name=). Runs as root (chroot,
# root-owned files). Environment: RINGSHIFT_DEBIAN_MIRROR, RINGSHIFT_DEBIAN_SECURITY_MIRROR.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() { echo "pie/build.sh: $*" >&2; exit 1; }
note() { echo "pie/build.sh: $*" >&2; }

# shellcheck source=SCRIPTDIR/../lib/apt_archive.sh
. "$here/../lib/apt_archive.sh"
# shellcheck source=SCRIPTDIR/../lib/apt_i386.sh
. "$here/../lib/apt_i386.sh"
# shellcheck source=SCRIPTDIR/../lib/host_tools.sh
. "$here/../lib/host_tools.sh"

cache=
linux_cache=
update=0
fetch_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --update) update=1; shift ;;
        --flavour) [ $# -ge 2 ] || die "--flavour needs 686 or 686-pae"
                   fetch_args+=(--flavour "$2"); shift 2 ;;
        --linux-cache) [ $# -ge 2 ] || die "--linux-cache needs a directory"
                   linux_cache=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
        -*) die "unknown option $1 (try --help)" ;;
        *) [ -z "$cache" ] || die "only one cache directory, got $cache and $1"
           cache=$1; shift ;;
    esac
done

# The packages whose programs the workload runs; apt adds their dependencies.
packages=(libc6 coreutils dash bash sed grep mawk findutils diffutils gzip)
# The programs the workload scripts run (each must be in the tree, PIE and dynamic).
programs="bash dash ls cat sort wc sed grep expr seq tr cut head tail date basename dirname
          mawk md5sum find xargs uniq paste cmp mktemp uname cp rm mkdir touch printf gzip
          od diff tee"

cache=${cache:-$repo/guests/pie/cache}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
[ -f "$cache/.gitignore" ] || echo '*' > "$cache/.gitignore"
[ "$(id -u)" = 0 ] || die "run as root (the tree holds root-owned files; the benchmark chroots into it)"
export PATH="$PATH:/usr/sbin:/sbin"
missing=$(missing_packages "dpkg:dpkg-deb" "binutils:readelf" "apt:apt-get" \
          "debian-archive-keyring:/usr/share/keyrings/debian-archive-keyring.gpg")
[ -z "$missing" ] || die "missing host packages: $missing (apt-get install -y $missing)"

exec 9>"$cache/.lock"
flock 9

tree=$cache/extra/pie

# check_pie DIR: every ELF program in DIR's bin directories is a dynamically linked PIE
# (ELF type DYN with a program interpreter and the PIE flag), and the workload's programs
# are there.
check_pie() {
    local f n=0 bad=()
    for f in "$1"/bin/* "$1"/usr/bin/* "$1"/sbin/* "$1"/usr/sbin/*; do
        if [ ! -f "$f" ] || [ -L "$f" ]; then continue; fi
        [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
        n=$((n + 1))
        if ! readelf -h "$f" | grep -q 'Type: *DYN' \
           || ! readelf -l "$f" | grep -q 'Requesting program interpreter' \
           || ! readelf -d "$f" | grep -q 'FLAGS_1.*PIE'; then
            bad+=("${f#"$1"/}")
        fi
    done
    [ "${#bad[@]}" = 0 ] || die "not dynamically linked PIE programs: ${bad[*]}"
    for f in $programs; do
        [ -e "$1/bin/$f" ] || [ -e "$1/usr/bin/$f" ] || die "the tree has no $f"
    done
    note "$n programs in the tree, all dynamically linked PIE (readelf)"
}

# unpack LIST: the packages of LIST (name=version lines) into a fresh $tree.
unpack() {
    local work deb
    work=$(mktemp -d "$cache/download.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    # shellcheck disable=SC2046 # one name=version a word
    apt_i386_download "$cache" "$work" $(cat "$1") || die "downloading the packages failed"
    mkdir "$work/tree"
    for deb in "$work"/*.deb; do
        dpkg-deb -x "$deb" "$work/tree"
    done
    # Documentation, translations and iconv modules: nothing the workload reads.
    rm -rf "$work/tree/usr/share/doc" "$work/tree/usr/share/man" "$work/tree/usr/share/info" \
           "$work/tree/usr/share/locale" "$work/tree/usr/lib/i386-linux-gnu/gconv"
    configure_tree "$work/tree"
    check_pie "$work/tree"
    rm -rf "$tree"
    mkdir -p "$(dirname "$tree")"
    mv "$work/tree" "$tree"
    cp "$1" "$cache/PACKAGES"
    rm -rf "$work"
    trap - EXIT
}

# configure_tree DIR: what the packages' maintainer scripts and base-passwd/libc-bin would
# have set up: users and groups, the name service, the awk alternative, ld.so's cache.
configure_tree() {
    printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' \
        > "$1/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' > "$1/etc/group"
    printf 'passwd: files\ngroup: files\nhosts: files\n' > "$1/etc/nsswitch.conf"
    echo pie-guest > "$1/etc/hostname"
    ln -sfn mawk "$1/usr/bin/awk"
    echo 'include /etc/ld.so.conf.d/*.conf' > "$1/etc/ld.so.conf"
    if command -v ldconfig >/dev/null; then
        ldconfig -r "$1" || note "warning: ldconfig -r failed: ld.so searches its default paths"
    else
        note "warning: no ldconfig on the host: the tree has no /etc/ld.so.cache"
    fi
}

# ---------------------------------------------------------------- packages
if [ "$update" = 1 ] || [ ! -s "$cache/PACKAGES" ] || [ ! -x "$tree/bin/dash" ]; then
    apt_i386_update "$cache"
    apt_i386_closure "$cache" "${packages[@]}" > "$cache/PACKAGES.want"
    [ -s "$cache/PACKAGES.want" ] || die "apt cannot resolve ${packages[*]}"
    if [ -x "$tree/bin/dash" ] && cmp -s "$cache/PACKAGES.want" "$cache/PACKAGES"; then
        note "the tree is up to date ($(wc -l < "$cache/PACKAGES") packages)"
    else
        note "downloading and unpacking $(wc -l < "$cache/PACKAGES.want") packages"
        unpack "$cache/PACKAGES.want"
    fi
    rm -f "$cache/PACKAGES.want"
else
    note "using the cached tree ($(wc -l < "$cache/PACKAGES") packages; --update looks for newer ones)"
fi

# ---------------------------------------------------------------- scripts, initramfs
mkdir -p "$tree/bench" "$cache/extra/rs"
install -m 755 "$here/workload.sh" "$tree/bench/workload.sh"
install -m 755 "$here/configure" "$tree/bench/configure"
install -m 644 "$here/Makefile.in" "$here/config.h.in" "$tree/bench/"
install -m 644 "$here/check.sh" "$cache/extra/rs/pie.sh"
echo "tree: $tree"
bash "$repo/guests/linux/fetch.sh" --extra "$cache/extra" --initramfs "$cache/initramfs.cpio.gz" \
    "${fetch_args[@]+"${fetch_args[@]}"}" ${linux_cache:+"$linux_cache"}
