; segments.asm -- segments with a non-zero base, the descriptor cache, and
; limit/type protection.  Built in parts (one ctest each) so that every kind
; of segment use is reported on its own:
;   -DPART_FSGS    FS/GS bases: loads, stores, read-modify-write, push/pop
;                  memory, string ops with an FS source override, xlat, lea
;                  (ignores segments), indirect call through FS, x87/SSE
;                  operands, a base that wraps around 4 GiB, an unaligned
;                  base with an access that crosses a page, the descriptor
;                  cache (editing the GDT does not change a loaded segment
;                  until it is reloaded), push fs / pop gs, lfs/lgs,
;                  repeated loads of one selector (a GDT edit, a not-present
;                  entry and CPL 3 still count), fs: with AH..BH and offsets
;                  from 2 GiB up
;   -DPART_DSES    DS and ES bases: implicit DS accesses, EBP-based accesses
;                  (SS, unaffected), stos/movs/scas/cmps/lods with based DS
;                  and ES, push ds / pop ds, lds/les
;   -DPART_SS      an SS base: push/pop/call/ret/pushad, [esp]/[ebp]
;                  addressing, an INT + IRET and printing while SS has a base
;   -DPART_LIMITS  protection (SDM vol. 3 5.3 limit checking, 5.4 type
;                  checking; vol. 2 MOV, LODS): accesses beyond an FS limit
;                  (byte-granular and 4K-granular, expand-down) -> #GP(0),
;                  write to a read-only data segment -> #GP(0), write
;                  through CS -> #GP(0), read through an execute-only CS ->
;                  #GP(0), access through a null FS -> #GP(0), beyond the SS
;                  limit -> #SS(0)
; Linear = base + offset (mod 2^32): SDM vol. 3 3.4 (logical and linear
; addresses) and 3.4.3 (hidden part of the segment registers).
%include "harness.inc"
%include "system.inc"

%define PAT(i) (0x11000000 + (i))       ; dword i of seg_area

section .data
align 16
saved_esp:      dd 0
pushad_ebp:     dd 0
pushad_esp:     dd 0
farptr_gs:      dd 0x30
                dw SEL_SPARE1
farptr_ds:      dd 0x44
                dw SEL_SPARE0
farptr_es:      dd 0x48
                dw SEL_SPARE1
scratch:        dd 0x5C5C5C5C
ebp_probe:      dd 0xEB0EB0
farjmp_xo:      dd 0
                dw SEL_SPARE5
farjmp_back:    dd 0
                dw SEL_KCODE
flt_one:        dd 1.0

section .bss
alignb 4096
seg_area:       resb 8192
alignb 16
dst_buf:        resb 256
alignb 4096
ss_area:        resb 16384

section .text

fill_pattern:
        xor eax, eax
.l:
        lea edx, [eax + 0x11000000]
        mov [seg_area + eax * 4], edx
        add eax, 1
        cmp eax, 2048
        jb .l
        ret

ret_42:                                 ; called through [fs:...]
        mov eax, 42
        ret

test_main:
        SYS_INIT
        call fill_pattern

