; paging_protect.asm -- page-level protection: U/S and R/W in the PDE and
; the PTE, not-present pages, exact #PF error codes and CR2, and the state
; a #PF leaves (it is a fault: nothing of the instruction is done).
;
; Intel SDM vol. 3: 4.6 (access rights: U/S and R/W of both levels are
; combined; CPL-0 accesses may read user pages and, with CR0.WP = 0, write
; read-only pages), 4.7 (error code: P bit 0, W/R bit 1, U/S bit 3 ... CR2 =
; the faulting linear address), 6.15 interrupt 14 (the pushed CS:EIP is the
; faulting instruction; string instructions: registers reflect the
; iterations completed, so a restart resumes them), vol. 2 PUSH/CALL/RET/POP
; (ESP is not updated when the memory access faults).
;   A  CPL 3: read / write of a supervisor page (5 / 7), write of a
;      read-only user page (7; the page is unchanged), read of it works,
;      not-present read / write (4 / 6), a supervisor PDE with a user PTE
;      (5), a read-only PDE with a writable PTE (write 7, read works),
;      instruction fetch from a supervisor page (5, EIP = CR2 = the target,
;      the return address already pushed); CPL 0: the same pages readable,
;      the supervisor and read-only ones writable (WP = 0), not-present
;      read / write (0 / 2)
;   B  registers at the fault: all GPRs as before a faulting mov; rep movsd
;      reading into a not-present page (ECX/ESI/EDI of the faulting
;      iteration, the first dwords copied), the same with DF = 1 downwards,
;      then restarted by a handler that maps the page (completes: ECX = 0);
;      CPL-3 rep movsd and rep stosb writing into a not-present page
;   C  stack: at CPL 3 with ESP at the top of a not-present page, push,
;      push [mem], call rel32, call reg fault (err 6, CR2 = ESP - 4) with ESP
;      unchanged; ret and pop with ESP in a not-present page (err 4), EAX
;      unchanged by the pop
%include "harness.inc"
%include "system.inc"
%include "paging.inc"

%define PBASE       0x10000000
%define SUP         (PBASE + 0x0000)    ; P|RW supervisor
%define RO          (PBASE + 0x1000)    ; P|US read-only user
%define NP          (PBASE + 0x2000)    ; not present
%define UW          (PBASE + 0x3000)    ; P|RW|US
%define NP2         (PBASE + 0x4000)    ; not present
%define UW2         (PBASE + 0x5000)    ; P|RW|US
%define SUPCODE     (PBASE + 0x6000)    ; P|RW supervisor, code
%define PDE_S       0x10400000          ; PDE without US, PTE with
%define PDE_RO      0x10800000          ; PDE without RW, PTE with

section .data
align 4
kdir:           dd 0
phys_sup:       dd 0
phys_ro:        dd 0
phys_uw:        dd 0
phys_np2:       dd 0
phys_pdes:      dd 0
phys_pdero:     dd 0
fix_pte:        dd 0                    ; hook: write fix_val there, no resume
fix_val:        dd 0
rec_cr2:        dd 0
rec_eax:        dd 0
rec_ebx:        dd 0
rec_ecx:        dd 0
rec_edx:        dd 0
rec_esi:        dd 0
rec_edi:        dd 0
rec_ebp:        dd 0
rec_eflags:     dd 0
rec_n:          dd 0
src_buf:        dd 0x11110000, 0x11110001, 0x11110002, 0x11110003
                dd 0x11110004, 0x11110005, 0x11110006, 0x11110007
dst_buf:        times 8 dd 0
r3_dst_ok:      dd 0

section .text

%macro CHECK_CR2 2                      ; 'name', expected
        push eax
        mov eax, cr2
  %strcat pt_lbl_ %1, '.cr2'
        CHECK_EQ pt_lbl_, eax, %2
        pop eax
%endmacro

