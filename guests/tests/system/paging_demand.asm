; paging_demand.asm -- demand paging: a #PF handler maps fresh pages.
;
; Intel SDM vol. 3: 4.7 (#PF error code, CR2), 6.15 (#PF is a fault: the
; pushed EIP is the faulting instruction, which is restarted after the
; handler returns), 4.10.2.? (no INVLPG needed after a not-present entry is
; made present: not-present translations are never cached).
;   A  256 pages at 0x3FF80000 (the region crosses a page-directory entry
;      boundary; both PDEs start not present): the handler allocates the
;      page table and a zeroed page for CR2.  The accesses alternate: read
;      dword (err 0), write dword (err 2), read byte (err 0), write word
;      (err 2), at CPL 0, at offset (i * 52) & 0xFFC of page i.  Checked:
;      256 faults, every CR2 (the exact address, offset included), error
;      code and pushed EIP; reads of fresh pages return 0; each page
;      afterwards holds its value (through the mapping and through the
;      identity map of the physical page the handler chose); no more faults
;      on a second pass.
;   B  16 pages at 0x60000000 touched at CPL 3: errors 4 (read) / 6 (write),
;      the handler maps them user-accessible; CS 0x1B pushed.
;   C  instruction fetch: a call to a not-present page faults with err 0,
;      CR2 = EIP = the target; an instruction whose opcode lies on a present
;      page and whose immediate lies on the next, not-present page faults
;      with CR2 = the start of that page and EIP = the instruction start; a
;      CPL-3 call into a not-present page gives err 4.
%include "harness.inc"
%include "system.inc"
%include "paging.inc"

%define NPAGES      256
%define DEMAND_BASE 0x3FF80000
%define NUPAGES     16
%define USER_BASE   0x60000000
%define CODE_BASE   0x50000000
%define MAXLOG      512

section .data
align 4
kdir:           dd 0
nfaults:        dd 0
bad_present:    dd 0
code_phys:      dd 0, 0, 0
nonzero_reads:  dd 0
mismatch:       dd 0
exp_err:        dd 0, 2, 0, 2
exp_eip:        dd touch.i0, touch.i1, touch.i2, touch.i3
user_eax:       dd 0
r3_exp_eax:     dd 0

section .bss
alignb 4
cr2_log:        resd MAXLOG
err_log:        resd MAXLOG
eip_log:        resd MAXLOG
cs_log:         resd MAXLOG
phys_log:       resd MAXLOG

section .text

; #PF hook: log, then map a page for CR2
pf_hook:
        mov eax, cr2
        mov ecx, [nfaults]
        add dword [nfaults], 1
        cmp ecx, MAXLOG
        jae .nolog
        mov [cr2_log + ecx * 4], eax
        mov edx, [ebp + FR_ERR]
        mov [err_log + ecx * 4], edx
        mov edx, [ebp + FR_EIP]
        mov [eip_log + ecx * 4], edx
        movzx edx, word [ebp + FR_CS]
        mov [cs_log + ecx * 4], edx
.nolog:
        mov ebx, eax
        sub ebx, CODE_BASE
        cmp ebx, 3 * 4096
        jb .code
        mov ebx, eax
        sub ebx, DEMAND_BASE
        cmp ebx, NPAGES * 4096
        jb .data
        mov ebx, eax
        sub ebx, USER_BASE
        cmp ebx, NUPAGES * 4096
        jb .data
        PUTS 'FAIL: #PF outside the demand regions, CR2 '
        PUTHEX eax
        PUTS ' EIP '
        PUTHEX dword [ebp + FR_EIP]
        NEWLINE
        jmp test_fail
.code:
        shr ebx, 12
        mov ebx, [code_phys + ebx * 4]
        jmp .map
.data:
        push eax
        call pg_alloc                   ; a fresh zeroed page
        mov ebx, eax
        pop eax
.map:
        cmp ecx, MAXLOG
        jae .nolog2
        mov [phys_log + ecx * 4], ebx