%ifdef PART_FSGS
        PUTSLN 'segments (FS/GS): segment bases, descriptor cache'
        ENABLE_FPU_SSE
        SET_DESC SEL_SPARE0, seg_area, 0xFFFFF, DESC_DATA0
        SET_DESC SEL_SPARE1, seg_area + 0x100, 0xFFFFF, DESC_DATA0
        mov ax, SEL_SPARE0
        mov fs, ax
        mov ax, SEL_SPARE1
        mov gs, ax
        xor eax, eax
        mov ax, fs
        CHECK_EQ 'mov eax,fs (selector)', eax, SEL_SPARE0
        mov eax, 0xFFFFFFFF
        mov eax, fs                     ; 32-bit: zero-extended (P6 and later)
        CHECK_EQ 'mov eax,fs (32-bit, zero-extended)', eax, SEL_SPARE0
        mov edx, 0xAAAA5555
        mov dx, gs                      ; 16-bit: the upper half stays
        CHECK_EQ 'mov dx,gs (16-bit)', edx, 0xAAAA0000 | SEL_SPARE1
        mov ecx, ss
        CHECK_EQ 'mov ecx,ss', ecx, SEL_KDATA

        ; A reload of a cached selector runs inline with the guest's flags and EAX
        ; set aside meanwhile (Emitter::flags_save): both come back as they were.
        mov ebx, SEL_SPARE0
        mov fs, bx                      ; fills the descriptor cache
        pushfd
        or dword [esp], 0x8D5           ; CF PF AF ZF SF OF set
        popfd
        mov eax, 0x12345678
        mov fs, bx
        pushfd
        pop ecx
        and ecx, 0x8D5
        CHECK_EQ 'mov fs (cached) keeps CF PF AF ZF SF OF set', ecx, 0x8D5
        CHECK_EQ 'mov fs (cached) keeps eax', eax, 0x12345678
        pushfd
        and dword [esp], ~0x8D5         ; all six clear
        popfd
        mov eax, 0x9ABCDEF0
        push ebx
        pop fs
        pushfd
        pop ecx
        and ecx, 0x8D5
        CHECK_EQ 'pop fs (cached) keeps the six flags clear', ecx, 0
        CHECK_EQ 'pop fs (cached) keeps eax', eax, 0x9ABCDEF0
        pushfd
        and dword [esp], ~0x8D5
        or dword [esp], 0x801           ; OF and CF only
        popfd
        mov fs, bx
        pushfd
        pop ecx
        and ecx, 0x8D5
        CHECK_EQ 'mov fs (cached) keeps OF CF alone', ecx, 0x801

        mov eax, [fs:0x10]
        CHECK_EQ 'fs:0x10 read', eax, PAT(4)
        mov eax, [gs:0x10]
        CHECK_EQ 'gs:0x10 read', eax, PAT(0x44)
        mov ebx, 0x20
        mov ecx, 3
        mov eax, [fs:ebx + ecx * 4 + 8]
        CHECK_EQ 'fs:[ebx+ecx*4+8] read', eax, PAT(13)
        mov ebp, 0x10
        mov eax, [fs:ebp + 4]
        CHECK_EQ 'fs:[ebp+4] read (override of SS)', eax, PAT(5)
        movzx eax, byte [fs:0x40]
        CHECK_EQ 'fs byte read', eax, 0x10
        movzx eax, word [gs:0x2]
        CHECK_EQ 'gs word read', eax, 0x1100

        mov dword [gs:0x20], 0xCAFE0001
        CHECK_EQ 'gs:0x20 write', dword [seg_area + 0x120], 0xCAFE0001
        mov byte [fs:0x3], 0x77
        CHECK_EQ 'fs byte write', dword [seg_area], 0x77000000
        mov word [fs:0x4], 0xBEEF
        CHECK_EQ 'fs word write', dword [seg_area + 4], 0x1100BEEF
        add dword [gs:0x24], 5
        CHECK_EQ 'gs add [mem],imm', dword [seg_area + 0x124], PAT(0x49) + 5
        mov eax, 0x1234
        xchg [fs:0x28], eax
        CHECK_EQ 'fs xchg.old', eax, PAT(10)
        CHECK_EQ 'fs xchg.new', dword [seg_area + 0x28], 0x1234
        mov eax, 3
        lock xadd [fs:0x2C], eax
        CHECK_EQ 'fs lock xadd.old', eax, PAT(11)
        CHECK_EQ 'fs lock xadd.new', dword [seg_area + 0x2C], PAT(11) + 3
        push dword [fs:0x30]
        pop eax
        CHECK_EQ 'push dword [fs:0x30]', eax, PAT(12)
        push dword 0x600D
        pop dword [gs:0x30]
        CHECK_EQ 'pop dword [gs:0x30]', dword [seg_area + 0x130], 0x600D

        mov esi, 0x40
        mov edi, dst_buf
        mov ecx, 4
        cld
        fs rep movsd
        CHECK_EQ 'fs rep movsd.first', dword [dst_buf], PAT(0x10)
        CHECK_EQ 'fs rep movsd.last', dword [dst_buf + 12], PAT(0x13)
        mov eax, esi
        CHECK_EQ 'fs rep movsd.esi (offset)', eax, 0x50
        mov esi, 0x50
        fs lodsd
        CHECK_EQ 'fs lodsd', eax, PAT(0x14)
        mov esi, 0x44
        mov edi, dst_buf + 4
        fs cmpsd
        sete al
        movzx eax, al
        CHECK_EQ 'fs cmpsd equal', eax, 1
        mov ebx, 0x100
        mov eax, 0xFFFFFF04
        fs xlatb
        CHECK_EQ 'fs xlatb', eax, 0xFFFFFF41
        mov ebx, 0x1000
        lea eax, [fs:ebx + 8]
        CHECK_EQ 'lea ignores the segment', eax, 0x1008

        mov dword [seg_area + 0x80], ret_42
        xor eax, eax
        call [fs:0x80]
        CHECK_EQ 'call [fs:0x80]', eax, 42
        mov dword [seg_area + 0x84], 0x40490FDB  ; pi
        fld dword [fs:0x84]
        fstp dword [dst_buf]
        CHECK_EQ 'fld dword [fs:x]', dword [dst_buf], 0x40490FDB
        movups xmm0, [gs:0x40]
        movd eax, xmm0
        CHECK_EQ 'movups xmm0,[gs:x]', eax, PAT(0x50)
        psrldq xmm0, 12
        movd eax, xmm0
        CHECK_EQ 'movups xmm0,[gs:x].lane3', eax, PAT(0x53)
        call fill_pattern

        PUTSLN '--- base wrap-around, unaligned base across a page'
        SET_DESC SEL_SPARE2, 0xFFFFF000, 0xFFFFF, DESC_DATA0
        mov ax, SEL_SPARE2
        mov fs, ax
        mov eax, [fs:seg_area + 0x1000 + 0x60]
        CHECK_EQ 'base 0xfffff000 + offset wraps', eax, PAT(0x18)
        SET_DESC SEL_SPARE2, seg_area + 3, 0xFFFFF, DESC_DATA0
        mov ax, SEL_SPARE2
        mov fs, ax
        mov eax, [fs:0x0FFD]            ; linear seg_area + 0x1000
        CHECK_EQ 'base seg_area+3, [fs:0xffd]', eax, PAT(0x400)
        mov eax, [fs:0x0FFB]            ; crosses the page boundary
        CHECK_EQ 'base seg_area+3, [fs:0xffb] (page-crossing)', eax, 0x04001100
        mov dword [fs:0x0FFB], 0xA1B2C3D4
        CHECK_EQ 'page-crossing write.low page', dword [seg_area + 0xFFC], 0xC3D403FF
        CHECK_EQ 'page-crossing write.high page', dword [seg_area + 0x1000], 0x1100A1B2
        call fill_pattern

        PUTSLN '--- descriptor cache'
        mov ax, SEL_SPARE0
        mov fs, ax
        SET_DESC SEL_SPARE0, seg_area + 0x200, 0xFFFFF, DESC_DATA0
        mov eax, [fs:0x10]
        CHECK_EQ 'GDT edited, fs not reloaded: old base', eax, PAT(4)
        mov ax, SEL_SPARE0
        mov fs, ax
        mov eax, [fs:0x10]
        CHECK_EQ 'fs reloaded: new base', eax, PAT(0x84)
        push fs
        pop gs
        mov eax, [gs:0x10]
        CHECK_EQ 'push fs; pop gs: base', eax, PAT(0x84)
        SET_DESC SEL_SPARE0, seg_area, 0xFFFFF, DESC_DATA0
        xor ebx, ebx
        lgs ebx, [farptr_gs]
        xor eax, eax
        mov ax, gs
        CHECK_EQ 'lgs.selector', eax, SEL_SPARE1
        CHECK_EQ 'lgs.offset', ebx, 0x30
        mov eax, [gs:ebx]
        CHECK_EQ 'lgs.[gs:ebx]', eax, PAT(0x4C)
        lfs ebx, [farptr_gs]
        mov eax, [fs:ebx + 4]
        CHECK_EQ 'lfs.[fs:ebx+4]', eax, PAT(0x4D)

        ; ringshift repeats a successful DS/ES/FS/GS load inline while the GDT entry
        ; is unchanged (translator/emit_segment.cpp): every change must still count.
        PUTSLN '--- repeated loads of one selector'
        SET_DESC SEL_SPARE3, seg_area, 0xFFFFF, DESC_DATA0
        mov ecx, 3
