; paging_global.asm -- global pages (CR4.PGE).
;
; Intel SDM vol. 3: 4.10.2.4 (with CR4.PGE = 1, translations of pages whose
; leaf entry has G = 1 may survive MOV to CR3), 4.10.4.1 (INVLPG invalidates
; the translation of its page, global or not; a MOV to CR4 that changes PGE
; invalidates all translations including global ones; MOV to CR3 invalidates
; all non-global ones; with PGE = 0 the G bit is ignored).  Whether a stale
; global translation is kept is NOT tested (allowed, not required): every
; check here reads memory after the page tables agree with what is expected.
; CPUID.1:EDX[13] (PGE) must be 1.
;   1  two page directories A and B sharing the kernel mappings; both map a
;      global 4 KiB page G and a global 4 MiB page LG to the same physical
;      memory, and a non-global page N to different pages (A: QA, B: QB).
;      3000 rounds of MOV CR3 A / B (and reloads of the same value): G and
;      LG always read what was last written through either space, N always
;      its own space's page
;   2  INVLPG of G after changing its PTE in both directories: the new page
;      is read (in A and after switching to B); INVLPG inside LG after
;      changing its PDE: the new 4 MiB frame is read
;   3  PGE toggled (cleared, then set) after changing G's PTE: the new page
;      is read after clearing, and after setting again; also toggling
;      without a read in between
;   4  a non-global page changed + MOV to CR3 with PGE = 1: the new page;
;      PGE = 0, a G = 1 page changed + MOV to CR3: the new page
%define PG_POOL_END 0x00800000          ; 8 .. 16 MiB: 4 MiB frames
%include "harness.inc"
%include "system.inc"
%include "paging.inc"

%define G       0x30000000              ; global 4 KiB page
%define N       0x30001000              ; non-global, per directory
%define LG      0x30400000              ; global 4 MiB page
%define FRAME1  0x00800000
%define FRAME2  0x00C00000
%define ROUNDS  3000

section .data
align 4
dir_a:          dd 0
dir_b:          dd 0
pg1:            dd 0                    ; G's first page
pg2:            dd 0                    ; G's second page
qa:             dd 0
qa2:            dd 0
qb:             dd 0
pte_g_a:        dd 0
pte_g_b:        dd 0
pte_n_a:        dd 0
errs_g:         dd 0
errs_n:         dd 0
errs_lg:        dd 0

section .text

; new_page: EBX = tag -> EAX = zeroed page with dword 0 = tag
new_page:
        call pg_alloc
        mov [eax], ebx
        ret

; set_g: EAX = PTE value for G in both directories
set_g:
        push ebx
        mov ebx, [pte_g_a]
        mov [ebx], eax
        mov ebx, [pte_g_b]
        mov [ebx], eax
        pop ebx
        ret

