; paging_mmio.asm -- the ringshift MMIO test device (ringshift only: QEMU has
; no such device), with paging off and through page mappings.
;
; Device (src/devices/mmio_testdev.h): one 4 KiB page at physical 0xFEB00000;
; 0x000-0x7FF byte-addressable storage (reads return what was written,
; initially zero, accesses of 1, 2 or 4 bytes); 0x800 (read-only dword) =
; number of write accesses so far, one per writing instruction; 0x804 = the
; number of read accesses, not counting reads of 0x800-0x807.  Only plain
; ModRM instructions touch it (no string, stack or control-transfer
; instructions: ringshift does not support those on device memory), and no
; access crosses a page boundary.  A read-modify-write instruction is one
; read and one write.  Paging rules from the Intel SDM vol. 3 ch. 4 (a #PF
; happens before any access, so a faulting write reaches no device).
;   1  paging off: dword/word/byte writes and mov/movzx/movsx/cmp/add/test
;      reads with exact values; add/or/inc/and [mmio] (1 read + 1 write
;      each); unaligned dword and word; a loop of 1000
;      writes adds exactly 1000 to the write counter, 1000 reads 1000 to the
;      read counter; one instruction alternating between RAM and the device
;   2  paging on: the device mapped at M1 (writable), M2 (read-only, another
;      4 MiB region) and M3 (user, writable); the data written in part 1 is
;      there; a write through M1 is read through M2; counters read through
;      M2; with CR0.WP = 1 a write through M2 faults (err 3) and reaches no
;      device (counters and storage unchanged), with WP = 0 it works; a
;      not-present mapping faults with no access; CPL-3 accesses through M3;
;      1000 writes through M1 = +1000; read-modify-write through M1; the
;      RAM/device alternating instruction; the device inside a 4 MiB page
;   3  paging off again: everything written through the mappings is at the
;      physical address
;   4  mov between AL/AX/EAX and an absolute address (the moffs forms
;      A0-A3, no ModRM byte); -DNO_MOFFS leaves this part out.  Everywhere
;      else the test uses ModRM forms only (no `mov eax, [abs]`).
; -DMMIO_IN_RAM puts the "device" in RAM (no counters: those checks are
; skipped) to check the rest of the test's logic under QEMU.
%include "harness.inc"
%include "system.inc"
%include "paging.inc"

%ifdef MMIO_IN_RAM
 %define MMIO   0x00E00000
%else
 %define MMIO   0xFEB00000
%endif
%define REG_W   0x800
%define REG_R   0x804
%define M1      0x70000000
%define M2      0x70403000
%define M3      0x70800000
%define MNP     0x70801000              ; not present
%define LBIG    0x80000000              ; 4 MiB page holding the device
%define LDEV    (LBIG + (MMIO & 0x3FFFFF))

section .data
align 4
kdir:           dd 0
cbase:          dd MMIO                 ; where the counters are read
w0:             dd 0
r0:             dd 0
ram_buf:        times 8 dd 0
ptrs:           times 8 dd 0
tmp:            dd 0

section .text

%macro CHECK_CR2 2
        push eax
        mov eax, cr2
  %strcat mm_lbl_ %1, '.cr2'
        CHECK_EQ mm_lbl_, eax, %2
        pop eax
%endmacro

; CHECK_MEM 'name', [device address], expected: loads the dword with a
; plain mov first (CHECK_EQ would push it straight from the device)
%macro CHECK_MEM 3
        push edx
        mov edx, %2                     ; (not EAX: no moffs form, see part 4)
        CHECK_EQ %1, edx, %3
        pop edx
%endmacro

; snap: w0/r0 = the counters.  Preserves registers and flags.
snap:
        pushfd
        push eax
        push edx
        mov eax, [cbase]
        mov edx, [eax + REG_W]
        mov [w0], edx
        mov edx, [eax + REG_R]
        mov [r0], edx
        pop edx
        pop eax
        popfd
        ret

; deltas: EAX = writes since snap, EDX = reads since snap.
deltas:
        mov eax, [cbase]
        mov edx, [eax + REG_R]
        mov eax, [eax + REG_W]
        sub eax, [w0]
        sub edx, [r0]
        ret

