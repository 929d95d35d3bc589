; STI with IF=0 holds off interrupts until the instruction after it has run (SDM vol. 2
; STI). With IRQ0 already requested, `sti; hlt` must take the interrupt after the HLT
; (return EIP = the instruction after HLT), never before it (return EIP = the HLT,
; which would then halt again: the classic lost wake-up STI's shadow exists to prevent).
%include "harness.inc"
%include "system.inc"
%define N 3000
section .data
bad: dd 0
ticks: dd 0
section .text
irq0_hook:
        inc dword [ticks]
        cmp dword [ebp + FR_EIP], the_hlt
        jne .ok
        inc dword [bad]
.ok:    mov al, 0x20
        out 0x20, al
        ret
global test_main
test_main:
        PUTSLN 'sti_hlt_shadow'
        SYS_INIT
        call pic_init
        SET_HOOK 0x20, irq0_hook
        mov eax, 200                    ; ~6 kHz
        mov edx, PIT_CH0_MODE2
        call pit_ch0
        mov ax, 0xFFFE
        call pic_set_mask
        mov ecx, N
sti_loop:
        cli
.wait:  call pic_read_irr
        test al, 1
        jz .wait
        mov eax, ecx                    ; a varying delay, so that the STI does not
        imul eax, eax, 37               ; always come right after a timer edge
        and eax, 1023
        imul eax, eax, 1500
        inc eax
.spin:  dec eax
        jnz .spin
        sti
the_hlt:
        hlt
        dec ecx
        jnz sti_loop
        cli
        mov eax, [ticks]
        CHECK_RANGE 'interrupts taken', eax, N, 0xFFFFFFFF
        mov eax, [bad]
        CHECK_EQ 'interrupts taken between STI and HLT', eax, 0
        ret
