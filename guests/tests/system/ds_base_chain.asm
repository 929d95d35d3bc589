; A block translated for DS base 0 must not run when DS has another base. The exit
; after `mov ds, bx` is chained (by helper_dispatch_direct) to the block that followed
; the first time; when a later MOV DS loads a selector with a non-zero base, the chained
; jump still enters the base-0 translation, so [ds:x] reads linear x instead of base + x.
%include "harness.inc"
%include "system.inc"
section .data
align 16
cell:   dd 0x11111111
        times 1023 dd 0
cell2:  dd 0x22222222                   ; = cell + 0x1000
results: dd 0, 0, 0
section .text
global test_main
test_main:
        PUTSLN 'ds_base_chain'
        SYS_INIT
        SET_DESC SEL_SPARE0, 0x1000, 0xFFFFF, DESC_DATA0
        mov ecx, SEL_KDATA
        xor esi, esi
        mov ebx, SEL_KDATA              ; first pass: base 0
again:
        mov ds, bx                      ; ends the block; exit chained the first time
        mov eax, [cell]                 ; block translated for the first pass's mode
        mov ds, cx                      ; back to base 0 (ends the block)
        mov [results + esi*4], eax
        inc esi
        cmp esi, 2
        jb again                        ; second pass: base 0 again (this exit gets chained)
        mov ebx, SEL_SPARE0             ; third pass: base 0x1000
        cmp esi, 3
        jb again
        mov eax, [results]
        CHECK_EQ 'DS base 0: [cell]', eax, 0x11111111
        mov eax, [results + 4]
        CHECK_EQ 'DS base 0 again: [cell]', eax, 0x11111111
        mov eax, [results + 8]
        CHECK_EQ 'DS base 0x1000: [cell]', eax, 0x22222222
        ret
