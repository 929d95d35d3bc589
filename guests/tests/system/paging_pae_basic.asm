; paging_pae_basic.asm -- PAE paging: 4 KiB and 2 MiB pages, A/D, #PF error
; codes, U/S, WP and reserved bits with 64-bit entries.
;
; Intel SDM vol. 3: 4.4 (CR4.PAE; CR3 bits 31:5 = the 32-byte aligned PDPT,
; bits 4:0 ignored; PDPTE i maps linear bits 31:30 = i; PDE bits 29:21, PTE
; bits 20:12; a PDE with PS = 1 maps a 2 MiB page whatever CR4.PSE is, with
; bit 12 = PAT and bits 20:13 reserved; bits 62:MAXPHYADDR reserved in every
; entry, bits MAXPHYADDR-1:32 are address bits), 4.1.4 (MAXPHYADDR =
; CPUID.80000008h:EAX[7:0], else 36 with PAE), 4.6 (U/S and R/W of the PDE
; and PTE combined; CR0.WP), 4.7 (#PF error code P W U RSVD, CR2; RSVD only
; for a present entry, reported with P = 1 and with the other bits of the
; access), 4.8 (A in each entry used, D in the one that maps the page;
; PDPTEs are not written: bit 5 of a PDPTE is reserved).  CPUID.1:EDX[6]
; (PAE) must be 1.
;   0  CPUID: PAE, PAT, MAXPHYADDR
;   1  the PDPT at a pool page + 0x1E0: CR3 reads back that value; reads
;      through aliases in each of the four PDPTEs' gigabytes, two linear
;      pages on one frame, a write through an alias seen in the identity map
;   2  A/D in the 64-bit PTE and PDE: read sets A (not D, not PDE bit 6),
;      write sets D, the high dwords stay 0; the PDPTE is not written; a PTE
;      whose frame is above 4 GiB (bit 32): read and write do not fault, A
;      and D are set and the high dword stays 1
;   3  2 MiB pages (CR4.PSE = 0): reads at offsets, a write, a dword across
;      two 2 MiB pages mapped in reverse order, A then D in the PDE; CR4.PSE
;      = 1 changes nothing; the PAT bit (12, if CPUID has PAT) is no address
;      bit
;   4  not present: a PTE with every bit but P set (read 0, write 2, CPL 3
;      read 4, write 6), a PDE never filled (0); CR2
;   5  CPL 3: supervisor PTE (read 5, write 7), supervisor PDE with a user
;      PTE (5), read-only user page (write 7, read works), supervisor 2 MiB
;      page (5)
;   6  CR0.WP: CPL-0 write to a read-only user page works with WP = 0 (D set),
;      faults with WP = 1 (3, page unchanged), read-only PDE with RW PTE (3);
;      WP = 0 again: works
;   7  reserved bits: PTE bits MAXPHYADDR..51 and 62 (read 9, write 11), the
;      PDE of a page table bit MAXPHYADDR and 51, a 2 MiB PDE bits 13..20
;      and MAXPHYADDR; CPL 3 (13, and 13 for a supervisor page: RSVD wins
;      over U/S); a not-present PTE with reserved bits (0); cleared: works
;
; -DQEMU_QUIRKS: see ../lib/paging_pae.inc (RSVD without P, A set in the
; PDPTE).
%define PG_POOL_END 0x00800000          ; 8 .. 16 MiB: the 2 MiB frames
%include "harness.inc"
%include "system.inc"
%include "paging.inc"
%include "paging_pae.inc"