.nolog2:
        or ebx, PG_KRW
        test dword [ebp + FR_ERR], PF_U
        jz .kernel
        or ebx, PG_US
.kernel:
        mov edx, [kdir]
        call pg_pte_ptr                 ; allocates the page table if needed
        cmp dword [eax], 0
        je .fresh
        add dword [bad_present], 1
.fresh:
        mov [eax], ebx
        ret

; touch: EDI = address, ECX = value, ESI = i.  First access by i % 4.
touch:
        mov eax, esi
        and eax, 3
        jmp [.tab + eax * 4]
.tab:   dd .t0, .t1, .t2, .t3
.t0:
.i0:    mov eax, [edi]
        jmp .read
.t1:
.i1:    mov [edi], ecx
        jmp .done
.t2:
.i2:    movzx eax, byte [edi]
        jmp .read
.t3:
.i3:    mov [edi], cx
        jmp .done
.read:
        test eax, eax
        jz .done
        add dword [nonzero_reads], 1
.done:
        mov [edi], ecx
        ret

; page_addr: ESI = i -> EDI = address in page i, ECX = its value
page_addr:
        mov edi, esi
        imul edi, edi, 52
        and edi, 0xFFC
        mov ecx, esi
        shl ecx, 12
        lea edi, [edi + ecx + DEMAND_BASE]
        mov ecx, edi
        xor ecx, 0x5A5A5A5A
        ret

; ring-3 part B: touch USER_BASE pages, even read / odd write
r3_touch:
        xor esi, esi
        xor ebx, ebx                    ; OR of values read
.l:
        mov edi, esi
        shl edi, 12
        add edi, USER_BASE + 0x10
        test esi, 1
        jnz .w
.r3_read:
        or ebx, [edi]
        mov [edi], esi
        jmp .next
.w:
.r3_write:
        mov [edi], esi
.next:
        add esi, 1
        cmp esi, NUPAGES
        jb .l
        ; read them all back
        xor eax, eax
        xor esi, esi
.v:
        mov edi, esi
        shl edi, 12
        cmp [edi + USER_BASE + 0x10], esi
        je .ok
        add eax, 1
.ok:
        add esi, 1
        cmp esi, NUPAGES
        jb .v
        or eax, ebx                     ; 0 if all fine
        RING0

; ring-3 part C: call into a not-present user code page
r3_call:
.c:     call CODE_BASE + 2 * 4096
        RING0

test_main:
        PUTSLN 'paging_demand: demand paging from a #PF handler'
        SYS_INIT
        ; code pages for part C (filled while paging is off)
        call pg_alloc
        mov [code_phys], eax
        mov byte [eax], 0xB8            ; mov eax, 0xC0DE0001
        mov dword [eax + 1], 0xC0DE0001
        mov byte [eax + 5], 0xC3        ; ret
        mov byte [eax + 0xFFD], 0xB8    ; mov eax, 0x12345678 across pages
        mov word [eax + 0xFFE], 0x5678
        call pg_alloc
        mov [code_phys + 4], eax
        mov word [eax], 0x1234
        mov byte [eax + 2], 0xC3        ; ret
        call pg_alloc
        mov [code_phys + 8], eax
        mov byte [eax], 0xB8            ; mov eax, 0xC0DE0003
        mov dword [eax + 1], 0xC0DE0003
        mov byte [eax + 5], 0xC3

        call pg_new_kdir
        mov [kdir], eax
        PG_ENABLE eax
        SET_HOOK 14, pf_hook
        mov eax, cr0
        and eax, CR0_PG | 1
        CHECK_EQ 'cr0.pg_pe', eax, CR0_PG | 1

        ; ------------------------------------------------------------ A --
        PUTSLN '--- A: 256 pages at CPL 0'
        xor esi, esi
