; int 13h on the boot hard disk: 08h geometry, a CHS read of the data area, 41h, 42h
; (LBA read), 48h, 15h, writes by 43h and 03h read back by 42h and 02h, and a read
; past the end (CF set). Stage 1 already loaded stage 2 with a CHS read.
%include "bios_test.inc"

test_main:
        call geometry
        call chs_read
        call extensions
        call lba_read
        call drive_params
        call drive_type
        call lba_write
        call chs_write
        call past_the_end
        ret

; 08h: the last sector and head of the translated geometry.
geometry:
        mov ah, 0x08
        mov dl, [boot_drive]
        push es
        int 0x13
        pop es
        CHECK nc, 'int 13h 08h: CF clear'
        SHOW '08h CX', cx
        SHOW '08h DX', dx
        mov al, cl
        and ax, 0x3F
        mov [spt], ax
        movzx ax, dh
        inc ax
        mov [heads], ax
        cmp word [spt], 0
        CHECK ne, 'int 13h 08h: sectors per track'
        ret

; lba_to_chs: AX = LBA -> CX (cylinder, sector), DH (head) for int 13h 02h/03h.
lba_to_chs:
        push ax
        xor dx, dx
        div word [spt]
        inc dx
        mov cl, dl
        xor dx, dx
        div word [heads]
        mov dh, dl
        mov ch, al
        shl ah, 6
        or cl, ah
        pop ax
        ret

chs_read:
        mov ax, DATA_LBA + 3
        call lba_to_chs
        mov dl, [boot_drive]
        mov ax, 0x1000
        mov es, ax
        xor bx, bx
        mov ax, 0x0204
        int 0x13
        CHECK nc, 'int 13h 02h: CF clear'
        cmp al, 4
        CHECK e, 'int 13h 02h: AL = 4 sectors read'
        xor di, di
        mov ax, DATA_LBA + 3
        mov cx, 4
        call check_sectors
        CHECK nc, 'int 13h 02h: the data sectors read by CHS'
        xor ax, ax
        mov es, ax
        ret

extensions:
        mov ah, 0x41
        mov bx, 0x55AA
        mov dl, [boot_drive]
        int 0x13
        CHECK nc, 'int 13h 41h: CF clear'
        cmp bx, 0xAA55
        CHECK e, 'int 13h 41h: BX = AA55h'
        test cx, 1
        CHECK nz, 'int 13h 41h: CX bit 0 (packet calls)'
        SHOW '41h AX', ax
        ret

; read_packet / write_packet: AX = LBA, CX = count, ES:BX = buffer, through dap.
packet:
        mov byte [dap], 0x10
        mov byte [dap + 1], 0
        mov [dap + 2], cx
        mov [dap + 4], bx
        mov [dap + 6], es
        mov [dap + 8], ax
        mov word [dap + 10], 0
        mov dword [dap + 12], 0
        mov si, dap
        mov dl, [boot_drive]
        ret

lba_read:
        mov ax, 0x2000
        mov es, ax
        xor bx, bx
        mov ax, DATA_LBA + 10
        mov cx, 8
        call packet
        mov ah, 0x42
        int 0x13
        CHECK nc, 'int 13h 42h: CF clear'
        cmp word [dap + 2], 8
        CHECK e, 'int 13h 42h: 8 blocks done'
        xor di, di
        mov ax, DATA_LBA + 10
        mov cx, 8
        call check_sectors
        CHECK nc, 'int 13h 42h: the data sectors read by LBA'
        xor ax, ax
        mov es, ax
        ret

drive_params:
        mov word [edd], 0x1E
        mov si, edd
        mov dl, [boot_drive]
        mov ah, 0x48
        int 0x13
        CHECK nc, 'int 13h 48h: CF clear'
        cmp dword [edd + 0x10], IMAGE_SECTORS
        CHECK e, 'int 13h 48h: total sectors = the image size'
        cmp dword [edd + 0x14], 0
        CHECK e, 'int 13h 48h: total sectors, high dword'
        cmp word [edd + 0x18], 512
        CHECK e, 'int 13h 48h: 512 bytes per sector'
        cmp word [edd], 0x1A
        CHECK ae, 'int 13h 48h: buffer size returned'
        ret

