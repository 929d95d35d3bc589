; Benchmark: ROUNDS round trips real mode -> 32-bit protected mode -> 16-bit
; protected mode -> real mode, the path a boot loader takes around every BIOS call
; (GRUB's real-mode trampolines do this per disk read). Run as a ROM:
;   ringshift run --bios mode_switch.rom        qemu-system-i386 -bios mode_switch.rom
; and ends through the debug-exit port (status 1). ROUNDS is set with -DROUNDS=N.
bits 16
org 0
%ifndef ROUNDS
%define ROUNDS 100000
%endif
start:
  cli
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7000
  o32 lgdt [cs:gdt_ptr]
  mov ecx, ROUNDS
round_loop:
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp dword 0x08:(0xF0000 + pm32)
bits 32
pm32:
  mov ax, 0x10
  mov ds, ax
  mov ss, ax
  jmp 0x18:pm16
bits 16
pm16:
  mov ax, 0x20
  mov ds, ax
  mov ss, ax
  mov eax, cr0
  and al, ~1
  mov cr0, eax
  jmp 0xF000:real_again
real_again:
  xor ax, ax
  mov ds, ax
  mov ss, ax
  dec ecx
  jnz round_loop
  mov al, 0
  out 0xF4, al
  hlt

align 8
gdt:
  dq 0
  dq 0x00CF9A000000FFFF   ; 0x08: code 32
  dq 0x00CF92000000FFFF   ; 0x10: data 32
  dq 0x00009A0F0000FFFF   ; 0x18: code 16, base F0000
  dq 0x000092000000FFFF   ; 0x20: data 16
gdt_end:
gdt_ptr:
  dw gdt_end - gdt - 1
  dd 0xF0000 + gdt
  times 0xFFF0 - ($ - $$) db 0xFF
  jmp 0xF000:start
  times 0x10000 - ($ - $$) db 0xFF
