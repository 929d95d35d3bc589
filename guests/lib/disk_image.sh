# shellcheck shell=bash
# Sourced by the scripts that write PC hard-disk images as plain files, without loop
# devices or mounts (guests/images/build.sh, guests/debian/build.sh): an MBR partition
# table by sfdisk, file systems written into the partition by mke2fs -E offset=, and
# GRUB's boot.img + core.img put in place with dd, as grub-bios-setup would. The caller
# defines die().

PART_START=2048      # first partition at 1 MiB, as fdisk puts it; GRUB embeds core.img before it
GRUB_PC=/usr/lib/grub/i386-pc

# new_disk FILE MIB TYPE: a sparse disk image of MIB MiB with one active primary partition
# of sfdisk type TYPE from sector PART_START to the end.
new_disk() {
    rm -f "$1"
    truncate -s "$2M" "$1"
    printf 'label: dos\nunit: sectors\n\nstart=%d, type=%s, bootable\n' "$PART_START" "$3" \
        | sfdisk --quiet --no-reread --no-tell-kernel "$1" >/dev/null
}
# part_sectors FILE: the size of new_disk's partition in sectors.
part_sectors() { echo $(( $(stat -c %s "$1") / 512 - PART_START )); }

# grub_mbr_install IMG CORE WORKDIR: GRUB's i386-pc boot code into IMG made by new_disk,
# with CORE (from grub-mkimage -O i386-pc) embedded after the MBR. grub-bios-setup cannot do
# it on an image file: it wants to resolve the host block device that holds its -d
# directory. This does what it does for an MBR disk, by hand on the file: core.img at
# sector 1 (its first sector, diskboot.img, loads the rest from sector 2 on, by the block
# list grub-mkimage wrote into it); boot.img's code and data in front of the partition
# table (without Reed-Solomon codes, as --no-rs-codes). Prints core.img's sector count.
grub_mbr_install() {
    local img=$1 core=$2 work=$3 core_sectors
    core_sectors=$(( ($(stat -c %s "$core") + 511) / 512 ))
    [ "$core_sectors" -lt "$PART_START" ] || die "core.img ($core_sectors sectors) does not fit before the partition"
    dd if="$core" of="$img" bs=512 seek=1 conv=notrunc status=none
    cp "$GRUB_PC/boot.img" "$work/boot.img"
    # kernel_sector (offset 0x5c, 64-bit LE) = 1: where core.img starts.
    printf '\001\000\000\000\000\000\000\000' | dd of="$work/boot.img" bs=1 seek=$((0x5c)) conv=notrunc status=none
    # boot_drive (0x64) = 0xff: use the drive number the BIOS passes in DL.
    printf '\377' | dd of="$work/boot.img" bs=1 seek=$((0x64)) conv=notrunc status=none
    # On a hard disk grub-bios-setup replaces the jmp at 0x66 that skips the boot drive
    # check with two nops, so a BIOS passing DL = 0x00..0x7f (buggy) still means 0x80.
    [ "$(od -An -tx1 -j $((0x66)) -N2 "$work/boot.img" | tr -d ' ')" = eb05 ] \
        || die "unexpected boot.img: no jmp over the boot drive check at 0x66"
    printf '\220\220' | dd of="$work/boot.img" bs=1 seek=$((0x66)) conv=notrunc status=none
    # The code up to the BIOS parameter block, and from its end to the NT disk signature
    # (0x1b8); the partition table and 55AA stay as sfdisk wrote them.
    dd if="$work/boot.img" of="$img" bs=1 count=3 conv=notrunc status=none
    dd if="$work/boot.img" of="$img" bs=1 skip=$((0x5a)) seek=$((0x5a)) count=$((0x1b8 - 0x5a)) conv=notrunc status=none
    echo "$core_sectors"
}
