; paging_kernel_jtable.asm -- ring-0 code reached through CR3 loads, INVLPG and
; CR4.PGE changes.
;
; ringshift looks up ring-0 indirect branches (and direct ones to another page) in one
; table for every address space, because Linux's kernel is on global pages, which
; the CPU keeps across MOV to CR3 (Translator::kernel_table). Each check here calls
; code at a linear address after the page tables have been made to map other code
; there and the SDM says the old translation is gone (vol. 3, 4.10.4.1: MOV to CR3
; drops non-global translations, INVLPG its page's (the whole 4 MiB page's), a MOV to
; CR4 that changes PGE all; with PGE = 0, G is ignored): the new code must run. A
; stale table entry would run the old code. Whether a stale global translation is
; kept is not tested (allowed, not required).
;   1  a non-global page N holding other code in directories A and B: 1000 rounds
;      of MOV CR3 A / B, each calling N
;   2  a global page G: its PTE aimed at other code, INVLPG G
;   3  G aimed back without INVLPG, then PGE cleared and set
;   4  a global 4 MiB page LG: its PDE aimed at another frame, INVLPG of another
;      4 KiB page of it
;   5  a block that runs from global page X into global page X+1: X+1 aimed at
;      other code, INVLPG of X+1 only
;   7  PGE cleared and set after X+1 and LG were aimed back at their first code
;      (no INVLPG), and G left as it was
;   8  N called in A, PGE cleared and set, then MOV CR3 B: N's code of B
;   6  PGE = 0: G (G bit set) aimed at other code, MOV to CR3 (last: leaves PGE off)
; Every call is made twice, indirectly and by a direct CALL to the other page, and both
; must run the same code (call_at).
%define PG_POOL_END 0x00800000          ; 8 .. 16 MiB: 4 MiB frames
%include "harness.inc"
%include "system.inc"
%include "paging.inc"

%define G       0x30000000              ; global 4 KiB page
%define N       0x30001000              ; non-global, per directory
%define X       0x30010000              ; global pages X, X+1: a block across them
%define LG      0x30400000              ; global 4 MiB page
%define FRAME1  0x00800000
%define FRAME2  0x00C00000
%define ROUNDS  1000

section .data
align 4
dir_a:          dd 0
dir_b:          dd 0
g1:             dd 0                    ; code pages: each returns its tag in EAX
g2:             dd 0
na:             dd 0
nb:             dd 0
x0:             dd 0
x1a:            dd 0
x1b:            dd 0
errs_n:         dd 0

section .text

; code_page: EBX = tag -> EAX = a zeroed page starting with "mov eax, tag; ret"
code_page:
        call pg_alloc
        mov byte [eax], 0xB8
        mov [eax + 1], ebx
        mov byte [eax + 5], 0xC3
        ret

; set_both: EAX = PTE value, ESI = linear: that PTE in both directories
set_both:
        push eax
        push edx
        mov edx, [dir_a]
        mov eax, esi
        call pg_pte_ptr
        mov edx, eax
        mov eax, [esp + 4]
        mov [edx], eax
        mov edx, [dir_b]
        mov eax, esi
        call pg_pte_ptr
        mov edx, eax
        mov eax, [esp + 4]
        mov [edx], eax
        pop edx
        pop eax
        ret

; call_at: ECX = linear -> EAX = what the code there returns, by an indirect call and
; by a direct one (CALL rel32 to another page: ringshift chains those in ring-0 code
; while its table holds the target, Translator::kernel_link); 0xBAD when they differ.
call_at:
        call ecx
        push eax
        call dcall_at
        cmp eax, [esp]
        pop eax
        je .same
        mov eax, 0xBAD
.same:
        ret

; dcall_at: ECX = one of the linear addresses the checks call -> a direct CALL there
dcall_at:
        cmp ecx, N
        jne .g
        call N
        ret
.g:     cmp ecx, G
        jne .lg
        call G
        ret
.lg:    cmp ecx, LG + 0x1000
        jne .x
        call LG + 0x1000
        ret
.x:     call X + 0xFFD
        ret

