; Real mode basics: segment arithmetic (base = selector << 4), 16-bit offsets that
; wrap at 64 KiB in addressing, SP wrapping, 16-bit operand sizes with and without
; the 66 prefix, near and far CALL/RET, INT n and IRET through the IVT, a #DE
; delivered through IVT entry 0, LOOP/JCXZ counting CX, and 16-bit string
; instructions with SI/DI wrap. Values are from the SDM's definitions.
%include "rom.inc"

test_main:
  ; --- segment base: 1234:0010 and 1000:2350 are the same byte (0x12350)
  mov ax, 0x1234
  mov ds, ax
  mov byte [0x0010], 0x5A
  mov ax, 0x1000
  mov es, ax
  mov al, [es:0x2350]
  CHECK al, 0x5A, 1

  ; --- [bx+si] wraps at 64 KiB: bx = 0xFFFF, si = 2 -> offset 1
  mov ax, 0x2000
  mov ds, ax
  mov byte [0x0001], 0xA5
  mov bx, 0xFFFF
  mov si, 2
  mov al, [bx+si]
  CHECK al, 0xA5, 2
  ; disp16 wrap: [bx + 0x10] with bx = 0xFFF8 -> offset 8
  mov byte [0x0008], 0x3C
  mov bx, 0xFFF8
  mov al, [bx+0x10]
  CHECK al, 0x3C, 3

  ; --- 16-bit operand arithmetic, 66-prefixed 32-bit arithmetic
  mov ax, 0xFFFF
  add ax, 1
  FAIL_IF nc, 4
  FAIL_IF nz, 5
  mov eax, 0x0000FFFF
  add eax, 1
  CHECK eax, 0x10000, 6
  mov ebx, 0x12345678
  mov bx, 0x9ABC           ; only BX changes
  CHECK ebx, 0x12349ABC, 7
  movzx ecx, byte [0x0001] ; DS = 0x2000: 0xA5
  CHECK ecx, 0xA5, 8
  movsx dx, byte [0x0001]
  CHECK dx, 0xFFA5, 9

  ; --- stack: push/pop 16 and 32 bits, SP wrap
  mov ax, 0x3000
  mov ss, ax
  mov sp, 0x0002
  push word 0x1122         ; SP = 0, word at 3000:0000
  CHECK sp, 0, 10
  push word 0x3344         ; SP wraps to 0xFFFE
  CHECK sp, 0xFFFE, 11
  mov ax, 0x3000
  mov ds, ax
  CHECK word [0xFFFE], 0x3344, 12
  CHECK word [0x0000], 0x1122, 13
  pop ax
  CHECK ax, 0x3344, 14
  pop bx
  CHECK bx, 0x1122, 15
  CHECK sp, 2, 16
  mov esp, 0xABCD7000      ; a 16-bit stack uses SP only; ESP's high half stays
  push eax
  mov ecx, esp
  CHECK ecx, 0xABCD6FFC, 17
  pop eax
  mov esp, 0x7000
  xor ax, ax
  mov ss, ax
  mov ds, ax

  ; --- near call/ret (2-byte return address), far call/ret
  mov sp, 0x7000
  call near_fn
  CHECK ax, 0x4242, 18
  CHECK sp, 0x7000, 19
  call 0xF000:far_fn
  CHECK ax, 0x4343, 20
  CHECK sp, 0x7000, 21
  ; indirect far call through memory (m16:16)
  mov word [0x500], far_fn
  mov word [0x502], 0xF000
  xor ax, ax
  call far [0x500]
  CHECK ax, 0x4343, 22

  ; --- INT n through the IVT: the handler sees FLAGS, CS, IP on the stack
  mov word [0x80*4], int80
  mov word [0x80*4+2], 0xF000
  mov ax, 0
  stc
  int 0x80
  FAIL_IF nc, 24              ; IRET restored CF = 1
  CHECK ax, 0x8080, 23
  CHECK sp, 0x7000, 25

  ; --- #DE through IVT entry 0: the saved IP points at the DIV
  mov word [0*4], de_handler
  mov word [0*4+2], 0xF000
  xor bx, bx
  mov ax, 1
div_insn:
  div bl                      ; #DE; the handler skips the 2-byte DIV
  CHECK cx, div_insn, 26

  ; --- LOOP counts CX; JCXZ tests CX (not ECX)
  mov ecx, 0x00010003
  xor ax, ax
.lp:
  inc ax
  loop .lp
  CHECK ax, 3, 27
  CHECK ecx, 0x00010000, 28
  jcxz .cx0
  mov al, 29
  jmp fail
.cx0:

  ; --- REP MOVSW with DI wrap; REP STOSB; REPE CMPSB
  mov ax, 0x4000
  mov es, ax
  mov ds, ax
  mov word [0x0000], 0x1111
  mov word [0x0002], 0x2222
  mov si, 0x0000
  mov di, 0xFFFE
  mov cx, 2
  rep movsw                   ; words at FFFE and (wrapped) 0000
  CHECK di, 0x0002, 30
  CHECK word [0xFFFE], 0x1111, 31
  CHECK word [0x0000], 0x2222, 32
  mov di, 0x100
  mov al, 0x77
  mov cx, 5
  rep stosb
  CHECK di, 0x105, 33
  CHECK byte [0x104], 0x77, 34
  mov byte [0x200], 0x77
  mov byte [0x201], 0x77
  mov byte [0x202], 0x00
  mov si, 0x100
  mov di, 0x200
  mov cx, 5
  repe cmpsb                  ; stops after the third compare (0x77 vs 0x00)
  FAIL_IF e, 36
  CHECK cx, 2, 35
  mov si, 0x100
  lodsw
  CHECK ax, 0x7777, 37
  CHECK si, 0x102, 38

  ; --- XLAT and moffs with 16-bit addressing
  mov byte [0x305], 0x99
  mov bx, 0x300
  mov al, 5
  xlatb
  CHECK al, 0x99, 39
  mov al, [0x305]             ; A0 moffs16
  CHECK al, 0x99, 40
  mov ax, 0x1234
  mov [0x310], ax             ; A3 moffs16
  CHECK word [0x310], 0x1234, 41
  xor ax, ax
  mov ds, ax
  mov es, ax

  ; --- PUSHF/POPF keep IF as set
  sti
  pushf
  pop ax
  test ax, 0x200
  FAIL_IF z, 42
  cli

  PASS

near_fn:
  mov bx, sp
  CHECK bx, 0x6FFE, 43
  mov ax, 0x4242
  ret

far_fn:
  mov bx, sp
  CHECK bx, 0x6FFC, 44
  mov ax, 0x4343
  retf

int80:
  mov bp, sp
  CHECK word [bp+2], 0xF000, 45   ; CS
  test word [bp+4], 1             ; FLAGS with CF = 1
  FAIL_IF z, 46
  pushf
  pop bx
  test bx, 0x200                  ; IF cleared by the INT
  FAIL_IF nz, 47
  mov ax, 0x8080
  iret

de_handler:
  mov bp, sp
  mov cx, [bp]                    ; the faulting IP
  add word [bp], 2
  iret

ROM_END