%define AL1     0x50000000              ; PDPTE 1 -> d1
%define AL2     0x80001000              ; PDPTE 2 -> d2
%define AL3     0xC0123000              ; PDPTE 3 -> d3
%define AL3B    0xC0124000              ; PDPTE 3 -> d1 as well
%define HIGH    0x50010000              ; -> physical 0x1_0000_0000
%define NP      0x50020000              ; not present, other bits all set
%define SUP     0x50030000              ; supervisor
%define RO      0x50040000              ; read-only user
%define RSV     0x50050000              ; reserved-bit probes -> d2
%define NPDE    0x60000000              ; PDE never filled
%define SUPPDE  0x50400000              ; PDE P|RW, PTE P|RW|US
%define ROPDE   0x50600000              ; PDE P|US, PTE P|RW|US
%define L2M     0x40200000              ; 2 MiB page -> FRAME_B
%define L2M2    0x40400000              ; 2 MiB page -> FRAME_A
%define L2MS    0x40600000              ; supervisor 2 MiB page -> FRAME_A
%define FRAME_A 0x00800000
%define FRAME_B 0x00A00000              ; bit 21 set: not 4 MiB aligned

section .data
align 4
space:          dd 0
maxphys:        dd 0
cpuid1:         dd 0
d1:             dd 0
d2:             dd 0
d3:             dd 0
dsup:           dd 0
dro:            dd 0
pte_al1:        dd 0
pde_al1:        dd 0
pdpte1:         dd 0
pdpte1_val:     dd 0
pte_high:       dd 0
pte_rsv:        dd 0
pde_rsv:        dd 0
pte_ro:         dd 0
pde_2m:         dd 0

section .text

; new_page: EBX = tag -> EAX = a zeroed page, dword i = tag + i
new_page:
        push ecx
        call pg_alloc
        xor ecx, ecx
.l:
        lea edx, [ebx + ecx]
        mov [eax + ecx * 4], edx
        add ecx, 1
        cmp ecx, 1024
        jb .l
        pop ecx
        ret

; CHECK_LO 'name', [address of an entry], mask, expected (low dword)
%macro CHECK_LO 4
        push eax
        mov eax, %2
        mov eax, [eax]
        and eax, %3
        CHECK_EQ %1, eax, %4
        pop eax
%endmacro
; CHECK_HI 'name', [address of an entry], expected (high dword)
%macro CHECK_HI 3
        push eax
        mov eax, %2
        mov eax, [eax + 4]
        CHECK_EQ %1, eax, %3
        pop eax
%endmacro

%define AD (PG_A | PG_D)

r3_read_ro:
        mov eax, [RO + 0x10]
        RING0

test_main:
        PUTSLN 'paging_pae_basic: PAE paging, 4 KiB and 2 MiB pages'
        SYS_INIT
        ; -------------------------------------------------------------- 0 --
        call pg_cpuid1_edx
        mov [cpuid1], eax
        and eax, CPUID_PAE
        CHECK_EQ '0.cpuid.1.edx.pae', eax, CPUID_PAE
        call pae_maxphyaddr
        mov [maxphys], eax
        PUTS 'MAXPHYADDR '
        PUTDEC eax
        PUTS ', PAT '
        mov eax, [cpuid1]
        shr eax, 16
        and eax, 1
        PUTDEC eax
        NEWLINE
        CHECK_RANGE '0.maxphyaddr', dword [maxphys], 36, 52

        ; physical contents (paging off)
        mov ebx, 0xD1D10000
        call new_page
        mov [d1], eax
        mov ebx, 0xD2D20000
        call new_page
        mov [d2], eax
        mov ebx, 0xD3D30000
        call new_page
        mov [d3], eax
        mov ebx, 0x5E5E0000
        call new_page
        mov [dsup], eax
        mov ebx, 0x0D0D0000
        call new_page
        mov [dro], eax
        xor ecx, ecx
