; paging_ad.asm -- accessed and dirty flags.
;
; Intel SDM vol. 3: 4.8 (the processor sets A in every paging-structure
; entry it uses for a translation and D in the entry that maps the page on
; the first write to it; bit 6 of a PDE that references a page table is
; ignored, not set), 4.10.2 / 4.10.4.1 (INVLPG and MOV to CR3 invalidate the
; cached translation; a write through a translation cached with D = 0 still
; sets D).  All entries start with A = D = 0.
;   1  a read sets A in the PDE and the PTE, not D (nor PDE bit 6); a write
;      after it (translation cached by the read) sets D
;   2  a first access that is a write sets A and D
;   3  an instruction fetch sets A, not D; a CPL-3 read sets A, not D; a
;      CPL-3 push (implicit stack write) and a rep movsb set D; a CPL-3
;      write that faults (read-only page) does not set D
;   4  a 4 MiB page (CR4.PSE): read sets A in the PDE, not D; write sets D
;   5  A and D cleared in the PTE and the PDE, INVLPG: read sets A again
;      (both levels), write sets D again; D cleared only: write sets it
;   6  the same for the 4 MiB page with INVLPG of an address in the middle
;      of it, and for a 4 KiB page with a MOV to CR3 instead of INVLPG
%define PG_POOL_END 0x00800000          ; 8 .. 12 MiB: the 4 MiB page
%include "harness.inc"
%include "system.inc"
%include "paging.inc"

%define ADBASE  0x20000000
%define P0      (ADBASE + 0x0000)
%define P1      (ADBASE + 0x1000)
%define P2      (ADBASE + 0x2000)       ; read-only user
%define P3      (ADBASE + 0x3000)       ; code
%define P4      (ADBASE + 0x4000)       ; ring-3 read, then ring-3 stack
%define P5      (ADBASE + 0x5000)       ; rep movsb destination
%define NPG     6
%define LBASE   0x20800000              ; 4 MiB page -> 0x00800000
%define LPHYS   0x00800000

section .data
align 4
kdir:           dd 0
pde_small:      dd 0                    ; address of the PDE of ADBASE
pde_large:      dd 0                    ; address of the PDE of LBASE
pte:            times NPG dd 0          ; addresses of the PTEs

section .text

; CHECK_BITS 'name', address-holding dword, mask, expected
%macro CHECK_BITS 4
        push eax
        mov eax, %2
        mov eax, [eax]
        and eax, %3
        CHECK_EQ %1, eax, %4
        pop eax
%endmacro

%define AD (PG_A | PG_D)

r3_read_p4:
        mov eax, [P4 + 8]
        RING0

r3_push_p4:
        mov esp, P4 + 4096
        push dword 0x44
        RING0

r3_write_p2:
        mov dword [sys_resume_eip], .after
.w:     mov dword [P2], 1
.after:
        RING0

test_main:
        PUTSLN 'paging_ad: accessed and dirty flags'
        SYS_INIT
        call pg_cpuid1_edx
        and eax, CPUID_PSE
        CHECK_EQ 'cpuid.pse', eax, CPUID_PSE
        call pg_new_kdir
        mov [kdir], eax
        mov edx, eax
        xor esi, esi
.map:
        call pg_alloc
        mov ebx, eax
        or ebx, PG_URW
        cmp esi, 2
        jne .not_ro
        and ebx, ~PG_RW
.not_ro:
        cmp esi, 3
        jne .not_code
        mov byte [eax], 0xC3            ; ret
