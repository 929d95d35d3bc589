#!/bin/sh
# The PIE workload of bench/run_all.py (pie_script, pie_script_norand), run by Debian's
# dash in a chroot of guests/pie/build.sh's tree: in the guest (guests/pie/check.sh) and
# natively on the host alike. ROUNDS rounds of a shell script's everyday work, each about
# 80 short-lived processes of dynamically linked PIE programs (coreutils, sed, grep, mawk,
# findutils, diffutils, gzip, and bash running ./configure, a configure-like script).
# It times itself with `date +%s%N` (CLOCK_REALTIME: in a VM the guest kernel's clock)
# and prints
#     RESULT name=NAME ns_per_op=<ns per round> ops=ROUNDS total_s=<seconds>
# Not timed, before the rounds: one warm-up round, and PIE-INFO lines with the guest's
# randomize_va_space, the load address of two cat processes (the same twice with ASLR
# off) and the processes one round starts (the fork counter of /proc/stat: exact in the
# one-CPU guest, counting other processes too on a busy host).
#
# NAME pie_script or pie_script_norand (the same script; the ASLR setting is the caller's)
# runs the rounds above. Two other NAMEs are interpreter-style user code, each round one
# long loop in one process (bench/real_workloads.py, "interpreters"):
#   dash_loop   dash's arithmetic loop `while [ $i -lt N ]; do i=$((i+1)); done`, 200,000
#               iterations (builtins only: no process)
#   mawk_loop   mawk, a bytecode interpreter: a numeric loop with an associative array and
#               string building, 1,500,000 iterations
#
# usage: dash /bench/workload.sh NAME ROUNDS
# The programs are the point: no builtins or shortcuts in their place.
# shellcheck disable=SC2002,SC2003,SC2018,SC2019
set -eu
name=$1
rounds=$2
[ "$rounds" -ge 1 ] || { echo "workload.sh: ROUNDS must be at least 1" >&2; exit 2; }
export PATH=/usr/bin:/bin LC_ALL=C HOME=/root
work=$(mktemp -d /tmp/pie.XXXXXX)
cd "$work"
cp /bench/configure /bench/Makefile.in /bench/config.h.in .

# round N: one round's work; its results stay in files of the work directory.
round() {
    ls -l /bin /usr/bin /lib/i386-linux-gnu > ls.txt
    sort -n -k5,5 ls.txt | tail -n 12 | cut -c 1-60 > big.txt
    lines=$(wc -l < ls.txt)
    links=$(grep -c ' -> ' ls.txt || true)
    sed -e 's/root/ROOT/g' -e '/^total/d' big.txt | tr 'a-z' 'A-Z' | uniq > upper.txt
    seq 1 7 2000 | paste -s -d + > seq.txt
    bytes=$(mawk '{ s += $5 } END { print s }' ls.txt)
    n=$(expr "$lines" + "$1")
    stamp=$(date +%Y%m%d)
    base=$(basename /usr/share/doc/readme.txt .txt)
    dir=$(dirname "$work/a/b")
    head -c 4096 ls.txt | md5sum > md5.txt
    gzip -c ls.txt > ls.txt.gz
    find . -name '*.txt' | sort | xargs cat | wc -c > size.txt
    printf '%s %s %s %s %s %s %s\n' "$lines" "$links" "$bytes" "$n" "$stamp" "$base" "$dir" > summary.txt
    bash ./configure --prefix="/opt/round$1" > configure.log
    grep -q '^#define HAVE_STDIO_H 1$' config.h
    cmp -s Makefile Makefile.prev || cp Makefile Makefile.prev
    rm -f ls.txt.gz
}

case $name in
    dash_loop)
        round() {
            j=0
            while [ $j -lt 200000 ]; do j=$((j + 1)); done
            [ $j -eq 200000 ]
        }
        ;;
    mawk_loop)
        round() {
            # The sum is checked, so that the loop cannot go wrong unnoticed.
            mawk 'BEGIN {
                s = 0; t = ""
                for (i = 0; i < 1500000; i++) {
                    s += i % 7; a[i % 64] += i
                    if (i % 1000 == 0) t = substr(t "x" i, 1, 40)
                }
                if (s != 4499995 || a[63] != 17578101555) { print "mawk_loop: wrong result " s " " a[63]; exit 1 }
            }' > out.txt
            [ ! -s out.txt ]
        }
        ;;
esac

echo "PIE-INFO randomize_va_space=$(cat /proc/sys/kernel/randomize_va_space)" \
     "cat_loaded_at=$(cat /proc/self/maps | head -n 1 | cut -d- -f1),$(cat /proc/self/maps | head -n 1 | cut -d- -f1)"
# forks: the kernel's fork counter in $forks, read with builtins only (no process).
forks() {
    while read -r key value _; do
        if [ "$key" = processes ]; then forks=$value; return; fi
    done < /proc/stat
}
forks; f0=$forks
round 0
forks
echo "PIE-INFO processes_per_round=$((forks - f0))"

start=$(date +%s%N)
i=1
while [ "$i" -le "$rounds" ]; do
    round "$i"
    i=$((i + 1))
done
end=$(date +%s%N)
mawk -v n="$name" -v ns="$((end - start))" -v r="$rounds" 'BEGIN {
    printf "RESULT name=%s ns_per_op=%.1f ops=%d total_s=%.6f\n", n, ns / r, r, ns / 1e9 }'
cd /
rm -rf "$work"
