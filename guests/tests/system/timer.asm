; timer.asm -- 8259A PIC pair + 8254 PIT, IRQ0 delivery.
;
; Expected behaviour from the Intel 8259A and 8254 data sheets (ICW1-4,
; OCW1-3, counter modes 0/2/3, latch and read-back commands) and the PC/AT
; wiring (IRQ0 = PIT channel 0 OUT, channel 2 gate = port 0x61 bit 0, channel
; 2 OUT = port 0x61 bit 5, slave PIC on IRQ2).  Guest time is measured with
; PIT channel 2 in mode 0 (one-shot, 50 ms = 59659 counts at 1.193182 MHz).
;   1  PIC remap (0x20/0x28), ch0 mode 2 at 100 Hz (count 11932): IRQ0 ticks
;      during 1 s of channel-2 time within 90..110; ISR bit 0 set inside
;      the IRQ0 handler before the EOI, clear after it
;   2  PIT latch command (ch0, ch2) and read-back (0xC2 count+status ch0,
;      0xE8 status ch2): status = control-word bits 0-5 (and OUT in bit 7),
;      counts within range and decreasing
;   3  OCW1 mask: masked IRQ0 is latched in the IRR (OCW3 0x0A) but not
;      delivered (no tick in 100 ms); unmasking delivers it at once
;   4  an exception (int3, ud2) and a software INT inside the IRQ0 handler
;      are delivered and return into the handler
;   5  priority: with IRQ0 in service (no EOI yet) and IF=1, IRQ0 is not
;      delivered again (25 ms); after the EOI the pending one nests
;   6  ch0 mode 3 (control 0x36) at 100 Hz, handler with a specific EOI
;      (OCW2 0x60): again 90..110 ticks in 1 s
%include "harness.inc"
%include "system.inc"

section .data
align 4
isr_probe:      dd 0
isr_in:         dd 0
isr_after:      dd 0
exc_probe:      dd 0
nested_v1:      dd 0
nested_v2:      dd 0
nested_v2_eip:  dd 0
nested_v3:      dd 0
nest_probe:     dd 0
nest_before:    dd 0
nest_after:     dd 0
specific_eoi:   dd 0
exc_ud_label:   dd 0

section .text

; IRQ0 hook
tick_hook:
        cmp dword [nest_probe], 1
        je .nest
        cmp dword [isr_probe], 1
        jne .no_isr
        call pic_read_isr
        movzx eax, ax
        mov [isr_in], eax
.no_isr:
        cmp dword [exc_probe], 1
        jne .no_exc
        mov dword [exc_probe], 0
        int3                            ; trap, returns here
        mov eax, [sys_last_vec]
        mov [nested_v1], eax
        mov dword [sys_resume_eip], .after_ud
.ud:
        ud2                             ; fault, resumed below
.after_ud:
        mov eax, [sys_last_vec]
        mov [nested_v2], eax
        mov eax, [sys_last_eip]
        mov [nested_v2_eip], eax
        int SYS_VEC_USER
        mov eax, [sys_last_vec]
        mov [nested_v3], eax
.no_exc:
        add dword [sys_ticks], 1
        cmp dword [specific_eoi], 0
        jne .specific
        mov al, 0x20                    ; OCW2 non-specific EOI
        out 0x20, al
        jmp .eoi_done
.specific:
        mov al, 0x60                    ; OCW2 specific EOI, level 0
        out 0x20, al
.eoi_done:
        cmp dword [isr_probe], 1
        jne .ret
        call pic_read_isr
        movzx eax, ax
        mov [isr_after], eax
        mov dword [isr_probe], 2
.ret:
        ret
.nest:                                  ; part 5
        mov dword [nest_probe], 2
        mov ebx, [sys_ticks]
        sti
        mov ecx, 25
        call pit_sleep_ms               ; IRQ0 in service: nothing nests
        mov eax, [sys_ticks]
        sub eax, ebx
        mov [nest_before], eax
        mov al, 0x20
        out 0x20, al                    ; EOI: the pending IRQ0 may nest now
        mov ebx, [sys_ticks]
        mov ecx, 25
        call pit_sleep_ms
        mov eax, [sys_ticks]
        sub eax, ebx
        mov [nest_after], eax
        cli
        add dword [sys_ticks], 1
        ret