.reload:
        mov ax, SEL_SPARE3
        mov fs, ax
        mov ebx, [fs:0x10]
        dec ecx
        jnz .reload
        CHECK_EQ 'same selector loaded 3 times: base', ebx, PAT(4)
        SET_DESC SEL_SPARE3, seg_area + 0x400, 0xFFFFF, DESC_DATA0
        mov fs, ax
        mov eax, [fs:0x10]
        CHECK_EQ 'GDT entry edited, mov fs: new base', eax, PAT(0x104)
        SET_DESC SEL_SPARE3, seg_area + 0x800, 0xFFFFF, DESC_DATA0
        push dword SEL_SPARE3
        pop gs
        mov eax, [gs:0x10]
        CHECK_EQ 'GDT entry edited, pop gs: new base', eax, PAT(0x204)
        SET_DESC SEL_SPARE3, seg_area + 0xC00, 0xFFFFF, DESC_DATA0
        mov word [scratch], SEL_SPARE3
        mov gs, [scratch]
        mov eax, [gs:0x10]
        CHECK_EQ 'GDT entry edited, mov gs,[mem]: new base', eax, PAT(0x304)
        mov ax, SEL_KDATA               ; the handler's exit reloads FS and GS: keep them valid
        mov fs, ax
        mov gs, ax
        mov ax, SEL_SPARE3
        SET_DESC SEL_SPARE3, seg_area, 0xFFFFF, DESC_DATA0 & ~0x80
        EXC_ARM .np_resume
