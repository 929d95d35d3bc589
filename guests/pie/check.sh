# shellcheck shell=sh
# The check script of the PIE guest (guests/pie/build.sh installs it as /rs/pie.sh; /init
# runs it with rs.check=/rs/pie.sh and powers off after it). Mounts /proc, /dev and a tmpfs
# /tmp into the Debian tree at /pie, then runs the workload (guests/pie/workload.sh) RUNS
# times in `chroot /pie`, between the BENCH-CLOCK marks bench/run_all.py checks the guest
# clock with. Words of the kernel command line it reads:
#   pie.name=NAME    the RESULT lines' name (default pie_script)
#   pie.rounds=N     rounds of one run (default 5)
#   pie.runs=N       runs (default 1; 0 only boots: the translation figures of the boot alone)
# norandmaps on the same command line turns the guest's ASLR off.
name=pie_script rounds=5 runs=1
# shellcheck disable=SC2013 # the command line is one line of words
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        pie.name=*) name=${arg#pie.name=} ;;
        pie.rounds=*) rounds=${arg#pie.rounds=} ;;
        pie.runs=*) runs=${arg#pie.runs=} ;;
    esac
done
mount -t proc proc /pie/proc
mount -o bind /dev /pie/dev
mount -t tmpfs -o nosuid,nodev tmpfs /pie/tmp
echo "PIE-INFO runs=$runs rounds=$rounds"
echo "=== bench begin"
read -r up _ </proc/uptime; echo "BENCH-CLOCK start $up"
r=0
while [ "$r" -lt "$runs" ]; do
    chroot /pie /bin/dash /bench/workload.sh "$name" "$rounds" || echo "RESULT name=$name error=status$?"
    r=$((r + 1))
done
read -r up _ </proc/uptime; echo "BENCH-CLOCK end $up"
echo "=== bench end"
umount /pie/tmp /pie/dev /pie/proc
exit 0