; DELTA 'name', writes, reads: check the counters since the last snap, snap
%macro DELTA 3
%ifndef MMIO_IN_RAM
        push eax
        push edx
        call deltas
  %strcat mm_lbl_ %1, '.writes'
        CHECK_EQ mm_lbl_, eax, %2
  %strcat mm_lbl_ %1, '.reads'
        CHECK_EQ mm_lbl_, edx, %3
        pop edx
        pop eax
        call snap
%endif
%endmacro

; basic: EBX = device base (any mapping of it).  Part 1 accesses.
basic:
        call snap
        mov dword [ebx + 0x10], 0x11223344
        DELTA '1.mov_store_dword', 1, 0
        mov eax, [ebx + 0x10]
        CHECK_EQ '1.mov_load_dword', eax, 0x11223344
        DELTA '1.mov_load_dword', 0, 1
        movzx eax, word [ebx + 0x12]
        CHECK_EQ '1.movzx_word', eax, 0x1122
        movzx eax, byte [ebx + 0x11]
        CHECK_EQ '1.movzx_byte', eax, 0x33
        movsx eax, byte [ebx + 0x13]
        CHECK_EQ '1.movsx_byte', eax, 0x11
        mov ax, [ebx + 0x10]
        movzx eax, ax
        CHECK_EQ '1.mov_load_word', eax, 0x3344
        DELTA '1.narrow_loads', 0, 4
        mov byte [ebx + 0x11], 0xAA
        mov word [ebx + 0x14], 0xBEEF
        mov byte [ebx + 0x17], 0x5A
        DELTA '1.narrow_stores', 3, 0
        CHECK_MEM '1.after_byte_store', [ebx + 0x10], 0x1122AA44
        CHECK_MEM '1.after_word_store', [ebx + 0x14], 0x5A00BEEF
        DELTA '1.two_loads', 0, 2
        xor eax, eax
        cmp dword [ebx + 0x10], 0x1122AA44
        sete al
        CHECK_EQ '1.cmp_mem_imm', eax, 1
        xor eax, eax
        mov ecx, 0x1122AA45
        cmp ecx, [ebx + 0x10]
        seta al
        CHECK_EQ '1.cmp_reg_mem', eax, 1
        xor eax, eax
        test dword [ebx + 0x10], 0x00000040
        setnz al
        CHECK_EQ '1.test_mem_imm', eax, 1
        mov eax, 0x1000
        add eax, [ebx + 0x10]
        CHECK_EQ '1.add_reg_mem', eax, 0x1122BA44
        DELTA '1.reads_into_flags', 0, 4
        ; read-modify-write: one read + one write each
        mov dword [ebx + 0x20], 5
        call snap
        mov eax, 7
        add [ebx + 0x20], eax
        DELTA '1.add_mem_reg', 1, 1
        or dword [ebx + 0x20], 0x100
        DELTA '1.or_mem_imm', 1, 1
        inc dword [ebx + 0x20]
        DELTA '1.inc_mem', 1, 1
        and byte [ebx + 0x20], 0xFE
        DELTA '1.and_mem_byte', 1, 1
        CHECK_MEM '1.rmw_value', [ebx + 0x20], 0x10C
        call snap
        ; unaligned
        mov dword [ebx + 0x31], 0xA1B2C3D4
        mov eax, [ebx + 0x31]
        CHECK_EQ '1.unaligned_dword', eax, 0xA1B2C3D4
        movzx eax, byte [ebx + 0x32]
        CHECK_EQ '1.unaligned.byte', eax, 0xC3
        movzx eax, word [ebx + 0x33]
        CHECK_EQ '1.unaligned.word', eax, 0xA1B2
        DELTA '1.unaligned', 1, 3
        ; 1000 writes, 1000 reads
        xor ecx, ecx
.w1000:
        mov eax, ecx
        and eax, 63
        mov [ebx + 0x100 + eax * 4], ecx
        add ecx, 1
        cmp ecx, 1000
        jb .w1000
        DELTA '1.loop_1000_writes', 1000, 0
        xor ecx, ecx
        xor edx, edx
.r1000:
        mov eax, ecx
        and eax, 63
        add edx, [ebx + 0x100 + eax * 4]
        add ecx, 1
        cmp ecx, 1000
        jb .r1000
        mov [tmp], edx
        DELTA '1.loop_1000_reads', 0, 1000
        ; the last 64 values written are 936 .. 999; read 1000 times:
        ; 15 full rounds of 0..63 (each slot s holds 936 + ((s - 40) mod 64))
        ; plus slots 0..39: sum computed by the guest itself below
        xor ecx, ecx
        xor edx, edx
