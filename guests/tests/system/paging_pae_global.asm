; paging_pae_global.asm -- global pages, INVLPG and CR3 loads under PAE
; paging, with 4 KiB and 2 MiB pages.
;
; Intel SDM vol. 3: 4.4 (bit 8 G of a PTE or a 2 MiB PDE), 4.10.2.4 (with
; CR4.PGE = 1, translations of pages whose leaf entry has G = 1 may survive
; MOV to CR3), 4.10.4.1 (INVLPG invalidates the translation of its page,
; global or not, and of a whole 2 MiB page for any address in it; a MOV to
; CR4 that changes PGE invalidates all translations, global ones too; MOV to
; CR3 invalidates every non-global one; with PGE = 0 the G bit is ignored).
; Whether a stale global translation is kept is NOT tested (allowed, not
; required): every check reads memory after the page tables agree with what
; is expected, or after an operation that must invalidate.  CPUID.1:EDX[13]
; (PGE) must be 1.
;   1  two PAE address spaces A and B (PDPTs in different pages) map a
;      global 4 KiB page G and a global 2 MiB page LG to the same memory, and
;      a non-global 4 KiB page N and a non-global 2 MiB page LN to memory of
;      their own.  1000 rounds of MOV CR3 A / B (and reloads of the same
;      value): G and LG read what was last written through either space, N
;      and LN their own space's memory
;   2  INVLPG of G after changing its PTE in both spaces: the new page (in A
;      and in B); INVLPG of an address 2 MiB - 4 KiB into LG after changing
;      its PDE: the new frame at every offset; the same for the non-global
;      LN in A
;   3  CR4.PGE cleared, then set, after changing G's PTE: the new page after
;      each; toggled without a read in between; LG's PDE changed + PGE
;      toggle: the new frame
;   4  MOV to CR3 (same value) with PGE = 1 after changing the non-global N
;      and LN: the new page and frame; PGE = 0 and a G = 1 page changed + MOV
;      to CR3: the new page (G is ignored)
%define PG_POOL_END 0x00800000          ; 8 .. 16 MiB: the 2 MiB frames
%include "harness.inc"
%include "system.inc"
%include "paging.inc"
%include "paging_pae.inc"

%define G       0x30000000              ; global 4 KiB page
%define N       0x30001000              ; non-global 4 KiB, per space
%define LG      0x30400000              ; global 2 MiB page
%define LN      0x30600000              ; non-global 2 MiB page, per space
%define FRAME1  0x00800000              ; LG
%define FRAME2  0x00A00000              ; LN in A
%define FRAME3  0x00C00000              ; LN in B
%define FRAME4  0x00E00000              ; the frame changed to in part 2
%define ROUNDS  1000

section .data
align 4
sp_a:           dd 0
sp_b:           dd 0
pg1:            dd 0                    ; G's first page
pg2:            dd 0                    ; G's second page
qa:             dd 0                    ; N in A
qa2:            dd 0                    ; N in A, part 4
qb:             dd 0                    ; N in B
pte_g_a:        dd 0
pte_g_b:        dd 0
pte_n_a:        dd 0
pde_lg_a:       dd 0
pde_lg_b:       dd 0
pde_ln_a:       dd 0
errs_g:         dd 0
errs_n:         dd 0
errs_lg:        dd 0
errs_ln:        dd 0

section .text

; new_page: EBX = tag -> EAX = zeroed page with dword 0 = tag
new_page:
        call pg_alloc
        mov [eax], ebx
        ret

; set_g: EAX = PTE value (low dword) for G in both spaces
set_g:
        push ebx
        mov ebx, [pte_g_a]
        mov [ebx], eax
        mov ebx, [pte_g_b]
        mov [ebx], eax
        pop ebx
        ret

; set_lg: EAX = PDE value (low dword) for LG in both spaces
set_lg:
        push ebx
        mov ebx, [pde_lg_a]
        mov [ebx], eax
        mov ebx, [pde_lg_b]
        mov [ebx], eax
        pop ebx
        ret

%macro PGE_TOGGLE 0
        PG_CR4_CLR CR4_PGE
        PG_CR4_SET CR4_PGE
%endmacro