test_main:
        PUTSLN 'paging_kernel_jtable: ring-0 code after CR3 loads, INVLPG, PGE changes'
        SYS_INIT
        mov ebx, 0x61
        call code_page
        mov [g1], eax
        mov ebx, 0x62
        call code_page
        mov [g2], eax
        mov ebx, 0x0A
        call code_page
        mov [na], eax
        mov ebx, 0x0B
        call code_page
        mov [nb], eax
        ; X: "mov eax, imm32" at 0xFFD, two immediate bytes in X, two and the RET in X+1
        call pg_alloc
        mov [x0], eax
        mov byte [eax + 0xFFD], 0xB8
        mov word [eax + 0xFFE], 0x1234
        call pg_alloc
        mov [x1a], eax
        mov word [eax], 0x000A
        mov byte [eax + 2], 0xC3
        call pg_alloc
        mov [x1b], eax
        mov word [eax], 0x000B
        mov byte [eax + 2], 0xC3
        ; LG + 0x1000 in each frame: "mov eax, tag; ret"
        mov byte [FRAME1 + 0x1000], 0xB8
        mov dword [FRAME1 + 0x1001], 0xF1
        mov byte [FRAME1 + 0x1005], 0xC3
        mov byte [FRAME2 + 0x1000], 0xB8
        mov dword [FRAME2 + 0x1001], 0xF2
        mov byte [FRAME2 + 0x1005], 0xC3

        call pg_new_kdir
        mov [dir_a], eax
        call pg_new_kdir
        mov [dir_b], eax
        mov esi, G
        mov eax, [g1]
        or eax, PG_RW | PG_P | PG_G
        call set_both
        mov esi, X
        mov eax, [x0]
        or eax, PG_RW | PG_P | PG_G
        call set_both
        mov esi, X + 0x1000
        mov eax, [x1a]
        or eax, PG_RW | PG_P | PG_G
        call set_both
        mov ebx, [na]
        or ebx, PG_RW | PG_P
        PG_MAP [dir_a], N, ebx
        mov ebx, [nb]
        or ebx, PG_RW | PG_P
        PG_MAP [dir_b], N, ebx
        mov eax, [dir_a]
        mov dword [eax + (LG >> 22) * 4], FRAME1 | PG_PS | PG_G | PG_RW | PG_P
        mov eax, [dir_b]
        mov dword [eax + (LG >> 22) * 4], FRAME1 | PG_PS | PG_G | PG_RW | PG_P

        PG_CR4_SET CR4_PSE | CR4_PGE
        PG_ENABLE [dir_a]
        mov ebp, [dir_a]
        mov edi, [dir_b]

        ; -------------------------------------------------------------- 1 --
        PUTSLN '--- 1: a non-global code page, CR3 switches'
        mov esi, ROUNDS
.round:
        mov cr3, ebp
        mov ecx, N
        call call_at
        cmp eax, 0x0A
        je .a_ok
        add dword [errs_n], 1
.a_ok:
        mov cr3, edi
        call call_at
        cmp eax, 0x0B
        je .b_ok
        add dword [errs_n], 1
