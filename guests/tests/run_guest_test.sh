#!/usr/bin/env bash
# run_guest_test.sh RINGSHIFT KERNEL.elf NATIVE
#
# Runs one bare-metal guest test twice and compares:
#   1. NATIVE                          (the same test as a Linux i386 program,
#                                       the oracle; timeout 60 s)
#   2. RINGSHIFT run --kernel KERNEL   (the multiboot build under ringshift;
#                                       timeout 120 s)
# Passes (exit 0) only if the native run exits 0 (PASS), ringshift exits 1
# (the guest wrote 0 to the isa-debug-exit port 0xF4: status (0<<1)|1), and
# both standard outputs are byte-identical.  Otherwise prints the reasons and
# a unified diff (first 60 lines) and exits 1.  On a host that cannot run i386
# programs at all (tools/host_runs_i386.py) there is no oracle: the guest's own
# checks decide, and the output says that the comparison was not made.
#
# Environment:
#   RINGSHIFT_NATIVE_TIMEOUT  seconds for the native run   (default 60)
#   RINGSHIFT_GUEST_TIMEOUT   seconds for the ringshift run (default 120)
#   RINGSHIFT_GUEST_OUTDIR    if set, both outputs (and ringshift's stderr)
#                             are kept there as NAME.native.out,
#                             NAME.ringshift.out, NAME.ringshift.err
set -u

if [ "$#" -ne 3 ]; then
    echo "usage: $0 RINGSHIFT KERNEL.elf NATIVE" >&2
    exit 1
fi
ringshift=$1
kernel=$2
native=$3
native_timeout=${RINGSHIFT_NATIVE_TIMEOUT:-60}
guest_timeout=${RINGSHIFT_GUEST_TIMEOUT:-120}
# a bare file name would be looked up in PATH: make it ./name
case "$ringshift" in */*) ;; *) ringshift=./$ringshift ;; esac
case "$native" in */*) ;; *) native=./$native ;; esac
name=$(basename "$kernel")
name=${name%.elf}

for f in "$ringshift" "$native"; do
    if [ ! -x "$f" ]; then
        echo "FAIL $name: not an executable file: $f" >&2
        exit 1
    fi
done
if [ ! -f "$kernel" ]; then
    echo "FAIL $name: no such kernel: $kernel" >&2
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ringshift-guest.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# describe KIND STATUS: human-readable meaning of an exit status
describe() {
    local kind=$1 st=$2
    case "$st" in
        124) echo "timed out"; return ;;
        126) echo "could not be executed"; return ;;
        127) echo "command not found"; return ;;
        137) echo "killed (SIGKILL, after a time-out?)"; return ;;
    esac
    if [ "$st" -gt 128 ]; then
        echo "killed by signal $((st - 128))"
        return
    fi
    if [ "$kind" = native ]; then
        case "$st" in
            0) echo "PASS" ;;
            1) echo "FAIL reported by the test" ;;
            *) echo "unexpected status" ;;
        esac
    else
        case "$st" in
            1) echo "guest reported PASS (debug-exit value 0)" ;;
            3) echo "guest reported FAIL (debug-exit value 1)" ;;
            0) echo "ringshift exited 0: the guest did not use the debug-exit port" ;;
            *)
                if [ $((st & 1)) -eq 1 ]; then
                    echo "debug-exit value $(((st - 1) / 2))"
                else
                    echo "ringshift error"
                fi
                ;;
        esac
    fi
}

timeout -k 5 "$native_timeout" "$native" \
    > "$tmp/native.out" 2> "$tmp/native.err" < /dev/null
native_st=$?
timeout -k 5 "$guest_timeout" "$ringshift" run --kernel "$kernel" \
    > "$tmp/guest.out" 2> "$tmp/guest.err" < /dev/null
guest_st=$?

if [ -n "${RINGSHIFT_GUEST_OUTDIR:-}" ]; then
    mkdir -p "$RINGSHIFT_GUEST_OUTDIR" &&
    cp "$tmp/native.out" "$RINGSHIFT_GUEST_OUTDIR/$name.native.out" &&
    cp "$tmp/guest.out" "$RINGSHIFT_GUEST_OUTDIR/$name.ringshift.out" &&
    cp "$tmp/guest.err" "$RINGSHIFT_GUEST_OUTDIR/$name.ringshift.err"
fi

# No oracle on this host: judge the guest's own checks, and say so. (Asked even when the
# native run passed: an emulator registered for i386 programs runs them, and its
# undefined flags and x87 corners are not this CPU's.)
if ! why=$(python3 "$(dirname "$0")/../../tools/host_runs_i386.py"); then
    if [ "$guest_st" -eq 1 ]; then
        echo "PASS $name: the guest's checks pass under ringshift ($(wc -l < "$tmp/guest.out") lines);" \
             "NOT compared with a native run: $why"
        exit 0
    fi
    echo "FAIL $name: ringshift run: status $guest_st ($(describe guest "$guest_st")), expected 1" \
         "(no native comparison: $why)"
    tail -n 40 "$tmp/guest.out"
    tail -n 20 "$tmp/guest.err"
    exit 1
fi

ok=1
reasons=()
if [ "$native_st" -ne 0 ]; then
    ok=0
    reasons+=("native run: status $native_st ($(describe native "$native_st")), expected 0")
fi
if [ "$guest_st" -ne 1 ]; then
    ok=0
    reasons+=("ringshift run: status $guest_st ($(describe guest "$guest_st")), expected 1")
fi
same=1
if ! cmp -s "$tmp/native.out" "$tmp/guest.out"; then
    ok=0
    same=0
    reasons+=("outputs differ (native $(wc -c < "$tmp/native.out") bytes, ringshift $(wc -c < "$tmp/guest.out") bytes)")
fi

if [ "$ok" -eq 1 ]; then
    echo "PASS $name: native and ringshift outputs identical ($(wc -l < "$tmp/native.out") lines), both report PASS"
    exit 0
fi

echo "FAIL $name"
for r in "${reasons[@]}"; do
    echo "  - $r"
done
if [ "$same" -eq 0 ]; then
    echo "--- unified diff (native = oracle, first 60 lines) ---"
    diff -u --label "native:$name" --label "ringshift:$name" \
        "$tmp/native.out" "$tmp/guest.out" > "$tmp/diff"
    head -n 60 "$tmp/diff"
    total=$(wc -l < "$tmp/diff")
    if [ "$total" -gt 60 ]; then
        echo "... ($((total - 60)) more diff lines)"
    fi
fi
if [ -s "$tmp/native.err" ]; then
    echo "--- native stderr (last 10 lines) ---"
    tail -n 10 "$tmp/native.err"
fi
if [ -s "$tmp/guest.err" ]; then
    echo "--- ringshift stderr (last 20 lines) ---"
    tail -n 20 "$tmp/guest.err"
fi
exit 1