test_main:
        PUTSLN 'paging_pae_global: global pages and INVLPG under PAE'
        SYS_INIT
        call pg_cpuid1_edx
        push eax
        and eax, CPUID_PAE
        CHECK_EQ 'cpuid.1.edx.pae', eax, CPUID_PAE
        pop eax
        and eax, CPUID_PGE
        CHECK_EQ 'cpuid.1.edx.pge', eax, CPUID_PGE
        mov ebx, 0x61610000
        call new_page
        mov [pg1], eax
        mov ebx, 0x62620000
        call new_page
        mov [pg2], eax
        mov ebx, 0x0A0A0000
        call new_page
        mov [qa], eax
        mov ebx, 0x0A0A0002
        call new_page
        mov [qa2], eax
        mov ebx, 0x0B0B0000
        call new_page
        mov [qb], eax
        mov dword [FRAME1], 0xF1F10000
        mov dword [FRAME1 + 0x123458], 0xF1F10001
        mov dword [FRAME1 + 0x1FFFFC], 0xF1F10002
        mov dword [FRAME2], 0xF2F20000
        mov dword [FRAME2 + 0x123458], 0xF2F20001
        mov dword [FRAME3], 0xF3F30000
        mov dword [FRAME3 + 0x123458], 0xF3F30001
        mov dword [FRAME4], 0xF4F40000
        mov dword [FRAME4 + 0x123458], 0xF4F40001
        mov dword [FRAME4 + 0x1FFFFC], 0xF4F40002

        call pae_new_space
        mov [sp_a], eax
        call pae_new_space
        mov [sp_b], eax
        mov ebx, [pg1]
        or ebx, PG_URW | PG_G
        PAE_MAP [sp_a], G, ebx
        PAE_MAP [sp_b], G, ebx
        PAE_PTEP [sp_a], G
        mov [pte_g_a], eax
        PAE_PTEP [sp_b], G
        mov [pte_g_b], eax
        mov ebx, [qa]
        or ebx, PG_URW
        PAE_MAP [sp_a], N, ebx
        PAE_PTEP [sp_a], N
        mov [pte_n_a], eax
        mov ebx, [qb]
        or ebx, PG_URW
        PAE_MAP [sp_b], N, ebx
        PAE_PDEP [sp_a], LG
        mov [pde_lg_a], eax
        PAE_PDEP [sp_b], LG
        mov [pde_lg_b], eax
        mov eax, FRAME1 | PG_PS | PG_G | PG_URW
        call set_lg
        PAE_PDEP [sp_a], LN
        mov [pde_ln_a], eax
        mov dword [eax], FRAME2 | PG_PS | PG_URW
        PAE_PDEP [sp_b], LN
        mov dword [eax], FRAME3 | PG_PS | PG_URW

        PG_CR4_SET CR4_PGE
        PAE_ENABLE [sp_a]
        mov eax, cr4
        and eax, CR4_PAE | CR4_PGE
        CHECK_EQ 'cr4.pae_pge', eax, CR4_PAE | CR4_PGE

        ; -------------------------------------------------------------- 1 --
        PUTSLN '--- 1: CR3 switches'
        mov dword [G + 4], 0
        mov dword [LG + 4], 0
        mov ebp, [sp_a]
        mov edi, [sp_b]
        xor esi, esi
.round:
        mov cr3, ebp
        mov eax, esi
        add eax, eax                    ; the last value written: 2*i (in B)
        cmp [G + 4], eax
        je .a_g_ok
        add dword [errs_g], 1
.a_g_ok:
        cmp [LG + 4], eax
        je .a_lg_ok
        add dword [errs_lg], 1
.a_lg_ok:
        cmp dword [N], 0x0A0A0000
        je .a_n_ok
        add dword [errs_n], 1
.a_n_ok:
        cmp dword [LN + 0x123458], 0xF2F20001
        je .a_ln_ok
        add dword [errs_ln], 1
.a_ln_ok:
        add eax, 1
        mov [G + 4], eax                ; 2*i + 1
        mov [LG + 4], eax
        mov cr3, ebp                    ; reload: non-global entries flushed
        cmp dword [N], 0x0A0A0000
        je .a_n2_ok
        add dword [errs_n], 1
.a_n2_ok:
        mov cr3, edi
        cmp [G + 4], eax
        je .b_g_ok
        add dword [errs_g], 1
.b_g_ok:
        cmp [LG + 4], eax
        je .b_lg_ok
        add dword [errs_lg], 1
.b_lg_ok:
        cmp dword [N], 0x0B0B0000
        je .b_n_ok
        add dword [errs_n], 1
.b_n_ok:
        cmp dword [LN + 0x123458], 0xF3F30001
        je .b_ln_ok
        add dword [errs_ln], 1
.b_ln_ok:
        add eax, 1
        mov [G + 4], eax                ; 2*i + 2
        mov [LG + 4], eax
        add esi, 1
        cmp esi, ROUNDS
        jb .round
        CHECK_EQ '1.errors.G', dword [errs_g], 0
        CHECK_EQ '1.errors.LG', dword [errs_lg], 0
        CHECK_EQ '1.errors.N', dword [errs_n], 0
        CHECK_EQ '1.errors.LN', dword [errs_ln], 0
        mov eax, [pg1]
        CHECK_EQ '1.G.final', dword [eax + 4], 2 * ROUNDS
        CHECK_EQ '1.LG.final', dword [FRAME1 + 4], 2 * ROUNDS

        ; -------------------------------------------------------------- 2 --
        PUTSLN '--- 2: INVLPG'
        mov cr3, ebp                    ; A
        CHECK_EQ '2.G.before', dword [G], 0x61610000
        mov eax, [pg2]
        or eax, PG_URW | PG_G
        call set_g
        invlpg [G]
        CHECK_EQ '2.G.after_invlpg', dword [G], 0x62620000
        mov cr3, edi                    ; B
        CHECK_EQ '2.G.after_invlpg.in_B', dword [G], 0x62620000
        CHECK_EQ '2.LG.before', dword [LG + 0x123458], 0xF1F10001
        CHECK_EQ '2.LG.before+1ffffc', dword [LG + 0x1FFFFC], 0xF1F10002
        mov eax, FRAME4 | PG_PS | PG_G | PG_URW
        call set_lg
        invlpg [LG + 0x1FF000]
        CHECK_EQ '2.LG.after_invlpg', dword [LG + 0x123458], 0xF4F40001
        CHECK_EQ '2.LG.after_invlpg+0', dword [LG], 0xF4F40000
        CHECK_EQ '2.LG.after_invlpg+1ffffc', dword [LG + 0x1FFFFC], 0xF4F40002
        mov cr3, ebp
        CHECK_EQ '2.LG.after_invlpg.in_A', dword [LG + 0x123458], 0xF4F40001
        CHECK_EQ '2.LN.before', dword [LN], 0xF2F20000
        CHECK_EQ '2.LN.before+123458', dword [LN + 0x123458], 0xF2F20001
        mov eax, [pde_ln_a]
        mov dword [eax], FRAME4 | PG_PS | PG_URW
        invlpg [LN + 0x1FF000]
        CHECK_EQ '2.LN.after_invlpg', dword [LN + 0x123458], 0xF4F40001
        CHECK_EQ '2.LN.after_invlpg+0', dword [LN], 0xF4F40000
        mov eax, [pde_ln_a]
        mov dword [eax], FRAME2 | PG_PS | PG_URW
        invlpg [LN]
        CHECK_EQ '2.LN.back', dword [LN + 0x123458], 0xF2F20001

        ; -------------------------------------------------------------- 3 --
        PUTSLN '--- 3: toggling CR4.PGE'
        mov eax, [pg1]
        or eax, PG_URW | PG_G
        call set_g
        PG_CR4_CLR CR4_PGE
        CHECK_EQ '3.G.after_pge_clear', dword [G], 0x61610000
        PG_CR4_SET CR4_PGE
        CHECK_EQ '3.G.after_pge_set', dword [G], 0x61610000
        mov eax, [pg2]
        or eax, PG_URW | PG_G
        call set_g
        PGE_TOGGLE
        CHECK_EQ '3.G.after_toggle', dword [G], 0x62620000
        mov cr3, edi
        CHECK_EQ '3.G.after_toggle.in_B', dword [G], 0x62620000
        mov eax, FRAME1 | PG_PS | PG_G | PG_URW
        call set_lg
        PGE_TOGGLE
        CHECK_EQ '3.LG.after_toggle', dword [LG + 0x123458], 0xF1F10001
        mov cr3, ebp

        ; -------------------------------------------------------------- 4 --
        PUTSLN '--- 4: MOV to CR3'
        CHECK_EQ '4.N.before', dword [N], 0x0A0A0000
        mov eax, [qa2]
        or eax, PG_URW
        mov ebx, [pte_n_a]
        mov [ebx], eax
        CHECK_EQ '4.LN.before', dword [LN + 0x123458], 0xF2F20001
        mov eax, [pde_ln_a]
        mov dword [eax], FRAME4 | PG_PS | PG_URW
        mov cr3, ebp
        CHECK_EQ '4.N.after_cr3', dword [N], 0x0A0A0002
        CHECK_EQ '4.LN.after_cr3', dword [LN + 0x123458], 0xF4F40001
        PG_CR4_CLR CR4_PGE
        CHECK_EQ '4.G.pge0.before', dword [G], 0x62620000
        mov eax, [pg1]
        or eax, PG_URW | PG_G
        call set_g
        mov cr3, ebp
        CHECK_EQ '4.G.pge0.after_cr3', dword [G], 0x61610000
        mov cr3, edi
        CHECK_EQ '4.G.pge0.in_B', dword [G], 0x61610000

        PAE_DISABLE
        ret
