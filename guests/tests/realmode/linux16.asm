; A Linux kernel image that speaks only boot protocol 2.01 (a zImage: loaded low),
; checking what a 16-bit boot loader must give it (Documentation/x86/boot.rst: "Loading
; the rest of the kernel", "Running the kernel", the loader example for a kernel below
; 2.02): run with `ringshift run --kernel linux16.bin --append "rs linux16 cmdline"`.
; ringshift boots it through its BIOS (POST, then int 19h) into the setup code.
; Debug exit 0 (exit status 1) when every check passed, else the number of the first
; failing check.
bits 16
cpu 386
org 0

; --- the boot sector (file offset 0) --------------------------------------------------
        times 0x1F1 - ($ - $$) db 0
        db 1                    ; setup_sects: one sector of setup code
        times 0x1FE - ($ - $$) db 0
        dw 0xAA55               ; boot_flag

; --- the setup sector, entered at seg + 20h : 0 (file offset 200h) --------------------
setup:
        jmp short start
        db 'HdrS'               ; 202h header signature
        dw 0x0201               ; 206h boot protocol 2.01: command line by the 0A33Fh magic
        dd 0                    ; 208h realmode_swtch
        dw 0x1000               ; 20Ch start_sys_seg
        dw 0                    ; 20Eh kernel_version
        db 0                    ; 210h type_of_loader (the loader's to fill)
        db 0                    ; 211h loadflags: a zImage (protected-mode part at 10000h)
        dw 0                    ; 212h setup_move_size
        dd 0x10000              ; 214h code32_start
        dd 0                    ; 218h ramdisk_image
        dd 0                    ; 21Ch ramdisk_size
        dd 0                    ; 220h bootsect_kludge
        dw 0                    ; 224h heap_end_ptr (2.01+)

start:
        ; Offsets in the setup segment (DS = seg): the boot sector is at 0, setup at 200h.
        mov al, 1               ; CS is seg + 20h = 9020h
        mov bx, cs
        cmp bx, 0x9020
        jne fail
        mov al, 2               ; DS = ES = SS = 9000h (the boot sector's segment)
        mov bx, ds
        cmp bx, 0x9000
        jne fail
        mov bx, es
        cmp bx, 0x9000
        jne fail
        mov bx, ss
        cmp bx, 0x9000
        jne fail
        mov bp, sp              ; checked against the heap's end below
        mov al, 3               ; interrupts off
        pushf
        pop bx
        test bx, 0x200
        jnz fail
        mov al, 4               ; type_of_loader: the loader said who it is (ringshift FFh, QEMU B0h)
        cmp byte [0x210], 0
        je fail
        mov al, 5               ; CAN_USE_HEAP with a heap past the setup code; a stack in
        test byte [0x211], 0x80 ; the segment above the setup code (boot.rst's example puts
        jz fail                 ; it at the heap's end, QEMU elsewhere: both run the setup)
        mov bx, [0x224]         ; heap_end_ptr: the heap's end - 200h
        cmp bx, 0x400           ; past the boot sector and the setup sector
        jb fail
        add bx, 0x200
        cmp bp, 0x400
        jb fail
        mov al, 6               ; the command line by the old magic: 0A33Fh at 20h, its offset
        cmp word [0x20], 0xA33F ; at 22h, past the heap and below A0000h
        jne fail
        mov si, [0x22]
        cmp si, bx
        jb fail
        mov al, 7               ; ... and the text, 0-terminated (labels are offsets from DS's base)
        mov di, cmdline
        push ds
        pop es
.cmp:   mov bl, [si]
        cmp bl, [es:di]
        jne fail
        inc si
        inc di
        test bl, bl
        jnz .cmp
        mov al, 8               ; the protected-mode part at 10000h (a zImage)
        push word 0x1000
        pop es
        cmp dword [es:0], 'PMOK'
        jne fail
        mov al, 9               ; the BIOS is there: int 15h E820 answers 'SMAP'
        push ds
        pop es
        xor ebx, ebx
        mov di, 0x9000
        mov ecx, 20
        mov edx, 'PAMS'
        mov eax, 0xE820
        int 0x15
        jc fail
        cmp eax, 'PAMS'
        jne fail
        xor al, al
fail:   movzx eax, al
        out 0xF4, al            ; isa-debug-exit: status (AL << 1) | 1
        cli
        hlt

cmdline: db 'rs linux16 cmdline', 0

        times 0x400 - ($ - $$) db 0
; --- the protected-mode part (file offset 400h, loaded at 10000h) ---------------------
        db 'PMOK'
        times 0x600 - ($ - $$) db 0
