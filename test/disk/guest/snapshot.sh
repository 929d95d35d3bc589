# -snapshot (test/disk/snapshot_test.py): the guest writes and syncs files, reads them
# back from the disk (after drop_caches, after a remount) and prints their sums; the host
# checks that the image file did not change.
. /rs/common.sh
disks_up "$DEV"
mount -t ext4 "/dev/$DEV" "$MNT" || die "mount -t ext4 /dev/$DEV"
pass "mounted /dev/$DEV"
mkdir -p "$MNT/snap" || die "mkdir snap"
head -c 1048579 /dev/urandom > "$MNT/snap/s1" || fail "writing snap/s1"
head -c 70001 /dev/urandom > "$MNT/snap/s2" || fail "writing snap/s2"
# Rewrite what the host put there (original/o1): the overlay must shadow the image.
head -c 5000 /dev/zero >> "$MNT/original/o1" || fail "appending to original/o1"
sync
sums "$MNT/snap" snap/ > /tmp/sums
sumline "$MNT/original/o1" original/o1 >> /tmp/sums
cat /tmp/sums
drop_caches
{ sums "$MNT/snap" snap/; sumline "$MNT/original/o1" original/o1; } > /tmp/sums2
if cmp -s /tmp/sums /tmp/sums2; then pass "own writes read back after drop_caches"
else fail "own writes differ after drop_caches"; fi
umount "$MNT" || fail "umount"
mount -t ext4 "/dev/$DEV" "$MNT" || die "mount again"
{ sums "$MNT/snap" snap/; sumline "$MNT/original/o1" original/o1; } > /tmp/sums3
if cmp -s /tmp/sums /tmp/sums3; then pass "own writes read back after a remount"
else fail "own writes differ after a remount"; fi
umount "$MNT" || fail "umount"
sync
finish