.fill:                                  ; the 2 MiB frames: tag | offset / 4
        lea eax, [ecx + 0xAA000000]
        mov [FRAME_A + ecx * 4], eax
        lea eax, [ecx + 0xBB000000]
        mov [FRAME_B + ecx * 4], eax
        add ecx, 1
        cmp ecx, 0x80000
        jb .fill

        call pae_new_space
        mov [space], eax
        mov edx, eax
        mov ebx, [d1]
        or ebx, PG_URW
        PAE_MAP edx, AL1, ebx
        PAE_MAP edx, AL3B, ebx
        mov ebx, [d2]
        or ebx, PG_URW
        PAE_MAP edx, AL2, ebx
        PAE_MAP edx, RSV, ebx
        mov ebx, [d3]
        or ebx, PG_URW
        PAE_MAP edx, AL3, ebx
        PAE_MAP edx, HIGH, PG_URW, 1    ; frame 0x1_0000_0000
        PAE_MAP edx, NP, 0xFFFFFFFE, 0xFFFFFFFF
        mov ebx, [dsup]
        or ebx, PG_KRW
        PAE_MAP edx, SUP, ebx
        mov ebx, [dro]
        or ebx, PG_P | PG_US
        PAE_MAP edx, RO, ebx
        mov ebx, [d1]
        or ebx, PG_URW
        PAE_MAP edx, SUPPDE, ebx
        PAE_MAP edx, ROPDE, ebx
        PAE_PDEP edx, SUPPDE
        and dword [eax], ~PG_US
        PAE_PDEP edx, ROPDE
        and dword [eax], ~PG_RW
        PAE_PDEP edx, L2M
        mov [pde_2m], eax
        mov dword [eax + 4], 0
        mov dword [eax], FRAME_B | PG_PS | PG_URW
        PAE_PDEP edx, L2M2
        mov dword [eax], FRAME_A | PG_PS | PG_URW
        PAE_PDEP edx, L2MS
        mov dword [eax], FRAME_A | PG_PS | PG_KRW
        PAE_PTEP edx, AL1
        mov [pte_al1], eax
        PAE_PDEP edx, AL1
        mov [pde_al1], eax
        PAE_PDPTEP edx, AL1
        mov [pdpte1], eax
        mov eax, [eax]
        mov [pdpte1_val], eax
        PAE_PTEP edx, HIGH
        mov [pte_high], eax
        PAE_PTEP edx, RSV
        mov [pte_rsv], eax
        PAE_PDEP edx, RSV
        mov [pde_rsv], eax
        PAE_PTEP edx, RO
        mov [pte_ro], eax

        PG_CR0_CLR CR0_WP
        PAE_ENABLE [space]

        ; -------------------------------------------------------------- 1 --
        PUTSLN '--- 1: PDPT, CR3 and mappings in the four PDPTEs'
        mov eax, cr3
        CHECK_EQ '1.cr3', eax, [space]
        and eax, 0xFFF
        CHECK_EQ '1.cr3.bits11_0', eax, PAE_PDPT_OFS
        mov eax, cr4
        and eax, CR4_PAE
        CHECK_EQ '1.cr4.pae', eax, CR4_PAE
        EXC_ARM 0
        CHECK_EQ '1.pdpte0.identity', dword [FRAME_B + 0x10], 0xBB000004
        CHECK_EQ '1.pdpte1.read', dword [AL1 + 0x124], 0xD1D10049
        CHECK_EQ '1.pdpte2.read', dword [AL2 + 0xFFC], 0xD2D203FF
        CHECK_EQ '1.pdpte3.read', dword [AL3], 0xD3D30000
        CHECK_EQ '1.pdpte3.same_frame', dword [AL3B + 0x124], 0xD1D10049
        mov dword [AL3B + 0x800], 0x12345678
        mov eax, [d1]
        CHECK_EQ '1.write.phys', dword [eax + 0x800], 0x12345678
        CHECK_EQ '1.write.alias', dword [AL1 + 0x800], 0x12345678
        EXC_NONE '1.no_fault'

        ; -------------------------------------------------------------- 2 --
        PUTSLN '--- 2: accessed and dirty flags in 64-bit entries'
        CHECK_LO '2.pte.before', [pte_al1], AD, PG_A ; part 1 read it
        mov eax, [pte_al1]
        and dword [eax], ~AD
        mov eax, [pde_al1]
        and dword [eax], ~AD
        invlpg [AL1]
        mov eax, [AL1 + 0x10]
        CHECK_LO '2.read.pte.ad', [pte_al1], AD, PG_A
        CHECK_LO '2.read.pde.a', [pde_al1], PG_A, PG_A
        CHECK_LO '2.read.pde.bit6', [pde_al1], PG_D, 0
        mov [AL1 + 0x14], eax
        CHECK_LO '2.write.pte.ad', [pte_al1], AD, AD
        CHECK_LO '2.write.pde.bit6', [pde_al1], PG_D, 0
        CHECK_HI '2.pte.high', [pte_al1], 0
        CHECK_HI '2.pde.high', [pde_al1], 0