tick_hook_ud equ tick_hook.ud

; wait_tick: wait (IF=1) until sys_ticks changes, at most ~200 ms
wait_tick:
        push eax
        push ecx
        mov eax, [sys_ticks]
        mov ecx, 200
.l:
        cmp eax, [sys_ticks]
        jne .done
        push ecx
        mov ecx, 1
        call pit_sleep_ms
        pop ecx
        sub ecx, 1
        jnz .l
.done:
        pop ecx
        pop eax
        ret

; latch_ch2 -> EAX = latched count of channel 2
latch_ch2:
        mov al, 0x80                    ; counter 2, latch
        out 0x43, al
        in al, 0x42
        mov ah, al
        in al, 0x42
        xchg al, ah
        movzx eax, ax
        ret

; small delay: a few hundred port reads
io_delay:
        push eax
        push ecx
        mov ecx, 300
.l:
        in al, 0x61
        sub ecx, 1
        jnz .l
        pop ecx
        pop eax
        ret

test_main:
        PUTSLN 'timer: 8259A PIC + 8254 PIT, IRQ0'
        SYS_INIT
        call pic_init
        SET_HOOK 0x20, tick_hook

        ; ------------------------------------------------------- 1 ----
        PUTSLN '--- 1: PIT ch0 mode 2 at 100 Hz, ticks per second of ch2 time'
        mov eax, PIT_100HZ
        mov edx, PIT_CH0_MODE2
        call pit_ch0
        mov ax, 0xFFFE                  ; unmask IRQ0
        call pic_set_mask
        sti
        call wait_tick
        mov ebx, [sys_ticks]
        mov ecx, 1000
        call pit_sleep_ms
        mov eax, [sys_ticks]
        sub eax, ebx
        CHECK_RANGE 'mode 2: IRQ0 ticks in 1 s', eax, 90, 110
        mov eax, [sys_vec_count + 0x20 * 4]
        CHECK_EQ 'mode 2: every tick on vector 0x20', eax, dword [sys_ticks]

        mov dword [isr_probe], 1
        call wait_tick
        call wait_tick
        and dword [isr_in], 0xFFFF
        CHECK_EQ 'ISR in the IRQ0 handler (OCW3 0x0B)', dword [isr_in], 0x0001
        CHECK_EQ 'ISR after the EOI', dword [isr_after], 0
        mov dword [isr_probe], 0

        ; ------------------------------------------------------- 2 ----
        PUTSLN '--- 2: PIT latch and read-back'
        mov al, 0x00                    ; counter 0 latch
        out 0x43, al
        in al, 0x40
        mov ah, al
        in al, 0x40
        xchg al, ah
        movzx eax, ax
        CHECK_RANGE 'ch0 latched count', eax, 1, PIT_100HZ
        mov al, 0xC2                    ; read-back: count + status, ch0
        out 0x43, al
        in al, 0x40
        movzx ebx, al                   ; status first
        in al, 0x40
        mov ah, al
        in al, 0x40
        xchg al, ah
        movzx eax, ax
        and ebx, 0x3F
        CHECK_EQ 'ch0 read-back status (0x34 & 0x3f)', ebx, 0x34
        CHECK_RANGE 'ch0 read-back count', eax, 1, PIT_100HZ

        cli
        in al, 0x61                     ; ch2 mode 0, count 0xFFFF (55 ms)
        and al, 0xFC
        or al, 0x01
        out 0x61, al
        mov al, 0xB0
        out 0x43, al
        mov al, 0xFF
        out 0x42, al
        out 0x42, al
        mov al, 0xE8                    ; read-back status only, ch2
        out 0x43, al
        in al, 0x42
        movzx eax, al
        and eax, 0xBF                   ; ignore null count (bit 6)
        CHECK_EQ 'ch2 mode 0 status (OUT low)', eax, 0x30
        call io_delay
        call latch_ch2
        mov ebx, eax
        call io_delay
        call latch_ch2
        mov ecx, eax
        call io_delay
        call latch_ch2
        mov edx, eax
        CHECK_RANGE 'ch2 latch 1', ebx, 1, 0xFFFF
        xor eax, eax
        cmp ecx, ebx
        jae .not_dec
        cmp edx, ecx
        jae .not_dec
        mov eax, 1
