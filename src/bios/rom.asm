; The BIOS ROM: 64 KiB at F000:0000 whose stubs trap into the C++ services.
;
; Every service stub is `push word SERVICE ; out 0xEB, al ; iret`: the OUT to the trap
; port makes the machine call Bios::trap (src/bios/bios.cpp), which pops SERVICE and
; runs the service on the guest registers and the FLAGS word the INT pushed; the IRET
; then returns the service's CF/ZF and the caller's IF. The SVC_* numbers below are
; the C++ enum Service (src/bios/call.h); test/test_bios.cpp checks that they agree.
;
; The entry points sit where the IBM PC/AT Technical Reference's BIOS listing has them
; (reset F000:FFF0, POST E05B, int 13h E3FE, int 19h E6F2, configuration table E6F5,
; int 16h E82E, int 09h E987, diskette parameters EFC7, int 10h F065, video parameters
; F0A4, int 12h F841, int 11h F84D, int 15h F859, 8x8 font FA6E, int 1Ah FE6E, int 08h
; FEA5, dummy IRET FF53, date FFF5, model byte FFFE), because old software jumps to
; them or compares vectors with them. `AT` pads up to the next one; nasm stops with a
; negative TIMES count if code outgrows its room. The checksum byte at FFFF is set by
; Bios::install. POST reads the directory at F000:0000 (src/bios/rom.h).
bits 16
cpu 386
org 0

%define TRAP_PORT 0xEB
%define SVC_POST  1
%define SVC_INT08 2
%define SVC_INT09 3
%define SVC_INT10 4
%define SVC_INT11 5
%define SVC_INT12 6
%define SVC_INT13 7
%define SVC_INT15 8
%define SVC_INT16 9
%define SVC_INT18 10
%define SVC_INT19 11
%define SVC_INT1A 12

%macro SERVICE 1
        push word %1
        out TRAP_PORT, al
        iret
%endmacro

%macro AT 1
        times (%1) - ($ - $$) db 0
%endmacro

; --- F000:0000: the directory POST reads (layout in src/bios/rom.h) -----------------
directory:
        db 'RSBIOS01'
        dw vector_list
        dw font_8x16
        dw font_8x8
        dw font_8x8_high
        dw config_table
        dw diskette_params
        dw video_params
        dw pir_table

; The vectors POST points into this ROM: (vector, offset) words, 0FFFFh ends the list.
; Every other vector of 00h-FFh gets the dummy IRET, 60h-67h (user vectors) 0000:0000,
; and 41h/46h the fixed disk parameter tables POST builds in the EBDA.
vector_list:
        dw 0x02, nmi
        dw 0x08, int08
        dw 0x09, int09
        dw 0x0A, irq_master
        dw 0x0B, irq_master
        dw 0x0C, irq_master
        dw 0x0D, irq_master
        dw 0x0E, int0e
        dw 0x0F, irq_master
        dw 0x10, int10
        dw 0x11, int11
        dw 0x12, int12
        dw 0x13, int13
        dw 0x15, int15
        dw 0x16, int16
        dw 0x18, int18
        dw 0x19, int19
        dw 0x1A, int1a
        dw 0x1D, video_params
        dw 0x1E, diskette_params
        dw 0x1F, font_8x8_high
        dw 0x40, int40
        dw 0x43, font_8x8
        dw 0x70, irq8_rtc
        dw 0x71, irq_slave
        dw 0x72, irq_slave
        dw 0x73, irq_slave
        dw 0x74, irq_slave
        dw 0x75, irq_slave
        dw 0x76, irq_slave
        dw 0x77, irq_slave
        dw 0xFFFF

; Hardware interrupts nobody handles: end them at the 8259A(s) so that lower-priority
; requests are not blocked (non-specific EOI, 8259A data sheet OCW2).
irq_master:
        push ax
        mov al, 0x20
        out 0x20, al
        pop ax
        iret

irq_slave:
        push ax
        mov al, 0x20
        out 0xA0, al
        out 0x20, al
        pop ax
        iret

; IRQ 8: the MC146818 keeps its IRQ line asserted until register C is read.
irq8_rtc:
        push ax
        mov al, 0x0C
        out 0x70, al
        in al, 0x71
        mov al, 0x20
        out 0xA0, al
        out 0x20, al
        pop ax
        iret

int13_body:
        SERVICE SVC_INT13

int19_body:
        SERVICE SVC_INT19

int18:
        SERVICE SVC_INT18

; Character generator tables for int 10h 1130h and vectors 1Fh/43h. Blank on purpose:
; ringshift's VGA text device draws with the host terminal's font.
font_8x16:
        times 256 * 16 db 0
font_8x8_high:
        times 128 * 8 db 0

; The PCI IRQ routing table ($PIR), written by POST (src/bios/pci_init.cpp). Operating
; systems find it by its signature on a 16-byte boundary in F0000h-FFFFFh.
align 16, db 0
pir_table:
        times 32 + 16 * 8 db 0

