# A read-only disk (test/disk/readonly_test.py): every way of writing fails in the guest
# with an error (or the kernel sees the disk as write-protected), reading still works.
. /rs/common.sh
disks_up "$DEV"
ro=$(cat "/sys/block/$DEV/ro" 2>/dev/null)
echo "disk: /sys/block/$DEV/ro is $ro"

# The raw device: open for writing refused, or the write or its fsync fails.
if err=$(dd if=/dev/zero of="/dev/$DEV" bs=4096 count=1 seek=3 conv=fsync 2>&1); then
    fail "raw write to /dev/$DEV succeeded"
else
    pass "raw write to /dev/$DEV refused: $(echo "$err" | grep -m1 -v records)"
fi

# The file system: mount -o rw refused or made read-only, or writing a file fails.
if mount -t ext4 -o rw "/dev/$DEV" "$MNT" 2>/tmp/mount.err; then
    opts=$(awk -v d="$MNT" '$2 == d { print $4 }' /proc/mounts)
    echo "disk: mount -o rw gave '$opts' ($(cat /tmp/mount.err))"
    if err=$(dd if=/dev/urandom of="$MNT/new" bs=4096 count=16 conv=fsync 2>&1); then
        fail "writing a file on the read-only disk succeeded (mount options $opts)"
    else
        pass "writing a file refused: $(echo "$err" | grep -m1 -v records)"
    fi
    umount "$MNT" 2>/dev/null || umount -f "$MNT" || fail "umount"
else
    pass "mount -o rw refused: $(cat /tmp/mount.err)"
fi

# Reading: what the host put on the disk, from the disk.
drop_caches
mount -t ext4 -o ro "/dev/$DEV" "$MNT" || die "mount -o ro"
sums "$MNT/data" data/
umount "$MNT" || fail "umount"
finish
