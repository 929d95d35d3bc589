; alu.asm -- integer ALU instructions and their flags.
;
; Each "group" is a small stub of code run by `run_group` for every operand
; pair (a from `vals`, b from the group's table) and every input EFLAGS value
; from `flagin`.  Stub inputs:
;     EAX = a            EBX = b            ECX = b
;     EDX = bswap(a) ^ b ESI = a + 2*b + 0x3c
;     EDI = scratch (128 bytes, refilled with a pattern at group start)
;     EFLAGS = flagin[i] (OSZAPC all 0 / CF / OSZAP / OSZAPC), DF = 0
; A stub may clobber EAX..EBP, must keep ESP balanced, and must not touch
; memory outside `scratch` (and the read-only tables).  After it returns
; (ret does not touch flags) the driver folds EAX EBX ECX EDX ESI, the flags
; (pushfd & group mask) and a checksum of the scratch area into a hash and
; prints one line "name hash" per group.
;
; Flags that Intel calls undefined are compared too (the host is the oracle
; and these instructions run as themselves under ringshift), except for the
; BCD instructions, which ringshift must rewrite.  Assemble with
; -DMASK_UNDEFINED_FLAGS to compare only architecturally defined flags (and,
; for 16-bit shld/shrd, only counts <= 16) -- useful against an emulator.
%include "harness.inc"

; ----------------------------------------------------------- flag masks --
%define F_ALL    0x8d5                  ; OF SF ZF AF PF CF
%define F_NONE   0
%define F_DAA    0x0d5                  ; daa/das: OF undefined
%define F_AAA    0x011                  ; aaa/aas: only AF CF defined
%define F_AAM    0x0c4                  ; aam/aad: only SF ZF PF defined
%ifdef MASK_UNDEFINED_FLAGS
 %define F_LOGIC 0x8c5                  ; and/or/xor/test: AF undefined
 %define F_SHIFT 0x0c5                  ; shl/shr/sar: OF (count>1), AF undef.
 %define F_ROT   0x0d5                  ; rotates: OF undefined (count>1)
 %define F_SHD   0x0c5                  ; shld/shrd
 %define F_MUL   0x801                  ; mul/imul: only OF CF
 %define F_DIV   0x000                  ; div/idiv: all undefined
 %define F_BT    0x041                  ; bt*: CF defined, ZF unaffected
 %define F_BSF   0x040                  ; bsf/bsr: ZF only
 %define SHD16_COUNTS counts16
%else
 %define F_LOGIC F_ALL
 %define F_SHIFT F_ALL
 %define F_ROT   F_ALL
 %define F_SHD   F_ALL
 %define F_MUL   F_ALL
 %define F_DIV   F_ALL
 %define F_BT    F_ALL
 %define F_BSF   F_ALL
 %define SHD16_COUNTS counts
%endif

; ------------------------------------------------------------------ tables --
section .rodata
align 4
vals:   dd (vals_end - vals) / 4 - 1
        dd 0x00000000, 0x00000001, 0x00000002, 0x0000007f
        dd 0x00000080, 0x00000081, 0x000000ff, 0x00007fff
        dd 0x00008000, 0x0000ffff, 0x7fffffff, 0x80000000
        dd 0xffffffff, 0x12345678, 0xdeadbeef, 0x0000ff80
        dd 0x00800080, 0xffff7fff, 0x00000040, 0x00000003
        dd 0x9abcdef0, 0x00010000, 0xfffffffe, 0x55aa33cc
vals_end:
NVALS   equ (vals_end - vals) / 4 - 1

counts: dd (counts_end - counts) / 4 - 1
        dd 0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 63, 64, 255
counts_end:

counts16: dd (counts16_end - counts16) / 4 - 1
        dd 0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 32, 33, 47, 48
counts16_end:

flagin: dd 0x002, 0x003, 0x8d6, 0x8d7
NFLAG   equ 4

align 16
xlat_tab:
%assign i 0
%rep 256
        db (i * 37 + 11) & 0xff
%assign i i + 1
%endrep

section .data
align 4
g_stub: dd 0
g_name: dd 0
g_mask: dd 0
g_btab: dd 0
g_bn:   dd 0
g_ia:   dd 0
g_ib:   dd 0
g_ifl:  dd 0

section .bss
alignb 64
scratch: resb 128

; ------------------------------------------------------------------ driver --
section .text

; run_group: EBP = stub, ESI = name, EDX = flag mask, EDI = b table.
run_group:
        mov [g_stub], ebp
        mov [g_name], esi
        mov [g_mask], edx
        mov eax, [edi]
        mov [g_bn], eax
        add edi, 4
        mov [g_btab], edi
        call hash_reset
        xor ecx, ecx
.fill:
        mov eax, ecx
        imul eax, eax, 0x11111111
        add eax, 0x01234567
        mov [scratch + ecx * 4], eax
        add ecx, 1
        cmp ecx, 32
        jb .fill
        mov dword [g_ia], 0
.la:
        mov dword [g_ib], 0
.lb:
        mov dword [g_ifl], 0
.lf:
        mov esi, [g_ia]
        mov eax, [vals + 4 + esi * 4]
        mov esi, [g_ib]
        mov edi, [g_btab]
        mov ebx, [edi + esi * 4]
        mov ecx, ebx
        mov edx, eax
        bswap edx
        xor edx, ebx
        lea esi, [eax + ebx * 2 + 0x3c]
        mov edi, [g_ifl]
        push dword [flagin + edi * 4]
        mov edi, scratch
        mov ebp, [g_stub]
        popfd
        call ebp
        pushfd
        push esi
        push edx
        push ecx
        push ebx
        call hash_fold                  ; EAX
        pop eax
        call hash_fold                  ; EBX
        pop eax
        call hash_fold                  ; ECX
        pop eax
        call hash_fold                  ; EDX
        pop eax
        call hash_fold                  ; ESI
        pop eax
        and eax, [g_mask]
        call hash_fold                  ; flags
        xor eax, eax
        xor ecx, ecx
.sf:
        rol eax, 3
        xor eax, [scratch + ecx * 4]
        add ecx, 1
        cmp ecx, 32
        jb .sf
        call hash_fold                  ; scratch
        add dword [g_ifl], 1
        cmp dword [g_ifl], NFLAG
        jb .lf
        add dword [g_ib], 1
        mov eax, [g_ib]
        cmp eax, [g_bn]
        jb .lb
        add dword [g_ia], 1
        cmp dword [g_ia], NVALS
        jb .la
        mov esi, [g_name]
        call print_cstr
        call print_space
        mov eax, [hash_value]
        call print_hex32
        call print_newline
        ret

; GROUP 'name', flagmask, btable  ... stub code ...  ENDGROUP
; Context-local labels (%$x) may be used inside the stub.
%macro GROUP 3
  %push grp
  %define %$name %1
  %define %$mask %2
  %define %$tab %3
        jmp %$after
%$stub:
%endmacro

%macro ENDGROUP 0
        ret
%$after:
  H_CSTR %$nm, %$name
        mov ebp, %$stub
        mov esi, %$nm
        mov edx, %$mask
        mov edi, %$tab
        call run_group
  %pop
%endmacro

%define NAME(op, suffix) %strcat(%str(op), suffix)

; ---------------------------------------------- binary ALU operations --
; BINOP op, mask
%macro BINOP 2
  GROUP NAME(%1, "8"), %2, vals
        %1 al, bl
  ENDGROUP
  GROUP NAME(%1, "8h"), %2, vals
        %1 ah, bl
        %1 dh, ah
  ENDGROUP
  GROUP NAME(%1, "8rev"), %2, vals
        %1 bl, al
  ENDGROUP
  GROUP NAME(%1, "16"), %2, vals
        %1 ax, bx
  ENDGROUP
  GROUP NAME(%1, "32"), %2, vals
        %1 eax, ebx
  ENDGROUP
  GROUP NAME(%1, "32rev"), %2, vals
        %1 ebx, eax
  ENDGROUP
  GROUP NAME(%1, "32_rm"), %2, vals          ; reg, [base+disp8]
        mov [edi + 8], ebx
        %1 eax, [edi + 8]
  ENDGROUP
  GROUP NAME(%1, "32_mr_abs"), %2, vals      ; [disp32], reg (mod=00 rm=101)
        mov [scratch + 12], eax
        %1 [scratch + 12], ebx
        mov eax, [scratch + 12]
  ENDGROUP
  GROUP NAME(%1, "32_rm_abs"), %2, vals      ; reg, [disp32]
        mov [scratch + 16], ebx
        %1 eax, [scratch + 16]
  ENDGROUP
  GROUP NAME(%1, "16_m_sib"), %2, vals       ; word [base+index*4+disp8], reg
        mov ecx, 3
        mov [edi + ecx * 4 + 4], ax
        %1 word [edi + ecx * 4 + 4], bx
        mov ax, [edi + ecx * 4 + 4]
  ENDGROUP
  GROUP NAME(%1, "8_rm"), %2, vals           ; byte reg, [base+disp8]
        mov [edi + 0x21], bl
        %1 al, [edi + 0x21]
  ENDGROUP
  GROUP NAME(%1, "8_mr_abs"), %2, vals
        mov [scratch + 0x30], al
        %1 [scratch + 0x30], bl
        mov al, [scratch + 0x30]
  ENDGROUP
  GROUP NAME(%1, "32_esp"), %2, vals         ; [esp] and [esp+4] operands
        push ebx
        push eax
        %1 [esp + 4], eax
        %1 eax, [esp]
        pop ecx
        pop edx
  ENDGROUP
  GROUP NAME(%1, "32_ebp_sib"), %2, vals     ; [ebp+idx*2+disp], [idx*4+disp32]
        mov ebp, edi
        mov esi, 5
        mov [ebp + esi * 2 + 20], ebx
        mov [scratch + esi * 4 + 40], eax
        %1 [scratch + esi * 4 + 40], eax
        %1 eax, [ebp + esi * 2 + 20]
        mov ebp, [scratch + esi * 4 + 40]
        mov ebx, ebp
  ENDGROUP
  GROUP NAME(%1, "32_i"), %2, vals           ; eax, imm32 (short form)
        %1 eax, 0x80000001
  ENDGROUP
  GROUP NAME(%1, "32_ri"), %2, vals          ; reg, imm32
        %1 edx, 0x7fffffff
  ENDGROUP
  GROUP NAME(%1, "32_ri8"), %2, vals         ; reg, imm8 sign-extended
        %1 ebx, -3
  ENDGROUP
  GROUP NAME(%1, "16_i"), %2, vals
        %1 ax, 0x8000
  ENDGROUP
  GROUP NAME(%1, "16_ri8"), %2, vals
        %1 bx, -128
  ENDGROUP
  GROUP NAME(%1, "8_i"), %2, vals
        %1 al, 0x7f
  ENDGROUP
  GROUP NAME(%1, "8_ri"), %2, vals
        %1 bh, 0x80
  ENDGROUP
  GROUP NAME(%1, "32_mi"), %2, vals
        mov [edi + 4], eax
        %1 dword [edi + 4], 0x7fffffff
        mov eax, [edi + 4]
  ENDGROUP
  GROUP NAME(%1, "32_mi8_abs"), %2, vals
        mov [scratch + 20], eax
        %1 dword [scratch + 20], -2
        mov eax, [scratch + 20]
  ENDGROUP
  GROUP NAME(%1, "8_mi"), %2, vals
        mov [edi + 1], al
        %1 byte [edi + 1], 0x81
        mov al, [edi + 1]
  ENDGROUP
%endmacro

; ------------------------------------------------------- unary operations --
%macro UNOP 2   ; op, mask
  GROUP NAME(%1, "8"), %2, vals
        %1 al
  ENDGROUP
  GROUP NAME(%1, "8h"), %2, vals
        %1 bh
  ENDGROUP
  GROUP NAME(%1, "16"), %2, vals
        %1 ax
  ENDGROUP
  GROUP NAME(%1, "32"), %2, vals
        %1 eax
  ENDGROUP
  GROUP NAME(%1, "32m"), %2, vals
        mov [edi + 4], eax
        %1 dword [edi + 4]
        mov eax, [edi + 4]
  ENDGROUP
  GROUP NAME(%1, "16m_abs"), %2, vals
        mov [scratch + 6], bx
        %1 word [scratch + 6]
        mov bx, [scratch + 6]
  ENDGROUP
  GROUP NAME(%1, "8m"), %2, vals
        mov [edi + 9], al
        %1 byte [edi + 9]
        mov al, [edi + 9]
  ENDGROUP
%endmacro

; ----------------------------------------------------- shifts and rotates --
; SHIFTOP op, digit (ModRM /r field), mask
%macro SHIFTOP 3
  GROUP NAME(%1, "8cl"), %3, counts
        %1 al, cl
  ENDGROUP
  GROUP NAME(%1, "8hcl"), %3, counts
        %1 ah, cl
  ENDGROUP
  GROUP NAME(%1, "16cl"), %3, counts
        %1 ax, cl
  ENDGROUP
  GROUP NAME(%1, "32cl"), %3, counts
        %1 eax, cl
  ENDGROUP
  GROUP NAME(%1, "32cl_ebx"), %3, counts
        %1 ebx, cl
  ENDGROUP
  GROUP NAME(%1, "8_1"), %3, counts          ; D0
        %1 dl, 1
  ENDGROUP
  GROUP NAME(%1, "16_1"), %3, counts         ; 66 D1
        %1 bx, 1
  ENDGROUP
  GROUP NAME(%1, "32_1"), %3, counts         ; D1
        %1 eax, 1
  ENDGROUP
  GROUP NAME(%1, "32_i1"), %3, counts        ; C1 /r 01
        db 0xC1, 0xC0 | (%2 << 3), 1
  ENDGROUP
  GROUP NAME(%1, "32_i0"), %3, counts        ; C1 /r 00: count 0
        db 0xC1, 0xC0 | (%2 << 3), 0
  ENDGROUP
  GROUP NAME(%1, "32_i3"), %3, counts
        %1 eax, 3
  ENDGROUP
  GROUP NAME(%1, "32_i31"), %3, counts
        %1 edx, 31
  ENDGROUP
  GROUP NAME(%1, "32_i33"), %3, counts       ; masked to 1
        db 0xC1, 0xC0 | (%2 << 3), 33
  ENDGROUP
  GROUP NAME(%1, "16_i9"), %3, counts
        %1 ax, 9
  ENDGROUP
  GROUP NAME(%1, "16_i17"), %3, counts
        %1 si, 17
  ENDGROUP
  GROUP NAME(%1, "8_i7"), %3, counts
        %1 al, 7
  ENDGROUP
  GROUP NAME(%1, "8_i9"), %3, counts
        %1 dh, 9
  ENDGROUP
  GROUP NAME(%1, "32m_cl"), %3, counts
        mov [edi + 8], edx
        %1 dword [edi + 8], cl
        mov edx, [edi + 8]
  ENDGROUP
  GROUP NAME(%1, "16m_1"), %3, counts
        mov [edi + 2], ax
        %1 word [edi + 2], 1
        mov ax, [edi + 2]
  ENDGROUP
  GROUP NAME(%1, "8m_abs_i"), %3, counts
        mov [scratch + 3], al
        %1 byte [scratch + 3], 5
        mov al, [scratch + 3]
  ENDGROUP
%endmacro

; ------------------------------------------------------------- shld/shrd --
%macro SHDOP 2  ; op, mask
  GROUP NAME(%1, "32cl"), %2, counts
        %1 eax, edx, cl
  ENDGROUP
  GROUP NAME(%1, "32i7"), %2, counts
        %1 eax, edx, 7
  ENDGROUP
  GROUP NAME(%1, "32i0"), %2, counts
        %1 esi, eax, 0
  ENDGROUP
  GROUP NAME(%1, "32i31"), %2, counts
        %1 ebx, esi, 31
  ENDGROUP
  GROUP NAME(%1, "16cl"), %2, SHD16_COUNTS
        %1 ax, dx, cl
  ENDGROUP
  GROUP NAME(%1, "16i13"), %2, counts
        %1 ax, dx, 13
  ENDGROUP
  GROUP NAME(%1, "32m_cl"), %2, counts
        mov [edi + 4], eax
        %1 [edi + 4], edx, cl
        mov eax, [edi + 4]
  ENDGROUP
  GROUP NAME(%1, "32m_abs_i"), %2, counts
        mov [scratch + 24], eax
        %1 [scratch + 24], ebx, 5
        mov eax, [scratch + 24]
  ENDGROUP
%endmacro

; --------------------------------------------------------------- bit ops --
%macro BTOP 2   ; op, mask
  GROUP NAME(%1, "32r"), %2, vals
        %1 eax, ebx
  ENDGROUP
  GROUP NAME(%1, "16r"), %2, vals
        %1 ax, bx
  ENDGROUP
  GROUP NAME(%1, "32i"), %2, vals
        %1 eax, 13
  ENDGROUP
  GROUP NAME(%1, "32i45"), %2, vals          ; imm8 taken modulo 32
        %1 edx, 45
  ENDGROUP
  GROUP NAME(%1, "16i19"), %2, vals          ; imm8 taken modulo 16
        %1 ax, 19
  ENDGROUP
  GROUP NAME(%1, "32m_r"), %2, vals          ; bit string, offset -128..127
        movsx ecx, bl
        %1 [edi + 64], ecx
  ENDGROUP
  GROUP NAME(%1, "16m_r"), %2, vals
        movsx ecx, bl
        %1 [edi + 64], cx
  ENDGROUP
  GROUP NAME(%1, "32m_i"), %2, vals
        %1 dword [edi + 64], 37
  ENDGROUP
  GROUP NAME(%1, "32m_abs_r"), %2, vals
        movzx ecx, bl
        %1 [scratch], ecx               ; offset 0..255 -> bytes 0..31
  ENDGROUP
%endmacro

; ------------------------------------------------------------- cc lists --
%define CC_LIST o, no, b, ae, e, ne, be, a, s, ns, p, np, l, ge, le, g

%macro SETCC_MEM 1-*                    ; set<cc> byte [edi+k] for each cc
  %assign %%k 0
  %rep %0
        set%1 byte [edi + %%k]
    %assign %%k %%k + 1
    %rotate 1
  %endrep
%endmacro

%macro CMOV32_ALL 1-*                   ; cmov<cc> into [edi+4k]
  %assign %%k 0
  %rep %0
        mov esi, (%%k + 1) * 0x01010101
        cmov%1 esi, edx
        mov [edi + %%k * 4], esi
    %assign %%k %%k + 1
    %rotate 1
  %endrep
%endmacro

%macro CMOV16_ALL 1-*                   ; 16-bit cmov<cc> from memory
  %assign %%k 0
  %rep %0
        mov si, (%%k + 1) * 0x0101
        cmov%1 si, [edi + 124]
        mov [edi + 64 + %%k * 2], si
    %assign %%k %%k + 1
    %rotate 1
  %endrep
%endmacro

; =============================================================== test_main
test_main:
        PUTSLN 'alu: integer ALU and flags'

        BINOP add, F_ALL
        BINOP adc, F_ALL
        BINOP sub, F_ALL
        BINOP sbb, F_ALL
        BINOP cmp, F_ALL
        BINOP and, F_LOGIC
        BINOP or,  F_LOGIC
        BINOP xor, F_LOGIC
        BINOP test, F_LOGIC

        ; lock-prefixed memory forms
        GROUP 'lock_add32m', F_ALL, vals
        mov [edi + 4], eax
        lock add [edi + 4], ebx
        mov eax, [edi + 4]
        ENDGROUP
        GROUP 'lock_sbb8m', F_ALL, vals
        mov [edi + 5], al
        lock sbb [edi + 5], bl
        mov al, [edi + 5]
        ENDGROUP
        GROUP 'lock_or16m', F_LOGIC, vals
        mov [scratch + 6], ax
        lock or word [scratch + 6], 0x1234
        mov ax, [scratch + 6]
        ENDGROUP

        UNOP inc, F_ALL
        UNOP dec, F_ALL
        UNOP neg, F_ALL
        UNOP not, F_ALL

        ; inc/dec with the one-byte opcodes 0x40-0x4f, one register each
        GROUP 'inc_eax_40', F_ALL, vals
        inc eax
        ENDGROUP
        GROUP 'inc_ecx_41', F_ALL, vals
        inc ecx
        ENDGROUP
        GROUP 'inc_edx_42', F_ALL, vals
        inc edx
        ENDGROUP
        GROUP 'inc_ebx_43', F_ALL, vals
        inc ebx
        ENDGROUP
        GROUP 'inc_ebp_45', F_ALL, vals
        mov ebp, eax
        inc ebp
        mov eax, ebp
        ENDGROUP
        GROUP 'inc_esi_46', F_ALL, vals
        inc esi
        ENDGROUP
        GROUP 'inc_edi_47', F_ALL, vals
        mov edi, ebx
        inc edi
        mov ebx, edi
        ENDGROUP
        GROUP 'dec_eax_48', F_ALL, vals
        dec eax
        ENDGROUP
        GROUP 'dec_ecx_49', F_ALL, vals
        dec ecx
        ENDGROUP
        GROUP 'dec_edx_4a', F_ALL, vals
        dec edx
        ENDGROUP
        GROUP 'dec_ebx_4b', F_ALL, vals
        dec ebx
        ENDGROUP
        GROUP 'dec_ebp_4d', F_ALL, vals
        mov ebp, eax
        dec ebp
        mov eax, ebp
        ENDGROUP
        GROUP 'dec_esi_4e', F_ALL, vals
        dec esi
        ENDGROUP
        GROUP 'dec_edi_4f', F_ALL, vals
        mov edi, ebx
        dec edi
        mov ebx, edi
        ENDGROUP
        GROUP 'incdec_esp_44_4c', F_NONE, vals  ; flags depend on ESP: not folded
        mov ebp, esp
        dec esp
        dec esp
        dec esp
        mov ecx, ebp
        sub ecx, esp                    ; 3
        inc esp
        inc esp
        mov edx, ebp
        sub edx, esp                    ; 1
        inc esp
        mov esi, ebp
        sub esi, esp                    ; 0
        ENDGROUP
        GROUP 'incdec16_66_4x', F_ALL, vals
        inc ax
        dec bx
        inc cx
        dec dx
        dec si
        ENDGROUP
        GROUP 'incdec_modrm_ff', F_ALL, vals ; FF /0, FF /1 register forms
        db 0xFF, 0xC0                   ; inc eax
        db 0xFF, 0xCB                   ; dec ebx
        db 0x66, 0xFF, 0xC1             ; inc cx
        db 0xFE, 0xCA                   ; dec dl
        ENDGROUP

        SHIFTOP rol, 0, F_ROT
        SHIFTOP ror, 1, F_ROT
        SHIFTOP rcl, 2, F_ROT
        SHIFTOP rcr, 3, F_ROT
        SHIFTOP shl, 4, F_SHIFT
        SHIFTOP shr, 5, F_SHIFT
        SHIFTOP sar, 7, F_SHIFT

        SHDOP shld, F_SHD
        SHDOP shrd, F_SHD

        ; ------------------------------------------------------ multiply --
        GROUP 'mul8', F_MUL, vals
        mul bl
        ENDGROUP
        GROUP 'mul8h', F_MUL, vals
        mul ah
        ENDGROUP
        GROUP 'mul16', F_MUL, vals
        mul bx
        ENDGROUP
        GROUP 'mul32', F_MUL, vals
        mul ebx
        ENDGROUP
        GROUP 'mul32m', F_MUL, vals
        mov [edi], ebx
        mul dword [edi]
        ENDGROUP
        GROUP 'mul8m_abs', F_MUL, vals
        mov [scratch + 7], bl
        mul byte [scratch + 7]
        ENDGROUP
        GROUP 'imul8', F_MUL, vals
        imul bl
        ENDGROUP
        GROUP 'imul16', F_MUL, vals
        imul bx
        ENDGROUP
        GROUP 'imul32', F_MUL, vals
        imul ebx
        ENDGROUP
        GROUP 'imul32m_abs', F_MUL, vals
        mov [scratch + 8], ebx
        imul dword [scratch + 8]
        ENDGROUP
        GROUP 'imul16m', F_MUL, vals
        mov [edi + 10], bx
        imul word [edi + 10]
        ENDGROUP
        GROUP 'imul32_rr', F_MUL, vals
        imul eax, ebx
        ENDGROUP
        GROUP 'imul16_rr', F_MUL, vals
        imul ax, bx
        ENDGROUP
        GROUP 'imul32_rm', F_MUL, vals
        mov [edi + 4], ebx
        imul eax, [edi + 4]
        ENDGROUP
        GROUP 'imul16_rm_abs', F_MUL, vals
        mov [scratch + 14], bx
        imul dx, [scratch + 14]
        ENDGROUP
        GROUP 'imul32_rri32', F_MUL, vals
        imul eax, ebx, 0x12345
        ENDGROUP
        GROUP 'imul32_rri8', F_MUL, vals
        imul ecx, ebx, -7
        ENDGROUP
        GROUP 'imul32_rri_big', F_MUL, vals
        imul edx, eax, 0x80000001
        ENDGROUP
        GROUP 'imul16_rri16', F_MUL, vals
        imul ax, bx, 300
        ENDGROUP
        GROUP 'imul16_rri8', F_MUL, vals
        imul dx, bx, 5
        ENDGROUP
        GROUP 'imul32_rmi', F_MUL, vals
        mov [scratch + 28], eax
        imul esi, [scratch + 28], 100
        ENDGROUP

        ; ------------------------------------------------------ division --
        ; Dividends are built so that the quotient always fits and the
        ; divisor is never 0: no #DE can happen.
        GROUP 'div8', F_DIV, vals       ; AX = bl*al + bl/2
        test bl, bl
        jz %$skip
        mul bl
        movzx ecx, bl
        shr ecx, 1
        add ax, cx
        div bl
%$skip:
        ENDGROUP
        GROUP 'div8h', F_DIV, vals      ; divisor bh (or 0x33)
        mov cl, bh
        test cl, cl
        jnz %$nz
        mov cl, 0x33
%$nz:
        mul cl
        div cl
        ENDGROUP
        GROUP 'div16', F_DIV, vals      ; DX:AX = bx*ax + bx/2
        test bx, bx
        jz %$skip
        mul bx
        movzx ecx, bx
        shr ecx, 1
        add ax, cx
        adc dx, 0
        div bx
%$skip:
        ENDGROUP
        GROUP 'div32', F_DIV, vals      ; EDX:EAX = ebx*eax + ebx/2
        test ebx, ebx
        jz %$skip
        mul ebx
        mov ecx, ebx
        shr ecx, 1
        add eax, ecx
        adc edx, 0
        div ebx
%$skip:
        ENDGROUP
        GROUP 'div32_edx0', F_DIV, vals
        test ebx, ebx
        jz %$skip
        xor edx, edx
        div ebx
%$skip:
        ENDGROUP
        GROUP 'div32m', F_DIV, vals
        or ebx, 0x100
        mov [edi + 12], ebx
        mul ebx
        add eax, 0x7f
        adc edx, 0
        div dword [edi + 12]
        ENDGROUP
        GROUP 'idiv8', F_DIV, vals      ; AX = bl*(al sar 1) + (bl sar 1)
        test bl, bl
        jz %$skip
        sar al, 1
        imul bl
        movsx cx, bl
        sar cx, 1
        add ax, cx
        idiv bl
%$skip:
        ENDGROUP
        GROUP 'idiv16', F_DIV, vals
        test bx, bx
        jz %$skip
        sar ax, 1
        imul bx
        mov cx, bx
        sar cx, 1
        mov si, cx
        sar si, 15
        add ax, cx
        adc dx, si
        idiv bx
%$skip:
        ENDGROUP
        GROUP 'idiv32', F_DIV, vals
        test ebx, ebx
        jz %$skip
        sar eax, 1
        imul ebx
        mov ecx, ebx
        sar ecx, 1
        mov esi, ecx
        sar esi, 31
        add eax, ecx
        adc edx, esi
        idiv ebx
%$skip:
        ENDGROUP
        GROUP 'idiv32_cdq', F_DIV, vals
        test ebx, ebx
        jz %$skip
        cmp ebx, -1
        jne %$ok
        cmp eax, 0x80000000
        je %$skip
%$ok:
        cdq
        idiv ebx
%$skip:
        ENDGROUP
        GROUP 'idiv32m_abs', F_DIV, vals
        or ebx, 0x10
        mov [scratch + 32], ebx
        sar eax, 2
        imul ebx
        idiv dword [scratch + 32]
        ENDGROUP

        ; ------------------------------------------------------- bit ops --
        BTOP bt,  F_BT
        BTOP bts, F_BT
        BTOP btr, F_BT
        BTOP btc, F_BT
        GROUP 'lock_bts32m', F_BT, vals
        movsx ecx, bl
        lock bts [edi + 64], ecx
        ENDGROUP

        ; bsf/bsr: sources are never zero
        GROUP 'bsf32', F_BSF, vals
        pushfd
        test ebx, ebx
        jnz %$nz
        mov ebx, 0x00100000
%$nz:
        popfd
        bsf eax, ebx
        ENDGROUP
        GROUP 'bsr32', F_BSF, vals
        pushfd
        test ebx, ebx
        jnz %$nz
        mov ebx, 0x00100000
%$nz:
        popfd
        bsr eax, ebx
        ENDGROUP
        GROUP 'bsf16', F_BSF, vals
        pushfd
        test bx, bx
        jnz %$nz
        mov bx, 0x0100
%$nz:
        popfd
        bsf ax, bx
        ENDGROUP
        GROUP 'bsr16', F_BSF, vals
        pushfd
        test bx, bx
        jnz %$nz
        mov bx, 0x0100
%$nz:
        popfd
        bsr ax, bx
        ENDGROUP
        GROUP 'bsf32m', F_BSF, vals
        pushfd
        test eax, eax
        jnz %$nz
        mov eax, 0x80
%$nz:
        popfd
        mov [edi + 4], eax
        bsf ecx, [edi + 4]
        ENDGROUP
        GROUP 'bsr32m_abs', F_BSF, vals
        pushfd
        test eax, eax
        jnz %$nz
        mov eax, 0x80
%$nz:
        popfd
        mov [scratch + 36], eax
        bsr edx, [scratch + 36]
        ENDGROUP

        ; ------------------------------------------ exchange & friends --
        GROUP 'bswap', F_ALL, vals
        bswap eax
        bswap ebx
        bswap edx
        mov ebp, esi
        bswap ebp
        mov esi, ebp
        mov edi, ecx
        bswap edi
        mov ecx, edi
        ENDGROUP
        GROUP 'xadd32', F_ALL, vals
        xadd eax, ebx
        ENDGROUP
        GROUP 'xadd16', F_ALL, vals
        xadd ax, bx
        ENDGROUP
        GROUP 'xadd8', F_ALL, vals
        xadd al, bh
        ENDGROUP
        GROUP 'xadd32m', F_ALL, vals
        mov [edi + 4], eax
        xadd [edi + 4], ebx
        ENDGROUP
        GROUP 'lock_xadd32m_abs', F_ALL, vals
        mov [scratch + 40], eax
        lock xadd [scratch + 40], ebx
        ENDGROUP
        GROUP 'cmpxchg32', F_ALL, vals  ; eax=a vs ecx=b (equal on diagonal)
        cmpxchg ecx, edx
        ENDGROUP
        GROUP 'cmpxchg32_eq', F_ALL, vals
        mov ecx, eax
        cmpxchg ecx, edx
        ENDGROUP
        GROUP 'cmpxchg16', F_ALL, vals
        cmpxchg cx, dx
        ENDGROUP
        GROUP 'cmpxchg8', F_ALL, vals
        cmpxchg cl, dl
        ENDGROUP
        GROUP 'cmpxchg32m', F_ALL, vals
        mov [edi + 8], ebx
        cmpxchg [edi + 8], edx
        ENDGROUP
        GROUP 'lock_cmpxchg32m', F_ALL, vals
        mov [edi + 12], ebx
        lock cmpxchg [edi + 12], edx
        ENDGROUP
        GROUP 'cmpxchg8b', F_ALL, vals  ; equal iff a == b
        mov [edi + 16], ebx
        mov [edi + 20], edx
        cmpxchg8b [edi + 16]
        ENDGROUP
        GROUP 'lock_cmpxchg8b_abs', F_ALL, vals
        mov [scratch + 24], ebx
        mov [scratch + 28], edx
        mov ecx, esi
        lock cmpxchg8b [scratch + 24]
        ENDGROUP
        GROUP 'xchg', F_ALL, vals
        xchg eax, ebx                   ; 93
        xchg ecx, edx                   ; 87 /r
        xchg al, dh                     ; 86 /r
        xchg si, ax                     ; 66 96
        xchg bh, bl
        nop                             ; 90 = xchg eax, eax
        ENDGROUP
        GROUP 'xchg_m', F_ALL, vals
        mov [edi + 4], eax
        xchg [edi + 4], ebx
        mov [scratch + 9], dl
        xchg cl, [scratch + 9]
        ENDGROUP
        GROUP 'xlat', F_ALL, vals
        mov ebx, xlat_tab
        xlatb
        mov ebx, ecx
        ENDGROUP

        ; ---------------------------------------------------- conversion --
        GROUP 'cbw', F_ALL, vals
        cbw
        ENDGROUP
        GROUP 'cwde', F_ALL, vals
        cwde
        ENDGROUP
        GROUP 'cwd', F_ALL, vals
        cwd
        ENDGROUP
        GROUP 'cdq', F_ALL, vals
        cdq
        ENDGROUP
        GROUP 'movsx', F_ALL, vals
        movsx ecx, al
        movsx edx, bx
        movsx si, bl
        mov [edi + 5], ah
        movsx eax, byte [edi + 5]
        mov [scratch + 10], bx
        movsx ebx, word [scratch + 10]
        ENDGROUP
        GROUP 'movzx', F_ALL, vals
        movzx ecx, ah
        movzx edx, bx
        movzx si, al
        mov [edi + 5], bh
        movzx eax, byte [edi + 5]
        mov [scratch + 10], ax
        movzx ebx, word [scratch + 10]
        ENDGROUP

        ; --------------------------------------------------------- setcc --
        GROUP 'setcc_cmp32', F_ALL, vals
        cmp eax, ebx
        SETCC_MEM CC_LIST
        ENDGROUP
        GROUP 'setcc_add8', F_ALL, vals
        add al, bl
        SETCC_MEM CC_LIST
        ENDGROUP
        GROUP 'setcc_sub16', F_ALL, vals
        sub ax, bx
        SETCC_MEM CC_LIST
        ENDGROUP
        GROUP 'setcc_inflags', F_ALL, vals
        SETCC_MEM CC_LIST
        ENDGROUP
        GROUP 'setcc_regs', F_ALL, vals
        cmp ebx, eax
        seto cl
        setc ch
        setz dl
        setbe dh
        sets bl
        setp bh
        setl al
        setle ah
        ENDGROUP

        ; --------------------------------------------------------- cmovcc --
        GROUP 'cmov32_cmp', F_ALL, vals
        cmp eax, ebx
        CMOV32_ALL CC_LIST
        ENDGROUP
        GROUP 'cmov32_test', F_ALL, vals
        test eax, ebx
        CMOV32_ALL CC_LIST
        ENDGROUP
        GROUP 'cmov16_sub8', F_ALL, vals
        mov [edi + 124], edx
        sub bl, al
        CMOV16_ALL CC_LIST
        ENDGROUP
        GROUP 'cmov32_mem', F_ALL, vals
        mov [scratch + 44], edx
        cmp ax, bx
        cmovl ecx, [scratch + 44]
        cmovge esi, [edi + 44]
        cmovz eax, [edi + 44]
        cmova ebx, [scratch + 44]
        ENDGROUP

        ; ----------------------------------------------------- lahf/sahf --
        GROUP 'sahf', F_ALL, vals
        mov ah, bl
        sahf
        ENDGROUP
        GROUP 'lahf', F_ALL, vals
        lahf
        ENDGROUP
        GROUP 'lahf_add', F_ALL, vals
        add al, bl
        lahf
        ENDGROUP

        ; ----------------------------------------------------------- lea --
        GROUP 'lea32', F_ALL, vals
        lea ecx, [eax + ebx]
        lea edx, [eax + ebx * 2 + 0x12345678]
        lea esi, [ebx * 8 - 5]          ; SIB, no base, disp32
        lea eax, [ecx + edx * 4 + 7]
        lea ebx, [eax + eax * 2]
        ENDGROUP
        GROUP 'lea32b', F_ALL, vals
        mov ebp, eax
        lea eax, [0x1234]               ; [disp32] (mod=00 rm=101)
        lea ecx, [ebx + 0x7f]           ; disp8
        lea edx, [ebx - 0x80]
        lea esi, [ebp + ebx * 4]        ; ebp base needs disp8 0
        lea ebp, [ebp]
        lea ebx, [ebp * 2 + 0x40]
        add eax, ebp
        ENDGROUP
        GROUP 'lea32_mem_abs', F_NONE, vals ; flags depend on addresses
        lea ecx, [scratch + 0x10]       ; absolute address: subtract it
        sub ecx, scratch
        lea edx, [edi + ebx * 4]
        sub edx, edi
        ENDGROUP
        GROUP 'lea16', F_ALL, vals      ; 0x67 address-size prefix
        mov edi, edx                    ; (EDI held the scratch address,
        mov ebp, eax                    ;  EBP the stub address)
        lea eax, [bx + si + 5]
        lea ecx, [bx + di]
        lea edx, [bp + si + 0x1234]
        lea ebp, [si]
        lea esi, [di - 1]
        lea di, [bp + di + 0x80]
        mov ebx, edi
        ENDGROUP
        GROUP 'lea16b', F_ALL, vals
        mov ebp, eax
        mov edi, edx
        a16 lea eax, [0x1234]           ; [disp16]
        lea ecx, [bx]
        lea dx, [bp]
        lea si, [bp + di - 0x10]
        lea ebx, [bx + si + 0x7ffe]
        ENDGROUP
        GROUP 'lea_esp', F_NONE, vals   ; flags depend on ESP: not folded
        lea edx, [esp + eax * 2 + 12]
        lea ecx, [esp + 8]
        lea esi, [esp]
        sub edx, esp
        sub ecx, esp
        sub esi, esp
        ENDGROUP

        ; ----------------------------------------------------------- BCD --
        GROUP 'daa', F_DAA, vals
        daa
        ENDGROUP
        GROUP 'daa_add', F_DAA, vals
        add al, bl
        daa
        ENDGROUP
        GROUP 'das', F_DAA, vals
        das
        ENDGROUP
        GROUP 'das_sub', F_DAA, vals
        sub al, bl
        das
        ENDGROUP
        GROUP 'aaa', F_AAA, vals
        aaa
        ENDGROUP
        GROUP 'aaa_add', F_AAA, vals
        add al, bl
        aaa
        ENDGROUP
        GROUP 'aas', F_AAA, vals
        aas
        ENDGROUP
        GROUP 'aas_sub', F_AAA, vals
        sub al, bl
        aas
        ENDGROUP
        GROUP 'aam10', F_AAM, vals
        aam
        ENDGROUP
        GROUP 'aam16', F_AAM, vals
        aam 16
        ENDGROUP
        GROUP 'aam7', F_AAM, vals
        aam 7
        ENDGROUP
        GROUP 'aad10', F_AAM, vals
        aad
        ENDGROUP
        GROUP 'aad7', F_AAM, vals
        aad 7
        ENDGROUP
        GROUP 'aad_mul_bl', F_AAM, vals
        mov ah, bl
        aad 0xff
        ENDGROUP
        GROUP 'salc', F_ALL, vals
        db 0xD6
        ENDGROUP
        GROUP 'salc_cmp', F_ALL, vals
        cmp eax, ebx
        db 0xD6
        ENDGROUP

        ; ----------------------------------- flag-only instructions --
        GROUP 'clc_stc_cmc', F_ALL, vals
        cmc
        setc al
        stc
        setc ah
        clc
        setc bl
        cmc
        ENDGROUP
        ret
