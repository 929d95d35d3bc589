; A PC's physical address space (run with -m 32M): addresses with nothing behind
; them (above RAM, below the device window) read as all ones and ignore writes,
; through translated code and through the CPU's C++ paths (BOUND's operand and a
; string instruction), instead of stopping the machine.
%include "rom.inc"

test_main:
  o32 lgdt [cs:gdt_ptr]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp dword 0x08:(0xF0000 + pm32)
bits 32
pm32:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov esp, 0x7000
  mov esi, 0x08000000                 ; 128 MiB: beyond the 32 MiB of RAM
  mov eax, [esi]
  cmp eax, 0xFFFFFFFF
  jne .f2
  mov dword [esi], 0x12345678         ; ignored
  mov eax, [esi]
  cmp eax, 0xFFFFFFFF
  jne .f3
  mov al, [0xE0000123]                ; a byte far above RAM
  cmp al, 0xFF
  jne .f4
  mov eax, -1
  bound eax, [esi]                    ; read in C++: bounds -1..-1 hold -1 (zeros would raise #BR)
  mov edi, 0x9000
  mov ecx, 4
  rep movsb                           ; from nothing into RAM
  cmp dword [0x9000], 0xFFFFFFFF
  jne .f6
  mov al, 0
  out 0xF4, al
  hlt
.f2: mov al, 2
  jmp .fail
.f3: mov al, 3
  jmp .fail
.f4: mov al, 4
  jmp .fail
.f6: mov al, 6
.fail:
  out 0xF4, al
  hlt
bits 16

align 8
gdt:
  dq 0
  dq 0x00CF9A000000FFFF   ; 0x08: code 32, base 0, 4 GiB
  dq 0x00CF92000000FFFF   ; 0x10: data, base 0, 4 GiB
gdt_end:
gdt_ptr:
  dw gdt_end - gdt - 1
  dd 0xF0000 + gdt

ROM_END
