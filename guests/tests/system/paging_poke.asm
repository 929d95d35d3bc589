; paging_poke.asm -- a page table written again and again around CR3 switches,
; the way Linux's text_poke patches code: map a frame at an address of an
; address space of its own, switch to it, write through the address, clear
; the PTE, switch back.
;
; Intel SDM vol. 3: 4.10.4.1 (MOV to CR3 invalidates the non-global
; translations of the address space loaded).  ROUNDS pokes go to frame A or
; B, eight in a row to each (patches come in runs on one page): poke i sets
; POKE -> A (bit 3 of i clear) or B in P's page table while K is loaded,
; loads P, writes i to [POKE] and reads it back, clears the PTE, loads K
; again.  Checked: every read-back, and A and B hold the last i of their
; runs (read through K's identity map).  ringshift keeps
; such a table unwatched while it is written this often (docs/design.md,
; "Hot page tables"): its CMake test also requires fewer than 100 table-write
; traps in --stats for the 2000 pokes.
%include "harness.inc"
%include "system.inc"
%include "paging.inc"

%define POKE        0x40000000
%define ROUNDS      2000

section .data
align 4
kdir:           dd 0
pdir:           dd 0
pte:            dd 0                    ; physical address of POKE's PTE in P
frame_a:        dd 0
frame_b:        dd 0
bad:            dd 0

section .text

test_main:
        PUTSLN 'paging_poke: a PTE set and cleared around CR3 switches'
        SYS_INIT
        call pg_new_kdir
        mov [kdir], eax
        call pg_new_kdir
        mov [pdir], eax
        call pg_alloc
        mov [frame_a], eax
        call pg_alloc
        mov [frame_b], eax
        PG_MAP [pdir], POKE, 0          ; allocates P's table for POKE
        PG_PTEP [pdir], POKE
        mov [pte], eax
        PG_ENABLE [kdir]
        xor ecx, ecx
.poke:
        mov ebx, [frame_a]
        test ecx, 8
        jz .even
        mov ebx, [frame_b]
.even:
        or ebx, PG_KRW | PG_A | PG_D   ; as Linux's PAGE_KERNEL: the CPU has nothing to set
        mov edx, [pte]
        mov [edx], ebx                  ; map, with K loaded
        PG_CR3 [pdir]
        mov [POKE], ecx
        cmp [POKE], ecx
        je .same
        add dword [bad], 1
.same:
        mov dword [edx], 0              ; unmap, with P loaded
        PG_CR3 [kdir]
        add ecx, 1
        cmp ecx, ROUNDS
        jb .poke

        CHECK_EQ 'readback.bad', dword [bad], 0
        mov eax, [frame_a]
        CHECK_EQ 'frame_a', dword [eax], ROUNDS - 9
        mov eax, [frame_b]
        CHECK_EQ 'frame_b', dword [eax], ROUNDS - 1
        PG_DISABLE
        ret
