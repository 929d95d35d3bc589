; ldt_iobitmap.asm -- LLDT/SLDT and segment loads through the LDT; the TSS I/O
; permission bitmap at CPL 3 with IOPL 0 (SDM vol. 1 19.5.2, vol. 3 "LLDT").
;
;   1  LLDT with an LDT descriptor; SLDT reads it back; FS loaded with LDT selector 0x04
;      (base 0x2000) reads linear 0x2000 + offset; ring 3 loads LDT selector 0x0F (DPL 3).
;   2  LLDT with a data descriptor -> #GP(selector); after LLDT 0, a TI=1 selector
;      -> #GP(selector).
;   3  A second TSS with an I/O bitmap (ports 0x80 and 0x84-0x85 allowed): at CPL 3
;      the allowed ports work, a denied port, a word access half outside the allowed
;      range and a port beyond the bitmap (TSS limit) raise #GP(0).
%include "harness.inc"
%include "system.inc"

section .data
align 8
ldt_table:
        dq 0x00CF93002000FFFF           ; 0x04: data, DPL 0, base 0x2000
        dq 0x00CFF3003000FFFF           ; 0x0C: data, DPL 3, base 0x3000
align 16
tss2:   times 104 db 0
bitmap: times 128 db 0xFF               ; ports 0x000-0x3FF: all denied ...
        db 0xFF                         ; terminator
tss2_end:
r3_value: dd 0

section .text

; ring-3 bodies: each ends with RING0
r3_ldt:
        mov ax, 0x0F
        mov gs, ax
        mov eax, [gs:0x20]
        mov [r3_value], eax
        RING0
r3_in80:
        in al, 0x80
        out 0x80, al
        in ax, 0x84
        RING0

global test_main
test_main:
        PUTSLN 'ldt_iobitmap: LDT loads and the TSS I/O permission bitmap'
        SYS_INIT
        ; ------------------------------------------------------------- 1 --
        SET_DESC SEL_SPARE0, ldt_table, 15, 0x082
        mov ax, SEL_SPARE0
        lldt ax
        xor eax, eax
        sldt ax
        CHECK_EQ 'sldt after lldt', eax, SEL_SPARE0
        mov dword [0x2010], 0xCAFEBABE
        mov dword [0x3020], 0x5EED1234
        mov ax, 0x04
        mov fs, ax
        mov eax, [fs:0x10]
        CHECK_EQ 'fs = LDT selector 0x04 (base 0x2000): [fs:0x10]', eax, 0xCAFEBABE
        mov ax, SEL_KDATA
        mov fs, ax
        ENTER_RING3 r3_ldt
        CHECK_EQ 'ring 3 gs = LDT selector 0x0F (base 0x3000): [gs:0x20]', dword [r3_value], 0x5EED1234
        ; ------------------------------------------------------------- 2 --
        EXC_ARM .l1_after
        mov ax, SEL_KDATA
.l1:    lldt ax
.l1_after:
        EXC_CHECK 'lldt with a data descriptor', 13, SEL_KDATA, .l1
        xor eax, eax
        lldt ax
        EXC_ARM .l2_after
        mov ax, 0x04
.l2:    mov fs, ax
.l2_after:
        EXC_CHECK 'mov fs, 0x04 with a null LDTR', 13, 0x04, .l2
        ; ------------------------------------------------------------- 3 --
        mov byte [bitmap + 0x10], 0xFE  ; port 0x80 allowed
        and byte [bitmap + 0x10], 0xCF  ; ports 0x84, 0x85 allowed
        mov eax, sys_r0_stack_top
        mov [tss2 + TSS_ESP0], eax
        mov word [tss2 + TSS_SS0], SEL_KDATA
        mov word [tss2 + 0x66], bitmap - tss2
        SET_DESC SEL_SPARE1, tss2, tss2_end - tss2 - 1, 0x089
        mov ax, SEL_SPARE1
        ltr ax
        EXC_ARM 0
        ENTER_RING3 r3_in80
        EXC_NONE 'cpl3 in/out on allowed ports 0x80, 0x84-0x85'
        R3_FAULT 'cpl3 in al, 0x81 (denied)', 13, 0, in al, 0x81
        R3_FAULT 'cpl3 in ax, 0x85 (0x86 denied)', 13, 0, in ax, 0x85
        R3_FAULT_S 'cpl3 in al, dx=0x3ff (denied)', 13, 0, {mov dx, 0x3FF}, in al, dx
        R3_FAULT_S 'cpl3 in al, dx=0x500 (beyond the TSS limit)', 13, 0, {mov dx, 0x500}, in al, dx
        ret
