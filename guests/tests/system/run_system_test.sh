#!/usr/bin/env bash
# run_system_test.sh [MODE OPTIONS] RINGSHIFT KERNEL.elf [RINGSHIFT RUN ARGS...]
#
# Runs one self-checking SYSTEM guest test (guests/tests/system/*.asm) under
# `RINGSHIFT run --kernel KERNEL.elf [ARGS...]`.  System tests use ring-0
# features and have no native oracle: the guest checks itself against the
# values the Intel SDM defines and reports PASS (debug-exit value 0, ringshift
# exit status 1) or FAIL (value 1, status 3).
#
# Modes:
#   (default)               pass iff ringshift exits with status 1
#   --expect-status N       pass iff ringshift exits with status N
#   --expect-stderr REGEX   additionally require REGEX (grep -Ei) on stderr
#   --expect-repeat LINE N  the guest is expected to run until the time-out
#                           (e.g. a machine that resets forever): pass iff
#                           the exact stdout line LINE appears at least N
#                           times; the exit status is ignored
#   --timeout S             time-out for the ringshift run, SIGINT then
#                           SIGKILL 5 s later (default 50: below the
#                           ctest TIMEOUT of 60, so that the output of a
#                           hung guest is still shown; or
#                           $RINGSHIFT_SYSTEM_TIMEOUT)
# On failure the reasons, the guest's stdout (last 80 lines) and ringshift's
# stderr (last 20 lines) are printed.  RINGSHIFT_GUEST_OUTDIR, if set, keeps
# NAME.ringshift.out / NAME.ringshift.err there.
set -u

expect_status=1
expect_stderr=
repeat_line=
repeat_count=0
tmo=${RINGSHIFT_SYSTEM_TIMEOUT:-50}
while [ "$#" -gt 0 ]; do
    case "$1" in
        --expect-status) expect_status=$2; shift 2 ;;
        --expect-stderr) expect_stderr=$2; shift 2 ;;
        --expect-repeat) repeat_line=$2; repeat_count=$3; shift 3 ;;
        --timeout) tmo=$2; shift 2 ;;
        --) shift; break ;;
        -*) echo "run_system_test.sh: unknown option $1" >&2; exit 1 ;;
        *) break ;;
    esac
done
if [ "$#" -lt 2 ]; then
    echo "usage: $0 [--expect-status N] [--expect-stderr RE] [--expect-repeat LINE N] [--timeout S] RINGSHIFT KERNEL.elf [ARGS...]" >&2
    exit 1
fi
ringshift=$1
kernel=$2
shift 2
case "$ringshift" in */*) ;; *) ringshift=./$ringshift ;; esac
name=$(basename "$kernel")
name=${name%.elf}

if [ ! -x "$ringshift" ]; then
    echo "FAIL $name: not an executable file: $ringshift" >&2
    exit 1
fi
if [ ! -f "$kernel" ]; then
    echo "FAIL $name: no such kernel: $kernel" >&2
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ringshift-system.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

describe() {
    local st=$1
    case "$st" in
        0) echo "ringshift exited 0: the guest halted without using the debug-exit port" ;;
        1) echo "guest reported PASS (debug-exit value 0)" ;;
        2) echo "bad command line or image" ;;
        3) echo "guest reported FAIL (debug-exit value 1)" ;;
        4) echo "the guest hit something ringshift cannot run (or a triple fault)" ;;
        6) echo "ringshift internal error" ;;
        124) echo "timed out" ;;
        130) echo "interrupted (SIGINT)" ;;
        137) echo "killed (SIGKILL, after a time-out?)" ;;
        *)
            if [ "$st" -gt 128 ]; then
                echo "killed by signal $((st - 128))"
            elif [ $((st & 1)) -eq 1 ]; then
                echo "debug-exit value $(((st - 1) / 2))"
            else
                echo "unexpected status"
            fi
            ;;
    esac
}

timeout -s INT -k 5 "$tmo" "$ringshift" run --kernel "$kernel" "$@" \
    > "$tmp/out" 2> "$tmp/err" < /dev/null
st=$?

if [ -n "${RINGSHIFT_GUEST_OUTDIR:-}" ]; then
    mkdir -p "$RINGSHIFT_GUEST_OUTDIR" &&
    cp "$tmp/out" "$RINGSHIFT_GUEST_OUTDIR/$name.ringshift.out" &&
    cp "$tmp/err" "$RINGSHIFT_GUEST_OUTDIR/$name.ringshift.err"
fi

ok=1
reasons=()
if [ -n "$repeat_line" ]; then
    n=$(grep -cxF -- "$repeat_line" "$tmp/out")
    if [ "$n" -lt "$repeat_count" ]; then
        ok=0
        reasons+=("line '$repeat_line' printed $n times in ${tmo} s, expected at least $repeat_count (status $st: $(describe "$st"))")
    fi
else
    if [ "$st" -ne "$expect_status" ]; then
        ok=0
        reasons+=("ringshift run: status $st ($(describe "$st")), expected $expect_status")
    fi
    if [ "$expect_status" -eq 1 ] && ! grep -qx 'RESULT: PASS' "$tmp/out"; then
        ok=0
        reasons+=("no 'RESULT: PASS' line in the guest output")
    fi
fi
if [ -n "$expect_stderr" ] && ! grep -Eqi -- "$expect_stderr" "$tmp/err"; then
    ok=0
    reasons+=("stderr does not match /$expect_stderr/")
fi

if [ "$ok" -eq 1 ]; then
    echo "PASS $name ($(wc -l < "$tmp/out") output lines, status $st)"
    if [ -n "$repeat_line" ]; then
        echo "  '$repeat_line' printed $n times"
    fi
    exit 0
fi

echo "FAIL $name"
for r in "${reasons[@]}"; do
    echo "  - $r"
done
fails=$(grep -v '^RESULT:' "$tmp/out" | grep -c ' FAIL \|^FAIL\|UNEXPECTED')
if [ "$fails" -gt 0 ]; then
    echo "--- failed checks ($fails) ---"
    grep -v '^RESULT:' "$tmp/out" | grep ' FAIL \|^FAIL\|UNEXPECTED' | head -n 40
fi
echo "--- guest output (last 80 lines) ---"
tail -n 80 "$tmp/out"
if [ -s "$tmp/err" ]; then
    echo "--- ringshift stderr (last 20 lines) ---"
    tail -n 20 "$tmp/err"
fi
exit 1
