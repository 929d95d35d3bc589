# shellcheck shell=bash
# Sourced by the guest scripts that download Debian packages (guests/linux/fetch.sh,
# guests/debian/build.sh). No archive address is written into the repository: the
# archive is whatever the host's apt configuration names for the suite.

# host_archive SUITE: the URI of the first "deb" repository the host's apt sources
# (sources.list and sources.list.d, one-line or deb822 format) name for SUITE, without a
# trailing slash; nothing when there is none.
host_archive() {
    # shellcheck disable=SC2016 # apt's own $(FIELD) syntax, not the shell's
    apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(TARGET_OF)' 2>/dev/null \
        | awk -v suite="$1" '$2 == suite && $3 == "deb" { sub("/$", "", $1); print $1; exit }'
}
