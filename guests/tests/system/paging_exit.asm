; paging_exit.asm -- a ring-3 process's whole address space unmapped at once,
; as a process exit does, then the same linear pages mapped to other frames.
;
; Intel SDM vol. 3: 4.10.4.1 (MOV to CR3 invalidates every non-global
; translation: after it only what the tables map now may be used).  Four
; rounds, each a "process" at the same linear addresses: a code page U_CODE (a
; copy of r3_sum), a stack page and NPAGES data pages U_DATA + i * 4 KiB, all
; user-writable and in fresh frames; data page i holds round * 1000 + i.  Ring
; 3 sums the first dword of every data page and returns the sum with int 0x80.
; Then the "exit": every PTE of the process is cleared and CR3 reloaded, which
; leaves ringshift's user window without a single entry (it empties the window
; in one go, `window_clears` in --stats).  Checked: each round's sum is its own
; frames' (a mapping that outlived the exit would read the round before's), a
; read of U_DATA after the exit faults (#PF, not present), and the last round's
; values after round 3 is mapped again over the same frames.
%include "harness.inc"
%include "system.inc"
%include "paging.inc"

%define U_CODE      0x30000000
%define U_STACK     0x30001000
%define U_DATA      0x30002000
%define NPAGES      40
%define ROUNDS      4

section .data
align 4
kdir:           dd 0
round:          dd 0
frames:         times NPAGES + 2 dd 0   ; code, stack, data frames of this round

section .text

; Copied to U_CODE and run at CPL 3: EAX = sum of dword 0 of the NPAGES data
; pages (only absolute constants: it runs at another address than assembled).
r3_sum:
        push ebp                        ; the stack page becomes a mapping too
        xor eax, eax
        mov esi, U_DATA
        mov ecx, NPAGES
.l:
        add eax, [esi]
        add esi, 4096
        sub ecx, 1
        jnz .l
        pop ebp
        int SYS_VEC_RING0
r3_sum_end:

; map_process: maps U_CODE, U_STACK and the data pages to frames[] (URW).
map_process:
        pushad
        xor esi, esi
.m:
        mov ebx, [frames + esi * 4]
        or ebx, PG_URW
        mov eax, esi
        shl eax, 12
        add eax, U_CODE
        PG_MAP [kdir], eax, ebx
        add esi, 1
        cmp esi, NPAGES + 2
        jb .m
        popad
        ret

; exit_process: clears every PTE of the process, then the TLB flush of a CR3 load.
exit_process:
        pushad
        xor esi, esi
.c:
        mov eax, esi
        shl eax, 12
        add eax, U_CODE
        PG_MAP [kdir], eax, 0
        add esi, 1
        cmp esi, NPAGES + 2
        jb .c
        PG_CR3 [kdir]
        popad
        ret

; run_process -> EAX = ring 3's sum
run_process:
        push ecx
        push edx
        mov eax, U_CODE
        mov ecx, U_STACK + 4096
        mov edx, 2
        call sys_enter_ring3
        pop edx
        pop ecx
        ret

; expected sum of round EAX -> EAX
expected:
        imul eax, eax, 1000 * NPAGES
        add eax, NPAGES * (NPAGES - 1) / 2
        ret

test_main:
        PUTSLN 'paging_exit: an address space unmapped whole, then mapped again'
        SYS_INIT
        call pg_new_kdir
        mov [kdir], eax
        PG_ENABLE [kdir]
        mov dword [round], 1
.round:
        ; fresh frames: code (a copy of r3_sum), stack, data
        xor esi, esi
.f:
        call pg_alloc
        mov [frames + esi * 4], eax
        add esi, 1
        cmp esi, NPAGES + 2
        jb .f
        mov edi, [frames]
        mov esi, r3_sum
        mov ecx, r3_sum_end - r3_sum
        cld
        rep movsb
        xor esi, esi
.v:
        mov edi, [frames + 8 + esi * 4]
        imul eax, [round], 1000
        add eax, esi
        mov [edi], eax
        add esi, 1
        cmp esi, NPAGES
        jb .v
        call map_process
        call run_process
        mov ebx, eax
        mov eax, [round]
        call expected
        CHECK_EQ 'round.sum', ebx, eax
        call exit_process
        add dword [round], 1
        cmp dword [round], ROUNDS
        jbe .round

        ; after the last exit nothing is mapped at U_DATA
        EXC_ARM .after_read
.read:
        mov eax, [U_DATA]
.after_read:
        EXC_CHECK 'after_exit.pf', 14, 0, .read
        mov eax, cr2
        CHECK_EQ 'after_exit.cr2', eax, U_DATA
        ; the last round's frames again: its values
        call map_process
        call run_process
        mov ebx, eax
        mov eax, ROUNDS
        call expected
        CHECK_EQ 'again.sum', ebx, eax
        PG_DISABLE
        ret