.a_touch:
        call page_addr
        call touch
        add esi, 1
        cmp esi, NPAGES
        jb .a_touch
        CHECK_EQ 'A.faults', dword [nfaults], NPAGES
        CHECK_EQ 'A.fault_on_present_pte', dword [bad_present], 0
        CHECK_EQ 'A.fresh_page_reads_nonzero', dword [nonzero_reads], 0
        ; the logs: CR2, error code, EIP, CS
        xor esi, esi
        mov dword [mismatch], 0
.a_log:
        call page_addr
        xor ebx, ebx
        cmp [cr2_log + esi * 4], edi
        je .cr2_ok
        or ebx, 1
.cr2_ok:
        mov eax, esi
        and eax, 3
        mov edx, [exp_err + eax * 4]
        cmp [err_log + esi * 4], edx
        je .err_ok
        or ebx, 2
.err_ok:
        mov edx, [exp_eip + eax * 4]
        cmp [eip_log + esi * 4], edx
        je .eip_ok
        or ebx, 4
.eip_ok:
        cmp dword [cs_log + esi * 4], SEL_KCODE
        je .cs_ok
        or ebx, 8
.cs_ok:
        test ebx, ebx
        jz .a_log_next
        add dword [mismatch], 1
        cmp dword [mismatch], 5
        ja .a_log_next
        PUTS 'A.log mismatch page '
        PUTDEC esi
        PUTS ' cr2 '
        PUTHEX dword [cr2_log + esi * 4]
        PUTS ' exp '
        PUTHEX edi
        PUTS ' err '
        PUTHEX dword [err_log + esi * 4]
        PUTS ' eip '
        PUTHEX dword [eip_log + esi * 4]
        NEWLINE
.a_log_next:
        add esi, 1
        cmp esi, NPAGES
        jb .a_log
        CHECK_EQ 'A.log_mismatches', dword [mismatch], 0
        CHECK_EQ 'A.cr2[0]', dword [cr2_log], DEMAND_BASE
        CHECK_EQ 'A.err[1]', dword [err_log + 4], PF_W
        CHECK_EQ 'A.cr2[255]', dword [cr2_log + 255 * 4], DEMAND_BASE + 255 * 4096 + ((255 * 52) & 0xFFC)
        CHECK_EQ 'A.err[255]', dword [err_log + 255 * 4], PF_W
        ; both PDEs are present now
        mov eax, [kdir]
        mov eax, [eax + (DEMAND_BASE >> 22) * 4]
        and eax, PG_P
        CHECK_EQ 'A.pde0.present', eax, PG_P
        mov eax, [kdir]
        mov eax, [eax + ((DEMAND_BASE >> 22) + 1) * 4]
        and eax, PG_P
        CHECK_EQ 'A.pde1.present', eax, PG_P

        ; contents, through the mapping and the identity map; no new faults
        mov ebp, [nfaults]
        xor esi, esi
        mov dword [mismatch], 0
.a_verify:
        call page_addr
        xor ebx, ebx
        cmp [edi], ecx
        je .v1
        or ebx, 1
.v1:
        mov edx, edi
        and edx, 0xFFF
        add edx, [phys_log + esi * 4]
        cmp [edx], ecx
        je .v2
        or ebx, 2
.v2:
        xor edx, 0x800                  ; elsewhere in the page: still zero
        cmp dword [edx], 0
        je .v3
        or ebx, 4
.v3:
        mov edx, edi
        xor edx, 0x800
        cmp dword [edx], 0
        je .v4
        or ebx, 8
.v4:
        test ebx, ebx
        jz .a_verify_next
        add dword [mismatch], 1
        cmp dword [mismatch], 5
        ja .a_verify_next
        PUTS 'A.content mismatch page '
        PUTDEC esi
        PUTS ' bits '
        PUTHEX ebx
        NEWLINE
