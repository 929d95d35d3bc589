; Benchmark: READS int 13h sector reads from a hard disk, the BIOS call a boot loader
; makes for every sector of a kernel and an initrd. A raw disk image: this boot sector
; (loaded at 0:7C00 by the BIOS), then the sectors it reads. Each read is AH=42h (EDD
; LBA) of one 512-byte sector into 0:8000, cycling over 64 sectors; with -DPMODE each
; read is wrapped in a protected -> real -> protected round trip, as GRUB's biosdisk
; does. Ends through the debug-exit port (status 1 in ringshift; QEMU with
; -device isa-debug-exit,iobase=0xf4,iosize=4). READS with -DREADS=N.
bits 16
org 0x7C00
%ifndef READS
%define READS 100000
%endif
start:
  cli
  xor ax, ax
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov sp, 0x7000
  mov [drive], dl
  ; The disk address packet lives outside the code's page, as a loader's scratch area
  ; does (a write into a page with translated code would cost a retranslation).
  mov dword [DAP], 0x00010010      ; size 16, 1 sector
  mov dword [DAP + 4], 0x00008000  ; buffer 0:8000
  mov dword [DAP + 12], 0
  mov ebp, READS
again:
%ifdef PMODE
  lgdt [gdt_ptr]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp 0x08:pm32
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
  jmp 0:real
real:
  xor ax, ax
  mov ds, ax
  mov ss, ax
%endif
  mov eax, ebp
  and eax, 63
  inc eax
  mov [DAP + 8], eax
  mov si, DAP
  mov dl, [cs:drive]
  mov ah, 0x42
  int 0x13
  jc fail
  dec ebp
  jnz again
  mov al, 0
  out 0xF4, al
  hlt
fail:
  mov al, 1
  out 0xF4, al
  hlt

DAP equ 0x600
drive: db 0
align 8
gdt:
  dq 0
  dq 0x00CF9A000000FFFF   ; 0x08 code 32
  dq 0x00CF92000000FFFF   ; 0x10 data 32
  dq 0x00009A000000FFFF   ; 0x18 code 16, base 0
  dq 0x000092000000FFFF   ; 0x20 data 16
gdt_end:
gdt_ptr:
  dw gdt_end - gdt - 1
  dd gdt
  times 510 - ($ - $$) db 0
  dw 0xAA55
  times 65 * 512 - ($ - $$) db 0x5A
