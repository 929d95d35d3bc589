# shellcheck shell=bash
# Sourced by the guest scripts that need host tools from Debian packages
# (guests/images/build.sh installs the missing ones, guests/debian/build.sh names them).

# missing_packages PKG:WHAT...: the packages (once each, space-separated) whose WHAT is not
# there: WHAT is a command looked up in PATH (plus /usr/sbin and /sbin) or an absolute file
# name. The file system is checked, not dpkg's database, so tools that are present some
# other way are used as they are.
missing_packages() {
    local t pkg what missing=" "
    for t in "$@"; do
        pkg=${t%%:*} what=${t#*:}
        case "$what" in
            /*) [ -e "$what" ] && continue ;;
            *) PATH="$PATH:/usr/sbin:/sbin" command -v "$what" >/dev/null 2>&1 && continue ;;
        esac
        case "$missing" in *" $pkg "*) ;; *) missing="$missing$pkg " ;; esac
    done
    missing=${missing# }
    echo "${missing% }"
}

# i386_via_qemu_user: on a host that cannot run i386 programs itself (a kernel without
# IA-32 emulation, a PVM guest), registers qemu-user's i386 emulator with binfmt_misc
# (flag F: it works inside a chroot) so that mmdebstrap can run the guest's maintainer
# scripts; Debian's qemu-user-static registers none for i386 on amd64, as amd64 usually
# runs it natively. Prints the entry to remove afterwards (i386_emulator_remove), or
# nothing when the host needs none. Fails when one is needed and cannot be had.
I386_BINFMT=ringshift-i386
i386_via_qemu_user() {
    arch-test i386 >/dev/null 2>&1 && return 0
    local qemu=/usr/bin/qemu-i386-static dir=/proc/sys/fs/binfmt_misc
    [ -x "$qemu" ] || { echo "this host cannot run i386 programs: apt-get install -y qemu-user-static (used through binfmt_misc)" >&2; return 1; }
    [ -e "$dir/register" ] || mount -t binfmt_misc binfmt_misc "$dir" || return 1
    [ -e "$dir/$I386_BINFMT" ] && echo -1 > "$dir/$I386_BINFMT"
    printf '%s' ":$I386_BINFMT:M::\\x7fELF\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x03\\x00:\\xff\\xff\\xff\\xff\\xff\\xfe\\xfe\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:$qemu:F" \
        > "$dir/register" || return 1
    arch-test i386 >/dev/null 2>&1 || { echo -1 > "$dir/$I386_BINFMT"; echo "$qemu registered for i386 but arch-test still fails" >&2; return 1; }
    echo "$I386_BINFMT"
}

# i386_emulator_remove ENTRY: undoes i386_via_qemu_user (the tests must not take an
# emulator for the host's CPU: tools/host_runs_i386.py).
i386_emulator_remove() {
    [ -n "${1:-}" ] && [ -e "/proc/sys/fs/binfmt_misc/$1" ] && echo -1 > "/proc/sys/fs/binfmt_misc/$1"
    return 0
}
