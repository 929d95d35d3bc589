; paging_pae_nx.asm -- IA32_EFER.NXE and the XD bit of PAE paging.
;
; Intel SDM vol. 3: 4.1.4 (CPUID.80000001h:EDX[20] enumerates NXE), 2.2.1 /
; vol. 4 (IA32_EFER, MSR C000_0080h, bit 11 NXE), 4.4 tables 4-9 to 4-11
; (bit 63 of a PDE or PTE is XD if NXE = 1, reserved otherwise), 4.6 (with
; NXE = 1 instruction fetches are not allowed from a page with XD set in any
; paging-structure entry used to translate it; data accesses are not
; affected), 4.7 (#PF error code: I/D, bit 4, is set for an instruction fetch
; when NXE = 1 and PAE paging is on, whatever else caused the fault, and is 0
; otherwise; RSVD for XD with NXE = 0), 4.10.4 (after a paging-structure
; change, INVLPG or MOV to CR3 makes the new entry used: translated code may
; not outlive the permission to execute it).  WRMSR to EFER is not a TLB
; invalidation, so every NXE change here is followed by a MOV to CR3.
;   0  CPUID: PAE, NX; EFER.NXE reads 0 at boot, 1 after WRMSR
;   1  NXE = 1, XD in the PTE: reads and writes work (A, D set; the high
;      dword keeps XD), a call there faults with error code 0x11 (P|I/D),
;      EIP = CR2 = the target; the same frame without XD runs
;   2  XD only in the PDE of a page table, and in a 2 MiB PDE: 0x11, reads
;      work
;   3  CPL 3: a user XD page reads, a call faults 0x15 (P|U|I/D); a call to
;      a supervisor page without XD: 0x15 too; CPL 0 call to a not-present
;      page: 0x10 (I/D, P = 0)
;   4  NXE = 0: XD is reserved: read 9, write 11, fetch 9 (no I/D) in the
;      PTE, the PDE of a page table and a 2 MiB PDE; fetch from a
;      not-present page 0, CPL-3 fetch from a supervisor page 5
;   5  NXE = 1 again, XD cleared + INVLPG: the code runs
;   6  code run 100 times, then XD set + INVLPG: the next call faults (0x11);
;      XD cleared + INVLPG: runs; XD set + MOV to CR3: faults; cleared +
;      MOV to CR3: runs; a 2 MiB page whose code ran, XD set in its PDE +
;      INVLPG of another address inside it: faults
;
; -DQEMU_QUIRKS: RSVD error codes without P; the last check of part 6 also
; does INVLPG of the code's own address, since QEMU keeps running code
; translated from a 2 MiB page after INVLPG of another address in it (see
; ../lib/paging_pae.inc).
%define PG_POOL_END 0x00800000          ; 8 .. 12 MiB: the 2 MiB frames
%include "harness.inc"
%include "system.inc"
%include "paging.inc"
%include "paging_pae.inc"

%define XPTE    0x20000000              ; XD in the PTE -> c1
%define EXE     0x20001000              ; no XD -> c1
%define FLIP    0x20002000              ; -> c2, XD toggled in part 6
%define SUPX    0x20003000              ; supervisor, no XD -> c1
%define UXD     0x20004000              ; user, XD -> c1
%define NPX     0x20005000              ; not present
%define XPDE    0x20200000              ; XD in the PDE only -> c1
%define X2M     0x20400000              ; 2 MiB page with XD -> FRAME_A
%define X2M2    0x20600000              ; 2 MiB page, XD in part 6 -> FRAME_B
%define FRAME_A 0x00800000
%define FRAME_B 0x00A00000
%define RET1    0xC0DE0001              ; what c1's code returns in EAX
%define RET2    0xF11F0002              ; c2's
%define RETA    0xC0DE000A              ; FRAME_A + 0x1000's
%define RETB    0xC0DE000B              ; FRAME_B + 0x1000's