.np:
        mov fs, ax
.np_resume:
        EXC_CHECK 'entry made not present, mov fs', 11, SEL_SPARE3, .np
        xor eax, eax
        mov ax, fs
        CHECK_EQ 'fs after the #NP: unchanged', eax, SEL_KDATA
        SET_DESC SEL_SPARE3, seg_area, 0xFFFFF, DESC_DATA0
        mov fs, ax
        R3_FAULT_S 'same DPL 0 selector at CPL 3: #GP', 13, SEL_SPARE3, {mov ax, SEL_SPARE3}, mov fs, ax

        PUTSLN '--- fs: operands: AH..BH registers, offsets from 2 GiB up'
        mov ax, SEL_SPARE0
        mov fs, ax
        mov ah, [fs:0x10]
        movzx eax, ah
        CHECK_EQ 'mov ah,[fs:0x10]', eax, 0x04
        mov bh, 0x22
        add [fs:0x14], bh
        CHECK_EQ 'add [fs:0x14],bh', dword [seg_area + 0x14], PAT(5) + 0x22
        SET_DESC SEL_SPARE3, seg_area + 0x80000000, 0xFFFFF, DESC_DATA0
        mov ax, SEL_SPARE3
        mov fs, ax
        mov eax, [fs:0x80000010]
        CHECK_EQ 'base + 2 GiB, [fs:0x80000010] wraps', eax, PAT(4)
        mov ebx, 0x80000000
        mov eax, [fs:ebx + 0x18]
        CHECK_EQ 'base + 2 GiB, [fs:ebx+0x18] wraps', eax, PAT(6)
        mov esi, 0x20000000
        mov dword [fs:esi * 4 + 0x1C], 0xD00D
        CHECK_EQ 'base + 2 GiB, write [fs:esi*4+0x1c] wraps', dword [seg_area + 0x1C], 0xD00D
        call fill_pattern
        mov ax, SEL_KDATA
        mov fs, ax
        mov gs, ax
