; MOV SS blocks interrupts until the next instruction completes (SDM vol. 3 6.8.3;
; MOV: "the processor inhibits interrupts ... until after execution of the next
; instruction"). An IRQ0 handler records its return EIP: it must never be the
; instruction that follows a MOV SS.
%include "harness.inc"
%include "system.inc"
%define N 200000
section .data
bad: dd 0
ticks: dd 0
section .text
irq0_hook:
        inc dword [ticks]
        cmp dword [ebp + FR_EIP], in_shadow
        jne .ok
        inc dword [bad]
.ok:    mov al, 0x20
        out 0x20, al
        ret
global test_main
test_main:
        PUTSLN 'movss_shadow'
        SYS_INIT
        call pic_init
        SET_HOOK 0x20, irq0_hook
        mov eax, 100                    ; ~12 kHz
        mov edx, PIT_CH0_MODE2
        call pit_ch0
        mov ax, 0xFFFE
        call pic_set_mask
        sti
        mov ecx, N
        mov ax, ss
movss_loop: mov ss, ax
in_shadow:
        nop
        dec ecx
        jnz movss_loop
        cli
        mov eax, [ticks]
        CHECK_RANGE 'interrupts taken', eax, 20, 0xFFFFFFFF
        mov eax, [bad]
        CHECK_EQ 'interrupts taken inside the MOV SS shadow', eax, 0
        ret
