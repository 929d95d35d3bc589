# The ATAPI CD (test/disk/cdrom_test.py): mount the ISO 9660 image the host made and
# print the sums of its files and of the whole device.
. /rs/common.sh
disks_up "$DEV"
mount -t iso9660 -o ro "/dev/$DEV" "$MNT" || die "mount -t iso9660 /dev/$DEV"
pass "mounted /dev/$DEV"
sums "$MNT/data" data/
umount "$MNT" || fail "umount"
echo 3 > /proc/sys/vm/drop_caches
set -- "$(sha256sum < "/dev/$DEV")" "$(blockdev --getsize64 "/dev/$DEV")"
echo "sum device ${1%% *} $2"
finish
