#!/bin/sh
# check.sh: the Linux boot test's script inside the guest (busybox sh), started by /init
# through rs.check=/rs/check.sh. The programs it runs are in /rs (built by boot_test.py
# with gcc -m32 -static). Everything between "=== NAME begin" and "=== NAME end" is
# compared by boot_test.py with the same thing run natively on the host; the lines
# "PASS ..." / "FAIL ..." are this script's own verdicts. Exit status: number of failures.
rs=/rs
fails=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

echo "=== clock-start $($rs/now)"

# /proc/cpuinfo against CPUID
echo "=== cpuidcheck begin"
$rs/cpuidcheck
st=$?
echo "=== cpuidcheck end"
if [ $st -eq 0 ]; then pass "cpuidcheck"; else fail "cpuidcheck (status $st)"; fi

# the C workout; its output is compared with the host's by the driver
echo "=== ctest begin"
$rs/ctest
st=$?
echo "=== ctest end"
if [ $st -eq 0 ]; then pass "ctest ran (status 0)"; else fail "ctest status $st"; fi

# 500 fork+exec+wait of busybox applets, named by path so that the shell cannot run
# them inside itself; the kernel's fork counter must have moved by at least 500
forks_before=$(awk '$1 == "processes" { print $2 }' /proc/stat)
i=0
ok=0
while [ $i -lt 500 ]; do
    case $((i % 5)) in
        0) /bin/true && ok=$((ok + 1)) ;;
        1) /bin/false || ok=$((ok + 1)) ;;
        2) [ "$(/usr/bin/expr $i \* 3 + 1)" = $((i * 3 + 1)) ] && ok=$((ok + 1)) ;;
        3) /bin/echo "line $i" > /tmp/rs-echo && ok=$((ok + 1)) ;;
        4) [ "$(/usr/bin/basename /a/b/c$i)" = "c$i" ] && ok=$((ok + 1)) ;;
    esac
    i=$((i + 1))
done
forks_after=$(awk '$1 == "processes" { print $2 }' /proc/stat)
forks=$((forks_after - forks_before))
rm -f /tmp/rs-echo
if [ $ok -eq 500 ] && [ $forks -ge 500 ]; then
    pass "fork+exec+wait: 500 of 500 applets right, $forks forks"
else
    fail "fork+exec+wait: $ok of 500 applets right, $forks forks"
fi

# a 10 MiB file in tmpfs and pipelines over it; the lines are compared with the host's
echo "=== pipeline begin"
sh $rs/pipeline.sh /tmp $rs/gendata
st=$?
echo "=== pipeline end"
if [ $st -eq 0 ]; then pass "pipeline ran (status 0)"; else fail "pipeline status $st"; fi

# the kernel's own log must be clean (the driver checks the console as well)
if dmesg | grep -E 'BUG:|Oops|Kernel panic|\[#[0-9]+\]' > /dev/null; then
    fail "dmesg shows a kernel bug or oops"
else
    pass "dmesg clean"
fi

# guest clock: the driver compares these with its own clock as the line arrives
echo "=== clock $($rs/now) $(date +%s)"

echo "=== summary $fails failure(s)"
exit $fails