.expect:
        mov eax, ecx
        and eax, 63                     ; slot
        mov esi, eax
        sub esi, 40
        and esi, 63
        add esi, 936
        add edx, esi
        add ecx, 1
        cmp ecx, 1000
        jb .expect
        CHECK_EQ '1.loop_1000_reads.sum', dword [tmp], edx
        CHECK_MEM '1.slot0', [ebx + 0x100], 960
        ret

; alternate: EBX = device base.  One store and one load instruction used on
; RAM and device addresses in turn, 16 rounds of 8 pointers (4 RAM, 4 device)
alternate:
        xor ecx, ecx
.setup:
        lea eax, [ram_buf + ecx * 4]
        test ecx, 1
        jz .ram
        lea eax, [ebx + 0x400 + ecx * 4]
.ram:
        mov [ptrs + ecx * 4], eax
        add ecx, 1
        cmp ecx, 8
        jb .setup
        call snap
        xor edi, edi                    ; mismatches
        xor ebp, ebp                    ; round
.round:
        xor ecx, ecx
.one:
        mov esi, [ptrs + ecx * 4]
        lea edx, [ebp * 8 + ecx]
        xor edx, 0x5A5A0000
        mov [esi], edx                  ; RAM or device
        mov eax, [esi]                  ; RAM or device
        cmp eax, edx
        je .ok
        add edi, 1
.ok:
        add ecx, 1
        cmp ecx, 8
        jb .one
        add ebp, 1
        cmp ebp, 16
        jb .round
        CHECK_EQ 'alternate.mismatches', edi, 0
        DELTA 'alternate', 64, 64
        CHECK_EQ 'alternate.ram[6]', dword [ram_buf + 24], (15 * 8 + 6) ^ 0x5A5A0000
        CHECK_MEM 'alternate.dev[7]', [ebx + 0x400 + 28], (15 * 8 + 7) ^ 0x5A5A0000
        ret

r3_user:
        mov dword [M3 + 0x500], 0x33330001
        mov ecx, [M3 + 0x500]
        mov eax, ecx
        add eax, [M3 + 0x10]            ; 0x1122AA44 from part 1
        RING0

test_main:
        PUTSLN 'paging_mmio: the MMIO test device, paging off and on'
        SYS_INIT
%ifndef MMIO_IN_RAM
        mov ecx, [MMIO + REG_W]
        mov edx, [MMIO + REG_R]
        PUTS 'counters at start: writes '
        PUTDEC ecx
        PUTS ' reads '
        PUTDEC edx
        NEWLINE
        CHECK_MEM '0.storage_initially_zero', [MMIO + 0x7FC], 0
%endif

        ; -------------------------------------------------------------- 1 --
        PUTSLN '--- 1: paging off'
        mov ebx, MMIO
        call basic
        PUTSLN '--- 1: alternating RAM / device'
        mov ebx, MMIO
        call alternate

        ; -------------------------------------------------------------- 2 --
        PUTSLN '--- 2: paging on'
        call pg_new_kdir
        mov [kdir], eax
        PG_MAP [kdir], M1, MMIO | PG_KRW
        PG_MAP [kdir], M2, MMIO | PG_P
        PG_MAP [kdir], M3, MMIO | PG_URW
        PG_MAP [kdir], MNP, MMIO        ; not present
        mov eax, [kdir]
        mov dword [eax + (LBIG >> 22) * 4], (MMIO & 0xFFC00000) | PG_PS | PG_KRW
        PG_CR4_SET CR4_PSE
        PG_ENABLE [kdir]
        mov dword [cbase], M2
        call snap
        CHECK_MEM '2.part1_data.M1', [M1 + 0x10], 0x1122AA44
        CHECK_MEM '2.part1_data.M2', [M2 + 0x20], 0x10C
        DELTA '2.part1_data', 0, 2
        mov dword [M1 + 0x40], 0x0BADF00D
        mov ecx, [M2 + 0x40]
        CHECK_EQ '2.M1_write.M2_read', ecx, 0x0BADF00D
        mov byte [M1 + 0x42], 0x77
        movzx eax, word [M2 + 0x42]
        CHECK_EQ '2.M1_byte.M2_word', eax, 0x0B77
        DELTA '2.aliases', 2, 2
        ; WP = 1: the write through the read-only M2 faults, no access
        PG_CR0_SET CR0_WP
        call snap
        EXC_ARM .wp_after
