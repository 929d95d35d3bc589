; Keys typed on the PS/2 keyboard reach a boot-sector program through the BIOS: IRQ 1
; runs the real int 09h handler (scan code set 1 from the i8042), which fills the BDA
; buffer that int 16h AH=00h waits on (STI/HLT in the ROM). Run by
; test/display/bios_keys_test.py under -display curses in tmux, which types a, A, Up and
; Enter once "keys: type" is on the screen. Each key must come back as the PC/AT BIOS
; word (scan code << 8 | ASCII): 1E61h, 1E41h, 4800h (a gray arrow, int 16h 00h), 1C0Dh.
%include "bios_test.inc"

test_main:
        mov si, prompt
        call screen
        mov ah, 0x00
        int 0x16
        cmp ax, 0x1E61
        CHECK e, "int 16h 00h: 'a' is 1E61h"
        SHOW 'key', ax
        call screen_hex
        mov ah, 0x00
        int 0x16
        cmp ax, 0x1E41
        CHECK e, "int 16h 00h: Shift+a is 1E41h"
        SHOW 'key', ax
        call screen_hex
        mov ah, 0x00
        int 0x16
        cmp ax, 0x4800
        CHECK e, 'int 16h 00h: the Up arrow is 4800h'
        SHOW 'key', ax
        call screen_hex
.peek:                                  ; peek until Enter is there (it is typed last)
        sti
        hlt
        mov ah, 0x01
        int 0x16
        jz .peek
        cmp ax, 0x1C0D
        CHECK e, 'int 16h 01h: Enter is 1C0Dh'
        mov ah, 0x00
        int 0x16
        cmp ax, 0x1C0D
        CHECK e, 'int 16h 00h: Enter is 1C0Dh, still in the buffer after the peek'
        ret

; screen_hex: AX as four hex digits and a space on the screen (the log a tester sees).
screen_hex:
        push ax
        mov cx, 4
        mov dx, ax
.digit:
        rol dx, 4
        mov al, dl
        and al, 0x0F
        add al, '0'
        cmp al, '9'
        jbe .out
        add al, 'A' - '9' - 1
.out:
        mov ah, 0x0E
        xor bx, bx
        int 0x10
        loop .digit
        mov ax, 0x0E20
        int 0x10
        pop ax
        ret

; screen: DS:SI -> NUL-terminated string, on the screen through int 10h teletype.
screen:
        lodsb
        test al, al
        jz .done
        mov ah, 0x0E
        xor bx, bx
        int 0x10
        jmp screen
.done:
        ret

prompt: db 'keys: type a, A, Up, Enter', 13, 10, 0

%include "bios_test_end.inc"
