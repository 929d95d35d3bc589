# Sourced by the check scripts of the disk tests (test/disk/guest/*.sh, run by /init as
# rs.check=/rs/NAME.sh). Reads rs.dev= (the disk: sda, vda, sr0) and rs.phase= from the
# kernel command line; reports in the form the host side reads (test/disk/disktest.py):
#   "PASS what" / "FAIL what"        verdicts of the guest itself
#   "sum NAME SHA256 SIZE"           a file's checksum
#   "=== disk begin" / "=== disk end"
# and exits with the number of FAIL lines (0: all good).
DEV=
PHASE=
# shellcheck disable=SC2013 # the command line is one line of words
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        rs.dev=*) DEV=${arg#rs.dev=} ;;
        rs.phase=*) PHASE=${arg#rs.phase=} ;;
    esac
done
MNT=/mnt/d
fails=0

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
finish() {
    echo "=== disk end"
    exit "$fails"
}
# die WHAT: a failure after which nothing else can be checked.
die() {
    fail "$*"
    finish
}

# sumline FILE NAME: "sum NAME SHA256 SIZE"
sumline() {
    set -- "$1" "$2" "$(sha256sum < "$1")" "$(wc -c < "$1")"
    echo "sum $2 ${3%% *} $4"
}

# sums DIR PREFIX: sumline for every file in DIR, by name
sums() {
    for f in "$1"/*; do
        [ -f "$f" ] && sumline "$f" "$2${f##*/}"
    done
}

drop_caches() {
    sync
    echo 3 > /proc/sys/vm/drop_caches
}

# disks_up DEV...: load the disk modules, wait for the devices
disks_up() {
    rs-disks "$@" || die "rs-disks $*: the guest did not find its disk (no device: is the disk controller there?)"
}

echo "=== disk begin"
echo "disk: dev=$DEV${PHASE:+ phase=$PHASE}"
[ -n "$DEV" ] || die "no rs.dev= on the kernel command line"
mkdir -p "$MNT"
