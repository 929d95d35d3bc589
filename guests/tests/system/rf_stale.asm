; RF: a fault pushes RF=1 and IRET restores it, but the processor clears RF when the
; next instruction completes (SDM vol. 3 17.3.1.1). A later INT n pushes RF=0.
%include "harness.inc"
%include "system.inc"
section .text
global test_main
test_main:
        PUTSLN 'rf_stale'
        SYS_INIT
        call pic_init
        EXC_ARM .resume
        mov dword [sys_last_eflags], -1
        ud2                             ; fault: pushed EFLAGS has RF=1
.resume:
        mov esi, [sys_last_eflags]
        nop
        nop
        int SYS_VEC_USER
        and esi, EFL_RF
        CHECK_EQ '#UD pushed RF', esi, EFL_RF
        mov eax, [sys_last_eflags]
        and eax, EFL_RF
        CHECK_EQ 'INT n pushed RF (two instructions after the IRET)', eax, 0
        ret
