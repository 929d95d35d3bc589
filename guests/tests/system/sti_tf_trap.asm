; Single-step over STI while an interrupt is waiting: STI's interrupt shadow blocks
; maskable interrupts only, not the single-step #DB (SDM vol. 3 17.3.1.4; the VMX
; chapter: only blocking by MOV SS holds pending debug exceptions). So the trap that
; follows STI reports EIP = the instruction after STI.
%include "harness.inc"
%include "system.inc"
section .data
db_n: dd 0
db_eip: times 8 dd 0
section .text
db_hook:
        mov eax, [db_n]
        cmp eax, 8
        jae .full
        mov edx, [ebp + FR_EIP]
        mov [db_eip + eax*4], edx
        inc dword [db_n]
.full:  cmp dword [ebp + FR_EIP], stop_here
        jb .r
        and dword [ebp + FR_EFLAGS], ~EFL_TF
.r:     ret
irq0_hook:
        mov al, 0x20
        out 0x20, al
        ret
global test_main
test_main:
        PUTSLN 'sti_tf_trap'
        SYS_INIT
        call pic_init
        SET_HOOK 1, db_hook
        SET_HOOK 0x20, irq0_hook
        mov eax, 0                      ; 65536: ~18 Hz
        mov edx, PIT_CH0_MODE2
        call pit_ch0
        mov ax, 0xFFFE
        call pic_set_mask
        cli
.wait:  call pic_read_irr
        test al, 1
        jz .wait
        pushfd
        or dword [esp], EFL_TF
        popfd
        nop                             ; trap: EIP = the_sti
the_sti:
        sti                             ; trap: EIP = after_sti
after_sti:
        nop
        nop
stop_here:
        nop
        cli
        mov eax, [db_eip]
        CHECK_EQ 'first trap EIP (STI)', eax, the_sti
        mov eax, [db_eip + 4]
        CHECK_EQ 'trap after STI: EIP', eax, after_sti
        ret