.b_ok:
        sub esi, 1
        jnz .round
        CHECK_EQ '1.errors.N', dword [errs_n], 0

        ; -------------------------------------------------------------- 2 --
        PUTSLN '--- 2: INVLPG of a global code page'
        mov ecx, G
        call call_at
        CHECK_EQ '2.G.before', eax, 0x61
        mov cr3, ebp
        call call_at
        CHECK_EQ '2.G.in_A', eax, 0x61
        mov esi, G
        mov eax, [g2]
        or eax, PG_RW | PG_P | PG_G
        call set_both
        invlpg [G]
        call call_at
        CHECK_EQ '2.G.after_invlpg', eax, 0x62
        mov cr3, edi
        call call_at
        CHECK_EQ '2.G.after_invlpg.in_B', eax, 0x62

        ; -------------------------------------------------------------- 3 --
        PUTSLN '--- 3: toggling CR4.PGE'
        mov esi, G
        mov eax, [g1]
        or eax, PG_RW | PG_P | PG_G
        call set_both
        PG_CR4_CLR CR4_PGE
        PG_CR4_SET CR4_PGE
        call call_at
        CHECK_EQ '3.G.after_toggle', eax, 0x61

        ; -------------------------------------------------------------- 4 --
        PUTSLN '--- 4: INVLPG inside a global 4 MiB code page'
        mov ecx, LG + 0x1000
        call call_at
        CHECK_EQ '4.LG.before', eax, 0xF1
        mov eax, [dir_a]
        mov dword [eax + (LG >> 22) * 4], FRAME2 | PG_PS | PG_G | PG_RW | PG_P
        mov eax, [dir_b]
        mov dword [eax + (LG >> 22) * 4], FRAME2 | PG_PS | PG_G | PG_RW | PG_P
        invlpg [LG + 0x3FF000]
        call call_at
        CHECK_EQ '4.LG.after_invlpg', eax, 0xF2

        ; -------------------------------------------------------------- 5 --
        PUTSLN '--- 5: a block across two global pages, the second changed'
        mov ecx, X + 0xFFD
        call call_at
        CHECK_EQ '5.X.before', eax, 0x000A1234
        mov cr3, ebp
        call call_at
        CHECK_EQ '5.X.in_A', eax, 0x000A1234
        mov esi, X + 0x1000
        mov eax, [x1b]
        or eax, PG_RW | PG_P | PG_G
        call set_both
        invlpg [X + 0x1000]
        call call_at
        CHECK_EQ '5.X.after_invlpg', eax, 0x000B1234

        ; -------------------------------------------------------------- 7 --
        ; ringshift checks its table against the page tables at a PGE change
        ; (Translator::kernel_jtable_global_flush) instead of emptying it.
        PUTSLN '--- 7: PGE toggled: a block across X, X+1 and a 4 MiB page remapped'
        mov ecx, X + 0xFFD
        call call_at
        CHECK_EQ '7.X.before', eax, 0x000B1234
        mov ecx, LG + 0x1000
        call call_at
        CHECK_EQ '7.LG.before', eax, 0xF2
        mov esi, X + 0x1000
        mov eax, [x1a]
        or eax, PG_RW | PG_P | PG_G
        call set_both
        mov eax, [dir_a]
        mov dword [eax + (LG >> 22) * 4], FRAME1 | PG_PS | PG_G | PG_RW | PG_P
        mov eax, [dir_b]
        mov dword [eax + (LG >> 22) * 4], FRAME1 | PG_PS | PG_G | PG_RW | PG_P
        PG_CR4_CLR CR4_PGE
        PG_CR4_SET CR4_PGE
        mov ecx, X + 0xFFD
        call call_at
        CHECK_EQ '7.X.after_toggle', eax, 0x000A1234
        mov ecx, LG + 0x1000
        call call_at
        CHECK_EQ '7.LG.after_toggle', eax, 0xF1
        mov ecx, G
        call call_at
        CHECK_EQ '7.G.unchanged', eax, 0x61

        ; -------------------------------------------------------------- 8 --
        PUTSLN '--- 8: after a PGE toggle, a non-global page still goes at MOV to CR3'
        mov cr3, ebp
        mov ecx, N
        call call_at
        CHECK_EQ '8.N.in_A', eax, 0x0A
        PG_CR4_CLR CR4_PGE
        PG_CR4_SET CR4_PGE
        call call_at
        CHECK_EQ '8.N.in_A.after_toggle', eax, 0x0A
        mov cr3, edi
        call call_at
        CHECK_EQ '8.N.in_B', eax, 0x0B

        ; -------------------------------------------------------------- 6 --
        PUTSLN '--- 6: PGE = 0, a G page changed, MOV to CR3'
        PG_CR4_CLR CR4_PGE
        mov ecx, G
        call call_at
        CHECK_EQ '6.G.before', eax, 0x61
        mov esi, G
        mov eax, [g2]
        or eax, PG_RW | PG_P | PG_G
        call set_both
        mov cr3, ebp
        call call_at
        CHECK_EQ '6.G.after_cr3', eax, 0x62

        PG_DISABLE
        PG_CR4_CLR CR4_PSE
        ret
