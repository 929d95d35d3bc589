; The bundled demo guest: a multiboot kernel that greets on COM1, shows what the
; virtual CPU reports and the boot information it was given, then halts (cli; hlt),
; which ends the run with status 0.
bits 32
section .multiboot
align 4
  dd 0x1BADB002, 0x00000003, -(0x1BADB002 + 0x00000003)

section .text
global _start
_start:
  mov esp, stack_top
  mov [mbi], ebx
  mov esi, banner
  call puts
  ; CPU vendor from CPUID leaf 0.
  xor eax, eax
  cpuid
  mov [vendor], ebx
  mov [vendor + 4], edx
  mov [vendor + 8], ecx
  mov esi, vendor_msg
  call puts
  mov esi, vendor
  call puts
  mov esi, nl
  call puts
  ; Memory above 1 MiB, in KiB, from the multiboot information.
  mov esi, mem_msg
  call puts
  mov ebx, [mbi]
  mov eax, [ebx + 8]
  call putdec
  mov esi, kib
  call puts
  ; The command line.
  mov esi, cmd_msg
  call puts
  mov esi, [ebx + 16]
  call puts
  mov esi, nl
  call puts
  mov esi, bye
  call puts
  cli
  hlt

puts:                     ; esi -> NUL-terminated string
  mov dx, 0x3F8
.next:
  lodsb
  test al, al
  jz .done
  out dx, al
  jmp .next
.done:
  ret

putdec:                   ; eax -> decimal on COM1
  mov ecx, 10
  mov edi, numbuf + 11
  mov byte [edi], 0
.digit:
  xor edx, edx
  div ecx
  add dl, '0'
  dec edi
  mov [edi], dl
  test eax, eax
  jnz .digit
  mov esi, edi
  jmp puts

section .data
banner     db "ringshift demo guest: 32-bit protected mode, translated", 10, 0
vendor_msg db "CPU vendor: ", 0
mem_msg    db "memory above 1 MiB: ", 0
kib        db " KiB", 10, 0
cmd_msg    db "command line: ", 0
bye        db "halting (cli; hlt)", 10, 0
nl         db 10, 0

section .bss
mbi     resd 1
vendor  resb 13
numbuf  resb 12
align 16
        resb 8192
stack_top:
