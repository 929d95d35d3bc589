; paging_smc_alias.asm -- code modified through a different linear mapping
; of its physical page, and code pages remapped under the same linear page.
;
; Intel SDM vol. 3: 8.1.3 and 11.6 (self-modifying code: a write to memory
; holding instructions invalidates them; the check is based on the physical
; address, so a write through any alias counts), 4.10.4 (after changing the
; PTE of a code page, INVLPG or MOV to CR3 makes the new translation used
; for instruction fetches too).  Physical page P is mapped at A (writable),
; B (read-only) and C (read-only); code runs at B and C, is written at A or
; through the identity map of P.  Q is a second physical code page.
;   1  `mov eax, imm32; ret` at P: written through A, called at B (1);
;      imm patched through A: B and C return 2; then 1000 patches
;      alternating between A and the identity map, each followed by calls at
;      B and C
;   2  a loop running at B that patches, through the alias in EBX, the
;      imm32 of an instruction later in the same straight-line block (500
;      iterations), one three instructions ahead, and an opcode (inc <-> dec);
;      with EBX = A and with EBX = the identity address of P
;   3  B remapped to Q + INVLPG: Q's code runs; back to P + INVLPG: P's code
;      (with its latest patch) runs; the same with MOV to CR3; 200 remaps
;      alternating P / Q with INVLPG, each followed by a call at B
%include "harness.inc"
%include "system.inc"
%include "paging.inc"

%define A       0x60000000
%define B       0x60400000
%define C       0x60800000
%define T2_OFF  0x100                   ; part 2 template offset in P

section .data
align 4
kdir:           dd 0
pp:             dd 0
pq:             dd 0
pte_b:          dd 0
errs:           dd 0

section .text

; ---------------------------------------------------- part 2 template --
; Runs at B + T2_OFF; EBX = writable alias of (P + T2_OFF).  Returns EAX =
; sum of the patched values (or 0xFFFFFFFF on a mismatch), EDX = sum 2.
t2:
        push esi
        push edi
        xor ecx, ecx
        xor esi, esi
.loop:
        mov [ebx + (.insn - t2) + 1], ecx       ; the next instruction's imm32
.insn:
        mov eax, strict dword 0
        add esi, eax
        cmp eax, ecx
        jne .bad
        lea edx, [ecx * 4 + 0x1000]
        mov [ebx + (.insn3 - t2) + 1], edx      ; three instructions ahead
        add edi, 1
        xor eax, eax
        lea eax, [edx + 1]
.insn3:
        mov eax, strict dword 0
        cmp eax, edx
        jne .bad
        add ecx, 1
        cmp ecx, 500
        jb .loop
        ; opcode patch: 0x40 inc eax / 0x48 dec eax, alternating
        xor eax, eax
        xor ecx, ecx
.oploop:
        mov edx, ecx
        and edx, 1
        shl edx, 3
        add edx, 0x40
        mov [ebx + (.op - t2)], dl
.op:
        inc eax
        inc eax
        add ecx, 1
        cmp ecx, 101
        jb .oploop
        mov edx, eax                    ; 51 * 2 + 50 * 0 = 102
        mov eax, esi
        pop edi
        pop esi
        ret
.bad:
        mov eax, 0xFFFFFFFF
        pop edi
        pop esi
        ret
t2_end:

; write_fn: EDI = address, EAX = imm: `mov eax, imm32; ret`
write_fn:
        mov byte [edi], 0xB8
        mov [edi + 1], eax
        mov byte [edi + 5], 0xC3
        ret

; copy_t2: EDI = destination (an alias of P + T2_OFF)
copy_t2:
        push esi
        push ecx
        mov esi, t2
        mov ecx, t2_end - t2
        cld
        rep movsb
        pop ecx
        pop esi
        ret