%if PAE_PDPTE_REGS
        mov eax, [pdpte1]
        CHECK_EQ '2.pdpte.unchanged', dword [eax], [pdpte1_val]
%else
        PUTSLN '2.pdpte.unchanged skipped (QEMU_QUIRKS)'
%endif
        CHECK_HI '2.pdpte.high', [pdpte1], 0
        EXC_ARM 0
        mov eax, [HIGH + 0x40]          ; nothing there: the value is open
        mov dword [HIGH + 0x44], 0x55AA55AA
        EXC_NONE '2.above_4g.no_fault'
        CHECK_LO '2.above_4g.pte.ad', [pte_high], AD, AD
        CHECK_LO '2.above_4g.pte.low', [pte_high], ~AD, PG_URW
        CHECK_HI '2.above_4g.pte.high', [pte_high], 1

        ; -------------------------------------------------------------- 3 --
        PUTSLN '--- 3: 2 MiB pages'
        CHECK_LO '3.pde.before', [pde_2m], AD, 0
        CHECK_EQ '3.read+0', dword [L2M], 0xBB000000
        CHECK_EQ '3.read+1234', dword [L2M + 0x1234], 0xBB00048D
        CHECK_EQ '3.read+1ffffc', dword [L2M + 0x1FFFFC], 0xBB07FFFF
        CHECK_LO '3.read.pde.ad', [pde_2m], AD, PG_A
        CHECK_LO '3.read.pde.ps', [pde_2m], PG_PS, PG_PS
        CHECK_EQ '3.page2.read+10', dword [L2M2 + 0x10], 0xAA000004
        mov dword [L2M + 0x1FFFFE], 0x44332211 ; into L2M2 = FRAME_A
        CHECK_LO '3.write.pde.ad', [pde_2m], AD, AD
        CHECK_HI '3.write.pde.high', [pde_2m], 0
        movzx eax, word [FRAME_B + 0x1FFFFE]
        CHECK_EQ '3.straddle.low', eax, 0x2211
        movzx eax, word [FRAME_A]
        CHECK_EQ '3.straddle.high', eax, 0x4433
        CHECK_EQ '3.straddle.read', dword [L2M + 0x1FFFFE], 0x44332211
        mov dword [FRAME_B + 0x1FFFFC], 0xBB07FFFF
        mov dword [FRAME_A], 0xAA000000
        PG_CR4_SET CR4_PSE              ; PS means 2 MiB under PAE either way
        mov eax, cr3
        mov cr3, eax
        CHECK_EQ '3.pse1.read+1ff000', dword [L2M + 0x1FF000], 0xBB07FC00
        CHECK_EQ '3.pse1.page2.read+0', dword [L2M2], 0xAA000000
        PG_CR4_CLR CR4_PSE
        mov eax, cr3
        mov cr3, eax
        test dword [cpuid1], CPUID_PAT
        jz .no_pat
        mov eax, [pde_2m]
        or dword [eax], PG_PAT_2M
        invlpg [L2M]
        EXC_ARM 0
        mov eax, [L2M + 0x1234]
        EXC_NONE '3.pat.no_fault'
        CHECK_EQ '3.pat.read+1234', eax, 0xBB00048D
        mov eax, [pde_2m]
        and dword [eax], ~PG_PAT_2M
        invlpg [L2M]
        jmp .pat_done