.not_dec:
        CHECK_EQ 'ch2 latches decreasing', eax, 1
        mov al, 0xD8                    ; read-back count only, ch2
        out 0x43, al
        in al, 0x42
        mov ah, al
        in al, 0x42
        xchg al, ah
        movzx eax, ax
        xor ebx, ebx
        cmp eax, edx
        jae .rb_not_dec
        mov ebx, 1
.rb_not_dec:
        CHECK_EQ 'ch2 read-back count below the last latch', ebx, 1
        mov eax, PIT_50MS
        call pit_ch2_oneshot            ; waits for OUT high
        mov al, 0xE8
        out 0x43, al
        in al, 0x42
        movzx eax, al
        and eax, 0xBF
        CHECK_EQ 'ch2 mode 0 status after expiry (OUT high)', eax, 0xB0
        in al, 0x61
        movzx eax, al
        and eax, 0x20
        CHECK_EQ 'port 0x61 bit 5 (ch2 OUT) after expiry', eax, 0x20
        sti

        ; ------------------------------------------------------- 3 ----
        PUTSLN '--- 3: OCW1 mask, IRR'
        cli
        mov ax, 0xFFFF
        call pic_set_mask
        mov ecx, 30
        call pit_sleep_ms               ; >= 2 PIT periods with IRQ0 masked
        call pic_read_irr
        movzx eax, al
        and eax, 1
        CHECK_EQ 'IRR bit 0 while masked (OCW3 0x0A)', eax, 1
        sti
        mov ebx, [sys_ticks]
        mov ecx, 100
        call pit_sleep_ms
        mov eax, [sys_ticks]
        sub eax, ebx
        CHECK_EQ 'masked IRQ0: ticks in 100 ms', eax, 0
        mov ebx, [sys_ticks]
        mov ax, 0xFFFE
        call pic_set_mask
        mov ecx, 100
.spin:
        sub ecx, 1
        jnz .spin
        mov eax, [sys_ticks]
        sub eax, ebx
        CHECK_EQ 'unmask: pending IRQ0 delivered at once', eax, 1

        ; ------------------------------------------------------- 4 ----
        PUTSLN '--- 4: exceptions and INT n inside the IRQ0 handler'
        mov dword [exc_probe], 1
        call wait_tick
        call wait_tick
        CHECK_EQ 'in IRQ handler: int3 vector', dword [nested_v1], 3
        CHECK_EQ 'in IRQ handler: ud2 vector', dword [nested_v2], 6
        CHECK_EQ 'in IRQ handler: ud2 eip', dword [nested_v2_eip], tick_hook_ud
        CHECK_EQ 'in IRQ handler: int 0x41 vector', dword [nested_v3], SYS_VEC_USER
        mov ebx, [sys_ticks]
        call wait_tick
        mov eax, [sys_ticks]
        sub eax, ebx
        CHECK_RANGE 'ticks continue after it', eax, 1, 3

        ; ------------------------------------------------------- 5 ----
        PUTSLN '--- 5: IRQ0 in service blocks IRQ0 until the EOI'
        mov dword [nest_probe], 1
        call wait_tick
        mov ecx, 100
        call pit_sleep_ms
        CHECK_EQ 'nesting: IRQ0 in service, IF=1, 25 ms: ticks', dword [nest_before], 0
        CHECK_RANGE 'nesting: after the EOI, 25 ms: nested ticks', dword [nest_after], 1, 4
        mov dword [nest_probe], 0

        ; ------------------------------------------------------- 6 ----
        PUTSLN '--- 6: PIT ch0 mode 3 at 100 Hz, specific EOI'
        mov dword [specific_eoi], 1
        mov eax, PIT_100HZ
        mov edx, PIT_CH0_MODE3
        call pit_ch0
        call wait_tick
        mov ebx, [sys_ticks]
        mov ecx, 1000
        call pit_sleep_ms
        mov eax, [sys_ticks]
        sub eax, ebx
        CHECK_RANGE 'mode 3: IRQ0 ticks in 1 s', eax, 90, 110
        cli
        mov ax, 0xFFFF
        call pic_set_mask
        ret
