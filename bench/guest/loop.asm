; loop.asm -- CPU-bound benchmark guest for ringshift.
;
; A xorshift32 stream drives read-modify-write updates of a 256 KiB table
; (64 Ki dwords: loads, stores, adds, xors, shifts) and a data-dependent,
; unpredictable branch.  BENCH_ITERS iterations (default tuned to about
; 2-3 s natively on the development machine); override with
; nasm -DBENCH_ITERS=N.  Prints one checksum line, never timing.
;
; Built with the guest test harness (guests/tests/lib/harness.inc) as both
; a multiboot kernel (loop.elf) and a Linux i386 program (loop.native).
%include "harness.inc"

%ifndef BENCH_ITERS
 %define BENCH_ITERS 375000000
%endif

TABLE_BITS      equ 16
TABLE_SIZE      equ 1 << TABLE_BITS     ; dwords

section .bss
alignb 4096
table:  resd TABLE_SIZE

section .text
test_main:
        mov esi, 0x2545f491             ; xorshift state
        xor edi, edi                    ; accumulator
        mov ecx, BENCH_ITERS
        align 16
.loop:
        mov eax, esi                    ; xorshift32
        shl eax, 13
        xor esi, eax
        mov eax, esi
        shr eax, 17
        xor esi, eax
        mov eax, esi
        shl eax, 5
        xor esi, eax
        mov ebx, esi                    ; table slot from the high bits
        shr ebx, 32 - TABLE_BITS
        mov edx, [table + ebx * 4]
        add edx, esi
        mov eax, edx
        shr eax, 3
        xor edx, eax
        mov [table + ebx * 4], edx
        test edx, 1                     ; data-dependent branch
        jz .even
        add edi, edx
        dec ecx
        jnz .loop
        jmp .done
.even:
        xor edi, edx
        rol edi, 1
        dec ecx
        jnz .loop
.done:
        HASH_RESET
        mov eax, edi
        call hash_fold
        mov eax, esi
        call hash_fold
        mov esi, table
        mov ecx, TABLE_SIZE * 4
        call hash_mem
        REPORT_HASH 'bench.loop checksum'
        ret