.no_pat:
        PUTSLN '3.pat skipped (no PAT in CPUID.1:EDX)'
.pat_done:

        ; -------------------------------------------------------------- 4 --
        PUTSLN '--- 4: not present'
        EXC_ARM .np_r_after
.np_r:  mov eax, [NP + 0x20]
.np_r_after:
        EXC_CHECK '4.pte.read', 14, 0, .np_r
        PAE_CHECK_CR2 '4.pte.read', NP + 0x20
        EXC_ARM .np_w_after
.np_w:  mov [NP + 0xFFC], eax
.np_w_after:
        EXC_CHECK '4.pte.write', 14, PF_W, .np_w
        PAE_CHECK_CR2 '4.pte.write', NP + 0xFFC
        R3_FAULT '4.pte.r3_read', 14, PF_U, mov eax, [NP + 0x30]
        PAE_CHECK_CR2 '4.pte.r3_read', NP + 0x30
        R3_FAULT '4.pte.r3_write', 14, PF_U | PF_W, mov [NP + 0x34], eax
        PAE_CHECK_CR2 '4.pte.r3_write', NP + 0x34
        EXC_ARM .npde_after
.npde:  mov eax, [NPDE + 0x123458]
.npde_after:
        EXC_CHECK '4.pde.read', 14, 0, .npde
        PAE_CHECK_CR2 '4.pde.read', NPDE + 0x123458

        ; -------------------------------------------------------------- 5 --
        PUTSLN '--- 5: CPL 3 and U/S'
        R3_FAULT '5.sup.r3_read', 14, PF_P | PF_U, mov eax, [SUP + 0x40]
        PAE_CHECK_CR2 '5.sup.r3_read', SUP + 0x40
        R3_FAULT '5.sup.r3_write', 14, PF_P | PF_W | PF_U, mov [SUP + 0x44], eax
        PAE_CHECK_CR2 '5.sup.r3_write', SUP + 0x44
        CHECK_EQ '5.sup.r0_read', dword [SUP + 0x40], 0x5E5E0010
        R3_FAULT '5.sup_pde.r3_read', 14, PF_P | PF_U, mov eax, [SUPPDE + 0x48]
        PAE_CHECK_CR2 '5.sup_pde.r3_read', SUPPDE + 0x48
        R3_FAULT '5.ro.r3_write', 14, PF_P | PF_W | PF_U, mov dword [RO + 0x10], 0
        PAE_CHECK_CR2 '5.ro.r3_write', RO + 0x10
        ENTER_RING3 r3_read_ro
        CHECK_EQ '5.ro.r3_read', eax, 0x0D0D0004
        R3_FAULT '5.sup2m.r3_read', 14, PF_P | PF_U, mov eax, [L2MS + 0x1FFFF0]
        PAE_CHECK_CR2 '5.sup2m.r3_read', L2MS + 0x1FFFF0

        ; -------------------------------------------------------------- 6 --
        PUTSLN '--- 6: CR0.WP'
        CHECK_LO '6.ro.pte.d.before', [pte_ro], PG_D, 0
        EXC_ARM 0
        mov dword [RO + 0x20], 0x0D0DAAAA
        EXC_NONE '6.wp0.write'
        CHECK_EQ '6.wp0.write.value', dword [RO + 0x20], 0x0D0DAAAA
        CHECK_LO '6.wp0.pte.d', [pte_ro], PG_D, PG_D
        PG_CR0_SET CR0_WP
        mov eax, cr0
        and eax, CR0_WP
        CHECK_EQ '6.cr0.wp', eax, CR0_WP
        EXC_ARM .wp1_after
.wp1:   mov dword [RO + 0x24], 0x0D0DBBBB
.wp1_after:
        EXC_CHECK '6.wp1.write', 14, PF_P | PF_W, .wp1
        PAE_CHECK_CR2 '6.wp1.write', RO + 0x24
        CHECK_EQ '6.wp1.unchanged', dword [RO + 0x24], 0x0D0D0009
        EXC_ARM .wp1pde_after
