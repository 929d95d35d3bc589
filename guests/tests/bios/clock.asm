; Time and keyboard services: int 1Ah 02h/04h (valid BCD from the RTC), 00h (the tick
; count moves while the guest waits in HLT: int 08h runs at 18.2 Hz), int 15h 86h (a
; 100 ms wait lets ticks pass), int 16h 01h on an empty buffer (ZF), 05h then 01h/00h
; (the key comes back, through the ROM's wait path).
%include "bios_test.inc"

test_main:
        call rtc_time
        call rtc_date
        call ticks
        call wait_86
        call keyboard
        ret

; bcd: CF set unless AL is two BCD digits below BL (BCD).
bcd:
        push ax
        mov ah, al
        and ah, 0x0F
        cmp ah, 9
        ja .bad
        mov ah, al
        shr ah, 4
        cmp ah, 9
        ja .bad
        cmp al, bl
        jae .bad
        pop ax
        clc
        ret
.bad:
        pop ax
        stc
        ret

rtc_time:
        mov ah, 0x02
        int 0x1A
        CHECK nc, 'int 1Ah 02h: CF clear'
        SHOW 'RTC time CX', cx
        SHOW '         DX', dx
        mov al, ch
        mov bl, 0x24
        call bcd
        CHECK nc, 'int 1Ah 02h: CH hours in BCD'
        mov al, cl
        mov bl, 0x60
        call bcd
        CHECK nc, 'int 1Ah 02h: CL minutes in BCD'
        mov al, dh
        call bcd
        CHECK nc, 'int 1Ah 02h: DH seconds in BCD'
        ret

rtc_date:
        mov ah, 0x04
        int 0x1A
        CHECK nc, 'int 1Ah 04h: CF clear'
        SHOW 'RTC date CX', cx
        SHOW '         DX', dx
        mov al, ch
        mov bl, 0xA0
        call bcd
        CHECK nc, 'int 1Ah 04h: CH century in BCD'
        mov al, cl
        mov bl, 0xA0
        call bcd
        CHECK nc, 'int 1Ah 04h: CL year in BCD'
        mov al, dh
        mov bl, 0x13
        call bcd
        CHECK nc, 'int 1Ah 04h: DH month in BCD'
        cmp dh, 0
        CHECK ne, 'int 1Ah 04h: month not 0'
        mov al, dl
        mov bl, 0x32
        call bcd
        CHECK nc, 'int 1Ah 04h: DL day in BCD'
        ret

; read_ticks: EAX = the tick count (int 1Ah 00h).
read_ticks:
        push cx
        push dx
        xor ah, ah
        int 0x1A
        movzx eax, cx
        shl eax, 16
        mov ax, dx
        pop dx
        pop cx
        ret

ticks:
        call read_ticks
        mov [t0], eax
        SHOW32 'ticks', eax
        cmp eax, 0x1800B0
        CHECK b, 'int 1Ah 00h: less than a day of ticks'
        mov cx, 100
.wait:
        sti
        hlt
        call read_ticks
        cmp eax, [t0]
        jne .moved
        loop .wait
.moved:
        cmp eax, [t0]
        CHECK ne, 'int 1Ah 00h: the tick count moves (int 08h at 18.2 Hz)'
        ret

wait_86:
        call read_ticks
        mov [t0], eax
        mov ah, 0x86
        mov cx, 0x0001
        mov dx, 0x86A0              ; 100 000 us
        int 0x15
        CHECK nc, 'int 15h 86h: CF clear'
        sti
        call read_ticks
        sub eax, [t0]
        SHOW32 'ticks in 100 ms', eax
        cmp eax, 1
        CHECK ae, 'int 15h 86h: a tick passed in 100 ms'
        cmp eax, 10
        CHECK b, 'int 15h 86h: not much more than 100 ms'
        ret

keyboard:
        mov ah, 0x01
        int 0x16
        CHECK z, 'int 16h 01h: ZF set, no key'
        mov ah, 0x05
        mov cx, 0x1E61
        int 0x16
        cmp al, 0
        CHECK e, 'int 16h 05h: stored'
        mov ah, 0x01
        int 0x16
        CHECK nz, 'int 16h 01h: ZF clear, a key'
        cmp ax, 0x1E61
        CHECK e, 'int 16h 01h: the key stored'
        mov ah, 0x00
        int 0x16
        cmp ax, 0x1E61
        CHECK e, 'int 16h 00h: the key read'
        mov ah, 0x11
        int 0x16
        CHECK z, 'int 16h 11h: empty again'
        ret

t0: dd 0

%include "bios_test_end.inc"