test_main:
        PUTSLN 'paging_global: global pages (CR4.PGE)'
        SYS_INIT
        call pg_cpuid1_edx
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
        mov dword [FRAME2], 0xF2F20000
        mov dword [FRAME1 + 0x123458], 0xF1F10001
        mov dword [FRAME2 + 0x123458], 0xF2F20001

        call pg_new_kdir
        mov [dir_a], eax
        call pg_new_kdir
        mov [dir_b], eax
        mov ebx, [pg1]
        or ebx, PG_URW | PG_G
        PG_MAP [dir_a], G, ebx
        PG_MAP [dir_b], G, ebx
        PG_PTEP [dir_a], G
        mov [pte_g_a], eax
        PG_PTEP [dir_b], G
        mov [pte_g_b], eax
        mov ebx, [qa]
        or ebx, PG_URW
        PG_MAP [dir_a], N, ebx
        PG_PTEP [dir_a], N
        mov [pte_n_a], eax
        mov ebx, [qb]
        or ebx, PG_URW
        PG_MAP [dir_b], N, ebx
        mov eax, [dir_a]
        mov dword [eax + (LG >> 22) * 4], FRAME1 | PG_PS | PG_G | PG_URW
        mov eax, [dir_b]
        mov dword [eax + (LG >> 22) * 4], FRAME1 | PG_PS | PG_G | PG_URW

        PG_CR4_SET CR4_PSE | CR4_PGE
        PG_ENABLE [dir_a]
        mov eax, cr4
        and eax, CR4_PSE | CR4_PGE
        CHECK_EQ 'cr4.pse_pge', eax, CR4_PSE | CR4_PGE

        ; -------------------------------------------------------------- 1 --
        PUTSLN '--- 1: CR3 switches'
        mov dword [G + 4], 0
        mov dword [LG + 4], 0
        mov ebp, [dir_a]
        mov edi, [dir_b]
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
        add eax, 1
        mov [G + 4], eax                ; 2*i + 2
        mov [LG + 4], eax
        add esi, 1
        cmp esi, ROUNDS
        jb .round
        CHECK_EQ '1.errors.G', dword [errs_g], 0
        CHECK_EQ '1.errors.LG', dword [errs_lg], 0
        CHECK_EQ '1.errors.N', dword [errs_n], 0
        mov eax, [pg1]
        CHECK_EQ '1.G.final', dword [eax + 4], 2 * ROUNDS
        CHECK_EQ '1.LG.final', dword [FRAME1 + 4], 2 * ROUNDS

        ; -------------------------------------------------------------- 2 --
        PUTSLN '--- 2: INVLPG of global pages'
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
        mov eax, [dir_a]
        mov dword [eax + (LG >> 22) * 4], FRAME2 | PG_PS | PG_G | PG_URW
        mov eax, [dir_b]
        mov dword [eax + (LG >> 22) * 4], FRAME2 | PG_PS | PG_G | PG_URW
        invlpg [LG + 0x3FF000]
        CHECK_EQ '2.LG.after_invlpg', dword [LG + 0x123458], 0xF2F20001
        CHECK_EQ '2.LG.after_invlpg+0', dword [LG], 0xF2F20000
        mov cr3, ebp
        CHECK_EQ '2.LG.after_invlpg.in_A', dword [LG + 0x123458], 0xF2F20001

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
        PG_CR4_CLR CR4_PGE
        PG_CR4_SET CR4_PGE
        CHECK_EQ '3.G.after_toggle', dword [G], 0x62620000
        mov cr3, edi
        CHECK_EQ '3.G.after_toggle.in_B', dword [G], 0x62620000
        mov eax, [dir_a]
        mov dword [eax + (LG >> 22) * 4], FRAME1 | PG_PS | PG_G | PG_URW
        mov eax, [dir_b]
        mov dword [eax + (LG >> 22) * 4], FRAME1 | PG_PS | PG_G | PG_URW
        PG_CR4_CLR CR4_PGE
        PG_CR4_SET CR4_PGE
        CHECK_EQ '3.LG.after_toggle', dword [LG + 0x123458], 0xF1F10001
        mov cr3, ebp

        ; -------------------------------------------------------------- 4 --
        PUTSLN '--- 4: MOV to CR3'
        CHECK_EQ '4.N.before', dword [N], 0x0A0A0000
        mov eax, [qa2]
        or eax, PG_URW
        mov ebx, [pte_n_a]
        mov [ebx], eax
        mov cr3, ebp
        CHECK_EQ '4.N.after_cr3', dword [N], 0x0A0A0002
        PG_CR4_CLR CR4_PGE
        CHECK_EQ '4.G.pge0.before', dword [G], 0x62620000
        mov eax, [pg1]
        or eax, PG_URW | PG_G
        call set_g
        mov cr3, ebp
        CHECK_EQ '4.G.pge0.after_cr3', dword [G], 0x61610000
        mov cr3, edi
        CHECK_EQ '4.G.pge0.in_B', dword [G], 0x61610000

        PG_DISABLE
        PG_CR4_CLR CR4_PSE
        ret
