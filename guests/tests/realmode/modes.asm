; Mode switches: real -> 32-bit protected mode (flat 4 GiB segments) -> 16-bit
; protected mode (a 16-bit code segment based at F0000) -> real mode again, many
; times over, as boot loaders do around every BIOS call; "unreal" mode (a 4 GiB
; DS limit loaded in protected mode survives the return to real mode, so 32-bit
; addressing reaches above 1 MiB); the A20 gate through port 0x92 and the keyboard
; controller's output port (off: FFFF:0010 wraps to 0); segment loads from a GDT in the odd
; megabyte while A20 is toggled in protected mode; an interrupt through the IVT after the
; round trips.
%include "rom.inc"

ROUNDS equ 1000

test_main:
  ; --- A20 off: FFFF:0010 is linear 0x100000, which wraps to 0
  in al, 0x92
  and al, ~2
  out 0x92, al
  mov byte [0x0000], 0x11
  mov ax, 0xFFFF
  mov es, ax
  mov byte [es:0x0010], 0x22
  CHECK byte [0x0000], 0x22, 1
  ; --- A20 on: they are different bytes
  in al, 0x92
  or al, 2
  out 0x92, al
  mov byte [es:0x0010], 0x33
  CHECK byte [0x0000], 0x22, 2
  CHECK byte [es:0x0010], 0x33, 3
  ; --- the keyboard controller's output port (command D1h) drives A20 too
  mov al, 0xD1
  out 0x64, al
  mov al, 0x01                        ; bit 0 set: not in reset; bit 1 clear: A20 off
  out 0x60, al
  mov byte [es:0x0010], 0x44          ; is [0]
  CHECK byte [0x0000], 0x44, 7
  mov al, 0xD1
  out 0x64, al
  mov al, 0x03                        ; A20 on
  out 0x60, al
  mov byte [es:0x0010], 0x55
  CHECK byte [0x0000], 0x44, 8
  xor ax, ax
  mov es, ax

  o32 lgdt [cs:gdt_ptr]
  mov si, ROUNDS
round_loop:
  ; --- real -> protected (32-bit code)
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
  mov dword [0x200000], 0xC0FFEE00   ; 2 MiB: beyond real mode's reach
  add dword [0x200000], esi
  mov ebx, esp
  push dword 0x12345678               ; a 32-bit stack in protected mode
  pop ecx
  cmp ecx, 0x12345678
  jne .bad32
  ; --- to 16-bit protected mode, then real mode
  jmp 0x18:pm16
.bad32:
  mov al, 4
  out 0xF4, al
  hlt
bits 16
pm16:
  mov ax, 0x20                        ; 64 KiB data for SS; DS keeps its 4 GiB limit
  mov ss, ax
  mov eax, cr0
  and al, ~1
  mov cr0, eax
  jmp 0xF000:real_again
real_again:
  xor ax, ax
  mov ss, ax
  mov ds, ax                          ; real-mode load: base 0, the 4 GiB limit stays
  mov es, ax
  mov esp, 0x7000
  ; --- unreal mode: [esi] above 1 MiB with a 32-bit address
  mov ebx, 0x200000
  mov eax, [ebx]
  movzx edx, si
  add edx, 0xC0FFEE00
  cmp eax, edx
  FAIL_IF ne, 5
  dec si
  jnz round_loop

  ; --- segment loads from a GDT in the odd megabyte, A20 toggled in protected mode:
  ; with A20 off the GDT's linear address 0x110000 wraps to 0x010000, where a second
  ; copy gives selector 0x28 another base (0x480000 instead of 0x440000). Every round
  ; loads FS = 0x28 and reads fs:[0], then toggles A20 (a descriptor cache made under
  ; one gate must not answer under the other).
  mov edi, 0x110000
  mov eax, 0x440000
  call put_gdt2
  mov edi, 0x010000
  mov eax, 0x480000
  call put_gdt2
  mov ebx, 0x440000
  mov dword [ebx], 0xAAAA0001
  mov ebx, 0x480000
  mov dword [ebx], 0xBBBB0002
  o32 lgdt [cs:gdt2_ptr]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp dword 0x08:(0xF0000 + a20_pm)
bits 32
a20_pm:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  xor edi, edi                        ; wrong reads
  mov ecx, 400                        ; even: A20 ends on, as it starts
.round:
  in al, 0x92
  mov edx, 0xAAAA0001
  test al, 2
  jnz .gate_on
  mov edx, 0xBBBB0002
.gate_on:
  mov ax, 0x28
  mov fs, ax
  cmp [fs:0], edx
  je .read_ok
  inc edi
.read_ok:
  in al, 0x92
  xor al, 2
  out 0x92, al
  dec ecx
  jnz .round
  test edi, edi
  jz .all_ok
  mov al, 9
  out 0xF4, al
  hlt
.all_ok:
  jmp 0x18:a20_pm16
bits 16
a20_pm16:
  mov ax, 0x20
  mov ss, ax
  mov eax, cr0
  and al, ~1
  mov cr0, eax
  jmp 0xF000:a20_real
a20_real:
  xor ax, ax
  mov ss, ax
  mov ds, ax
  mov es, ax
  mov esp, 0x7000
  o32 lgdt [cs:gdt_ptr]

  ; --- an INT through the IVT still works after the round trips
  mov word [0x81*4], int81
  mov word [0x81*4+2], 0xF000
  xor cx, cx
  int 0x81
  CHECK cx, 0x8181, 6
  PASS

int81:
  mov cx, 0x8181
  iret

; EDI = where (above 1 MiB through DS's 4 GiB limit), EAX = selector 0x28's base: the
; five descriptors of `gdt`, then a flat-limit read/write data segment at EAX.
put_gdt2:
  xor esi, esi
.copy:
  mov edx, [cs:esi + gdt]
  mov [edi + esi], edx
  add esi, 4
  cmp esi, 40
  jb .copy
  mov edx, eax
  shl edx, 16
  or dx, 0xFFFF
  mov [edi + 0x28], edx
  mov edx, eax
  and edx, 0xFF000000
  or edx, 0x00CF9300
  mov ebx, eax
  shr ebx, 16
  and ebx, 0xFF
  or edx, ebx
  mov [edi + 0x2C], edx
  ret

align 8
gdt:
  dq 0
  dq 0x00CF9A000000FFFF   ; 0x08: code 32, base 0, 4 GiB
  dq 0x00CF92000000FFFF   ; 0x10: data, base 0, 4 GiB
  dq 0x00009A0F0000FFFF   ; 0x18: code 16, base F0000, 64 KiB
  dq 0x000092000000FFFF   ; 0x20: data 16, base 0, 64 KiB
gdt_end:
gdt_ptr:
  dw gdt_end - gdt - 1
  dd 0xF0000 + gdt
gdt2_ptr:
  dw 0x2F
  dd 0x110000

ROM_END