%endif

%ifdef PART_DSES
        PUTSLN 'segments (DS/ES): segment bases in DS and ES'
        SET_DESC SEL_SPARE0, seg_area, 0xFFFFF, DESC_DATA0
        SET_DESC SEL_SPARE1, seg_area + 0x100, 0xFFFFF, DESC_DATA0
        mov ebp, ebp_probe
        mov ax, SEL_SPARE0
        mov ds, ax                      ; DS based: no global access below
        mov ebx, [0x10]
        mov ecx, [0x20]
        mov dword [0x30], 0x12345678
        mov esi, [ebp]                  ; SS: flat
        mov ax, SEL_KDATA
        mov ds, ax
        CHECK_EQ 'ds:0x10 read', ebx, PAT(4)
        CHECK_EQ 'ds:0x20 read', ecx, PAT(8)
        CHECK_EQ 'ds:0x30 write', dword [seg_area + 0x30], 0x12345678
        CHECK_EQ '[ebp] uses SS, not the DS base', esi, 0xEB0EB0

        mov ax, SEL_SPARE0
        mov es, ax
        mov edi, 0x40
        mov eax, 0xABCD
        cld
        stosd
        mov ax, SEL_KDATA
        mov es, ax
        CHECK_EQ 'stosd with ES base', dword [seg_area + 0x40], 0xABCD
        CHECK_EQ 'stosd.edi (offset)', edi, 0x44

        mov dword [dst_buf], 0xD5D5D5D5
        mov esi, dst_buf
        mov ax, SEL_SPARE1
        mov es, ax
        mov edi, 0x50
        movsd                           ; flat DS source, based ES destination
        mov ax, SEL_KDATA
        mov es, ax
        CHECK_EQ 'movsd DS flat -> ES base', dword [seg_area + 0x150], 0xD5D5D5D5

        mov ax, SEL_SPARE0
        mov ds, ax
        mov ax, SEL_SPARE1
        mov es, ax
        mov esi, 0x60
        mov edi, 0x60
        mov ecx, 16
        rep movsb                       ; seg_area+0x60 -> seg_area+0x160
        mov esi, 0x70
        lodsd                           ; DS base
        mov ebx, eax
        mov edi, 0x64                   ; ES:0x64 = seg_area+0x164 = PAT(0x19)
        mov eax, PAT(0x19)
        scasd
        sete dl
        mov esi, 0x60
        mov edi, 0x60
        cmpsd
        sete dh
        push ds
        pop ds
        mov ecx, [0x10]                 ; still based after push/pop ds
        mov ax, SEL_KDATA
        mov ds, ax
        mov es, ax
        CHECK_EQ 'rep movsb DS base -> ES base', dword [seg_area + 0x16C], PAT(0x1B)
        CHECK_EQ 'lodsd with DS base', ebx, PAT(0x1C)
        movzx eax, dl
        CHECK_EQ 'scasd with ES base', eax, 1
        movzx eax, dh
        CHECK_EQ 'cmpsd DS base vs ES base', eax, 1
        CHECK_EQ 'push ds; pop ds keeps the base', ecx, PAT(4)

        lds esi, [farptr_ds]
        mov eax, [esi]
        les edi, [cs:farptr_es]         ; (DS is based now: use CS)
        mov ebx, [es:edi]
        mov cx, SEL_KDATA
        mov ds, cx
        mov es, cx
        CHECK_EQ 'lds.[esi]', eax, PAT(0x11)
        CHECK_EQ 'les.[es:edi]', ebx, PAT(0x52)
%endif

%ifdef PART_SS
        PUTSLN 'segments (SS): a stack segment with a base'
        SET_DESC SEL_SPARE0, ss_area, 0xFFFFF, DESC_DATA0
        mov [saved_esp], esp
        mov ax, SEL_SPARE0
        mov ss, ax
        mov esp, 0x2000                 ; linear ss_area + 0x2000
        push dword 0x12345678
        mov ebx, esp
        mov ecx, [ss_area + 0x1FFC]     ; DS: flat view of the same memory
        mov edx, [esp]
        mov ebp, esp
        mov edi, [ebp]
        pop eax
        call .probe
