; int 10h in text mode 03h: teletype (character and attribute in B800h, the cursor in
; the BDA, 03h and the CRTC's registers 0Eh/0Fh), CR/LF, 08h read back, 02h, 09h,
; the scroll at line 25, 06h window scroll, 0Fh, 1130h, 1A00h, and int 11h's video bits.
%include "bios_test.inc"

test_main:
        mov ax, 0x0003
        int 0x10
        call teletype
        call crtc_cursor
        call read_back
        call write_attr
        call window_scroll
        call scroll_at_bottom
        call info
        ret

; tty: AL through int 10h 0Eh.
tty:
        push ax
        push bx
        mov ah, 0x0E
        mov bx, 0x0007
        int 0x10
        pop bx
        pop ax
        ret

; cursor: DX = the cursor of page 0 (int 10h 03h).
cursor:
        push ax
        push bx
        push cx
        mov ah, 0x03
        xor bh, bh
        int 0x10
        pop cx
        pop bx
        pop ax
        ret

; vram: AX = the word at B800:BX.
vram:
        push ds
        push word 0xB800
        pop ds
        mov ax, [bx]
        pop ds
        ret

teletype:
        mov al, 'H'
        call tty
        mov al, 'i'
        call tty
        call cursor
        cmp dx, 0x0002
        CHECK e, 'int 10h 0Eh: the cursor moved to column 2'
        cmp word [0x450], 0x0002
        CHECK e, 'int 10h 0Eh: BDA 40:50 = column 2'
        xor bx, bx
        call vram
        cmp ax, 0x0748
        CHECK e, "int 10h 0Eh: 'H' in grey on black at B800:0000"
        mov bx, 2
        call vram
        cmp ax, 0x0769
        CHECK e, "int 10h 0Eh: 'i' at B800:0002"
        mov al, 13
        call tty
        mov al, 10
        call tty
        call cursor
        cmp dx, 0x0100
        CHECK e, 'int 10h 0Eh: CR LF, row 1 column 0'
        ret

; The CRTC cursor location (registers 0Eh/0Fh at 3D4h/3D5h) = row 1 * 80.
crtc_cursor:
        mov dx, 0x3D4
        mov al, 0x0E
        out dx, al
        inc dx
        in al, dx
        mov ah, al
        dec dx
        mov al, 0x0F
        out dx, al
        inc dx
        in al, dx
        SHOW 'CRTC cursor', ax
        cmp ax, 80
        CHECK e, 'CRTC registers 0Eh/0Fh: the cursor at character 80'
        ret

read_back:
        mov ah, 0x02
        xor bh, bh
        xor dx, dx
        int 0x10
        mov ah, 0x08
        xor bh, bh
        int 0x10
        cmp ax, 0x0748
        CHECK e, 'int 10h 08h: character and attribute at the cursor'
        ret

; 09h: 3 x 'x' in 1Eh from (10, 20); the cursor does not move.
write_attr:
        mov ah, 0x02
        xor bh, bh
        mov dx, 0x0A14
        int 0x10
        mov ax, 0x0978
        mov bx, 0x001E
        mov cx, 3
        int 0x10
        call cursor
        cmp dx, 0x0A14
        CHECK e, 'int 10h 09h: the cursor stays'
        mov bx, (10 * 80 + 22) * 2
        call vram
        cmp ax, 0x1E78
        CHECK e, 'int 10h 09h: the third copy with its attribute'
        mov bx, (10 * 80 + 23) * 2
        call vram
        cmp ax, 0x0720
        CHECK e, 'int 10h 09h: no fourth copy'
        ret

; 24 more lines: 'Z' on line 25, then CR LF scrolls it up to line 24.
scroll_at_bottom:
        mov ah, 0x02
        xor bh, bh
        mov dx, 0x1800
        int 0x10
        mov al, 'Z'
        call tty
        mov al, 13
        call tty
        mov al, 10
        call tty
        call cursor
        cmp dx, 0x1800
        CHECK e, 'int 10h 0Eh: LF on line 25 stays on line 25'
        mov bx, 23 * 160
        call vram
        cmp ax, 0x075A
        CHECK e, 'int 10h 0Eh: the screen scrolled up one line'
        mov bx, 24 * 160
        call vram
        cmp ax, 0x0720
        CHECK e, 'int 10h 0Eh: the new last line is blank'
        xor bx, bx
        call vram
        cmp al, ' '
        CHECK e, "int 10h 0Eh: line 1 ('Hi') scrolled off"
        ret

; 06h: rows 9-10, columns 20-22 up by one, attribute 70h; the 'x's of row 10 go to row 9.
window_scroll:
        mov ax, 0x0601
        mov bx, 0x7000
        mov cx, 0x0914
        mov dx, 0x0A16
        int 0x10
        mov bx, (9 * 80 + 22) * 2
        call vram
        cmp ax, 0x1E78
        CHECK e, 'int 10h 06h: row 10 moved up to row 9'
        mov bx, (10 * 80 + 20) * 2
        call vram
        cmp ax, 0x7020
        CHECK e, 'int 10h 06h: the new row blank in attribute 70h'
        mov bx, (9 * 80 + 23) * 2
        call vram
        cmp ax, 0x0720
        CHECK e, 'int 10h 06h: column 23 outside the window'
        ret

info:
        mov ah, 0x0F
        int 0x10
        cmp ax, 0x5003
        CHECK e, 'int 10h 0Fh: mode 03h, 80 columns'
        cmp bh, 0
        CHECK e, 'int 10h 0Fh: page 0'
        mov ax, 0x1130
        mov bh, 0x06
        push es
        push bp
        int 0x10
        pop bp
        pop es
        cmp cx, 16
        CHECK e, 'int 10h 1130h: 16 scan lines per character'
        cmp dl, 24
        CHECK e, 'int 10h 1130h: last row 24'
        mov ax, 0x1A00
        int 0x10
        cmp al, 0x1A
        CHECK e, 'int 10h 1A00h: AL = 1Ah (supported)'
        cmp bl, 0x08
        CHECK e, 'int 10h 1A00h: BL = 08h (colour VGA)'
        int 0x11
        and ax, 0x30
        cmp ax, 0x20
        CHECK e, 'int 11h: initial video mode 80x25 colour'
        ret

%include "bios_test_end.inc"
