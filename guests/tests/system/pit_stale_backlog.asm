; After the guest reprograms channel 0 (a new control word), IRQ0 edges of the old
; program must not keep coming. Run ch0 very fast (count 2, faster than the host timer
; can follow, so ringshift keeps a backlog of "late" edges), then switch to a mode 0
; one-shot of 50 ms, re-initialise the PIC (IRR clear) and count IRQ0s over 10 ms:
; on hardware there are none (the one-shot fires at 50 ms).
%include "harness.inc"
%include "system.inc"
section .data
ticks: dd 0
section .text
irq0_hook:
        inc dword [ticks]
        mov al, 0x20
        out 0x20, al
        ret
global test_main
test_main:
        PUTSLN 'pit_stale_backlog'
        SYS_INIT
        call pic_init
        SET_HOOK 0x20, irq0_hook
        mov eax, 12
        mov edx, PIT_CH0_MODE2
        call pit_ch0
        mov ax, 0xFFFE
        call pic_set_mask
        sti
        mov ecx, 20
        call pit_sleep_ms               ; IRQ0 storm for 20 ms
        cli
        mov eax, [ticks]
        REPORT 'ticks during the storm', eax
        mov eax, PIT_50MS
        mov edx, PIT_CH0_MODE0          ; one-shot, 50 ms from now
        call pit_ch0
        call pic_init                   ; ICW1: IRR and ISR clear, all masked
        mov ax, 0xFFFE
        call pic_set_mask
        mov dword [ticks], 0
        sti
        mov ecx, 10
        call pit_sleep_ms
        cli
        mov eax, [ticks]
        CHECK_EQ 'IRQ0s in the 10 ms after reprogramming', eax, 0
        ret
