#!/usr/bin/env bash
# run_qemu.sh [--cpu MODEL] [--timeout S] KERNEL.elf [QEMU ARGS...]
#
# Runs one SYSTEM guest test (a multiboot kernel built from
# guests/tests/system/*.asm) under QEMU TCG instead of ringshift, to check the
# test itself against an independent implementation of the SDM:
#
#   qemu-system-i386 -cpu qemu32,+nx,+pse36 -m 64M -kernel KERNEL.elf \
#       -display none -monitor none -serial stdio -no-reboot \
#       -device isa-debug-exit,iobase=0xf4,iosize=0x04
#
# The guest prints on COM1 (stdio) and ends through isa-debug-exit on port
# 0xF4, the convention ringshift follows (run_system_test.sh): PASS is the
# value 0, QEMU exit status 1; FAIL is 1, status 3.  Passes iff the status is
# 1 and the output has the line 'RESULT: PASS'.
#
# The default CPU, qemu32 with NX and PSE-36, reports PAE (CPUID.1:EDX[6]) and
# NX (CPUID.80000001h:EDX[20]) and no CPUID leaf 80000008h, so MAXPHYADDR is 36
# as on ringshift (PSE-36 makes QEMU use 36 physical-address bits; without it
# a 32-bit QEMU CPU has 32).  --cpu (or $QEMU_CPU) picks another model.
# Tests that know where QEMU deviates from the SDM are built a second time
# with -DQEMU_QUIRKS as <name>_qemu.elf (see CMakeLists.txt); run those.
# $QEMU names the emulator (default qemu-system-i386).  Not for CI.
set -u

cpu=${QEMU_CPU:-qemu32,+nx,+pse36}
tmo=60
while [ "$#" -gt 0 ]; do
    case "$1" in
        --cpu) cpu=$2; shift 2 ;;
        --timeout) tmo=$2; shift 2 ;;
        --) shift; break ;;
        -*) echo "run_qemu.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
if [ "$#" -lt 1 ]; then
    echo "usage: $0 [--cpu MODEL] [--timeout S] KERNEL.elf [QEMU ARGS...]" >&2
    exit 2
fi
kernel=$1
shift
qemu=${QEMU:-qemu-system-i386}
command -v "$qemu" > /dev/null || { echo "run_qemu.sh: $qemu not found (apt-get install qemu-system-x86)" >&2; exit 2; }
[ -f "$kernel" ] || { echo "run_qemu.sh: no such kernel: $kernel" >&2; exit 2; }
name=$(basename "$kernel" .elf)

out=$(mktemp "${TMPDIR:-/tmp}/ringshift-qemu.XXXXXX") || exit 2
trap 'rm -f "$out"' EXIT
timeout -k 5 "$tmo" "$qemu" -cpu "$cpu" -m 64M -kernel "$kernel" \
    -display none -monitor none -serial stdio -no-reboot \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 "$@" > "$out" 2>&1 < /dev/null
st=$?

if [ "$st" -eq 1 ] && grep -qx 'RESULT: PASS' "$out"; then
    echo "PASS $name under QEMU -cpu $cpu ($(wc -l < "$out") output lines)"
    [ -n "${VERBOSE:-}" ] && cat "$out"
    exit 0
fi
echo "FAIL $name under QEMU -cpu $cpu: status $st (1 = PASS, 3 = FAIL, 124 = timed out)"
grep -v '^RESULT:' "$out" | grep ' FAIL \|^FAIL\|UNEXPECTED' | head -n 40
echo "--- output (last 60 lines) ---"
tail -n 60 "$out"
exit 1