; #PF hook: record CR2 and the interrupted registers; then either map a page
; (fix_pte) so that the instruction restarts, or resume (sys_resume_eip)
pf_rec:
        mov eax, cr2
        mov [rec_cr2], eax
        add dword [rec_n], 1
        mov eax, [ebp + FR_EAX]
        mov [rec_eax], eax
        mov eax, [ebp + FR_EBX]
        mov [rec_ebx], eax
        mov eax, [ebp + FR_ECX]
        mov [rec_ecx], eax
        mov eax, [ebp + FR_EDX]
        mov [rec_edx], eax
        mov eax, [ebp + FR_ESI]
        mov [rec_esi], eax
        mov eax, [ebp + FR_EDI]
        mov [rec_edi], eax
        mov eax, [ebp + FR_EBP]
        mov [rec_ebp], eax
        mov eax, [ebp + FR_EFLAGS]
        mov [rec_eflags], eax
        mov eax, [fix_pte]
        test eax, eax
        jz .resume
        mov ecx, [fix_val]
        mov [eax], ecx
        mov dword [fix_pte], 0
        ret
.resume:
        call sys_apply_resume
        ret

; SET_REGS: known values in all GPRs but ESP
%macro SET_REGS 0
        mov eax, 0xA0A0A0A0
        mov ebx, 0xB0B0B0B0
        mov ecx, 0xC0C0C0C0
        mov edx, 0xD0D0D0D0
        mov esi, 0x5151515A
        mov edi, 0xD1D1D1DA
        mov ebp, 0xBBBBBBB0
%endmacro

%macro SET_REGS_ESP 1
        SET_REGS
        mov esp, %1
%endmacro

%macro SETUP_R3_MOVSD 0
        mov esi, src_buf
        mov edi, UW + 0xFF8
        mov ecx, 4
%endmacro

%macro SETUP_R3_STOSB 0
        mov al, 0x77
        mov edi, UW + 0xFFD
        mov ecx, 10
        mov esi, 0x5E5E5E5E             ; STOS does not use ESI: it must come back as it was
%endmacro

%macro SETUP_R3_SCASD 0
        mov eax, 0x12345678             ; not in UW's last dword: the scan runs into NP2
        mov edi, UW + 0xFFC
        mov ecx, 4
        mov esi, 0x5E5E5E5E
%endmacro

%macro SETUP_CALL_REG 0
        mov esp, NP2 + 4096
        mov eax, target_fn
%endmacro

%macro CHECK_REGS 1
  %strcat pt_lbl_ %1, '.eax'
        CHECK_EQ pt_lbl_, dword [rec_eax], 0xA0A0A0A0
  %strcat pt_lbl_ %1, '.ebx'
        CHECK_EQ pt_lbl_, dword [rec_ebx], 0xB0B0B0B0
  %strcat pt_lbl_ %1, '.ecx'
        CHECK_EQ pt_lbl_, dword [rec_ecx], 0xC0C0C0C0
  %strcat pt_lbl_ %1, '.edx'
        CHECK_EQ pt_lbl_, dword [rec_edx], 0xD0D0D0D0
  %strcat pt_lbl_ %1, '.esi'
        CHECK_EQ pt_lbl_, dword [rec_esi], 0x5151515A
  %strcat pt_lbl_ %1, '.edi'
        CHECK_EQ pt_lbl_, dword [rec_edi], 0xD1D1D1DA
  %strcat pt_lbl_ %1, '.ebp'
        CHECK_EQ pt_lbl_, dword [rec_ebp], 0xBBBBBBB0
%endmacro

; ring-3 fetch from a supervisor page (part A)
r3_fetch_sup:
        mov dword [sys_resume_eip], .after
        call SUPCODE
.after:
        RING0

; ring-3 reads that must work (part A): EAX = sum
r3_reads_ok:
        mov eax, [RO]
        add eax, [PDE_RO]
        add eax, [UW]
        RING0

target_fn:
        ret

