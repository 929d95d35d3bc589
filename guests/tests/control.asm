; control.asm -- control transfers.
;   * all 16 jcc conditions, short (7x) and near (0F 8x) forms, against all
;     32 combinations of OF SF ZF PF CF, cross-checked with setcc
;   * jmp short/near, jecxz / jcxz (0x67), loop / loope / loopne (+ 0x67 CX
;     forms), call/ret, recursion (fibonacci, ackermann with tail calls)
;   * jump tables (jmp [table+eax*4]), jmp reg, call [reg], call [table+i*4],
;     computed returns (push addr; ret), call $+5 / get-PC thunks, a callee
;     that rewrites its return address (inline data after the call)
;   * a loop whose body crosses a 4 KiB page boundary (with an instruction
;     straddling it), calls across eight pages, a 64-block jump chain
;   * jumping into the middle of an instruction (overlapping code)
;   * rep ret (F3 C3), pause, multi-byte NOPs (0F 1F /0), 66 90
; Unexecuted padding between page-aligned pieces is int3 (0xCC): it is only
; reached if a jump goes wrong.
%include "harness.inc"

section .rodata
align 4
; 32 EFLAGS values: bit0 -> CF, bit1 -> PF, bit2 -> ZF, bit3 -> SF, bit4 -> OF
combo_flags:
%assign i 0
%rep 32
        dd 0x2 | ((i & 1) ? 0x1 : 0) | ((i & 2) ? 0x4 : 0) | ((i & 4) ? 0x40 : 0) | ((i & 8) ? 0x80 : 0) | ((i & 16) ? 0x800 : 0)
%assign i i + 1
%endrep

arr1:   db 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
arr2:   db 1, 2, 3, 4, 5, 6, 7, 9, 9, 10, 11, 12, 13, 14, 15, 16

align 4
jtab:   dd sw_c0, sw_c1, sw_c2, sw_c3, sw_c4, sw_c5, sw_c6, sw_c7
ftab:   dd fn_a, fn_b, fn_c, fn_d
jtab2:  dd sw2_c0, sw2_c1, sw2_c2, sw2_c3

section .data
align 4
ack_calls:      dd 0
fptr:           dd fn_b

section .text

; ----------------------------------------------------------- helpers --
fib:                                    ; eax = fib(eax), recursive
        cmp eax, 2
        jb .done
        push ebx
        push eax
        dec eax
        call fib
        mov ebx, eax
        pop eax
        sub eax, 2
        call fib
        add eax, ebx
        pop ebx
.done:
        ret

ack:                                    ; eax = A(eax, ebx), tail calls
        add dword [ack_calls], 1
        test eax, eax
        jnz .m1
        lea eax, [ebx + 1]
        ret
.m1:
        test ebx, ebx
        jnz .m2
        dec eax
        mov ebx, 1
        jmp ack
.m2:
        push eax
        dec ebx
        call ack
        mov ebx, eax
        pop eax
        dec eax
        jmp ack

fn_a:   lea eax, [eax + 0x11]
        ret
fn_b:   lea eax, [eax * 2 + 1]
        ret
fn_c:   xor eax, 0x5a5a
        ret
fn_d:   rol eax, 7
        db 0xF3, 0xC3                   ; rep ret

tail_outer:                             ; tail-calls tail_inner
        add eax, 1000
        jmp tail_inner
tail_inner:
        imul eax, eax, 3
        ret

inline_sum:                             ; call inline_sum / dd n, v1..vn
        pop esi                         ; (rewrites its return address)
        mov ecx, [esi]
        add esi, 4
        xor eax, eax
.l:
        add eax, [esi]
        add esi, 4
        dec ecx
        jnz .l
        push esi
        ret

get_pc_ebx:                             ; i686 PIC thunk
        mov ebx, [esp]
        ret

ret_via_jmp:                            ; returns with pop + jmp
        mov eax, 0x1357
        pop ecx
        jmp ecx