.probe:
        pop esi                         ; return address pushed by call
        mov eax, [ss_area + 0x1FFC]     ; where the call pushed it
        pushad
        mov ebx, [ss_area + 0x2000 - 32 + 8]  ; EBP slot of pushad
        mov [pushad_ebp], ebx
        mov ebx, [ss_area + 0x2000 - 32 + 12] ; ESP slot
        mov [pushad_esp], ebx
        popad
        mov ax, SEL_KDATA
        mov ss, ax
        mov esp, [saved_esp]
        CHECK_EQ 'push: esp (offset in SS)', ebx, 0x1FFC
        CHECK_EQ 'push: linear ss_area+0x1ffc', ecx, 0x12345678
        CHECK_EQ '[esp] through SS', edx, 0x12345678
        CHECK_EQ '[ebp] through SS', edi, 0x12345678
        CHECK_EQ 'call: return address on the based stack', eax, .probe
        CHECK_EQ 'call: popped return address', esi, .probe
        CHECK_EQ 'pushad on the based stack (ebp slot)', dword [pushad_ebp], 0x1FFC
        CHECK_EQ 'pushad on the based stack (esp slot: offset)', dword [pushad_esp], 0x2000

        PUTSLN '--- INT, IRET and printing with an SS base (same linear stack)'
        SET_DESC SEL_SPARE0, 0x1000, 0xFFFFF, DESC_DATA0
        mov [saved_esp], esp
        lea eax, [esp - 0x1000]         ; same linear stack, SS base 0x1000
        mov bx, SEL_SPARE0
        mov ss, bx
        mov esp, eax
        push dword 0xFEEDF00D
        CHECK_EQ 'print with SS base 0x1000 (this line)', 1, 1
        mov ebx, esp
        EXC_ARM 0
        int 0x40
.int_after:
        mov ecx, esp
        pop edx
        mov ax, SEL_KDATA
        mov ss, ax
        mov esp, [saved_esp]
        CHECK_EQ 'marker pushed with SS base, read flat', dword [esp - 4], 0xFEEDF00D
        CHECK_EQ 'pop with SS base', edx, 0xFEEDF00D
        EXC_CHECK 'int 0x40 with SS base', 0x40, 0, .int_after
        sub ebx, [sys_last_frame]
        CHECK_EQ 'int 0x40 with SS base.frame (ESP-12, SS offset)', ebx, 12
        sub ecx, [saved_esp]
        add ecx, 0x1000 + 4
        CHECK_EQ 'int 0x40 with SS base.esp after iret', ecx, 0
%endif

%ifdef PART_LIMITS
        PUTSLN 'segments (limits): limit and type checks'
        SET_DESC SEL_SPARE0, seg_area, 0x00FFF, 0x493  ; byte-granular, limit 0xfff
        mov ax, SEL_SPARE0
        mov fs, ax
        EXC_ARM 0
        mov eax, [fs:0xFFC]
        movzx ebx, byte [fs:0xFFF]
        EXC_NONE 'fs limit 0xfff: [fs:0xffc] dword, [fs:0xfff] byte'
        CHECK_EQ 'fs limit 0xfff: [fs:0xffc]', eax, PAT(0x3FF)
        EXC_ARM .l1_resume
.l1:
        mov eax, [fs:0xFFD]
.l1_resume:
        EXC_CHECK 'fs limit 0xfff: dword [fs:0xffd]', 13, 0, .l1
        EXC_ARM .l2_resume
.l2:
        mov al, [fs:0x1000]
.l2_resume:
        EXC_CHECK 'fs limit 0xfff: byte [fs:0x1000]', 13, 0, .l2
        EXC_ARM .l3_resume
.l3:
        mov byte [fs:0x1000], 1