test_main:
        PUTSLN 'paging_protect: U/S, R/W, not-present: error codes, CR2, state'
        SYS_INIT
        call pg_new_kdir
        mov [kdir], eax
        mov edx, eax
        ; test pages (contents filled with paging off)
        call pg_alloc
        mov [phys_sup], eax
        mov dword [eax], 0x50500001
        mov ebx, eax
        or ebx, PG_KRW
        mov eax, SUP
        call pg_map
        call pg_alloc
        mov [phys_ro], eax
        mov dword [eax], 0x0000F001
        mov ebx, eax
        or ebx, PG_P | PG_US
        mov eax, RO
        call pg_map
        mov eax, NP
        xor ebx, ebx
        call pg_map
        call pg_alloc
        mov [phys_uw], eax
        mov ecx, 0
.fill_uw:
        lea ebx, [ecx + 0x33330000]
        mov [eax + ecx * 4], ebx
        add ecx, 1
        cmp ecx, 1024
        jb .fill_uw
        mov ebx, eax
        or ebx, PG_URW
        mov eax, UW
        call pg_map
        mov eax, NP2
        xor ebx, ebx
        call pg_map
        call pg_alloc
        mov [phys_np2], eax             ; mapped at NP2 by the restart test
        mov ecx, 0
.fill_np2:
        lea ebx, [ecx + 0x44440000]
        mov [eax + ecx * 4], ebx
        add ecx, 1
        cmp ecx, 1024
        jb .fill_np2
        call pg_alloc
        mov ebx, eax
        or ebx, PG_URW
        mov eax, UW2
        call pg_map
        call pg_alloc
        mov byte [eax], 0xC3            ; ret
        mov ebx, eax
        or ebx, PG_KRW
        mov eax, SUPCODE
        call pg_map
        ; PDE without US, PTE with
        call pg_alloc
        mov [phys_pdes], eax
        mov dword [eax], 0x5DE50001
        mov ebx, eax
        or ebx, PG_URW
        mov eax, PDE_S
        call pg_map
        mov eax, [kdir]
        and dword [eax + (PDE_S >> 22) * 4], ~PG_US
        ; PDE without RW, PTE with
        call pg_alloc
        mov [phys_pdero], eax
        mov dword [eax], 0x5DE00001
        mov ebx, eax
        or ebx, PG_URW
        mov eax, PDE_RO
        call pg_map
        mov eax, [kdir]
        and dword [eax + (PDE_RO >> 22) * 4], ~PG_RW

        PG_ENABLE [kdir]
        mov eax, cr0
        and eax, CR0_WP
        CHECK_EQ 'cr0.wp', eax, 0

        ; ------------------------------------------------------------ A --
        PUTSLN '--- A: CPL 3 and CPL 0 access rights'
        R3_FAULT 'A.r3_read_sup', 14, PF_P | PF_U, mov eax, [SUP]
        CHECK_CR2 'A.r3_read_sup', SUP
        R3_FAULT 'A.r3_read_sup_byte', 14, PF_P | PF_U, mov al, [SUP + 0xFFF]
        CHECK_CR2 'A.r3_read_sup_byte', SUP + 0xFFF
        R3_FAULT 'A.r3_write_sup', 14, PF_P | PF_W | PF_U, mov dword [SUP + 8], 1
        CHECK_CR2 'A.r3_write_sup', SUP + 8
        R3_FAULT 'A.r3_write_ro', 14, PF_P | PF_W | PF_U, mov dword [RO + 0x10], 2
        CHECK_CR2 'A.r3_write_ro', RO + 0x10
        R3_FAULT 'A.r3_add_ro', 14, PF_P | PF_W | PF_U, add dword [RO], 1
        CHECK_CR2 'A.r3_add_ro', RO
        mov eax, [phys_ro]
        CHECK_EQ 'A.ro_unchanged', dword [eax], 0x0000F001
        CHECK_EQ 'A.ro_unchanged+10', dword [eax + 0x10], 0
        R3_FAULT 'A.r3_read_np', 14, PF_U, mov eax, [NP + 0x123]
        CHECK_CR2 'A.r3_read_np', NP + 0x123
        R3_FAULT 'A.r3_write_np', 14, PF_U | PF_W, mov [NP + 0xFFC], eax
        CHECK_CR2 'A.r3_write_np', NP + 0xFFC
        R3_FAULT 'A.r3_read_pde_sup', 14, PF_P | PF_U, mov eax, [PDE_S + 4]
        CHECK_CR2 'A.r3_read_pde_sup', PDE_S + 4
        R3_FAULT 'A.r3_write_pde_sup', 14, PF_P | PF_W | PF_U, mov [PDE_S + 4], eax
        CHECK_CR2 'A.r3_write_pde_sup', PDE_S + 4
        R3_FAULT 'A.r3_write_pde_ro', 14, PF_P | PF_W | PF_U, mov [PDE_RO + 0x20], eax
        CHECK_CR2 'A.r3_write_pde_ro', PDE_RO + 0x20
        ENTER_RING3 r3_reads_ok
        CHECK_EQ 'A.r3_reads_ok', eax, 0x0000F001 + 0x5DE00001 + 0x33330000
        ; CPL-3 fetch from a supervisor page: fault at the target
        EXC_ARM 0
        ENTER_RING3 r3_fetch_sup
        EXC_CHECK 'A.r3_fetch_sup', 14, PF_P | PF_U, SUPCODE
        CHECK_CR2 'A.r3_fetch_sup', SUPCODE
        CHECK_EQ 'A.r3_fetch_sup.esp', dword [sys_last_esp], sys_r3_stack_top - 4
        mov eax, [sys_r3_stack_top - 4]
        CHECK_EQ 'A.r3_fetch_sup.retaddr', eax, r3_fetch_sup.after
        ; CPL 0: everything present is readable and writable (WP = 0)
        mov eax, [SUP]
        CHECK_EQ 'A.r0_read_sup', eax, 0x50500001
        mov dword [SUP + 4], 0x50500002
        mov eax, [phys_sup]
        CHECK_EQ 'A.r0_write_sup', dword [eax + 4], 0x50500002
        mov dword [RO + 4], 0x0000F002
        mov eax, [phys_ro]
        CHECK_EQ 'A.r0_write_ro_wp0', dword [eax + 4], 0x0000F002
        mov eax, [PDE_S]
        CHECK_EQ 'A.r0_read_pde_sup', eax, 0x5DE50001
        mov dword [PDE_RO + 4], 0x5DE00002
        mov eax, [phys_pdero]
        CHECK_EQ 'A.r0_write_pde_ro_wp0', dword [eax + 4], 0x5DE00002
        call SUPCODE                    ; CPL-0 fetch from it works
        EXC_ARM .r0_np_read_after
.r0_np_read:
        mov eax, [NP + 0x40]
.r0_np_read_after:
        EXC_CHECK 'A.r0_read_np', 14, 0, .r0_np_read
        CHECK_CR2 'A.r0_read_np', NP + 0x40
        EXC_ARM .r0_np_write_after
.r0_np_write:
        mov word [NP + 0x42], ax
.r0_np_write_after:
        EXC_CHECK 'A.r0_write_np', 14, PF_W, .r0_np_write
        CHECK_CR2 'A.r0_write_np', NP + 0x42

        ; ------------------------------------------------------------ B --
        PUTSLN '--- B: registers at the fault'
        SET_HOOK 14, pf_rec
        R3_FAULT_S 'B.r3_mov', 14, PF_U, {SET_REGS}, mov eax, [NP + 8]
        CHECK_REGS 'B.r3_mov'
        R3_FAULT_S 'B.r3_xchg', 14, PF_P | PF_W | PF_U, {SET_REGS}, xchg [RO + 8], ecx
        CHECK_REGS 'B.r3_xchg'

        ; CPL-0 rep movsd reading into NP2 at the 5th dword
        mov esi, UW + 0xFF0
        mov edi, dst_buf
        mov ecx, 8
        EXC_ARM .movsd_after
.movsd:
        rep movsd
