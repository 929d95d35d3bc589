; paging_invlpg.asm -- page-table edits made visible by INVLPG and MOV to CR3.
;
; Intel SDM vol. 3: 4.10.4.1 (INVLPG m invalidates the TLB entries and the
; paging-structure-cache entries for the page of m; MOV to CR3 invalidates
; all non-global ones), 4.10.4.2 (software must invalidate after changing
; an entry, except for not-present -> present).  Each check reads only after
; the invalidation, so stale translations (allowed before it) are never
; observed.  Physical pages A and B have distinct contents.
;   1  X -> A, read; PTE changed to B, INVLPG [X]: reads B; writes through X
;      land in B (identity-map check), A is unchanged
;   2  the same with INVLPG of an address in the middle of the page and with
;      MOV CR3 (reload of the same value) instead of INVLPG
;   3  1000 remaps alternating A / B with INVLPG, each followed by a read
;      and a write through X; and a neighbouring page Y stays mapped
;      throughout (INVLPG of X must not break Y)
;   4  PTE cleared (not present) + INVLPG: #PF err 0 / 2 with CR2; present
;      again (no invalidation needed): reads work
;   5  the PDE switched to another page table (mapping X to B) + INVLPG:
;      reads B; switched back + MOV CR3: reads A
;   6  a page table edited through a second linear mapping of the page
;      table itself (not through the identity map), then INVLPG
;   7  the PDE switched to the other page table, X read through it (after an
;      INVLPG), the PDE switched back without an invalidation, then MOV CR3:
;      reads A.  The directory holds the same entry at both CR3 loads, so only
;      the mapping filled in between tells that X went through another table.
%include "harness.inc"
%include "system.inc"
%include "paging.inc"

%define X       0x50000000
%define Y       0x50001000
%define PTWIN   0x50400000              ; window onto X's page table

section .data
align 4
kdir:           dd 0
pa:             dd 0
pb:             dd 0
py:             dd 0
pte_x:          dd 0
pde_x:          dd 0
pt2:            dd 0
errs:           dd 0
errs_y:         dd 0

section .text

%macro CHECK_CR2 2
        push eax
        mov eax, cr2
  %strcat pi_lbl_ %1, '.cr2'
        CHECK_EQ pi_lbl_, eax, %2
        pop eax
%endmacro

; fill: EAX = page, EBX = tag: dword i = tag + i
fill:
        push ecx
        push edx
        xor ecx, ecx
.l:
        lea edx, [ebx + ecx]
        mov [eax + ecx * 4], edx
        add ecx, 1
        cmp ecx, 1024
        jb .l
        pop edx
        pop ecx
        ret

test_main:
        PUTSLN 'paging_invlpg: page-table edits, INVLPG, MOV to CR3'
        SYS_INIT
        call pg_alloc
        mov [pa], eax
        mov ebx, 0xAAAA0000
        call fill
        call pg_alloc
        mov [pb], eax
        mov ebx, 0xBBBB0000
        call fill
        call pg_alloc
        mov [py], eax
        mov ebx, 0x77770000
        call fill
        call pg_new_kdir
        mov [kdir], eax
        mov ebx, [pa]
        or ebx, PG_KRW
        PG_MAP [kdir], X, ebx
        mov ebx, [py]
        or ebx, PG_KRW
        PG_MAP [kdir], Y, ebx
        PG_PTEP [kdir], X
        mov [pte_x], eax
        PG_PDEP [kdir], X
        mov [pde_x], eax
        ; a second page table mapping X -> B (part 5)
        call pg_alloc
        mov [pt2], eax
        mov ebx, [pb]
        or ebx, PG_KRW
        mov [eax + ((X >> 12) & 0x3FF) * 4], ebx
        mov ebx, [py]
        or ebx, PG_KRW
        mov [eax + ((Y >> 12) & 0x3FF) * 4], ebx
        ; PTWIN maps X's page table (part 6)
        mov eax, [pde_x]
        mov ebx, [eax]
        and ebx, 0xFFFFF000
        or ebx, PG_KRW
        PG_MAP [kdir], PTWIN, ebx
        PG_ENABLE [kdir]

        ; -------------------------------------------------------------- 1 --
        PUTSLN '--- 1: remap + INVLPG'
        CHECK_EQ '1.read_A', dword [X + 8], 0xAAAA0002
        mov eax, [pb]
        or eax, PG_KRW
        mov ebx, [pte_x]
        mov [ebx], eax
        invlpg [X]
        CHECK_EQ '1.read_B', dword [X + 8], 0xBBBB0002
        CHECK_EQ '1.read_B+ffc', dword [X + 0xFFC], 0xBBBB03FF
        mov dword [X + 0x10], 0x12345678
        mov eax, [pb]
        CHECK_EQ '1.write_lands_in_B', dword [eax + 0x10], 0x12345678
        mov eax, [pa]
        CHECK_EQ '1.A_unchanged', dword [eax + 0x10], 0xAAAA0004

        ; -------------------------------------------------------------- 2 --
        PUTSLN '--- 2: INVLPG mid-page, MOV to CR3'
        mov eax, [pa]
        or eax, PG_KRW
        mov ebx, [pte_x]
        mov [ebx], eax
        invlpg [X + 0x7FF]
        CHECK_EQ '2.invlpg_mid.read_A', dword [X + 0x10], 0xAAAA0004
        mov eax, [pb]
        or eax, PG_KRW
        mov ebx, [pte_x]
        mov [ebx], eax
        mov eax, cr3
        mov cr3, eax
        CHECK_EQ '2.cr3.read_B', dword [X + 0x10], 0x12345678
        mov eax, [pa]
        or eax, PG_KRW
        mov ebx, [pte_x]
        mov [ebx], eax
        mov eax, [kdir]
        mov cr3, eax
        CHECK_EQ '2.cr3.read_A', dword [X + 0x10], 0xAAAA0004

        ; -------------------------------------------------------------- 3 --
        PUTSLN '--- 3: 1000 remaps'
        mov edi, [pte_x]
        xor esi, esi