.l3_resume:
        EXC_CHECK 'fs limit 0xfff: write [fs:0x1000]', 13, 0, .l3
        CHECK_EQ 'fs limit 0xfff: write suppressed', dword [seg_area + 0x1000], PAT(0x400)
        mov esi, 0xFFE
        EXC_ARM .l4_resume
.l4:
        fs lodsd
.l4_resume:
        EXC_CHECK 'fs limit 0xfff: lodsd at 0xffe', 13, 0, .l4
        CHECK_EQ 'fs limit 0xfff: lodsd.esi unchanged', esi, 0xFFE

        SET_DESC SEL_SPARE1, seg_area, 0, DESC_DATA0   ; G=1, limit 0 -> 0xfff
        mov ax, SEL_SPARE1
        mov fs, ax
        EXC_ARM 0
        mov eax, [fs:0xFFC]
        EXC_NONE 'fs G=1 limit 0: [fs:0xffc]'
        EXC_ARM .l5_resume
.l5:
        mov eax, [fs:0x1000]
.l5_resume:
        EXC_CHECK 'fs G=1 limit 0: [fs:0x1000]', 13, 0, .l5

        SET_DESC SEL_SPARE2, seg_area, 0x00FFF, 0x497  ; expand-down, B=1
        mov ax, SEL_SPARE2
        mov fs, ax
        EXC_ARM 0
        mov eax, [fs:0x1000]
        EXC_NONE 'expand-down limit 0xfff: [fs:0x1000]'
        CHECK_EQ 'expand-down limit 0xfff: [fs:0x1000]', eax, PAT(0x400)
        EXC_ARM .l6_resume
.l6:
        mov eax, [fs:0xFFC]
.l6_resume:
        EXC_CHECK 'expand-down limit 0xfff: [fs:0xffc]', 13, 0, .l6

        SET_DESC SEL_SPARE3, seg_area, 0xFFFFF, 0xC91  ; read-only data
        mov ax, SEL_SPARE3
        mov fs, ax
        EXC_ARM 0
        mov eax, [fs:0x10]
        EXC_NONE 'read-only data: read'
        EXC_ARM .l7_resume
.l7:
        mov dword [fs:0x10], 0
.l7_resume:
        EXC_CHECK 'read-only data: write', 13, 0, .l7
        CHECK_EQ 'read-only data: write suppressed', dword [seg_area + 0x10], PAT(4)

        EXC_ARM 0
        mov eax, [cs:scratch]
        EXC_NONE 'read through CS (readable code)'
        CHECK_EQ 'read through CS', eax, 0x5C5C5C5C
        EXC_ARM .l8_resume
.l8:
        mov [cs:scratch], eax
.l8_resume:
        EXC_CHECK 'write through CS', 13, 0, .l8

        SET_DESC SEL_SPARE5, 0, 0xFFFFF, 0xC99         ; execute-only code
        mov dword [farjmp_xo], .in_xo
        mov dword [farjmp_back], .back_from_xo
        jmp far [farjmp_xo]
.in_xo:
        EXC_ARM .l9_resume
.l9:
        mov eax, [cs:scratch]
.l9_resume:
        jmp far [farjmp_back]
.back_from_xo:
        EXC_CHECK 'read through an execute-only CS', 13, 0, .l9

        xor eax, eax
        mov fs, ax
        EXC_ARM .l10_resume
.l10:
        mov eax, [fs:0x10]
.l10_resume:
        EXC_CHECK 'access through a null FS', 13, 0, .l10
        mov ax, SEL_KDATA
        mov fs, ax

        mov ecx, esp                    ; SS limit = ESP + 1 MiB, 4K-granular
        add ecx, 0x100000
        shr ecx, 12
        SET_DESC SEL_SPARE4, 0, ecx, DESC_DATA0
        mov ax, SEL_SPARE4
        mov ss, ax
        EXC_ARM .l11_resume
.l11:
        mov eax, [esp + 0x200000]
.l11_resume:
        EXC_CHECK 'beyond the SS limit: #SS(0)', 12, 0, .l11
        mov ax, SEL_KDATA
        mov ss, ax
%endif
        ret
