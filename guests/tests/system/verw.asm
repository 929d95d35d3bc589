; verw.asm -- VERW, which Linux runs on every return to user mode when it clears CPU
; buffers (AMD's TSA in a VM, MDS): translated code answers it inline from the DS-load
; cache (translator/emit_segment.cpp) and the helper fills that cache.
;
; Expected values from the Intel SDM vol. 2 (VERR/VERW): ZF = 1 iff the selector is
; not null, lies within the descriptor table, and names a data segment that is
; writable with DPL >= CPL and DPL >= RPL; no other flag and no register changes.
; Each case runs many times (the first VERW goes to the helper, the rest are
; translated) with the other flags set and ZF the opposite of the answer:
;   * ring-0 data (0x10), memory and register operand: ZF = 1
;   * ring-0 code (0x08): ZF = 0 (code is never writable)
;   * ring-3 data with RPL 3 (0x23) at CPL 0: ZF = 1
;   * ring-0 data with RPL 3 (0x13): ZF = 0 (RPL > DPL)
;   * null selector, selector beyond the GDT limit (0x70): ZF = 0
;   * read-only ring-0 data: ZF = 0
;   * a writable descriptor made read-only in the GDT after many VERWs of it (no
;     reload, no LGDT): ZF = 0 from the next VERW on
;   * at CPL 3: 0x23 gives ZF = 1 and 0x10 (DPL 0 < CPL 3) ZF = 0, after both were
;     answered at CPL 0
; The ctest also requires the helper to run fewer than 1000 times in all (it would
; run ~14000 times without the inline path).
%include "harness.inc"
%include "system.inc"

%define ROUNDS 2000
%define FEW 8
%define OTHERS (EFL_CF | EFL_PF | 0x10 | 0x80 | EFL_OF)   ; CF PF AF SF OF
%define ARITH (OTHERS | EFL_ZF)

section .data
align 4
sel_mem:        dw 0, 0
bad:            dd 0

section .text

; verw_rounds: ECX rounds of VERW [sel_mem] (or of VERW DX when EBX != 0, DX = the
; selector), each with the flags OTHERS | (ZF = ~ESI) before; returns EAX = rounds
; whose arithmetic flags after were not OTHERS | ESI, or whose EAX/EDX/EBP changed.
; ESI = the expected ZF (EFL_ZF or 0).
verw_rounds:
        push edi
        xor edi, edi
        movzx edx, word [sel_mem]
.round:
        mov eax, esi
        xor eax, EFL_ZF                 ; ZF the opposite of the answer
        or eax, OTHERS | 2
        push eax
        mov eax, 0x5A5AA5A5             ; EAX must come through (AH/AL hold flags inline)
        mov ebp, 0x600DF00D
        test ebx, ebx                   ; (before the POPFD: TEST writes flags)
        jnz .reg
        popfd
        verw [sel_mem]
        jmp .after
.reg:
        popfd
        verw dx
.after:
        pushfd
        cmp eax, 0x5A5AA5A5
        jne .wrong_pop
        cmp ebp, 0x600DF00D
        jne .wrong_pop
        pop eax
        and eax, ARITH
        mov ebp, esi
        or ebp, OTHERS
        cmp eax, ebp
        je .next
        inc edi
        jmp .next
.wrong_pop:
        add esp, 4
        inc edi
.next:
        dec ecx
        jnz .round
        mov eax, edi
        pop edi
        ret

; VERW_CASE 'name', selector, expected ZF (EFL_ZF or 0), rounds, register form (0/1)
%macro VERW_CASE 5
        mov word [sel_mem], %2
        mov esi, %3
        mov ecx, %4
        mov ebx, %5
        push ebp
        call verw_rounds
        pop ebp
        CHECK_EQ %1, eax, 0
%endmacro

; Ring 3: EAX = rounds with a wrong ZF for 0x23 (expected 1) plus for 0x10 (expected 0).
r3_code:
        xor edi, edi
        mov ecx, ROUNDS
        mov word [sel_mem], SEL_UDATA | 3
.user:
        verw [sel_mem]
        jz .ok_user
        inc edi
.ok_user:
        dec ecx
        jnz .user
        mov ecx, FEW
        mov word [sel_mem], SEL_KDATA
.kernel:
        verw [sel_mem]
        jnz .ok_kernel
        inc edi
.ok_kernel:
        dec ecx
        jnz .kernel
        mov eax, edi
        RING0

global test_main
test_main:
        PUTSLN 'verw'
        SYS_INIT
        call pic_init
        VERW_CASE 'ring-0 data', SEL_KDATA, EFL_ZF, ROUNDS, 0
        VERW_CASE 'ring-0 data, register operand', SEL_KDATA, EFL_ZF, ROUNDS, 1
        VERW_CASE 'ring-0 code', SEL_KCODE, 0, ROUNDS, 0
        VERW_CASE 'ring-3 data, RPL 3, at CPL 0', SEL_UDATA | 3, EFL_ZF, ROUNDS, 0
        VERW_CASE 'ring-0 data with RPL 3', SEL_KDATA | 3, 0, FEW, 0
        VERW_CASE 'null selector', 0, 0, FEW, 0
        VERW_CASE 'selector beyond the GDT limit', SEL_BEYOND, 0, FEW, 0
        SET_DESC SEL_SPARE0, 0, 0xFFFFF, 0xC91   ; read-only data, accessed, DPL 0
        VERW_CASE 'read-only ring-0 data', SEL_SPARE0, 0, ROUNDS, 0
        SET_DESC SEL_SPARE1, 0, 0xFFFFF, DESC_DATA0
        VERW_CASE 'spare writable data', SEL_SPARE1, EFL_ZF, ROUNDS, 0
        SET_DESC SEL_SPARE1, 0, 0xFFFFF, 0xC91   ; now read-only in the GDT
        VERW_CASE 'the same descriptor made read-only', SEL_SPARE1, 0, ROUNDS, 0
        ENTER_RING3 r3_code
        CHECK_EQ 'CPL 3: 0x23 writable, 0x10 not', eax, 0
        ret
