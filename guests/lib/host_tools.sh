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
