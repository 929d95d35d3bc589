; paging_gdt.asm -- a GDT reached through paging: MOV to CR3 and INVLPG change which
; physical page a segment load reads its descriptor from.
;
; Intel SDM vol. 3: 3.5.1 (GDTR holds the GDT's linear base address), 3.4.3 (loading
; a segment register reads the descriptor from the table), 4.10.4.1 (MOV to CR3 and
; INVLPG make changed translations visible).  ringshift answers segment loads from a
; descriptor cache that points at the GDT entry in guest RAM (translator/
; emit_segment.cpp) and keeps it across CR3 loads while the GDT's pages still map
; where they did (Machine::recheck_seg_cache): these checks fail if it kept an entry
; whose GDT page moved.
;
; Physical pages P1 and P2 each hold a copy of the GDT in which selector 0x30 is a
; flat-limit data segment based at data page A (dword 0 = 0xA1A1A1A1) on P1 and at B
; (0xB2B2B2B2) on P2.  Linear G maps to P1 in directory D1 and to P2 in D2, and GDTR
; points at G.  Each check loads FS = 0x30 and reads fs:[0], 400 times:
;   1  alternating MOV CR3 = D1 / D2: A's value under D1, B's under D2
;   2  under D1, G's PTE switched between P2 and P1 with INVLPG [G] each time
;   3  CR3 reloaded with the same directory (nothing moved): the same value each time
%include "harness.inc"
%include "system.inc"
%include "paging.inc"

%define G       0x60000000
%define ROUNDS  400
%define SEL     0x30

section .data
align 4
d1:             dd 0
d2:             dd 0
p1:             dd 0
p2:             dd 0
pa:             dd 0
pb:             dd 0
pte_g:          dd 0
errs:           dd 0
        dw 0
gdtr_g:
        dw SYS_GDT_LIMIT
        dd G

section .text

; copy_gdt: EDI = page, EAX = the data segment's base for selector 0x30
copy_gdt:
        push esi
        push ecx
        push edx
        push edi
        mov esi, sys_gdt
        mov ecx, (SYS_GDT_LIMIT + 1) / 4
        rep movsd
        pop edi
        ; descriptor: base 15..0 | limit 15..0 ; base 31..24, G D, limit 19..16 = F,
        ; P DPL 0 data RW accessed (0x93), base 23..16
        mov edx, eax
        shl edx, 16
        or edx, 0xFFFF
        mov [edi + SEL], edx
        mov edx, eax
        and edx, 0xFF000000
        or edx, 0x00CF9300
        mov ecx, eax
        shr ecx, 16
        and ecx, 0xFF
        or edx, ecx
        mov [edi + SEL + 4], edx
        pop edx
        pop ecx
        pop esi
        ret

; check: FS = 0x30, then fs:[0] compared with EDX (errs counts mismatches)
check:
        push eax
        mov ax, SEL
        mov fs, ax
        mov eax, [fs:0]
        cmp eax, edx
        je .ok
        add dword [errs], 1
.ok:
        pop eax
        ret

test_main:
        PUTSLN 'paging_gdt: the GDT behind MOV to CR3 and INVLPG'
        SYS_INIT
        call pg_alloc
        mov [pa], eax
        mov dword [eax], 0xA1A1A1A1
        call pg_alloc
        mov [pb], eax
        mov dword [eax], 0xB2B2B2B2
        call pg_alloc
        mov [p1], eax
        mov edi, eax
        mov eax, [pa]
        call copy_gdt
        call pg_alloc
        mov [p2], eax
        mov edi, eax
        mov eax, [pb]
        call copy_gdt
        call pg_new_kdir
        mov [d1], eax
        call pg_new_kdir
        mov [d2], eax
        mov ebx, [p1]
        or ebx, PG_KRW
        PG_MAP [d1], G, ebx
        mov ebx, [p2]
        or ebx, PG_KRW
        PG_MAP [d2], G, ebx
        PG_PTEP [d1], G
        mov [pte_g], eax
        PG_ENABLE [d1]
        lgdt [gdtr_g]

        ; -------------------------------------------------------------- 1 --
        PUTSLN '--- 1: MOV to CR3 between two directories'
        xor esi, esi
.cr3:
        mov eax, [d1]
        mov edx, 0xA1A1A1A1
        test esi, 1
        jz .cr3_go
        mov eax, [d2]
        mov edx, 0xB2B2B2B2
.cr3_go:
        mov cr3, eax
        call check
        call check
        add esi, 1
        cmp esi, ROUNDS
        jb .cr3
        CHECK_EQ '1.errors', dword [errs], 0

        ; -------------------------------------------------------------- 2 --
        PUTSLN '--- 2: the GDT page remapped, INVLPG'
        mov eax, [d1]
        mov cr3, eax
        mov dword [errs], 0
        mov edi, [pte_g]
        xor esi, esi
.inv:
        mov eax, [p1]
        mov edx, 0xA1A1A1A1
        test esi, 1
        jz .inv_go
        mov eax, [p2]
        mov edx, 0xB2B2B2B2
.inv_go:
        or eax, PG_KRW
        mov [edi], eax
        invlpg [G]
        call check
        call check
        add esi, 1
        cmp esi, ROUNDS
        jb .inv
        CHECK_EQ '2.errors', dword [errs], 0

        ; -------------------------------------------------------------- 3 --
        PUTSLN '--- 3: CR3 reloaded, nothing moved'
        mov eax, [p1]
        or eax, PG_KRW
        mov [edi], eax
        invlpg [G]
        mov dword [errs], 0
        xor esi, esi
.same:
        mov eax, cr3
        mov cr3, eax
        mov edx, 0xA1A1A1A1
        call check
        add esi, 1
        cmp esi, ROUNDS
        jb .same
        CHECK_EQ '3.errors', dword [errs], 0

        lgdt [sys_gdtr]
        mov ax, SEL_KDATA
        mov fs, ax
        PG_DISABLE
        ret
