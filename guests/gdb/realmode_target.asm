; The real-mode guest of test/gdb/realmode_test.py: a 64 KiB ROM (ringshift run
; --bios) with its labels at fixed offsets, so the test knows their CS:IP and
; linear addresses (F000:0100 = 0xF0100, F000:0200 = 0xF0200).
bits 16
org 0
  times 0x100 db 0xF4
start:                        ; F000:0100
  cli
  xor ax, ax
  mov ss, ax
  mov sp, 0x7000
  mov ax, 0x1234
  mov ds, ax
  mov byte [0x0010], 0x5A     ; linear 0x12350
  xor ax, ax
  mov ds, ax
  call target_fn
  mov al, 0                   ; PASS: ringshift exits with status 1
  out 0xF4, al
  hlt
  times 0x200 - ($ - $$) db 0xF4
target_fn:                    ; F000:0200
  mov bx, 0xBEEF              ; 3 bytes
  ret
  times 0xFFF0 - ($ - $$) db 0xF4
  jmp 0xF000:start            ; the reset vector
  times 0x10000 - ($ - $$) db 0xF4