.movsd_after:
        EXC_CHECK 'B.movsd', 14, 0, .movsd
        CHECK_CR2 'B.movsd', NP2
        CHECK_EQ 'B.movsd.ecx', dword [rec_ecx], 4
        CHECK_EQ 'B.movsd.esi', dword [rec_esi], NP2
        CHECK_EQ 'B.movsd.edi', dword [rec_edi], dst_buf + 16
        CHECK_EQ 'B.movsd.dst[0]', dword [dst_buf], 0x33330000 + 0x3FC
        CHECK_EQ 'B.movsd.dst[3]', dword [dst_buf + 12], 0x33330000 + 0x3FF
        CHECK_EQ 'B.movsd.dst[4]', dword [dst_buf + 16], 0
        ; DF = 1: downwards from UW + 8 into NP (below UW) at the 4th dword
        mov esi, UW + 8
        mov edi, dst_buf + 28
        mov ecx, 5
        EXC_ARM .movsd_down_after
        std
.movsd_down:
        rep movsd
.movsd_down_after:
        cld
        EXC_CHECK 'B.movsd_down', 14, 0, .movsd_down
        CHECK_CR2 'B.movsd_down', UW - 4
        CHECK_EQ 'B.movsd_down.ecx', dword [rec_ecx], 2
        CHECK_EQ 'B.movsd_down.esi', dword [rec_esi], UW - 4
        CHECK_EQ 'B.movsd_down.edi', dword [rec_edi], dst_buf + 16
        mov eax, [rec_eflags]
        and eax, EFL_DF
        CHECK_EQ 'B.movsd_down.df', eax, EFL_DF
        CHECK_EQ 'B.movsd_down.dst[7]', dword [dst_buf + 28], 0x33330002
        CHECK_EQ 'B.movsd_down.dst[5]', dword [dst_buf + 20], 0x33330000
        ; restart: the handler maps NP2, the instruction completes
        mov esi, UW + 0xFF0
        mov edi, dst_buf
        mov ecx, 8
        PG_PTEP [kdir], NP2
        mov [fix_pte], eax
        mov eax, [phys_np2]
        or eax, PG_URW
        mov [fix_val], eax
        mov dword [rec_n], 0
        EXC_ARM 0