section .data
align 4
space:          dd 0
c1:             dd 0
c2:             dd 0
pte_xpte:       dd 0
pde_xpde:       dd 0
pde_x2m:        dd 0
pde_x2m2:       dd 0
pte_flip:       dd 0
r3_target:      dd 0
runs:           dd 0

section .text

; make_code: EDI = address, EAX = value: "mov eax, value; ret"
make_code:
        mov byte [edi], 0xB8
        mov [edi + 1], eax
        mov byte [edi + 5], 0xC3
        ret

; EXEC_FAULT 'name', target, error code: a CPL-0 call of target must fault
; at the target (the return address is pushed: dropped on resume)
%macro EXEC_FAULT 3
        mov ecx, %2
        EXC_ARM %%resume
        call ecx
        jmp %%done
%%resume:
        add esp, 4
%%done:
        EXC_CHECK %1, 14, %3, %2
        PAE_CHECK_CR2 %1, %2
%endmacro

; EXEC_OK 'name', target, EAX expected: a CPL-0 call of target runs
%macro EXEC_OK 3
        mov ecx, %2
        xor eax, eax
        EXC_ARM %%resume
        call ecx
        jmp %%done
%%resume:
        add esp, 4
        xor eax, eax
%%done:
        EXC_NONE %1
  %strcat nx_lbl_ %1, '.eax'
        CHECK_EQ nx_lbl_, eax, %3
%endmacro

; R3_EXEC_FAULT 'name', target, error code: the same at CPL 3
%macro R3_EXEC_FAULT 3
        mov dword [r3_target], %2
        EXC_ARM 0
        ENTER_RING3 r3_exec
        EXC_CHECK %1, 14, %3, %2
        PAE_CHECK_CR2 %1, %2
%endmacro

r3_exec:
        mov dword [sys_resume_eip], .after
        call [r3_target]
        mov dword [sys_resume_eip], 0
.after:
        RING0

r3_read_uxd:
        mov eax, [UXD + 0x900]
        RING0

; set_xd / clr_xd: EAX = address of an entry
set_xd:
        or dword [eax + 4], PG_XD_HI
        ret
clr_xd:
        and dword [eax + 4], ~PG_XD_HI
        ret

%macro NXE_SET 0
        push eax
        mov eax, EFER_NXE
        call pae_efer_set
        mov eax, cr3
        mov cr3, eax
        pop eax
%endmacro
%macro NXE_CLR 0
        push eax
        mov eax, EFER_NXE
        call pae_efer_clr
        mov eax, cr3
        mov cr3, eax
        pop eax
%endmacro

test_main:
        PUTSLN 'paging_pae_nx: EFER.NXE and XD'
        SYS_INIT
        ; -------------------------------------------------------------- 0 --
        call pg_cpuid1_edx
        and eax, CPUID_PAE
        CHECK_EQ '0.cpuid.1.edx.pae', eax, CPUID_PAE
        call pae_cpuid_ext_edx
        and eax, CPUID_NX
        CHECK_EQ '0.cpuid.80000001.edx.nx', eax, CPUID_NX
        jnz .have_nx
        FAIL_NOW 'no NX: EFER.NXE cannot be set'
