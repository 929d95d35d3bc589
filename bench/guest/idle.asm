; idle.asm -- an idle guest: PIT channel 0 at 100 Hz on IRQ0, `sti; hlt` until
; IDLE_TICKS ticks (default 500 = 5 s) have arrived, then debug-exit 0.
; bench/idle.sh runs it under /usr/bin/time to measure what an idle guest costs.
; Multiboot v1 kernel, ring 0, no paging.
%ifndef IDLE_TICKS
%define IDLE_TICKS 500
%endif
bits 32
section .multiboot progbits alloc noexec nowrite align=4
        dd 0x1BADB002, 0x00000003, -(0x1BADB002 + 0x00000003)

section .text progbits alloc exec nowrite align=4096
global _start
_start:
        mov esp, stack_top
        lgdt [gdtr]
        jmp 0x08:.cs
.cs:    mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        ; IDT: vector 0x20 (IRQ0 after the remap) -> tick; everything else absent.
        mov eax, tick
        mov [idt + 0x20 * 8], ax
        mov word [idt + 0x20 * 8 + 2], 0x08
        mov word [idt + 0x20 * 8 + 4], 0x8E00
        shr eax, 16
        mov [idt + 0x20 * 8 + 6], ax
        lidt [idtr]
        ; 8259A: master base 0x20, slave 0x28, cascade on IRQ2; unmask IRQ0 only.
        mov al, 0x11
        out 0x20, al
        out 0xA0, al
        mov al, 0x20
        out 0x21, al
        mov al, 0x28
        out 0xA1, al
        mov al, 4
        out 0x21, al
        mov al, 2
        out 0xA1, al
        mov al, 1
        out 0x21, al
        out 0xA1, al
        mov al, 0xFE
        out 0x21, al
        mov al, 0xFF
        out 0xA1, al
        ; 8254 channel 0, mode 2, 1193182 / 11932 = 100 Hz.
        mov al, 0x34
        out 0x43, al
        mov ax, 11932
        out 0x40, al
        mov al, ah
        out 0x40, al
.idle:  sti
        hlt
        cli
        cmp dword [ticks], IDLE_TICKS
        jb .idle
        xor eax, eax
        out 0xF4, eax
        hlt

tick:   push eax
        add dword [ticks], 1
        mov al, 0x20
        out 0x20, al
        pop eax
        iretd

section .data progbits alloc noexec write align=16
gdt:    dq 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF
        dw 0
gdtr:   dw 23
        dd gdt
        dw 0
idtr:   dw 256 * 8 - 1
        dd idt
ticks:  dd 0

section .bss nobits alloc noexec write align=16
idt:    resb 256 * 8
        resb 4096
stack_top:
