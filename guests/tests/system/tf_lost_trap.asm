; Single-step #DB traps must not be lost when the host timer (SIGALRM) closes the poll
; page while a one-instruction TF block runs: every instruction executed with TF=1 traps.
; PIT ch0 runs fast (IRQ0 masked at the PIC, so only the host timer is affected).
%include "harness.inc"
%include "system.inc"
%define N 20000
section .data
db_count: dd 0
section .text
db_hook:
        inc dword [db_count]
        cmp dword [ebp + FR_EIP], ss_end
        jne .r
        and dword [ebp + FR_EFLAGS], ~EFL_TF
.r:     ret
global test_main
test_main:
        PUTSLN 'tf_lost_trap'
        SYS_INIT
        call pic_init                   ; all IRQs masked
        SET_HOOK 1, db_hook
        mov eax, 20                     ; ~60 kHz edges: SIGALRM storm
        mov edx, PIT_CH0_MODE2
        call pit_ch0
        cli
        pushfd
        or dword [esp], EFL_TF
        popfd
        mov ecx, N                      ; trap 1
.l:     dec ecx                         ; 2 traps per iteration
        jnz .l
ss_end: nop
        mov eax, [db_count]
        CHECK_EQ 'single-step traps (1 + 2N)', eax, 1 + 2*N
        ret