.have_nx:
        call pae_rdmsr_efer
        and eax, EFER_NXE
        CHECK_EQ '0.efer.nxe.boot', eax, 0

        ; code and data
        call pg_alloc
        mov [c1], eax
        mov edi, eax
        mov eax, RET1
        call make_code
        mov dword [edi + 0x900], 0xDA7A0001
        call pg_alloc
        mov [c2], eax
        mov edi, eax
        mov eax, RET2
        call make_code
        mov edi, FRAME_A + 0x1000
        mov eax, RETA
        call make_code
        mov dword [FRAME_A + 0x1FF000], 0xDA7A000A
        mov edi, FRAME_B + 0x1000
        mov eax, RETB
        call make_code
        mov dword [FRAME_B + 0x100000], 0xDA7A000B

        call pae_new_space
        mov [space], eax
        mov edx, eax
        mov ebx, [c1]
        or ebx, PG_URW
        PAE_MAP edx, XPTE, ebx, PG_XD_HI
        PAE_MAP edx, EXE, ebx
        PAE_MAP edx, UXD, ebx, PG_XD_HI
        PAE_MAP edx, XPDE, ebx
        and ebx, ~PG_US
        PAE_MAP edx, SUPX, ebx
        mov ebx, [c2]
        or ebx, PG_URW
        PAE_MAP edx, FLIP, ebx
        PAE_PTEP edx, XPTE
        mov [pte_xpte], eax
        PAE_PTEP edx, FLIP
        mov [pte_flip], eax
        PAE_PDEP edx, XPDE
        mov [pde_xpde], eax
        or dword [eax + 4], PG_XD_HI
        PAE_PDEP edx, X2M
        mov [pde_x2m], eax
        mov dword [eax + 4], PG_XD_HI
        mov dword [eax], FRAME_A | PG_PS | PG_URW
        PAE_PDEP edx, X2M2
        mov [pde_x2m2], eax
        mov dword [eax + 4], 0
        mov dword [eax], FRAME_B | PG_PS | PG_URW

        mov eax, EFER_NXE
        call pae_efer_set
        call pae_rdmsr_efer
        and eax, EFER_NXE
        CHECK_EQ '0.efer.nxe.set', eax, EFER_NXE
        PAE_ENABLE [space]

        ; -------------------------------------------------------------- 1 --
        PUTSLN '--- 1: XD in the PTE'
        EXC_ARM 0
        mov eax, [XPTE + 0x900]
        mov dword [XPTE + 0x904], 0xDA7A0002
        movzx ebx, byte [XPTE]
        EXC_NONE '1.data'
        CHECK_EQ '1.data.read', eax, 0xDA7A0001
        CHECK_EQ '1.data.read_code_byte', ebx, 0xB8
        mov eax, [pte_xpte]
        mov ebx, [eax]
        and ebx, PG_A | PG_D
        CHECK_EQ '1.pte.ad', ebx, PG_A | PG_D
        CHECK_EQ '1.pte.high', dword [eax + 4], PG_XD_HI
        EXEC_FAULT '1.exec', XPTE, PF_P | PF_ID
        EXEC_FAULT '1.exec+5', XPTE + 5, PF_P | PF_ID
        EXEC_OK '1.same_frame_no_xd', EXE, RET1

        ; -------------------------------------------------------------- 2 --
        PUTSLN '--- 2: XD in the PDE'
        CHECK_EQ '2.pde_table.read', dword [XPDE + 0x900], 0xDA7A0001
        EXEC_FAULT '2.pde_table.exec', XPDE, PF_P | PF_ID
        CHECK_EQ '2.pde_2m.read', dword [X2M + 0x1FF000], 0xDA7A000A
        EXEC_FAULT '2.pde_2m.exec', X2M + 0x1000, PF_P | PF_ID

        ; -------------------------------------------------------------- 3 --
        PUTSLN '--- 3: CPL 3 and not-present fetches'
        ENTER_RING3 r3_read_uxd
        CHECK_EQ '3.r3.uxd.read', eax, 0xDA7A0001
        R3_EXEC_FAULT '3.r3.uxd.exec', UXD, PF_P | PF_U | PF_ID
        R3_EXEC_FAULT '3.r3.sup.exec', SUPX, PF_P | PF_U | PF_ID
        EXEC_OK '3.r0.sup.exec', SUPX, RET1
        EXEC_FAULT '3.r0.np.exec', NPX + 0x10, PF_ID

        ; -------------------------------------------------------------- 4 --
        PUTSLN '--- 4: NXE = 0: XD is a reserved bit'
        NXE_CLR
        call pae_rdmsr_efer
        and eax, EFER_NXE
        CHECK_EQ '4.efer.nxe', eax, 0
        EXC_ARM .r_after
.r:     mov eax, [XPTE + 0x900]
.r_after:
        EXC_CHECK '4.pte.read', 14, PAE_RSVD_P | PF_RSVD, .r
        PAE_CHECK_CR2 '4.pte.read', XPTE + 0x900
        EXC_ARM .w_after