; --- POST -------------------------------------------------------------------------
AT 0xE05B
post:
        cli
        cld
        xor ax, ax
        mov ss, ax
        mov sp, 0x7C00          ; just below the boot sector, as PC BIOSes leave it
        mov ds, ax
        mov es, ax
        push word SVC_POST      ; no INT frame: POST only pops its number
        out TRAP_PORT, al
        sti
        int 0x19                ; jumps to the boot sector or stops the machine
.halt:
        cli
        hlt
        jmp .halt

AT 0xE2C3
nmi:
        iret

AT 0xE3FE
int13:
        jmp int13_body

AT 0xE6F2
int19:
        jmp int19_body

; int 15h C0h: the system configuration table (Ralf Brown's interrupt list, INT 15/AH=C0h).
AT 0xE6F5
config_table:
        dw 8                    ; bytes that follow
        db 0xFC                 ; model: PC/AT
        db 0x01                 ; submodel
        db 0x00                 ; BIOS revision
        db 0x64                 ; feature 1: second 8259A, RTC, EBDA allocated
        db 0x00, 0x00, 0x00, 0x00

; int 16h 00h/10h wait here, interrupts on, until int 09h has put a key in the BDA
; buffer (head 40:1A != tail 40:1C); the service then takes it.
AT 0xE82E
int16:
        cmp ah, 0x00
        je .wait
        cmp ah, 0x10
        je .wait
.service:
        SERVICE SVC_INT16
.wait:
        push ds
        push bx
        push word 0x40
        pop ds
.again:
        cli
        mov bx, [0x1A]
        cmp bx, [0x1C]
        jne .ready
        sti                     ; STI's shadow: the interrupt comes after HLT, not before
        hlt
        jmp .again
.ready:
        pop bx
        pop ds
        jmp .service

AT 0xE987
int09:
        SERVICE SVC_INT09

; int 40h: the diskette entry a fixed-disk BIOS relocates int 13h's floppy part to.
AT 0xEC59
int40:
        jmp int13_body

AT 0xEF57
int0e:
        jmp irq_master

; The diskette parameter table (int 1Eh) of a 1.44 MB drive; POST patches the sectors
; per track to the floppy image's geometry (IBM PC/AT Technical Reference, DISK_BASE).
AT 0xEFC7
diskette_params:
        db 0xAF                 ; step rate 0Ah, head unload 0Fh
        db 0x02                 ; head load 01h, DMA mode
        db 0x25                 ; motor off delay (ticks)
        db 0x02                 ; 512 bytes per sector
        db 18                   ; sectors per track
        db 0x1B                 ; gap length
        db 0xFF                 ; data length
        db 0x6C                 ; format gap length
        db 0xF6                 ; format fill byte
        db 0x0F                 ; head settle time (ms)
        db 0x08                 ; motor start time (1/8 s)

AT 0xF065
int10:
        SERVICE SVC_INT10

; The video parameter table (int 1Dh): the 6845 CRTC values of the 40x25, 80x25,
; graphics and monochrome modes, then page sizes, columns and mode-select values
; (IBM PC/AT Technical Reference, VIDEO_PARMS).
AT 0xF0A4
video_params:
        db 0x38, 0x28, 0x2D, 0x0A, 0x1F, 0x06, 0x19, 0x1C, 0x02, 0x07, 0x06, 0x07, 0, 0, 0, 0
        db 0x71, 0x50, 0x5A, 0x0A, 0x1F, 0x06, 0x19, 0x1C, 0x02, 0x07, 0x06, 0x07, 0, 0, 0, 0
        db 0x38, 0x28, 0x2D, 0x0A, 0x7F, 0x06, 0x64, 0x70, 0x02, 0x01, 0x06, 0x07, 0, 0, 0, 0
        db 0x61, 0x50, 0x52, 0x0F, 0x19, 0x06, 0x19, 0x19, 0x02, 0x0D, 0x0B, 0x0C, 0, 0, 0, 0
        dw 0x0800, 0x1000, 0x4000, 0x4000
        db 40, 40, 80, 80, 40, 40, 80, 80
        db 0x2C, 0x28, 0x2D, 0x29, 0x2A, 0x2E, 0x1E, 0x29

AT 0xF841
int12:
        SERVICE SVC_INT12

AT 0xF84D
int11:
        SERVICE SVC_INT11

AT 0xF859
int15:
        SERVICE SVC_INT15

; Characters 00h-7Fh of the 8x8 font (int 43h, int 10h 1130h BH=03h), blank as above.
AT 0xFA6E
font_8x8:
        times 128 * 8 db 0

AT 0xFE6E
int1a:
        SERVICE SVC_INT1A

; IRQ 0: the service counts the tick and ends the interrupt, then the user hook runs.
AT 0xFEA5
int08:
        push word SVC_INT08
        out TRAP_PORT, al
        int 0x1C
        iret

AT 0xFF53
dummy_iret:
        iret

AT 0xFFF0
reset_vector:
        jmp word 0xF000:post

AT 0xFFF5
        db '06/01/26'           ; BIOS date, mm/dd/yy
        db 0
        db 0xFC                 ; model byte: PC/AT
        db 0                    ; checksum (Bios::install)
