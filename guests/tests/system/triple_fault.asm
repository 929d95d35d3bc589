; triple_fault.asm -- a guest that triple faults (shutdown).
;
; Prints "triple_fault: about to triple fault", then:
;   default:  LIDT with limit 0, int3.  Vector 3 is beyond the IDT limit:
;             #GP(3*8+2); vector 13 is beyond it too: #GP while delivering
;             #GP = #DF; vector 8 is beyond it: a fault while delivering
;             #DF = shutdown (SDM vol. 3 6.15, interrupt 8, "triple fault").
;   -DVIA_TSS: TSS.SS0 = 0, then int 0x41 (DPL-3 gate to ring 0) from ring 3:
;             the stack switch finds a null SS0: #TS(0); delivering the #TS
;             from CPL 3 needs SS0 again: #TS = #DF; delivering the #DF
;             needs it as well: shutdown.
; With --no-reboot ringshift exits with status 4 and says "triple fault" on
; stderr; without it the machine resets and the kernel prints its line again
; (ctests system.triple_fault, system.triple_fault_tss and
; system.triple_fault_reset in CMakeLists.txt).
%include "harness.inc"
%include "system.inc"

section .data
align 4
                dw 0
zero_idtr:      dw 0
                dd 0

section .text

r3_int:
        int SYS_VEC_USER
        RING0

test_main:
        PUTSLN 'triple_fault: about to triple fault'
%ifdef VIA_TSS
        SYS_INIT
        mov dword [sys_tss + TSS_SS0], 0
        ENTER_RING3 r3_int
%else
        lidt [zero_idtr]
        int3
%endif
        PUTSLN 'FAIL: still running after the triple fault'
        jmp test_fail