.w:     mov [XPTE + 0x908], eax
.w_after:
        EXC_CHECK '4.pte.write', 14, PAE_RSVD_P | PF_RSVD | PF_W, .w
        EXEC_FAULT '4.pte.exec', XPTE, PAE_RSVD_P | PF_RSVD
        EXC_ARM .pr_after
.pr:    mov eax, [XPDE + 0x900]
.pr_after:
        EXC_CHECK '4.pde_table.read', 14, PAE_RSVD_P | PF_RSVD, .pr
        EXC_ARM .lr_after
.lr:    mov eax, [X2M + 0x1FF000]
.lr_after:
        EXC_CHECK '4.pde_2m.read', 14, PAE_RSVD_P | PF_RSVD, .lr
        EXEC_FAULT '4.pde_2m.exec', X2M + 0x1000, PAE_RSVD_P | PF_RSVD
        EXEC_FAULT '4.np.exec', NPX + 0x20, 0
        R3_EXEC_FAULT '4.r3.sup.exec', SUPX, PF_P | PF_U
        EXEC_OK '4.no_xd.exec', EXE, RET1

        ; -------------------------------------------------------------- 5 --
        PUTSLN '--- 5: XD cleared, INVLPG'
        NXE_SET
        EXEC_FAULT '5.before', XPTE, PF_P | PF_ID
        mov eax, [pte_xpte]
        call clr_xd
        invlpg [XPTE]
        EXEC_OK '5.pte.cleared', XPTE, RET1
        mov eax, [pde_xpde]
        call clr_xd
        invlpg [XPDE]
        EXEC_OK '5.pde_table.cleared', XPDE, RET1
        mov eax, [pde_x2m]
        call clr_xd
        invlpg [X2M + 0x1000]
        EXEC_OK '5.pde_2m.cleared', X2M + 0x1000, RETA

        ; -------------------------------------------------------------- 6 --
        PUTSLN '--- 6: code that ran, then its page became XD'
        mov dword [runs], 0
        mov esi, 100
.hot:
        mov ecx, FLIP
        call ecx
        cmp eax, RET2
        jne .hot_bad
        add dword [runs], 1
.hot_bad:
        sub esi, 1
        jnz .hot
        CHECK_EQ '6.ran', dword [runs], 100
        mov eax, [pte_flip]
        call set_xd
        invlpg [FLIP]
        EXEC_FAULT '6.xd.invlpg', FLIP, PF_P | PF_ID
        mov eax, [pte_flip]
        call clr_xd
        invlpg [FLIP]
        EXEC_OK '6.cleared.invlpg', FLIP, RET2
        EXEC_OK '6.cleared.invlpg.again', FLIP, RET2
        mov eax, [pte_flip]
        call set_xd
        mov eax, cr3
        mov cr3, eax
        EXEC_FAULT '6.xd.cr3', FLIP, PF_P | PF_ID
        mov eax, [pte_flip]
        call clr_xd
        mov eax, cr3
        mov cr3, eax
        EXEC_OK '6.cleared.cr3', FLIP, RET2
        mov esi, 100
.hot2m:
        mov ecx, X2M2 + 0x1000
        call ecx
        sub esi, 1
        jnz .hot2m
        CHECK_EQ '6.2m.ran', eax, RETB
        mov eax, [pde_x2m2]
        call set_xd
        invlpg [X2M2 + 0x1FF000]
%if PAE_INVLPG_LARGE_CODE == 0
        invlpg [X2M2 + 0x1000]          ; QEMU needs the code's own address
        PUTSLN '6.2m.xd.invlpg: QEMU_QUIRKS, INVLPG of the code address too'
%endif
        EXEC_FAULT '6.2m.xd.invlpg', X2M2 + 0x1000, PF_P | PF_ID
        CHECK_EQ '6.2m.xd.read', dword [X2M2 + 0x100000], 0xDA7A000B

        PAE_DISABLE
        mov eax, EFER_NXE
        call pae_efer_clr
        ret
