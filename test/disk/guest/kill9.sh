# Synced data survives the VMM's death (test/disk/kill9_test.py).
#   rs.phase=write   mount /dev/$DEV, write data/k (random, 2 MiB + 3 bytes) and sync,
#                    print its sum, start writers that keep the disk busy (files written
#                    and synced in a loop), then print the marker at which the host kills
#                    the VMM with SIGKILL; the guest never powers off.
#   rs.phase=verify  mount again (ext4 replays its journal) and print data/k's sum.
. /rs/common.sh
disks_up "$DEV"
mount -t ext4 "/dev/$DEV" "$MNT" || die "mount -t ext4 /dev/$DEV"
pass "mounted /dev/$DEV"

case "$PHASE" in
write)
    mkdir -p "$MNT/data" "$MNT/busy" || die "mkdir"
    head -c 2097155 /dev/urandom > "$MNT/data/k" || die "writing data/k"
    sync || die "sync"
    sumline "$MNT/data/k" data/k
    for j in 1 2; do
        (n=0; while :; do
            head -c $((100000 + j * 7 + n)) /dev/urandom > "$MNT/busy/$j.$n"
            sync
            n=$((n + 1))
        done) &
    done
    sleep 1
    echo "=== kill9 now"
    # The host kills the VMM on the line above; a guest still here after a minute says so.
    sleep 60
    die "still running 60 s after the kill marker"
    ;;
verify)
    [ -f "$MNT/data/k" ] || die "data/k missing after the kill"
    sumline "$MNT/data/k" data/k
    echo "busy files: $(ls "$MNT/busy" | wc -l)"
    ;;
*)
    die "unknown rs.phase=$PHASE"
    ;;
esac
umount "$MNT" || fail "umount"
sync
finish
