; The guest the gdbstub's step/watch test drives through the raw protocol
; (test/gdb/step_test.py): an IDT with a #UD handler and a timer handler, the PIT at
; about 20 kHz with interrupts on, then a few instructions to single-step through, a
; fault to step into, a read of `rvar` for a read watchpoint and a spin loop.
bits 32

section .multiboot
align 4
        dd 0x1BADB002, 0, -0x1BADB002

section .text
global _start, step_here, ud_at, ud_handler, irq_handler, other, after_ud, read_here, spin, rvar, ticks
_start:
        mov esp, stack_top
        ; IDT: every vector to `other`, 6 to ud_handler, 0x20 to irq_handler
        mov edi, idt
        mov ecx, 256
.fill:  mov eax, other
        call set_gate
        add edi, 8
        loop .fill
        mov edi, idt + 6 * 8
        mov eax, ud_handler
        call set_gate
        mov edi, idt + 0x20 * 8
        mov eax, irq_handler
        call set_gate
        lidt [idtr]
        ; 8259A: master at 0x20, only IRQ0 unmasked; slave masked
        mov al, 0x11
        out 0x20, al
        mov al, 0x20
        out 0x21, al
        mov al, 4
        out 0x21, al
        mov al, 1
        out 0x21, al
        mov al, 0xFE
        out 0x21, al
        mov al, 0xFF
        out 0xA1, al
        ; PIT channel 0, mode 2, count 60 (~19.9 kHz)
        mov al, 0x34
        out 0x43, al
        mov al, 60
        out 0x40, al
        xor al, al
        out 0x40, al
        sti
        ; wait until the timer has really ticked
.wait:  cmp dword [ticks], 10
        jb .wait
step_here:
        nop
        inc eax
ud_at:
        ud2
after_ud:
        mov ebx, 7
read_here:
        mov ecx, [rvar]
spin:
        jmp spin

; EDI -> gate, EAX = handler: a 32-bit interrupt gate, CS 0x08, DPL 0
set_gate:
        mov [edi], ax
        mov word [edi + 2], 0x08
        mov word [edi + 4], 0x8E00
        shr eax, 16
        mov [edi + 6], ax
        ret

ud_handler:
        add dword [esp], 2      ; past the UD2
        iretd

irq_handler:
        inc dword [ticks]
        push eax
        mov al, 0x20
        out 0x20, al
        pop eax
        iretd

other:
        cli
        hlt
        jmp other

section .data
align 8
idtr:   dw 256 * 8 - 1
        dd idt
rvar:   dd 0x12345678
ticks:  dd 0

section .bss
align 8
idt:    resb 256 * 8
        resb 4096
stack_top:
