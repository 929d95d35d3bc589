#!/usr/bin/env bash
# bench/idle.sh [BUILD_DIR] -- what an idle guest costs the host.
# Runs bench/guest/idle.elf (PIT at 100 Hz, the guest in `sti; hlt` for 5 s of guest
# time) under /usr/bin/time three times and prints elapsed, user+sys CPU time and
# the share of one host core. Needs the `time` package (/usr/bin/time).
set -eu
build=${1:-build}
rs=$build/ringshift
elf=$build/bench/guest/idle.elf
for f in "$rs" "$elf"; do
  [ -e "$f" ] || { echo "idle.sh: missing $f (build first)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "idle.sh: /usr/bin/time missing (apt-get install -y time)" >&2; exit 1; }
echo "idle guest, PIT 100 Hz, 500 ticks:"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for i in 1 2 3; do
  /usr/bin/time -o "$tmp" -f "%e %U %S" "$rs" run --kernel "$elf" >/dev/null 2>&1 || true
  read -r el us sy <<<"$(tail -1 "$tmp")"
  awk -v e="$el" -v u="$us" -v s="$sy" 'BEGIN { printf "  elapsed %.2f s, cpu %.3f s (user %.3f, sys %.3f): %.2f%% of one core\n", e, u + s, u, s, 100 * (u + s) / e }'
done