.not_code:
        mov eax, esi
        shl eax, 12
        add eax, ADBASE
        call pg_map
        call pg_pte_ptr
        mov [pte + esi * 4], eax
        add esi, 1
        cmp esi, NPG
        jb .map
        lea eax, [edx + (ADBASE >> 22) * 4]
        mov [pde_small], eax
        lea eax, [edx + (LBASE >> 22) * 4]
        mov [pde_large], eax
        mov dword [eax], LPHYS | PG_PS | PG_URW
        PG_CR4_SET CR4_PSE
        PG_ENABLE edx

        CHECK_BITS '0.pde.ad', [pde_small], AD, 0
        CHECK_BITS '0.pte0.ad', [pte], AD, 0
        CHECK_BITS '0.pde_large.ad', [pde_large], AD, 0

        ; -------------------------------------------------------------- 1 --
        PUTSLN '--- 1: read, then write'
        mov eax, [P0]
        CHECK_BITS '1.read.pde.a', [pde_small], PG_A, PG_A
        CHECK_BITS '1.read.pde.bit6', [pde_small], PG_D, 0
        CHECK_BITS '1.read.pte0.ad', [pte], AD, PG_A
        CHECK_BITS '1.read.pte1.ad', [pte + 4], AD, 0
        mov [P0 + 4], eax
        CHECK_BITS '1.write.pte0.ad', [pte], AD, AD
        CHECK_BITS '1.write.pde.bit6', [pde_small], PG_D, 0

        ; -------------------------------------------------------------- 2 --
        PUTSLN '--- 2: first access a write'
        mov byte [P1 + 0x801], 1
        CHECK_BITS '2.write.pte1.ad', [pte + 4], AD, AD

        ; -------------------------------------------------------------- 3 --
        PUTSLN '--- 3: fetch, CPL 3, string and stack writes, faulting write'
        call P3
        CHECK_BITS '3.fetch.pte3.ad', [pte + 12], AD, PG_A
        ENTER_RING3 r3_read_p4
        CHECK_BITS '3.r3_read.pte4.ad', [pte + 16], AD, PG_A
        ENTER_RING3 r3_push_p4
        CHECK_BITS '3.r3_push.pte4.ad', [pte + 16], AD, AD
        CHECK_EQ '3.r3_push.value', dword [P4 + 4092], 0x44
        mov esi, P0
        mov edi, P5 + 0x10
        mov ecx, 3
        rep movsb
        CHECK_BITS '3.movsb.pte5.ad', [pte + 20], AD, AD
        EXC_ARM 0
        ENTER_RING3 r3_write_p2
        EXC_CHECK '3.r3_write_ro', 14, PF_P | PF_W | PF_U, r3_write_p2.w
        CHECK_BITS '3.r3_write_ro.pte2.d', [pte + 8], PG_D, 0

        ; -------------------------------------------------------------- 4 --
        PUTSLN '--- 4: 4 MiB page'
        mov eax, [LBASE + 0x1234]
        CHECK_BITS '4.read.pde.ad', [pde_large], AD, PG_A
        mov [LBASE + 0x3FFFFC], eax
        CHECK_BITS '4.write.pde.ad', [pde_large], AD, AD
        CHECK_BITS '4.write.pde.ps', [pde_large], PG_PS, PG_PS

        ; -------------------------------------------------------------- 5 --
        PUTSLN '--- 5: cleared, INVLPG, set again'
        mov eax, [pte]
        and dword [eax], ~AD
        mov eax, [pde_small]
        and dword [eax], ~AD
        invlpg [P0]
        CHECK_BITS '5.cleared.pte0.ad', [pte], AD, 0
        mov eax, [P0 + 0x10]
        CHECK_BITS '5.read.pde.a', [pde_small], PG_A, PG_A
        CHECK_BITS '5.read.pte0.ad', [pte], AD, PG_A
        mov [P0 + 0x10], eax
        CHECK_BITS '5.write.pte0.ad', [pte], AD, AD
        mov eax, [pte + 4]
        and dword [eax], ~PG_D
        invlpg [P1]
        CHECK_BITS '5.dclear.pte1.ad', [pte + 4], AD, PG_A
        mov eax, [P1]
        CHECK_BITS '5.dclear.read.pte1.ad', [pte + 4], AD, PG_A
        mov [P1 + 8], eax
        CHECK_BITS '5.dclear.write.pte1.ad', [pte + 4], AD, AD

        ; -------------------------------------------------------------- 6 --
        PUTSLN '--- 6: 4 MiB page with INVLPG inside it; MOV to CR3'
        mov eax, [pde_large]
        and dword [eax], ~AD
        invlpg [LBASE + 0x300000]
        CHECK_BITS '6.large.cleared.ad', [pde_large], AD, 0
        mov eax, [LBASE + 0x10]
        CHECK_BITS '6.large.read.ad', [pde_large], AD, PG_A
        mov [LBASE + 0x200010], eax
        CHECK_BITS '6.large.write.ad', [pde_large], AD, AD
        mov eax, [pte]
        and dword [eax], ~AD
        mov eax, cr3
        mov cr3, eax
        CHECK_BITS '6.cr3.cleared.pte0.ad', [pte], AD, 0
        mov eax, [P0 + 0x20]
        CHECK_BITS '6.cr3.read.pte0.ad', [pte], AD, PG_A
        mov [P0 + 0x20], eax
        CHECK_BITS '6.cr3.write.pte0.ad', [pte], AD, AD

        PG_DISABLE
        PG_CR4_CLR CR4_PSE
        ret