test_main:
        PUTSLN 'paging_smc_alias: code written through aliases, code pages remapped'
        SYS_INIT
        call pg_alloc
        mov [pp], eax
        call pg_alloc
        mov [pq], eax
        mov edi, eax
        mov eax, 3
        call write_fn                   ; Q: mov eax, 3; ret
        call pg_new_kdir
        mov [kdir], eax
        mov ebx, [pp]
        or ebx, PG_KRW
        PG_MAP [kdir], A, ebx
        and ebx, ~PG_RW
        PG_MAP [kdir], B, ebx
        PG_MAP [kdir], C, ebx
        PG_PTEP [kdir], B
        mov [pte_b], eax
        PG_ENABLE [kdir]

        ; -------------------------------------------------------------- 1 --
        PUTSLN '--- 1: write through A, run at B and C'
        mov edi, A
        mov eax, 1
        call write_fn
        call B
        CHECK_EQ '1.B.first', eax, 1
        mov dword [A + 1], 2
        call B
        CHECK_EQ '1.B.patched', eax, 2
        call C
        CHECK_EQ '1.C.patched', eax, 2
        xor esi, esi
.p1:
        lea edx, [esi * 8 + 0x100]
        mov edi, A
        test esi, 1
        jz .via_a
        mov edi, [pp]                   ; identity address of P
.via_a:
        mov [edi + 1], edx
        call B
        cmp eax, edx
        je .b_ok
        add dword [errs], 1
.b_ok:
        call C
        cmp eax, edx
        je .c_ok
        add dword [errs], 1
.c_ok:
        add esi, 1
        cmp esi, 1000
        jb .p1
        CHECK_EQ '1.loop.errors', dword [errs], 0

        ; -------------------------------------------------------------- 2 --
        PUTSLN '--- 2: same-block patches through an alias'
        mov edi, A + T2_OFF
        call copy_t2
        mov ebx, A + T2_OFF
        call B + T2_OFF
        CHECK_EQ '2.via_A.sum', eax, 124750     ; 0 + 1 + ... + 499
        CHECK_EQ '2.via_A.opcode', edx, 102
        mov ebx, [pp]
        add ebx, T2_OFF
        call B + T2_OFF
        CHECK_EQ '2.via_identity.sum', eax, 124750
        CHECK_EQ '2.via_identity.opcode', edx, 102
        mov ebx, A + T2_OFF
        call C + T2_OFF
        CHECK_EQ '2.at_C.sum', eax, 124750
        CHECK_EQ '2.at_C.opcode', edx, 102

        ; -------------------------------------------------------------- 3 --
        PUTSLN '--- 3: code page remapped'
        mov dword [A + 1], 0x77
        call B
        CHECK_EQ '3.B.P', eax, 0x77
        mov ebx, [pte_b]
        mov eax, [pq]
        or eax, PG_P
        mov [ebx], eax
        invlpg [B]
        call B
        CHECK_EQ '3.invlpg.B.Q', eax, 3
        call C
        CHECK_EQ '3.invlpg.C.P', eax, 0x77
        mov eax, [pp]
        or eax, PG_P
        mov [ebx], eax
        invlpg [B]
        call B
        CHECK_EQ '3.invlpg.B.P_again', eax, 0x77
        mov eax, [pq]
        or eax, PG_P
        mov [ebx], eax
        mov eax, cr3
        mov cr3, eax
        call B
        CHECK_EQ '3.cr3.B.Q', eax, 3
        mov eax, [pp]
        or eax, PG_P
        mov [ebx], eax
        mov eax, cr3
        mov cr3, eax
        call B
        CHECK_EQ '3.cr3.B.P', eax, 0x77
        mov dword [errs], 0
        xor esi, esi
.p3:
        mov eax, [pp]
        mov edx, 0x77
        test esi, 1
        jz .use_p
        mov eax, [pq]
        mov edx, 3
.use_p:
        or eax, PG_P
        mov [ebx], eax
        invlpg [B]
        call B
        cmp eax, edx
        je .p3_ok
        add dword [errs], 1
.p3_ok:
        add esi, 1
        cmp esi, 200
        jb .p3
        CHECK_EQ '3.loop.errors', dword [errs], 0

        PG_DISABLE
        ret