.movsd_restart:
        rep movsd
        EXC_CHECK 'B.movsd_restart', 14, 0, .movsd_restart
        CHECK_EQ 'B.movsd_restart.ecx', ecx, 0
        CHECK_EQ 'B.movsd_restart.esi', esi, NP2 + 16
        CHECK_EQ 'B.movsd_restart.edi', edi, dst_buf + 32
        CHECK_EQ 'B.movsd_restart.rec_ecx', dword [rec_ecx], 4
        CHECK_EQ 'B.movsd_restart.dst[3]', dword [dst_buf + 12], 0x33330000 + 0x3FF
        CHECK_EQ 'B.movsd_restart.dst[4]', dword [dst_buf + 16], 0x44440000
        CHECK_EQ 'B.movsd_restart.dst[7]', dword [dst_buf + 28], 0x44440003
        ; unmap NP2 again
        PG_PTEP [kdir], NP2
        mov dword [eax], 0
        invlpg [NP2]

        ; CPL-3 rep movsd writing into NP2 at the 3rd dword
        R3_FAULT_S 'B.r3_movsd', 14, PF_U | PF_W, {SETUP_R3_MOVSD}, rep movsd
        CHECK_CR2 'B.r3_movsd', NP2
        CHECK_EQ 'B.r3_movsd.ecx', dword [rec_ecx], 2
        CHECK_EQ 'B.r3_movsd.esi', dword [rec_esi], src_buf + 8
        CHECK_EQ 'B.r3_movsd.edi', dword [rec_edi], NP2
        CHECK_EQ 'B.r3_movsd.copied', dword [UW + 0xFFC], 0x11110001
        ; CPL-3 rep stosb into NP2 after 3 bytes
        R3_FAULT_S 'B.r3_stosb', 14, PF_U | PF_W, {SETUP_R3_STOSB}, rep stosb
        CHECK_CR2 'B.r3_stosb', NP2
        CHECK_EQ 'B.r3_stosb.ecx', dword [rec_ecx], 7
        CHECK_EQ 'B.r3_stosb.edi', dword [rec_edi], NP2
        CHECK_EQ 'B.r3_stosb.esi', dword [rec_esi], 0x5E5E5E5E
        mov eax, [UW + 0xFFC]
        CHECK_EQ 'B.r3_stosb.stored', eax, 0x77777701
        ; CPL-3 repne scasd reading into NP2 after one dword
        R3_FAULT_S 'B.r3_scasd', 14, PF_U, {SETUP_R3_SCASD}, repne scasd
        CHECK_CR2 'B.r3_scasd', NP2
        CHECK_EQ 'B.r3_scasd.ecx', dword [rec_ecx], 3
        CHECK_EQ 'B.r3_scasd.edi', dword [rec_edi], NP2
        CHECK_EQ 'B.r3_scasd.esi', dword [rec_esi], 0x5E5E5E5E

        ; ------------------------------------------------------------ C --
        PUTSLN '--- C: stack accesses'
        R3_FAULT_S 'C.push', 14, PF_U | PF_W, {SET_REGS_ESP NP2 + 4096}, push eax
        CHECK_CR2 'C.push', NP2 + 4092
        CHECK_EQ 'C.push.esp', dword [sys_last_esp], NP2 + 4096
        CHECK_REGS 'C.push'
        R3_FAULT_S 'C.push_mem', 14, PF_U | PF_W, {mov esp, NP2 + 4096}, push dword [UW]
        CHECK_CR2 'C.push_mem', NP2 + 4092
        CHECK_EQ 'C.push_mem.esp', dword [sys_last_esp], NP2 + 4096
        R3_FAULT_S 'C.push_imm', 14, PF_U | PF_W, {mov esp, NP2 + 4096}, push dword 0x12345678
        CHECK_CR2 'C.push_imm', NP2 + 4092
        CHECK_EQ 'C.push_imm.esp', dword [sys_last_esp], NP2 + 4096
        R3_FAULT_S 'C.call', 14, PF_U | PF_W, {SET_REGS_ESP NP2 + 4096}, call target_fn
        CHECK_CR2 'C.call', NP2 + 4092
        CHECK_EQ 'C.call.esp', dword [sys_last_esp], NP2 + 4096
        CHECK_REGS 'C.call'
        R3_FAULT_S 'C.call_reg', 14, PF_U | PF_W, {SETUP_CALL_REG}, call eax
        CHECK_CR2 'C.call_reg', NP2 + 4092
        CHECK_EQ 'C.call_reg.esp', dword [sys_last_esp], NP2 + 4096
        R3_FAULT_S 'C.ret', 14, PF_U, {mov esp, NP2 + 16}, ret
        CHECK_CR2 'C.ret', NP2 + 16
        CHECK_EQ 'C.ret.esp', dword [sys_last_esp], NP2 + 16
        R3_FAULT_S 'C.pop', 14, PF_U, {SET_REGS_ESP NP2 + 8}, pop eax
        CHECK_CR2 'C.pop', NP2 + 8
        CHECK_EQ 'C.pop.esp', dword [sys_last_esp], NP2 + 8
        CHECK_REGS 'C.pop'
        R3_FAULT_S 'C.pop_mem', 14, PF_U, {mov esp, NP2 + 0xFFC}, pop dword [UW]
        CHECK_CR2 'C.pop_mem', NP2 + 0xFFC
        CHECK_EQ 'C.pop_mem.esp', dword [sys_last_esp], NP2 + 0xFFC
        CHECK_EQ 'C.pop_mem.dest_unchanged', dword [UW], 0x33330000

        CLEAR_HOOK 14
        PG_DISABLE
        ret
