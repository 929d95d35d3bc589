# shellcheck shell=bash
# Sourced by guest scripts that download Debian 12 i386 packages into a private cache
# (guests/pie/build.sh). apt runs entirely inside the cache directory: its own sources
# list (the archives the host's apt configuration names for bookworm, bookworm-updates and
# bookworm-security, as host_archive finds them; RINGSHIFT_DEBIAN_MIRROR and
# RINGSHIFT_DEBIAN_SECURITY_MIRROR override), package lists, package cache and an empty
# dpkg status, so the host's sources, pins, architecture and installed packages do not
# matter and nothing of the host's apt state changes. No archive address is written into
# the repository. Needs apt_archive.sh sourced first, and die/note functions.

# apt_i386_options CACHE: sets the array apt_i386 to the options of every apt-get and
# apt-cache call on CACHE.
apt_i386_options() {
    apt_i386=(
        -oAPT::Architecture=i386
        -oAPT::Architectures=i386
        "-oDir::State::Lists=$1/lists"
        "-oDir::Cache=$1/apt"
        -oDir::State::Status=/dev/null
        "-oDir::Etc::SourceList=$1/sources.list"
        "-oDir::Etc::SourceParts=$1/apt/empty"
        "-oDir::Etc::PreferencesParts=$1/apt/empty"
        -oDir::Etc::Preferences=/dev/null
        -oAcquire::Languages=none
        -qq
    )
}

# apt_i386_update CACHE: writes CACHE/sources.list and fetches the i386 package lists.
apt_i386_update() {
    local keyring=/usr/share/keyrings/debian-archive-keyring.gpg mirror security
    [ -r "$keyring" ] || die "$keyring missing (apt-get install debian-archive-keyring)"
    mirror=${RINGSHIFT_DEBIAN_MIRROR:-$(host_archive bookworm)}
    security=${RINGSHIFT_DEBIAN_SECURITY_MIRROR:-$(host_archive bookworm-security)}
    [ -n "$mirror" ] || die "the host's apt sources name no Debian 12 (bookworm) archive: add one (and apt-get update) or set RINGSHIFT_DEBIAN_MIRROR"
    mkdir -p "$1/lists/partial" "$1/apt/archives/partial" "$1/apt/empty"
    {
        echo "deb [arch=i386 signed-by=$keyring] $mirror bookworm main"
        echo "deb [arch=i386 signed-by=$keyring] $mirror bookworm-updates main"
        [ -z "$security" ] || echo "deb [arch=i386 signed-by=$keyring] $security bookworm-security main"
    } > "$1/sources.list"
    apt_i386_options "$1"
    note "apt-get update (i386 lists in $1/lists)"
    apt-get "${apt_i386[@]}" update || note "warning: apt-get update reported errors; going on with the lists it got"
}

# apt_i386_closure CACHE PKG...: "name=version" of PKG and everything they depend on (no
# recommends), one a line, as apt would install them on an empty system.
apt_i386_closure() {
    local cache=$1
    shift
    apt_i386_options "$cache"
    apt-get "${apt_i386[@]}" -s install --no-install-recommends "$@" \
        | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1=\2/p' | sort
}

# apt_i386_download CACHE DIR NAME=VERSION...: the .deb files into DIR.
apt_i386_download() {
    local cache=$1 dir=$2
    shift 2
    apt_i386_options "$cache"
    # -oAPT::Sandbox::User=root: DIR need not be writable by _apt.
    (cd "$dir" && apt-get "${apt_i386[@]}" -oAPT::Sandbox::User=root download "$@")
}
