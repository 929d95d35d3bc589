; Memory services under `-m 64M`: int 15h E820h (RAM at 0, a reserved area over the
; BIOS at F0000h, RAM from 1 MiB to about the -m size; 'SMAP', CF, EBX continuation),
; E801h, 88h, int 12h, the 87h block move above 1 MiB and back, and the A20 gate
; (2400h-2402h) seen by the CPU: 1 MiB + 500h aliases 500h only while A20 is off.
%include "bios_test.inc"

MiB equ 0x100000

test_main:
        call e820
        call e801
        call ext_memory
        call base_memory
        call block_move
        call a20
        ret

e820:
        xor ebx, ebx
        mov word [entries], 0
.next:
        mov eax, 0xE820
        mov edx, 0x534D4150
        mov ecx, 20
        mov di, entry
        int 0x15
        jc .end
        cmp eax, 0x534D4150
        CHECK e, "int 15h E820h: EAX = 'SMAP'"
        cmp ecx, 20
        CHECK e, 'int 15h E820h: ECX = 20'
        SHOW32 'E820 base', dword [entry]
        SHOW32 '     length', dword [entry + 8]
        SHOW32 '     type', dword [entry + 16]
        call classify
        inc word [entries]
        cmp word [entries], 32
        jae .end
        test ebx, ebx
        jnz .next
.end:
        cmp word [entries], 3
        CHECK ae, 'int 15h E820h: at least 3 ranges'
        cmp byte [seen_low], 1
        CHECK e, 'int 15h E820h: RAM at 0 (at least 636 KiB)'
        cmp byte [seen_bios], 1
        CHECK e, 'int 15h E820h: F0000h-FFFFFh reserved'
        cmp byte [seen_high], 1
        CHECK e, 'int 15h E820h: RAM from 1 MiB, 60-63 MiB long'
        ret

; classify: the range at `entry` (bases and lengths below 4 GiB here).
classify:
        cmp dword [entry + 4], 0
        jne .done
        cmp dword [entry + 12], 0
        jne .done
        mov eax, [entry]
        mov ecx, [entry + 8]
        mov edx, [entry + 16]
        test eax, eax
        jnz .bios
        cmp edx, 1
        jne .bios
        cmp ecx, 636 * 1024
        jb .bios
        mov byte [seen_low], 1
.bios:
        cmp edx, 2
        jne .high
        cmp eax, 0xF0000
        ja .high
        add eax, ecx
        cmp eax, MiB
        jb .high
        mov byte [seen_bios], 1
.high:
        mov eax, [entry]
        cmp eax, MiB
        jne .done
        cmp edx, 1
        jne .done
        cmp ecx, 60 * MiB
        jb .done
        cmp ecx, 63 * MiB
        ja .done
        mov byte [seen_high], 1
.done:
        ret

e801:
        mov ax, 0xE801
        int 0x15
        CHECK nc, 'int 15h E801h: CF clear'
        SHOW 'E801 AX', ax
        SHOW '     BX', bx
        cmp ax, 15 * 1024
        CHECK e, 'int 15h E801h: AX = 15 MiB between 1 and 16 MiB'
        cmp cx, 15 * 1024
        CHECK e, 'int 15h E801h: CX = AX'
        cmp bx, 700
        CHECK ae, 'int 15h E801h: BX = 64 KiB blocks above 16 MiB (about 768)'
        cmp bx, 768
        CHECK be, 'int 15h E801h: BX not above 48 MiB'
        ret

ext_memory:
        mov ah, 0x88
        int 0x15
        CHECK nc, 'int 15h 88h: CF clear'
        SHOW '88h AX', ax
        cmp ax, 60 * 1024
        CHECK ae, 'int 15h 88h: at least 60 MiB above 1 MiB'
        ret

base_memory:
        int 0x12
        SHOW 'int 12h AX', ax
        cmp ax, 600
        CHECK ae, 'int 12h: at least 600 KiB'
        cmp ax, 640
        CHECK be, 'int 12h: at most 640 KiB'
        ret

; desc: the descriptor at ES:DI with base EAX (limit FFFFh, data read/write).
desc:
        push di
        push eax
        mov ax, 0xFFFF
        stosw                   ; limit 15:0
        mov eax, [esp]
        stosw                   ; base 15:0
        shr eax, 16
        stosb                   ; base 23:16
        mov al, 0x93
        stosb                   ; present, data, read/write
        mov al, 0
        stosb                   ; limit 19:16, flags
        mov al, ah
        stosb                   ; base 31:24
        pop eax
        pop di
        ret

; move: CX words from ESI to EDI (physical) by int 15h 87h.
move:
        push cx
        mov eax, esi
        push di
        mov di, gdt + 0x10
        call desc
        pop di
        mov eax, edi
        mov di, gdt + 0x18
        call desc
        mov si, gdt
        pop cx
        mov ah, 0x87
        int 0x15
        ret

block_move:
        push ds
        push es
        mov ax, 0x6000
        mov es, ax
        xor di, di
        xor ax, ax
.fill:
        stosw
        add ax, 0x0103
        cmp di, 0x400
        jb .fill
        pop es
        pop ds
        mov esi, 0x60000
        mov edi, 2 * MiB + 0x123
        mov cx, 0x200
        call move
        CHECK nc, 'int 15h 87h to 2 MiB: CF clear'
        cmp ah, 0
        CHECK e, 'int 15h 87h to 2 MiB: AH = 0'
        mov esi, 2 * MiB + 0x123
        mov edi, 0x70000
        mov cx, 0x200
        call move
        CHECK nc, 'int 15h 87h back: CF clear'
        push ds
        push es
        mov ax, 0x6000
        mov ds, ax
        mov ax, 0x7000
        mov es, ax
        xor si, si
        xor di, di
        mov cx, 0x200
        repe cmpsw
        pop es
        pop ds
        CHECK e, 'int 15h 87h: the bytes came back from above 1 MiB'
        ret

a20:
        mov ax, 0x2401
        int 0x15
        CHECK nc, 'int 15h 2401h: CF clear'
        mov ax, 0x2402
        int 0x15
        CHECK nc, 'int 15h 2402h: CF clear'
        cmp al, 1
        CHECK e, 'int 15h 2402h: AL = 1 (on)'
        mov ax, 0xFFFF
        mov es, ax
        mov byte [0x500], 0x11
        mov byte [es:0x510], 0x22
        cmp byte [0x500], 0x11
        CHECK e, 'A20 on: FFFF:0510 is not 0000:0500'
        mov ax, 0x2400
        int 0x15
        CHECK nc, 'int 15h 2400h: CF clear'
        mov ax, 0x2402
        int 0x15
        cmp al, 0
        CHECK e, 'int 15h 2402h: AL = 0 (off)'
        mov byte [es:0x510], 0x33
        cmp byte [0x500], 0x33
        CHECK e, 'A20 off: FFFF:0510 wraps to 0000:0500'
        mov ax, 0x2401
        int 0x15
        xor ax, ax
        mov es, ax
        ret

entries:   dw 0
seen_low:  db 0
seen_bios: db 0
seen_high: db 0
entry:     times 24 db 0
gdt:       times 48 db 0

%include "bios_test_end.inc"