drive_type:
        mov ah, 0x15
        mov dl, [boot_drive]
        int 0x13
        CHECK nc, 'int 13h 15h: CF clear'
        cmp ah, 3
        CHECK e, 'int 13h 15h: AH = 03h (hard disk)'
        SHOW '15h CX', cx
        SHOW '15h DX', dx
        cmp cx, 0
        CHECK e, 'int 13h 15h: fewer than 65536 sectors'
        cmp dx, 1000
        CHECK a, 'int 13h 15h: CX:DX sectors'
        cmp dx, IMAGE_SECTORS
        CHECK be, 'int 13h 15h: CX:DX not more than the image'
        ret

; fill_3000: two sectors at 3000:0000, word i = i * 3 ^ BX.
fill_3000:
        push es
        mov ax, 0x3000
        mov es, ax
        xor di, di
        xor cx, cx
.w:
        mov ax, cx
        imul ax, 3
        xor ax, bx
        stosw
        inc cx
        cmp cx, 512
        jb .w
        pop es
        ret

; same_as_3000: CF set unless the CX words at ES:0000 match 3000:0000.
same_as_3000:
        push ds
        mov ax, 0x3000
        mov ds, ax
        xor si, si
        xor di, di
        repe cmpsw
        pop ds
        je .same
        stc
        ret
.same:
        clc
        ret

lba_write:
        mov bx, 0xA55A
        call fill_3000
        mov ax, 0x3000
        mov es, ax
        xor bx, bx
        mov ax, SCRATCH_LBA
        mov cx, 2
        call packet
        mov ax, 0x4300
        int 0x13
        CHECK nc, 'int 13h 43h: CF clear'
        mov ax, 0x4000
        mov es, ax
        xor bx, bx
        mov ax, SCRATCH_LBA
        mov cx, 2
        call packet
        mov ah, 0x42
        int 0x13
        CHECK nc, 'int 13h 42h after 43h: CF clear'
        mov cx, 512
        call same_as_3000
        CHECK nc, 'int 13h 43h then 42h: the written sectors read back'
        xor ax, ax
        mov es, ax
        ret

chs_write:
        mov bx, 0x3C3C
        call fill_3000
        mov ax, SCRATCH_LBA + 4
        call lba_to_chs
        mov dl, [boot_drive]
        mov ax, 0x3000
        mov es, ax
        xor bx, bx
        mov ax, 0x0301
        int 0x13
        CHECK nc, 'int 13h 03h: CF clear'
        cmp al, 1
        CHECK e, 'int 13h 03h: AL = 1'
        mov ax, SCRATCH_LBA + 4
        call lba_to_chs
        mov dl, [boot_drive]
        mov ax, 0x5000
        mov es, ax
        xor bx, bx
        mov ax, 0x0201
        int 0x13
        CHECK nc, 'int 13h 02h after 03h: CF clear'
        mov cx, 256
        call same_as_3000
        CHECK nc, 'int 13h 03h then 02h: the written sector reads back'
        xor ax, ax
        mov es, ax
        ret

past_the_end:
        mov ax, 0x2000
        mov es, ax
        xor bx, bx
        mov ax, IMAGE_SECTORS - 1
        mov cx, 2
        call packet
        mov ah, 0x42
        int 0x13
        CHECK c, 'int 13h 42h past the end: CF set'
        SHOW '42h past the end: AX', ax
        xor ax, ax
        mov es, ax
        ret

spt:   dw 0
heads: dw 0
dap:   times 16 db 0
edd:   times 0x1E db 0

%include "bios_test_end.inc"