.a_verify_next:
        add esi, 1
        cmp esi, NPAGES
        jb .a_verify
        CHECK_EQ 'A.content_mismatches', dword [mismatch], 0
        mov eax, [nfaults]
        sub eax, ebp
        CHECK_EQ 'A.faults_on_second_pass', eax, 0

        ; ------------------------------------------------------------ B --
        PUTSLN '--- B: 16 pages at CPL 3'
        mov ebp, [nfaults]
        ENTER_RING3 r3_touch
        CHECK_EQ 'B.r3_result', eax, 0
        mov eax, [nfaults]
        sub eax, ebp
        CHECK_EQ 'B.faults', eax, NUPAGES
        CHECK_EQ 'B.cr2[0]', dword [cr2_log + NPAGES * 4], USER_BASE + 0x10
        CHECK_EQ 'B.err[0]', dword [err_log + NPAGES * 4], PF_U
        CHECK_EQ 'B.eip[0]', dword [eip_log + NPAGES * 4], r3_touch.r3_read
        CHECK_EQ 'B.cs[0]', dword [cs_log + NPAGES * 4], SEL_UCODE | 3
        CHECK_EQ 'B.cr2[1]', dword [cr2_log + (NPAGES + 1) * 4], USER_BASE + 0x1010
        CHECK_EQ 'B.err[1]', dword [err_log + (NPAGES + 1) * 4], PF_U | PF_W
        CHECK_EQ 'B.eip[1]', dword [eip_log + (NPAGES + 1) * 4], r3_touch.r3_write
        CHECK_EQ 'B.cr2[15]', dword [cr2_log + (NPAGES + 15) * 4], USER_BASE + 0xF010
        CHECK_EQ 'B.err[15]', dword [err_log + (NPAGES + 15) * 4], PF_U | PF_W

        ; ------------------------------------------------------------ C --
        PUTSLN '--- C: instruction fetches'
        mov ebp, [nfaults]
        call CODE_BASE
        CHECK_EQ 'C.call.eax', eax, 0xC0DE0001
        mov eax, [nfaults]
        sub eax, ebp
        CHECK_EQ 'C.call.faults', eax, 1
        CHECK_EQ 'C.call.cr2', dword [cr2_log + ebp * 4], CODE_BASE
        CHECK_EQ 'C.call.err', dword [err_log + ebp * 4], 0
        CHECK_EQ 'C.call.eip', dword [eip_log + ebp * 4], CODE_BASE
        call CODE_BASE                  ; mapped now: no fault
        mov eax, [nfaults]
        sub eax, ebp
        CHECK_EQ 'C.call_again.faults', eax, 1

        add ebp, 1
        call CODE_BASE + 0xFFD          ; mov eax, imm32 across the boundary
        CHECK_EQ 'C.straddle.eax', eax, 0x12345678
        mov eax, [nfaults]
        sub eax, ebp
        CHECK_EQ 'C.straddle.faults', eax, 1
        CHECK_EQ 'C.straddle.cr2', dword [cr2_log + ebp * 4], CODE_BASE + 0x1000
        CHECK_EQ 'C.straddle.err', dword [err_log + ebp * 4], 0
        CHECK_EQ 'C.straddle.eip', dword [eip_log + ebp * 4], CODE_BASE + 0xFFD

        add ebp, 1
        ENTER_RING3 r3_call
        CHECK_EQ 'C.r3call.eax', eax, 0xC0DE0003
        mov eax, [nfaults]
        sub eax, ebp
        CHECK_EQ 'C.r3call.faults', eax, 1
        CHECK_EQ 'C.r3call.cr2', dword [cr2_log + ebp * 4], CODE_BASE + 2 * 4096
        CHECK_EQ 'C.r3call.err', dword [err_log + ebp * 4], PF_U
        CHECK_EQ 'C.r3call.eip', dword [eip_log + ebp * 4], CODE_BASE + 2 * 4096
        CHECK_EQ 'C.r3call.cs', dword [cs_log + ebp * 4], SEL_UCODE | 3

        CHECK_EQ 'total.faults', dword [nfaults], NPAGES + NUPAGES + 3
        CHECK_EQ 'total.fault_on_present_pte', dword [bad_present], 0
        PG_DISABLE
        ret