.wp1pde:
        mov dword [ROPDE + 0x28], 0
.wp1pde_after:
        EXC_CHECK '6.wp1.ro_pde.write', 14, PF_P | PF_W, .wp1pde
        PAE_CHECK_CR2 '6.wp1.ro_pde.write', ROPDE + 0x28
        PG_CR0_CLR CR0_WP
        EXC_ARM 0
        mov dword [ROPDE + 0x28], 0xD1D1CCCC
        EXC_NONE '6.wp0_again.ro_pde.write'
        CHECK_EQ '6.wp0_again.value', dword [AL1 + 0x28], 0xD1D1CCCC

        ; -------------------------------------------------------------- 7 --
        PUTSLN '--- 7: reserved bits'
        mov ecx, [pte_rsv]
        add ecx, 4                      ; the high dword
        mov ebx, [maxphys]
.pte_bits:
        cmp ebx, 52
        jae .pte_bits_done
        lea esi, [ebx - 32]
        PAE_RSVD_PROBE '7.pte', ecx, esi, RSV + 0x100
        add ebx, 1
        jmp .pte_bits
.pte_bits_done:
        PAE_RSVD_PROBE '7.pte', ecx, 62 - 32, RSV + 0x104
        mov ecx, [pde_rsv]
        add ecx, 4
        mov ebx, [maxphys]
        sub ebx, 32
        PAE_RSVD_PROBE '7.pde_table', ecx, ebx, RSV + 0x108
        PAE_RSVD_PROBE '7.pde_table', ecx, 51 - 32, RSV + 0x10C
        mov ecx, [pde_2m]
        mov ebx, 13
.pde2m_bits:
        PAE_RSVD_PROBE '7.pde_2m', ecx, ebx, L2M + 0x1FF000
        add ebx, 1
        cmp ebx, 20
        jbe .pde2m_bits
        add ecx, 4
        mov ebx, [maxphys]
        sub ebx, 32
        PAE_RSVD_PROBE '7.pde_2m', ecx, ebx, L2M + 0x100000
        ; CPL 3: RSVD with U; a supervisor page too
        mov eax, [pte_rsv]
        or dword [eax + 4], 1 << (51 - 32)
        invlpg [RSV]
        R3_FAULT '7.r3_read', 14, PAE_RSVD_P | PF_U | PF_RSVD, mov eax, [RSV + 0x200]
        PAE_CHECK_CR2 '7.r3_read', RSV + 0x200
        R3_FAULT '7.r3_write', 14, PAE_RSVD_P | PF_U | PF_W | PF_RSVD, mov [RSV + 0x204], eax
        PAE_CHECK_CR2 '7.r3_write', RSV + 0x204
        mov eax, [pte_rsv]
        and dword [eax], ~PG_US
        invlpg [RSV]
        R3_FAULT '7.r3_read_sup', 14, PAE_RSVD_P | PF_U | PF_RSVD, mov eax, [RSV + 0x208]
        PAE_CHECK_CR2 '7.r3_read_sup', RSV + 0x208
        ; not present: reserved bits do not matter
        mov eax, [pte_rsv]
        and dword [eax], ~PG_P
        invlpg [RSV]
        EXC_ARM .np_rsv_after
.np_rsv:
        mov eax, [RSV + 0x20C]
.np_rsv_after:
        EXC_CHECK '7.not_present', 14, 0, .np_rsv
        PAE_CHECK_CR2 '7.not_present', RSV + 0x20C
        mov eax, [pte_rsv]
        mov dword [eax + 4], 0
        or dword [eax], PG_URW
        invlpg [RSV]
        EXC_ARM 0
        mov eax, [RSV + 0x210]
        add eax, [L2M + 0x1FF000]
        EXC_NONE '7.cleared'
        CHECK_EQ '7.cleared.read', eax, (0xD2D20084 + 0xBB07FC00) & 0xFFFFFFFF

        PAE_DISABLE
        ret