; JCC_TEST cc : taken-masks over the 32 flag combinations
%macro JCC_TEST 1
        xor ebx, ebx                    ; short form
        xor esi, esi                    ; near form
        xor edi, edi                    ; setcc
        xor ecx, ecx
%%loop:
        push dword [combo_flags + ecx * 4]
        popfd
        j%1 short %%t1
        jmp short %%n1
%%t1:
        bts ebx, ecx
%%n1:
        push dword [combo_flags + ecx * 4]
        popfd
        j%1 near %%t2
        jmp near %%n2
%%t2:
        bts esi, ecx
%%n2:
        push dword [combo_flags + ecx * 4]
        popfd
        set%1 al
        movzx eax, al
        shl eax, cl
        or edi, eax
        inc ecx
        cmp ecx, 32
        jb %%loop
        CHECK_EQ %strcat("j", %str(%1), ".short"), ebx, edi
        CHECK_EQ %strcat("j", %str(%1), ".near"), esi, edi
%endmacro

test_main:
        PUTSLN 'control: jumps, calls, loops'

        ; ------------------------------------------------- jcc x 16 --
        JCC_TEST o
        JCC_TEST no
        JCC_TEST b
        JCC_TEST ae
        JCC_TEST e
        JCC_TEST ne
        JCC_TEST be
        JCC_TEST a
        JCC_TEST s
        JCC_TEST ns
        JCC_TEST p
        JCC_TEST np
        JCC_TEST l
        JCC_TEST ge
        JCC_TEST le
        JCC_TEST g

        ; jcc after real comparisons, backward and forward
        xor eax, eax
        mov ecx, -50
.cmp_loop:
        cmp ecx, 7
        jl .lt
        add eax, 3
        jmp short .cont
.lt:
        add eax, 5
        cmp ecx, -20
        jge near .cont
        xor eax, 0x100
.cont:
        test ecx, 1
        jpe .even_par
        rol eax, 1
.even_par:
        inc ecx
        cmp ecx, 50
        jne .cmp_loop
        REPORT 'jcc.loop', eax

        ; ------------------------------------------------- jmp short/near --
        xor eax, eax
        jmp short .j1
        add eax, 1                      ; skipped
.j1:
        jmp near .j2
        times 200 db 0xCC
.j2:
        add eax, 2
        jmp short $+2                   ; to the next instruction
        jmp .j4
.j3:
        add eax, 4
        jmp .j5
.j4:
        jmp .j3                         ; backward
.j5:
        CHECK_EQ 'jmp.chain', eax, 6

        ; -------------------------------------------------------- jecxz --
        xor eax, eax
        xor ecx, ecx
        jecxz .z1
        or eax, 1
.z1:
        mov ecx, 1
        jecxz .z2
        or eax, 2
.z2:
        mov ecx, 0x10000                ; CX = 0 but ECX != 0
        jcxz .z3                        ; 67 E3
        or eax, 4
.z3:
        jecxz .z4
        or eax, 8
.z4:
        CHECK_EQ 'jecxz', eax, 0xa

        ; --------------------------------------------------------- loops --
        mov ecx, 100
        xor eax, eax
.l1:
        add eax, ecx
        loop .l1
        CHECK_EQ 'loop.sum', eax, 5050
        CHECK_EQ 'loop.ecx', ecx, 0

        mov esi, arr1                   ; loope: stops at the first mismatch
        mov edi, arr2
        mov ecx, 16
.l2:
        mov al, [esi]
        cmp al, [edi]
        lea esi, [esi + 1]
        lea edi, [edi + 1]
        loope .l2
        setz al
        movzx eax, al
        CHECK_EQ 'loope.ecx', ecx, 8
        CHECK_EQ 'loope.zf', eax, 0
        sub esi, arr1
        CHECK_EQ 'loope.idx', esi, 8

        mov esi, arr1                   ; loopne: search for 12
        mov ecx, 16
