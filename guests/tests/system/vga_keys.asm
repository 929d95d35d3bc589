; vga_keys.asm -- the VGA text screen and the PS/2 keyboard, for -display curses.
;
; Not self-checking: test/display/display_test.py runs it under `ringshift run
; -display curses` in tmux, types keys and reads the terminal.  The guest:
;   1  fills the 80x25 text buffer at 0xB8000 (grey on black) and draws a
;      double-line box (CP437 C9 CD BB BA C8 BC) in yellow on blue (0x1E)
;      around "ringshift VGA test", with a sample of single lines and shades
;      (DA C4 BF B3 C0 D9, B0 B1 B2 DB) in white on red (0x4F);
;   2  writes the prompt "> " in light green on row 6 and puts the cursor
;      after it through the CRTC (cursor location 0Eh/0Fh; shape 0Ah/0Bh);
;   3  takes keyboard bytes from IRQ 1 (8259A at 0x20, vector 0x21), decodes
;      scan code set 1 (the i8042 translates the keyboard's set 2) with its
;      own Shift/Ctrl/Alt state, and echoes at the cursor: characters of a US
;      layout, ^X for Ctrl-x, M-x for Alt-x, <UP> <DN> <LT> <RT> <HOME> <END>
;      <INS> <DEL> <PGUP> <PGDN> for E0 keys, Backspace erases, Enter starts a
;      new prompt line; F1 toggles the cursor (CR0A bit 5); F12 writes "F12";
;   4  keeps a status line on row 24 (black on grey): the last 8 bytes read
;      from port 0x60 in hex, and the counts of make and break codes (drawn
;      first once IRQ 1 is unmasked: keys can come);
;   5  exits through the debug-exit port on Esc: value 0 (ringshift status 1).
%include "harness.inc"
%include "system.inc"

%define VRAM        0xB8000
%define ATTR_TEXT   0x07
%define ATTR_BOX    0x1E
%define ATTR_SAMPLE 0x4F
%define ATTR_PROMPT 0x0A
%define ATTR_STATUS 0x70
%define FIRST_ROW   6
%define LAST_ROW    20

section .rodata
title:      db 'ringshift VGA test', 0
help:       db 'type; Esc exits', 0
sample:     db 0xDA, 0xC4, 0xBF, 0xB3, 0xC0, 0xD9, ' ', 0xB0, 0xB1, 0xB2, 0xDB, 0
codes_lbl:  db 'codes:', 0
makes_lbl:  db 'make ', 0
breaks_lbl: db ' break ', 0
; Scan code set 1, codes 0x00-0x39, on a US layout (0: not a character).
keymap:     db 0, 0, '1234567890-=', 0, 0, 'qwertyuiop[]', 0, 0, 'asdfghjkl;', 39, '`', 0
            db '\zxcvbnm,./', 0, '*', 0, ' '
keymap_sh:  db 0, 0, '!@#$%^&*()_+', 0, 0, 'QWERTYUIOP{}', 0, 0, 'ASDFGHJKL:"~', 0
            db '|ZXCVBNM<>?', 0, '*', 0, ' '
; E0-prefixed keys: code, name.
ext_names:  db 0x48, '<UP>', 0, 0, 0
            db 0x50, '<DN>', 0, 0, 0
            db 0x4B, '<LT>', 0, 0, 0
            db 0x4D, '<RT>', 0, 0, 0
            db 0x47, '<HOME>', 0
            db 0x4F, '<END>', 0, 0
            db 0x52, '<INS>', 0, 0
            db 0x53, '<DEL>', 0, 0
            db 0x49, '<PGUP>', 0
            db 0x51, '<PGDN>', 0
            db 0
%define EXT_ENTRY 8

section .data
align 4
row:        dd FIRST_ROW
col:        dd 2
kb_head:    dd 0            ; written by the IRQ handler
kb_tail:    dd 0
shift:      dd 0
ctrl:       dd 0
alt:        dd 0
ext:        dd 0
makes:      dd 0
breaks:     dd 0
cursor_off: dd 0
last:       times 8 db 0
last_n:     dd 0

section .bss
kb_ring:    resb 256

section .text

; put_char: AL = character, AH = attribute at (ECX = column, EDX = row).
put_char:
        push edi
        push eax
        mov eax, edx
        imul eax, 80
        add eax, ecx
        lea edi, [VRAM + eax * 2]
        pop eax
        mov [edi], ax
        pop edi
        ret

; put_str: ESI -> NUL-terminated string, AH = attribute, at (ECX, EDX); ECX advances.
put_str:
        push eax
        push esi
.l:     mov al, [esi]
        test al, al
        jz .d
        call put_char
        inc esi
        inc ecx
        jmp .l
.d:     pop esi
        pop eax
        ret

; put_hex8: AL as two hex digits, AH = attribute, at (ECX, EDX); ECX advances by 2.
put_hex8:
        push eax
        push ebx
        mov bl, al
        shr al, 4
        movzx eax, al
        mov al, [h_hexdigits + eax]
        mov ah, [esp + 5]               ; the caller's AH
        call put_char
        inc ecx
        movzx eax, bl
        and al, 0x0F
        mov al, [h_hexdigits + eax]
        mov ah, [esp + 5]
        call put_char
        inc ecx
        pop ebx
        pop eax
        ret

; set_cursor: the CRTC's cursor location to (row, col); a word OUT for the high byte
; (index in AL, data in AH) and byte OUTs for the low one.
set_cursor:
        push eax
        push ecx
        push edx
        mov ecx, [row]
        imul ecx, 80
        add ecx, [col]
        mov dx, 0x3D4
        mov al, 0x0E
        mov ah, ch
        out dx, ax                      ; CR0E = location >> 8
        mov al, 0x0F
        out dx, al
        inc dx
        mov al, cl
        out dx, al                      ; CR0F = location & 0xFF
        pop edx
        pop ecx
        pop eax
        ret

; cursor_shape: lines 13-14, bit 5 (off) from cursor_off.
cursor_shape:
        push eax
        push edx
        mov dx, 0x3D4
        mov al, 0x0A
        out dx, al
        inc dx
        mov al, 0x0D
        cmp dword [cursor_off], 0
        je .on
        or al, 0x20
.on:    out dx, al
        dec dx
        mov al, 0x0B
        out dx, al
        inc dx
        mov al, 0x0E
        out dx, al
        pop edx
        pop eax
        ret

; echo: AL = character at the cursor, which moves on (wrapping to the next line).
echo:
        push ecx
        push edx
        mov ecx, [col]
        mov edx, [row]
        mov ah, ATTR_TEXT
        call put_char
        inc dword [col]
        cmp dword [col], 80
        jb .ok
        call new_line
.ok:    call set_cursor
        pop edx
        pop ecx
        ret

; echo_str: ESI -> string, through echo.
echo_str:
        push eax
        push esi
.l:     mov al, [esi]
        test al, al
        jz .d
        call echo
        inc esi
        jmp .l
.d:     pop esi
        pop eax
        ret

; new_line: the next row (back to the first after the last) with a prompt.
new_line:
        push eax
        push ecx
        push edx
        mov eax, [row]
        inc eax
        cmp eax, LAST_ROW
        jbe .ok
        mov eax, FIRST_ROW
.ok:    mov [row], eax
        mov edx, eax
        xor ecx, ecx                    ; clear the row
.clr:   mov ax, (ATTR_TEXT << 8) | ' '
        call put_char
        inc ecx
        cmp ecx, 80
        jb .clr
        xor ecx, ecx
        mov ax, (ATTR_PROMPT << 8) | '>'
        call put_char
        mov dword [col], 2
        call set_cursor
        pop edx
        pop ecx
        pop eax
        ret

; status: row 24 shows the last 8 bytes and the make/break counts.
status:
        pushad
        mov edx, 24
        xor ecx, ecx
        mov ah, ATTR_STATUS
        mov esi, codes_lbl
        call put_str
        mov ebx, [last_n]               ; oldest first
        mov edi, 8
.b:     mov al, ' '
        call put_char
        inc ecx
        mov al, [last + ebx]
        call put_hex8
        inc ebx
        and ebx, 7
        dec edi
        jnz .b
        mov al, ' '
        call put_char
        inc ecx
        mov al, ' '
        call put_char
        inc ecx
        mov esi, makes_lbl
        call put_str
        mov al, [makes]
        call put_hex8
        mov esi, breaks_lbl
        call put_str
        mov al, [breaks]
        call put_hex8
        popad
        ret

; IRQ 1: the byte from the controller into the ring; EOI.
kbd_hook:
        in al, 0x60
        mov edx, [kb_head]
        mov [kb_ring + edx], al
        inc dl
        mov [kb_head], edx
        mov al, 1
        call pic_eoi
        ret

test_main:
        SYS_INIT
        ; The screen: grey on black, the box, the sample, the prompt.
        mov edi, VRAM
        mov ecx, 80 * 25
        mov ax, (ATTR_TEXT << 8) | ' '
        rep stosw
        xor edx, edx                    ; top: C9 CD.. BB
        xor ecx, ecx
        mov ax, (ATTR_BOX << 8) | 0xC9
        call put_char
.top:   inc ecx
        mov ax, (ATTR_BOX << 8) | 0xCD
        call put_char
        cmp ecx, 38
        jb .top
        inc ecx
        mov ax, (ATTR_BOX << 8) | 0xBB
        call put_char
        mov edx, 1                      ; sides, rows 1-3, filled
.side:  xor ecx, ecx
        mov ax, (ATTR_BOX << 8) | 0xBA
        call put_char
.fill:  inc ecx
        mov ax, (ATTR_BOX << 8) | ' '
        call put_char
        cmp ecx, 38
        jb .fill
        inc ecx
        mov ax, (ATTR_BOX << 8) | 0xBA
        call put_char
        inc edx
        cmp edx, 4
        jb .side
        xor ecx, ecx                    ; bottom: C8 CD.. BC
        mov ax, (ATTR_BOX << 8) | 0xC8
        call put_char
.bot:   inc ecx
        mov ax, (ATTR_BOX << 8) | 0xCD
        call put_char
        cmp ecx, 38
        jb .bot
        inc ecx
        mov ax, (ATTR_BOX << 8) | 0xBC
        call put_char
        mov ah, ATTR_BOX
        mov ecx, 2
        mov edx, 1
        mov esi, title
        call put_str
        mov ecx, 2
        mov edx, 2
        mov esi, help
        call put_str
        mov ah, ATTR_SAMPLE
        mov ecx, 2
        mov edx, 3
        mov esi, sample
        call put_str
        mov edx, FIRST_ROW
        xor ecx, ecx
        mov ax, (ATTR_PROMPT << 8) | '>'
        call put_char
        call cursor_shape
        call set_cursor

        ; The keyboard on IRQ 1; then the status line says the guest is ready for keys.
        call pic_init
        SET_HOOK 0x21, kbd_hook
        mov ax, 0xFFFD
        call pic_set_mask
        call status

.wait:  cli
        mov eax, [kb_tail]
        cmp eax, [kb_head]
        jne .byte
        sti
        hlt
        jmp .wait
.byte:  movzx ebx, byte [kb_ring + eax]
        inc al
        mov [kb_tail], eax
        sti
        mov eax, [last_n]               ; the status line
        mov [last + eax], bl
        inc eax
        and eax, 7
        mov [last_n], eax
        cmp bl, 0xE0
        jne .notext
        mov dword [ext], 1
        call status
        jmp .wait
.notext:
        test bl, 0x80
        jz .make
        inc dword [breaks]
        jmp .counted
.make:  inc dword [makes]
.counted:
        call status
        mov eax, ebx
        and eax, 0x7F
        xor ecx, ecx                    ; ECX = 1 for a make code
        test bl, 0x80
        setz cl
        cmp dword [ext], 0
        jne .extkey
        cmp al, 0x2A                    ; modifiers: held while made
        je .shift
        cmp al, 0x36
        je .shift
        cmp al, 0x1D
        je .ctrl
        cmp al, 0x38
        je .alt
        test ecx, ecx
        jz .wait                        ; other breaks: nothing to do
        cmp al, 0x01
        je .esc
        cmp al, 0x1C
        je .enter
        cmp al, 0x0E
        je .bs
        cmp al, 0x3B
        je .f1
        cmp al, 0x58
        je .f12
        cmp al, 0x3A
        jae .wait
        mov edx, eax
        mov al, [keymap + edx]
        cmp dword [shift], 0
        je .plain
        mov al, [keymap_sh + edx]
.plain: test al, al
        jz .wait
        cmp dword [ctrl], 0
        je .noctrl
        push eax
        mov al, '^'
        call echo
        pop eax
        sub al, 0x20                    ; ^X in capitals
        jmp .out
.noctrl:
        cmp dword [alt], 0
        je .out
        push eax
        mov al, 'M'
        call echo
        mov al, '-'
        call echo
        pop eax
.out:   call echo
        jmp .wait
.shift: mov [shift], ecx
        jmp .wait
.ctrl:  mov [ctrl], ecx
        jmp .wait
.alt:   mov [alt], ecx
        jmp .wait

.extkey:
        mov dword [ext], 0
        test ecx, ecx
        jz .wait
        mov esi, ext_names
.find:  cmp byte [esi], 0
        je .wait
        cmp [esi], al
        je .found
        add esi, EXT_ENTRY
        jmp .find
.found: inc esi
        call echo_str
        jmp .wait

.enter: call new_line
        jmp .wait
.bs:    cmp dword [col], 2
        jbe .wait
        dec dword [col]
        mov ecx, [col]
        mov edx, [row]
        mov ax, (ATTR_TEXT << 8) | ' '
        call put_char
        call set_cursor
        jmp .wait
.f1:    xor dword [cursor_off], 1
        call cursor_shape
        jmp .wait
.f12:   mov al, 'F'
        call echo
        mov al, '1'
        call echo
        mov al, '2'
        call echo
        jmp .wait
.esc:   cli
        jmp test_pass
