; paging_wp.asm -- CR0.WP (write protect) for supervisor-mode writes.
;
; Intel SDM vol. 3: 2.5 (CR0.WP), 4.6.1 (supervisor-mode writes to a
; linear address with R/W = 0 in some paging-structure entry: allowed if
; WP = 0, a #PF if WP = 1), 4.7 (error code P|W = 3 at CPL 0), 4.10.2.2
; (TLB entries hold R/W and U/S of the translation; WP is applied at each
; access, so changing it needs no TLB invalidation).
;   1  WP = 0: CPL-0 writes to a read-only supervisor page, a read-only user
;      page and a page whose PDE is read-only all succeed
;   2  WP = 1 (the write is the instruction right after the MOV to CR0, and
;      the translation was cached writable by step 1): #PF err 3, CR2, the
;      memory unchanged; reads still work; writable pages still writable
;   3  WP = 0 again (again the very next instruction): the write succeeds
;   4  toggling WP 1000 times with a write after each MOV to CR0: exactly
;      the 500 writes under WP = 1 fault, the 500 others land
;   5  with WP = 1, CPL 3 writes to the read-only user page still give 7 and
;      CPL-3 writes to a writable user page work
%include "harness.inc"
%include "system.inc"
%include "paging.inc"

%define TBASE   0x20000000
%define RO_SUP  (TBASE + 0x0000)        ; P
%define RO_USR  (TBASE + 0x1000)        ; P|US
%define RW_SUP  (TBASE + 0x2000)        ; P|RW
%define RW_USR  (TBASE + 0x3000)        ; P|RW|US
%define RO_PDE  0x20400000              ; PDE P|US (no RW), PTE P|RW|US

section .data
align 4
kdir:           dd 0
phys:           times 5 dd 0
nfault:         dd 0
nwp1:           dd 0
bad_err:        dd 0
bad_cr2:        dd 0
landed:         dd 0

section .text

%macro CHECK_CR2 2
        push eax
        mov eax, cr2
  %strcat pw_lbl_ %1, '.cr2'
        CHECK_EQ pw_lbl_, eax, %2
        pop eax
%endmacro

; hook for part 4: count faults, check error code and CR2, skip the write
pf_count:
        add dword [nfault], 1
        cmp dword [ebp + FR_ERR], PF_P | PF_W
        je .err_ok
        add dword [bad_err], 1
.err_ok:
        mov eax, cr2
        cmp eax, RO_SUP + 0x100
        je .cr2_ok
        add dword [bad_cr2], 1
.cr2_ok:
        add dword [ebp + FR_EIP], 6     ; mov [RO_SUP + 0x100], ecx is 6 bytes
        ret

r3_write_rw:
        mov dword [RW_USR + 0x40], 0x33
        mov eax, [RW_USR + 0x40]
        RING0

test_main:
        PUTSLN 'paging_wp: CR0.WP for supervisor writes'
        SYS_INIT
        call pg_new_kdir
        mov [kdir], eax
        mov edx, eax
        xor esi, esi
.alloc:
        call pg_alloc
        mov [phys + esi * 4], eax
        lea ebx, [esi + 0x77700000]
        mov [eax], ebx                  ; dword 0 = 0x777000nn
        add esi, 1
        cmp esi, 5
        jb .alloc
        mov eax, RO_SUP
        mov ebx, [phys]
        or ebx, PG_P
        call pg_map
        mov eax, RO_USR
        mov ebx, [phys + 4]
        or ebx, PG_P | PG_US
        call pg_map
        mov eax, RW_SUP
        mov ebx, [phys + 8]
        or ebx, PG_P | PG_RW
        call pg_map
        mov eax, RW_USR
        mov ebx, [phys + 12]
        or ebx, PG_URW
        call pg_map
        mov eax, RO_PDE
        mov ebx, [phys + 16]
        or ebx, PG_URW
        call pg_map
        and dword [edx + (RO_PDE >> 22) * 4], ~PG_RW
        PG_ENABLE edx

        ; -------------------------------------------------------------- 1 --
        PUTSLN '--- 1: WP = 0'
        mov eax, cr0
        and eax, CR0_WP
        CHECK_EQ '1.cr0.wp', eax, 0
        EXC_ARM 0
        mov dword [RO_SUP + 4], 0x11
        mov dword [RO_USR + 4], 0x12
        mov dword [RO_PDE + 4], 0x13
        EXC_NONE '1.writes'
        mov eax, [phys]
        CHECK_EQ '1.ro_sup', dword [eax + 4], 0x11
        mov eax, [phys + 4]
        CHECK_EQ '1.ro_usr', dword [eax + 4], 0x12
        mov eax, [phys + 16]
        CHECK_EQ '1.ro_pde', dword [eax + 4], 0x13

        ; -------------------------------------------------------------- 2 --
        PUTSLN '--- 2: WP = 1 right after the MOV to CR0'
        mov eax, cr0
        or eax, CR0_WP
        EXC_ARM .w1_after
        mov cr0, eax
.w1:    mov dword [RO_SUP + 4], 0x21
.w1_after:
        EXC_CHECK '2.ro_sup', 14, PF_P | PF_W, .w1
        CHECK_CR2 '2.ro_sup', RO_SUP + 4
        mov eax, cr0
        and eax, CR0_WP
        CHECK_EQ '2.cr0.wp', eax, CR0_WP
        EXC_ARM .w2_after
.w2:    mov byte [RO_USR + 5], 0x22
.w2_after:
        EXC_CHECK '2.ro_usr', 14, PF_P | PF_W, .w2
        CHECK_CR2 '2.ro_usr', RO_USR + 5
        EXC_ARM .w3_after
.w3:    add dword [RO_PDE + 4], 1
.w3_after:
        EXC_CHECK '2.ro_pde', 14, PF_P | PF_W, .w3
        CHECK_CR2 '2.ro_pde', RO_PDE + 4
        mov eax, [phys]
        CHECK_EQ '2.ro_sup.unchanged', dword [eax + 4], 0x11
        mov eax, [phys + 4]
        CHECK_EQ '2.ro_usr.unchanged', dword [eax + 4], 0x12
        mov eax, [phys + 16]
        CHECK_EQ '2.ro_pde.unchanged', dword [eax + 4], 0x13
        EXC_ARM 0
        mov eax, [RO_SUP + 4]
        add eax, [RO_USR + 4]
        add eax, [RO_PDE + 4]
        mov dword [RW_SUP + 4], 0x24
        mov dword [RW_USR + 4], 0x25
        EXC_NONE '2.reads_and_rw_writes'
        CHECK_EQ '2.reads', eax, 0x11 + 0x12 + 0x13
        mov eax, [phys + 8]
        CHECK_EQ '2.rw_sup', dword [eax + 4], 0x24
        mov eax, [phys + 12]
        CHECK_EQ '2.rw_usr', dword [eax + 4], 0x25

        ; -------------------------------------------------------------- 3 --
        PUTSLN '--- 3: WP = 0 again'
        mov eax, cr0
        and eax, ~CR0_WP
        EXC_ARM 0
        mov cr0, eax
        mov dword [RO_SUP + 4], 0x31
        mov dword [RO_USR + 4], 0x32
        mov dword [RO_PDE + 4], 0x33
        EXC_NONE '3.writes'
        mov eax, [phys]
        CHECK_EQ '3.ro_sup', dword [eax + 4], 0x31
        mov eax, [phys + 4]
        CHECK_EQ '3.ro_usr', dword [eax + 4], 0x32
        mov eax, [phys + 16]
        CHECK_EQ '3.ro_pde', dword [eax + 4], 0x33

        ; -------------------------------------------------------------- 4 --
        PUTSLN '--- 4: 1000 toggles'
        SET_HOOK 14, pf_count
        mov ebx, cr0
        and ebx, ~CR0_WP                ; EBX = WP 0, EDI = WP 1
        mov edi, ebx
        or edi, CR0_WP
        xor esi, esi
.toggle:
        mov ecx, esi
        mov eax, ebx
        test esi, 1
        jz .even
        mov eax, edi
        add dword [nwp1], 1
.even:
        mov cr0, eax
.tw:    mov [RO_SUP + 0x100], ecx       ; 6 bytes (89 0D disp32)
.tw_end:
        cmp dword [RO_SUP + 0x100], ecx
        jne .no
        add dword [landed], 1
.no:
        add esi, 1
        cmp esi, 1000
        jb .toggle
        mov cr0, ebx
        CLEAR_HOOK 14
        CHECK_EQ '4.insn_len', .tw_end - .tw, 6
        CHECK_EQ '4.wp1_writes', dword [nwp1], 500
        CHECK_EQ '4.faults', dword [nfault], 500
        CHECK_EQ '4.landed', dword [landed], 500
        CHECK_EQ '4.bad_err', dword [bad_err], 0
        CHECK_EQ '4.bad_cr2', dword [bad_cr2], 0
        mov eax, [phys]
        CHECK_EQ '4.last_value', dword [eax + 0x100], 998

        ; -------------------------------------------------------------- 5 --
        PUTSLN '--- 5: CPL 3 with WP = 1'
        PG_CR0_SET CR0_WP
        R3_FAULT '5.r3_write_ro_usr', 14, PF_P | PF_W | PF_U, mov dword [RO_USR + 8], 0x51
        CHECK_CR2 '5.r3_write_ro_usr', RO_USR + 8
        EXC_ARM 0
        ENTER_RING3 r3_write_rw
        EXC_NONE '5.r3_write_rw'
        CHECK_EQ '5.r3_write_rw.value', eax, 0x33
        PG_CR0_CLR CR0_WP
        PG_DISABLE
        ret