.l3:
        mov al, [esi]
        inc esi
        cmp al, 12
        loopne .l3
        setz al
        movzx eax, al
        CHECK_EQ 'loopne.ecx', ecx, 4
        CHECK_EQ 'loopne.zf', eax, 1

        mov ecx, 0x00010003             ; loop with CX (67 E2)
        xor eax, eax
.l4:
        inc eax
        loop .l4, cx
        CHECK_EQ 'loop.cx.count', eax, 3
        CHECK_EQ 'loop.cx.ecx', ecx, 0x00010000

        mov ecx, 0xffff0005             ; loope with CX
        xor eax, eax
.l5:
        inc eax
        cmp eax, eax
        loope .l5, cx
        CHECK_EQ 'loope.cx.count', eax, 5
        CHECK_EQ 'loope.cx.ecx', ecx, 0xffff0000

        stc                             ; loop leaves flags alone
        mov ecx, 3
.l6:
        loop .l6
        setc al
        movzx eax, al
        CHECK_EQ 'loop.flags', eax, 1

        ; ------------------------------------------------------ recursion --
        mov eax, 20
        call fib
        CHECK_EQ 'fib20', eax, 6765
        mov eax, 2
        mov ebx, 3
        call ack
        CHECK_EQ 'ack(2,3)', eax, 9
        mov eax, 3
        mov ebx, 3
        call ack
        CHECK_EQ 'ack(3,3)', eax, 61
        mov eax, 3
        mov ebx, 5
        call ack
        CHECK_EQ 'ack(3,5)', eax, 253
        REPORT 'ack.calls', dword [ack_calls]

        ; -------------------------------------------------- jump tables --
        xor esi, esi
        xor ecx, ecx
sw_loop:
        mov eax, ecx
        and eax, 7
        jmp [jtab + eax * 4]
sw_c0:  add esi, 1
        jmp sw_next
sw_c1:  xor esi, 0x55
        jmp sw_next
sw_c2:  lea esi, [esi * 2 + 3]
        jmp sw_next
sw_c3:  sub esi, ecx
        jmp sw_next
sw_c4:  ror esi, 3
        jmp sw_next
sw_c5:  not esi
        jmp sw_next
sw_c6:  add esi, 0x1000
        jmp sw_next
sw_c7:  imul esi, esi, 7
sw_next:
        rol esi, 1
        inc ecx
        cmp ecx, 1000
        jb sw_loop
        REPORT 'switch.jmp_mem', esi

        xor esi, esi                    ; jmp reg there, jmp reg back
        xor ecx, ecx
sw2_loop:
        mov eax, ecx
        imul eax, eax, 5
        and eax, 3
        mov eax, [jtab2 + eax * 4]
        mov edi, sw2_next
        jmp eax
sw2_c0: add esi, ecx
        jmp edi
sw2_c1: rol esi, 5
        jmp edi
sw2_c2: xor esi, 0x12345
        jmp edi
sw2_c3: lea esi, [esi + ecx * 8]
        jmp edi
sw2_next:
        inc ecx
        cmp ecx, 500
        jb sw2_loop
        REPORT 'switch.jmp_reg', esi

        mov eax, 1                      ; call [reg], call [table+i*4]
        xor ecx, ecx
.ct:
        mov ebx, ecx
        and ebx, 3
        lea ebx, [ftab + ebx * 4]
        call [ebx]
        mov edx, ecx
        shr edx, 2
        and edx, 3
        call [ftab + edx * 4]
        call [fptr]
        inc ecx
        cmp ecx, 300
        jb .ct
        REPORT 'call.indirect', eax
        mov eax, 5
        mov ecx, fn_c
        call ecx
        CHECK_EQ 'call.reg', eax, 0x5a5f

        ; ------------------------------------------------- computed returns --
        push dword .cr1
        ret
        times 16 db 0xCC
