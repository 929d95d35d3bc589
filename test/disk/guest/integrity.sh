# Data integrity on an ext4 disk (test/disk/integrity_test.py).
#   rs.phase=write   mount /dev/$DEV (made by the host's mke2fs), write files of random
#                    data (odd sizes, two over 1 MiB) while 4 writers rewrite, fsync and
#                    read back their own files and a reader re-reads a big one, each read
#                    after drop_caches so it comes from the disk; print every file's sum,
#                    read them all back after drop_caches and after a remount, unmount.
#   rs.phase=verify  mount again and print every file's sum (the host compares them with
#                    the first boot's and with its own reading of the image).
. /rs/common.sh
disks_up "$DEV"
mount -t ext4 "/dev/$DEV" "$MNT" || die "mount -t ext4 /dev/$DEV"
pass "mounted /dev/$DEV"

# writer J ROUNDS: rewrites its own file ROUNDS times (a new size each time), fsyncs it,
# drops the page cache and checks what it reads back.
writer() {
    j=$1 i=0 bad=0
    f=$MNT/data/w$j
    while [ "$i" -lt "$2" ]; do
        size=$(( (j * 7919 + i * 104729) % 400000 + 1 ))
        head -c "$size" /dev/urandom > "$f.tmp" || { echo "FAIL writer $j round $i: write"; bad=1; }
        want=$(sha256sum < "$f.tmp")
        mv "$f.tmp" "$f"
        sync "$f" || { echo "FAIL writer $j round $i: fsync"; bad=1; }
        echo 1 > /proc/sys/vm/drop_caches
        got=$(sha256sum < "$f")
        if [ "$got" != "$want" ]; then
            echo "FAIL writer $j round $i: read back ${got%% *}, wrote ${want%% *} ($size bytes)"
            bad=1
        fi
        i=$((i + 1))
    done
    echo "writer $j: $2 rounds"
    return $bad
}

# reader FILE SUM ROUNDS: re-reads FILE from the disk while the writers run.
reader() {
    k=0 bad=0
    while [ "$k" -lt "$3" ]; do
        echo 1 > /proc/sys/vm/drop_caches
        got=$(sha256sum < "$1")
        if [ "${got%% *}" != "$2" ]; then
            echo "FAIL reader round $k: $1 read ${got%% *}, expected $2"
            bad=1
        fi
        k=$((k + 1))
    done
    echo "reader: $3 rounds"
    return $bad
}

case "$PHASE" in
write)
    mkdir "$MNT/data" || die "mkdir data"
    for spec in a:1 b:511 c:4097 d:65537 e:1048576 f:1572865 g:4194301; do
        head -c "${spec#*:}" /dev/urandom > "$MNT/data/${spec%:*}" || fail "writing data/${spec%:*}"
    done
    sync
    gsum=$(sha256sum < "$MNT/data/g")
    pids=
    for j in 1 2 3 4; do
        writer $j 6 &
        pids="$pids $!"
    done
    reader "$MNT/data/g" "${gsum%% *}" 8 &
    pids="$pids $!"
    bad=0
    for p in $pids; do
        wait "$p" || bad=$((bad + 1))
    done
    if [ $bad = 0 ]; then pass "4 writers and a reader at once: every read-back right"
    else fail "$bad of the concurrent writers/reader saw wrong data"; fi
    sync
    sums "$MNT/data" data/ > /tmp/sums
    cat /tmp/sums
    drop_caches
    sums "$MNT/data" data/ > /tmp/sums2
    if cmp -s /tmp/sums /tmp/sums2; then pass "$(wc -l < /tmp/sums) files read back right after drop_caches"
    else fail "files differ after drop_caches: $(diff /tmp/sums /tmp/sums2 | grep '^[-+]sum' | head -4)"; fi
    umount "$MNT" || fail "umount"
    mount -t ext4 "/dev/$DEV" "$MNT" || die "mount again"
    sums "$MNT/data" data/ > /tmp/sums3
    if cmp -s /tmp/sums /tmp/sums3; then pass "files read back right after a remount"
    else fail "files differ after a remount: $(diff /tmp/sums /tmp/sums3 | grep '^[-+]sum' | head -4)"; fi
    ;;
verify)
    [ -d "$MNT/data" ] || die "data/ missing on the second boot"
    sums "$MNT/data" data/
    ;;
*)
    die "unknown rs.phase=$PHASE"
    ;;
esac
umount "$MNT" || fail "umount"
sync
finish
