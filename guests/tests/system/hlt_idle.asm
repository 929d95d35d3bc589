; hlt_idle.asm -- HLT with interrupts: idle loop and the STI shadow.
;
; PIT channel 0 at 100 Hz (mode 2), IRQ0 unmasked, handler = sys_tick_hook.
;   1  the idle loop `sti; hlt; cli` until 100 IRQ0s (about 1 s): every HLT
;      is ended by an interrupt (wake-ups <= ticks; >= 90: a VMM catching
;      up late ticks may deliver two in one wake-up).  Exits PASS (after parts 2 and 3); also
;      used to measure the VMM's CPU use while the guest idles.
;   2  IRQ0 pending with IF=0 (30 ms), then `sti; hlt`: STI delays
;      interrupts by one instruction (SDM vol. 2 STI), so HLT executes and
;      the interrupt wakes it: the first pushed EIP is the instruction after
;      HLT (SDM vol. 2 HLT).
;   3  IRQ0 pending, `sti; nop; hlt`: the first interrupt is taken right
;      after the NOP (pushed EIP = the HLT); the HLT then sleeps until the
;      next tick, so the last pushed EIP is after the HLT.
;   The number of interrupts is only checked loosely (an 8259A keeps one
;   pending edge, so real hardware delivers 1 in part 2 and 2 in part 3; a
;   VMM that re-injects lost ticks delivers up to 3 more).
; With -DHALT_EXIT it only prints a line and executes `cli; hlt` with no
; interrupt source: ringshift must exit with status 0 (machine halted).
%include "harness.inc"
%include "system.inc"

section .data
align 4
hlt_count:      dd 0

section .text

test_main:
%ifdef HALT_EXIT
        PUTSLN 'hlt_idle: cli; hlt with no interrupt source (expect exit status 0)'
        cli
        hlt
        PUTSLN 'FAIL: execution continued after cli; hlt'
        jmp test_fail
%else
        PUTSLN 'hlt_idle: HLT with PIT IRQ0 at 100 Hz'
        SYS_INIT
        call pic_init
        SET_HOOK 0x20, sys_tick_hook
        mov eax, PIT_100HZ
        mov edx, PIT_CH0_MODE2
        call pit_ch0
        mov ax, 0xFFFE
        call pic_set_mask

        PUTSLN '--- 1: idle loop, 100 ticks'
        mov dword [hlt_count], 0
        mov ebx, [sys_ticks]
.idle:
        sti
        hlt
        cli
        add dword [hlt_count], 1
        mov eax, [sys_ticks]
        sub eax, ebx
        cmp eax, 100
        jb .idle
        CHECK_EQ 'idle: ticks', eax, 100
        CHECK_RANGE 'idle: hlt wake-ups (each ended by >= 1 tick)', dword [hlt_count], 90, 100

        PUTSLN '--- 2: sti; hlt with IRQ0 pending'
        mov ecx, 30
        call pit_sleep_ms               ; IF=0: IRQ0 pending now
        mov dword [sys_log_n], 0
        EXC_ARM 0
        sti
        hlt
.h1_after:
        cli
        mov eax, [sys_int_count]
        sub eax, [sys_armed_count]
        CHECK_RANGE 'sti;hlt.interrupts', eax, 1, 4
        CHECK_EQ 'sti;hlt.first vec', dword [sys_log + 0], 0x20
        CHECK_EQ 'sti;hlt.first eip (after the hlt)', dword [sys_log + 8], .h1_after

        PUTSLN '--- 3: sti; nop; hlt with IRQ0 pending'
        mov ecx, 30
        call pit_sleep_ms
        mov dword [sys_log_n], 0
        EXC_ARM 0
        sti
        nop
.h2:
        hlt
.h2_after:
        cli
        mov ebx, [sys_int_count]
        sub ebx, [sys_armed_count]
        CHECK_RANGE 'sti;nop;hlt.interrupts', ebx, 2, 5
        CHECK_EQ 'sti;nop;hlt.first vec', dword [sys_log + 0], 0x20
        CHECK_EQ 'sti;nop;hlt.first eip (after the nop)', dword [sys_log + 8], .h2
        shl ebx, 4                      ; last log entry
        CHECK_EQ 'sti;nop;hlt.last eip (after the hlt)', dword [sys_log + ebx - 16 + 8], .h2_after

        mov ax, 0xFFFF
        call pic_set_mask
        ret
%endif