.remap:
        mov eax, [pa]
        mov edx, 0xAAAA0000
        test esi, 1
        jz .use_a
        mov eax, [pb]
        mov edx, 0xBBBB0000
.use_a:
        or eax, PG_KRW
        mov [edi], eax
        invlpg [X]
        lea ecx, [esi + 16]             ; dword 16 .. 1015: never written
        lea edx, [edx + ecx]            ; expected dword ecx
        cmp [X + ecx * 4], edx
        je .r_ok
        add dword [errs], 1
.r_ok:
        mov dword [X + 0x20], esi       ; write through X
        mov ebx, [edi]
        and ebx, 0xFFFFF000
        cmp [ebx + 0x20], esi
        je .w_ok
        add dword [errs], 1
.w_ok:
        lea edx, [ecx + 0x77770000]
        cmp [Y + ecx * 4], edx
        je .y_ok
        add dword [errs_y], 1
.y_ok:
        add esi, 1
        cmp esi, 1000
        jb .remap
        CHECK_EQ '3.errors', dword [errs], 0
        CHECK_EQ '3.errors_Y', dword [errs_y], 0
        mov eax, [pa]
        CHECK_EQ '3.A+20', dword [eax + 0x20], 998
        mov eax, [pb]
        CHECK_EQ '3.B+20', dword [eax + 0x20], 999

        ; -------------------------------------------------------------- 4 --
        PUTSLN '--- 4: unmapped + INVLPG'
        mov ebx, [pte_x]
        mov eax, [X + 0x20]             ; B is mapped: 999
        CHECK_EQ '4.before', eax, 999
        mov dword [ebx], 0
        invlpg [X]
        EXC_ARM .r_after
.r:     mov eax, [X + 0x24]
.r_after:
        EXC_CHECK '4.read', 14, 0, .r
        CHECK_CR2 '4.read', X + 0x24
        EXC_ARM .w_after
.w:     mov byte [X + 0xFFF], 1
.w_after:
        EXC_CHECK '4.write', 14, PF_W, .w
        CHECK_CR2 '4.write', X + 0xFFF
        mov eax, [pa]
        or eax, PG_KRW
        mov [ebx], eax
        EXC_ARM 0
        mov eax, [X + 0x28]
        EXC_NONE '4.present_again'
        CHECK_EQ '4.present_again.read', eax, 0xAAAA000A

        ; -------------------------------------------------------------- 5 --
        PUTSLN '--- 5: PDE switched to another page table'
        mov ebx, [pde_x]
        mov ecx, [ebx]                  ; the original PDE
        mov eax, [pt2]
        or eax, PG_URW
        mov [ebx], eax
        invlpg [X]
        CHECK_EQ '5.pt2.read_B', dword [X + 0x20], 999
        mov [ebx], ecx
        mov eax, cr3
        mov cr3, eax
        CHECK_EQ '5.back.read_A', dword [X + 0x28], 0xAAAA000A

        ; -------------------------------------------------------------- 6 --
        PUTSLN '--- 6: page table edited through its own mapping'
        mov eax, [pb]
        or eax, PG_KRW
        mov [PTWIN + ((X >> 12) & 0x3FF) * 4], eax
        invlpg [X]
        CHECK_EQ '6.read_B', dword [X + 0x20], 999
        mov eax, [pa]
        or eax, PG_KRW
        mov [PTWIN + ((X >> 12) & 0x3FF) * 4], eax
        invlpg [X]
        CHECK_EQ '6.read_A', dword [X + 0x28], 0xAAAA000A
        mov ebx, [pte_x]
        mov eax, [ebx]
        and eax, 0xFFFFF000
        CHECK_EQ '6.pte_via_identity', eax, [pa]

        ; -------------------------------------------------------------- 7 --
        PUTSLN '--- 7: PDE switched and back between two CR3 loads'
        mov eax, cr3
        mov cr3, eax
        CHECK_EQ '7.read_A', dword [X + 0x28], 0xAAAA000A
        mov ebx, [pde_x]
        mov ecx, [ebx]                  ; the original PDE
        mov eax, [pt2]
        or eax, PG_URW
        mov [ebx], eax
        invlpg [X]
        CHECK_EQ '7.pt2.read_B', dword [X + 0x20], 999
        mov [ebx], ecx
        mov eax, cr3
        mov cr3, eax
        CHECK_EQ '7.back.read_A', dword [X + 0x28], 0xAAAA000A

        PG_DISABLE
        ret