.cr1:
        xor eax, eax
        call ret_via_jmp
        CHECK_EQ 'ret.via.jmp', eax, 0x1357
        mov eax, 7
        call tail_outer
        CHECK_EQ 'tailcall', eax, 3021
        call inline_sum
        dd 4, 10, 20, 30, 40
        CHECK_EQ 'inline.sum', eax, 100
        call inline_sum
        dd 1, 0xdead
        CHECK_EQ 'inline.sum2', eax, 0xdead
        call $ + 5
.here:
        pop eax
        sub eax, .here
        CHECK_EQ 'call.next', eax, 0
        call get_pc_ebx
.here2:
        sub ebx, .here2
        CHECK_EQ 'pc.thunk', ebx, 0
        mov eax, 3
        call fn_d                       ; ends in rep ret
        CHECK_EQ 'rep.ret', eax, 0x180

        ; ----------------------------------------------- nops and pause --
        xor eax, eax
        pause
        nop
        db 0x66, 0x90                   ; xchg ax, ax
        db 0x0F, 0x1F, 0x00             ; nop dword [eax]
        db 0x0F, 0x1F, 0x40, 0x00
        db 0x0F, 0x1F, 0x44, 0x00, 0x00
        db 0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00
        db 0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00
        db 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00
        db 0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00
        inc eax
        CHECK_EQ 'nops', eax, 1

        ; ------------------------------------------- overlapping code --
        ; ov_code entered at +0: mov eax, 0x01EB4040 ; nop ; (continue)
        ;                 at +1: inc eax ; inc eax ; jmp +1 ; (continue)
        xor eax, eax
        call ov_code
        mov esi, eax
        xor eax, eax
        call ov_code + 1
        mov edi, eax
        xor eax, eax
        call ov_code
        mov ebx, eax
        CHECK_EQ 'overlap.0', esi, 0x01eb4041
        CHECK_EQ 'overlap.1', edi, 3
        CHECK_EQ 'overlap.0again', ebx, 0x01eb4041

        ; -------------------------------- loop across a page boundary --
        mov ecx, 1000
        xor eax, eax
        call page_cross_loop
        REPORT 'pagecross.loop', eax

        ; ------------------------------------------ calls across pages --
        xor eax, eax
        mov ecx, 1000
.pg:
        call page_fn_0
        dec ecx
        jnz .pg
        REPORT 'pages.calls', eax

        ; -------------------------------------------- 64-block jump chain --
        xor eax, eax
        mov ecx, 20000
        call chain_run
        REPORT 'chain', eax
        ret

; ================================================================ pieces ==
ov_code:
        db 0xB8                         ; mov eax, imm32 (imm = next 4 bytes)
        db 0x40                         ; inc eax
        db 0x40                         ; inc eax
        db 0xEB, 0x01                   ; jmp +1
        db 0x90                         ; nop
        inc eax
        ret

chain_run:                              ; 64 blocks visited in an LCG order
        jmp chain_0
%assign k 0
%rep 64
chain_%[k]:
        add eax, k * 3 + 1
        rol eax, 1
        dec ecx
        jz chain_out
%assign nx (k * 5 + 3) % 64
        jmp chain_%[nx]
%assign k k + 1
%endrep
chain_out:
        ret

; page_cross_loop: the loop starts 4 bytes before a page boundary; the
; 5-byte `mov edx, imm32` straddles it.
        align 4096, db 0xCC
        times 4096 - 12 db 0xCC
page_cross_loop:                        ; page offset 4084
        jmp short .start
        times 6 db 0xCC
.start:                                 ; page offset 4092
        add eax, ecx                    ; 2 bytes: 4092..4093
        mov edx, 0x12345678             ; 5 bytes: 4094..4098
        xor eax, edx
        rol eax, 3
        sub ecx, 1
        jnz .start
        ret

; eight functions on eight pages, calling each other in a chain
%assign k 0
%rep 8
        align 4096, db 0xCC
page_fn_%[k]:
        add eax, k + 1
        rol eax, k + 1
  %if k < 7
    %assign nx k + 1
        call page_fn_%[nx]
  %endif
        xor eax, ecx
        ret
%assign k k + 1
%endrep