.wp:    mov dword [M2 + 0x40], 0x12345678
.wp_after:
        EXC_CHECK '2.wp1.write_ro', 14, PF_P | PF_W, .wp
        CHECK_CR2 '2.wp1.write_ro', M2 + 0x40
        DELTA '2.wp1.write_ro', 0, 0
        CHECK_MEM '2.wp1.unchanged', [M1 + 0x40], 0x0B77F00D
        call snap
        PG_CR0_CLR CR0_WP
        mov dword [M2 + 0x40], 0x12345678
        DELTA '2.wp0.write_ro', 1, 0
        CHECK_MEM '2.wp0.written', [M1 + 0x40], 0x12345678
        call snap
        EXC_ARM .np_after
.np:    mov ecx, [MNP + 0x40]
.np_after:
        EXC_CHECK '2.not_present', 14, 0, .np
        CHECK_CR2 '2.not_present', MNP + 0x40
        DELTA '2.not_present', 0, 0
        ; CPL 3
        ENTER_RING3 r3_user
        CHECK_EQ '2.r3.value', eax, (0x33330001 + 0x1122AA44) & 0xFFFFFFFF
        DELTA '2.r3', 1, 2
        CHECK_MEM '2.r3.M1', [M1 + 0x500], 0x33330001
        call snap
        ; 1000 writes through M1
        xor ecx, ecx
.w1000:
        mov [M1 + 0x600], ecx
        add ecx, 1
        cmp ecx, 1000
        jb .w1000
        DELTA '2.loop_1000_writes', 1000, 0
        CHECK_MEM '2.loop_1000_writes.last', [M2 + 0x600], 999
        call snap
        mov eax, 0x10
        add [M1 + 0x600], eax
        or dword [M1 + 0x600], 0x80000000
        DELTA '2.rmw', 2, 2
        CHECK_MEM '2.rmw.value', [M2 + 0x600], 0x80000000 | (999 + 0x10)
        call snap
        PUTSLN '--- 2: alternating RAM / device (through M1)'
        mov ebx, M1
        call alternate
        ; the 4 MiB page
        call snap
        CHECK_MEM '2.large.read', [LDEV + 0x600], 0x80000000 | (999 + 0x10)
        mov dword [LDEV + 0x604], 0x4E4E4E4E
        CHECK_MEM '2.large.M2', [M2 + 0x604], 0x4E4E4E4E
        DELTA '2.large', 1, 2
        PG_DISABLE
        PG_CR4_CLR CR4_PSE
        mov dword [cbase], MMIO

        ; -------------------------------------------------------------- 3 --
        PUTSLN '--- 3: paging off again'
        call snap
        CHECK_MEM '3.phys+40', [MMIO + 0x40], 0x12345678
        CHECK_MEM '3.phys+500', [MMIO + 0x500], 0x33330001
        CHECK_MEM '3.phys+600', [MMIO + 0x600], 0x80000000 | (999 + 0x10)
        CHECK_MEM '3.phys+604', [MMIO + 0x604], 0x4E4E4E4E
        DELTA '3.reads', 0, 4

%ifndef NO_MOFFS
        ; -------------------------------------------------------------- 4 --
        ; MOV with a moffs operand (opcodes A0-A3: no ModRM byte), the form
        ; assemblers pick for mov eax/ax/al <-> [absolute address]
        PUTSLN '--- 4: mov al/ax/eax <-> moffs (A0-A3)'
        call snap
        mov eax, 0x0A1A2A3A
        mov [MMIO + 0x700], eax         ; A3
        mov al, 0x5F
        mov [MMIO + 0x704], al          ; A2
        DELTA '4.moffs_stores', 2, 0
        xor eax, eax
        mov eax, [MMIO + 0x700]         ; A1
        CHECK_EQ '4.moffs_load_dword', eax, 0x0A1A2A3A
        xor eax, eax
        mov ax, [MMIO + 0x702]          ; 66 A1
        CHECK_EQ '4.moffs_load_word', eax, 0x0A1A
        xor eax, eax
        mov al, [MMIO + 0x704]          ; A0
        CHECK_EQ '4.moffs_load_byte', eax, 0x5F
        DELTA '4.moffs_loads', 0, 3
%endif
        ret
