; fpu_sse.asm -- x87, MMX, SSE and SSE2.
;
; Guest mode first enables the FPU/SSE (ENABLE_FPU_SSE: CR0.MP=1, EM=0,
; TS=0, CR4.OSFXSR=1, OSXMMEXCPT=1, then fninit and MXCSR=0x1f80).  All
; floating-point exceptions stay masked, so nothing faults.
;
; Part 1, x87 groups: for every pair (a, b) from `dvals` (doubles incl.
;   zeros, denormals, infinities, NaN) the stub runs with ST0=a, ST1=b under
;   the group's control word and must leave exactly one value on the stack.
;   Folded: FSW after the stub, the 80-bit result, an optional second 80-bit
;   result (aux), EFLAGS & 0x8d5 (fcomi & co.) and the final TOP (must be 0).
; Part 2, x87 one-offs: constants, integer and BCD loads/stores under all
;   rounding modes, precision control, fxch, fcom/ftst/fxam status words,
;   fnsave/frstor and fxsave/fxrstor (only fields without instruction or
;   data pointers are printed).
; Part 3, SSE/SSE2/MMX groups: for every pair of 128-bit vectors from
;   `vecs` (floats, doubles and integers): XMM0=a, XMM1=b, XMM2=a,
;   MM0=low(a), MM1=low(b), EAX=b[0], MXCSR=group value.  Folded: XMM0,
;   MM0, EAX, EFLAGS & 0x8d5 and MXCSR after the stub.
; Raw bit patterns only; the host is the oracle (transcendentals and
; rcpps/rsqrtps included).
%include "harness.inc"

%define CW_NEAR 0x037f
%define CW_DOWN 0x077f
%define CW_UP   0x0b7f
%define CW_ZERO 0x0f7f
%define CW_PC24 0x007f
%define CW_PC53 0x027f

section .rodata
align 16
; ------------------------------------------------------------ x87 inputs --
dvals:  dd (dvals_end - dvals - 4) / 8
        dq 0.0, -0.0, 1.0, -1.0, 0.1, 3.0, -2.5, 2.5, 0.5
        dq 1.0e300, 1.0e-300
        dq 0x0000000000000001           ; smallest denormal
        dq 0x7ff0000000000000           ; +inf
        dq 0xfff0000000000000           ; -inf
        dq 0x7ff8000000000001           ; qNaN
        dq 123456.789, 1.0e18, 7.0
dvals_end:
one_d:  dd 1
        dq 2.0

; ------------------------------------------------------------ SSE inputs --
align 16
vecs:
        dd 1.0, -2.5, 3.0e38, 0x00000001                ; floats (denormal)
        dd 0.0, -0.0, 0x7f800000, 0x7fc00001            ; 0 -0 inf nan
        dd 0.1, 3.0, -1.5, 2.5
        dd 1.5, 0.5, -0.5, 1.0e-3
        dq 1.0, -3.5                                    ; doubles
        dq 1.0e300, 0x0000000000000123                  ; (denormal)
        dq 0x7ff0000000000000, 0x7ff8000000000000       ; inf, nan
        dq 2.5, 4503599627370497.0
        dd 0x7fff8000, 0x00ff01fe, 0x80000000, 0xffffffff ; integers
        dd 0x01020304, 0x05060708, 0x090a0b0c, 0x0d0e0f10
        dd 0x80808080, 0x7f7f7f7f, 0x00000001, 0xfffe0002
        dd 0x12345678, 0x9abcdef0, 0x0fedcba9, 0x87654321
vecs_end:
NVECS   equ (vecs_end - vecs) / 16

; x87 one-off inputs
rvals:  dq 2.5, -2.5, 3.5, -3.5, 1.4999999, -0.5, 0.5, 1.0e10, -3.0e9, 65535.7, 32767.5, -32768.6
rvals_end:
NRVALS  equ (rvals_end - rvals) / 8
three:  dq 3.0
ten:    dd 10.0
wint:   dw -12345
dint:   dd 987654321
qint:   dq -1234567890123456789
bcd:    dq 0x0000001234567890           ; packed BCD 1234567890 (10 bytes)
        dw 0
ext80:  dt 1.0e-4000                    ; only reachable in 80-bit
f32:    dd 1.0e-40                      ; single-precision denormal

section .data
align 16
g_stub: dd 0
g_name: dd 0
g_cw:   dd 0
g_mx:   dd 0
g_btab: dd 0
g_bn:   dd 0
g_ia:   dd 0
g_ib:   dd 0
g_sw:   dd 0
align 16
g_res:  times 4 dd 0
g_aux:  times 4 dd 0
g_out:  times 8 dd 0
g_mxout: dd 0
align 16
tmp:    times 32 dd 0
align 16
fxarea: times 512 db 0
fxarea2: times 512 db 0
savearea: times 108 db 0
        times 4 db 0
savearea2: times 108 db 0

section .text

; fold the 3 dwords of an 80-bit value at [ESI] (top dword masked)
fold80:
        push eax
        mov eax, [esi]
        call hash_fold
        mov eax, [esi + 4]
        call hash_fold
        movzx eax, word [esi + 8]
        call hash_fold
        pop eax
        ret

; --------------------------------------------------------- x87 driver --
; EBP = stub, ESI = name, EDX = control word, EDI = b table
run_x87:
        mov [g_stub], ebp
        mov [g_name], esi
        mov [g_cw], edx
        mov eax, [edi]
        mov [g_bn], eax
        add edi, 4
        mov [g_btab], edi
        call hash_reset
        fninit
        fldcw [g_cw]
        mov dword [g_ia], 0
.la:
        mov dword [g_ib], 0
.lb:
        fnclex
        mov esi, [g_ib]
        mov edi, [g_btab]
        fld qword [edi + esi * 8]
        mov esi, [g_ia]
        fld qword [dvals + 4 + esi * 8]
        xor eax, eax
        mov [g_aux], eax
        mov [g_aux + 4], eax
        mov [g_aux + 8], eax
        push dword 2
        popfd
        call [g_stub]
        pushfd
        fnstsw ax
        movzx eax, ax
        call hash_fold                  ; FSW after the stub
        fstp tword [g_res]
        mov esi, g_res
        call fold80
        mov esi, g_aux
        call fold80
        pop eax
        and eax, EFLAGS_ARITH
        call hash_fold
        fnstsw ax
        and eax, 0x3800                 ; TOP must be back to 0
        call hash_fold
        jz .balanced
        FAIL_NOW 'x87 stub left the register stack unbalanced'
.balanced:
        add dword [g_ib], 1
        mov eax, [g_ib]
        cmp eax, [g_bn]
        jb .lb
        add dword [g_ia], 1
        cmp dword [g_ia], (dvals_end - dvals - 4) / 8
        jb .la
        fninit
        mov esi, [g_name]
        call print_cstr
        call print_space
        mov eax, [hash_value]
        call print_hex32
        call print_newline
        ret

; XGROUP 'name', btable, cw ... XEND
%macro XGROUP 3
  %push xg
  %define %$name %1
  %define %$tab %2
  %define %$cw %3
        jmp %$after
%$stub:
%endmacro
%macro XEND 0
        ret
%$after:
  H_CSTR %$nm, %$name
        mov ebp, %$stub
        mov esi, %$nm
        mov edx, %$cw
        mov edi, %$tab
        call run_x87
  %pop
%endmacro

; --------------------------------------------------------- SSE driver --
; EBP = stub, ESI = name, EDX = MXCSR for the stub
run_sse:
        mov [g_stub], ebp
        mov [g_name], esi
        mov [g_mx], edx
        call hash_reset
        mov dword [g_ia], 0
.la:
        mov dword [g_ib], 0
.lb:
        mov esi, [g_ia]
        shl esi, 4
        mov edi, [g_ib]
        shl edi, 4
        movdqa xmm0, [vecs + esi]
        movdqa xmm1, [vecs + edi]
        movdqa xmm2, xmm0
        movq mm0, [vecs + esi]
        movq mm1, [vecs + edi]
        mov eax, [vecs + edi]
        ldmxcsr [g_mx]
        push dword 2
        popfd
        call [g_stub]
        pushfd
        stmxcsr [g_mxout]
        movdqu [g_out], xmm0
        movq [g_out + 16], mm0
        emms
        call hash_fold                  ; EAX
        pop eax
        and eax, EFLAGS_ARITH
        call hash_fold                  ; EFLAGS
        mov esi, g_out
        mov ecx, 24
        call hash_mem                   ; XMM0, MM0
        mov eax, [g_mxout]
        call hash_fold                  ; MXCSR
        add dword [g_ib], 1
        cmp dword [g_ib], NVECS
        jb .lb
        add dword [g_ia], 1
        cmp dword [g_ia], NVECS
        jb .la
        mov dword [tmp], 0x1f80
        ldmxcsr [tmp]
        mov esi, [g_name]
        call print_cstr
        call print_space
        mov eax, [hash_value]
        call print_hex32
        call print_newline
        ret

%macro SGROUP 2                         ; 'name', mxcsr
  %push sg
  %define %$name %1
  %define %$mx %2
        jmp %$after
%$stub:
%endmacro
%macro SEND 0
        ret
%$after:
  H_CSTR %$nm, %$name
        mov ebp, %$stub
        mov esi, %$nm
        mov edx, %$mx
        call run_sse
  %pop
%endmacro

; ================================================================ main ==
test_main:
        PUTSLN 'fpu_sse: x87, MMX, SSE, SSE2'
        ENABLE_FPU_SSE
        pxor xmm0, xmm0                 ; defined XMM contents for fxsave
        pxor xmm1, xmm1
        pxor xmm2, xmm2
        pxor xmm3, xmm3
        pxor xmm4, xmm4
        pxor xmm5, xmm5
        pxor xmm6, xmm6
        pxor xmm7, xmm7

        ; -------------------------------------------------- x87 binary --
        XGROUP 'faddp', dvals, CW_NEAR
        faddp st1, st0
        XEND
        XGROUP 'fsubp', dvals, CW_NEAR
        fsubp st1, st0
        XEND
        XGROUP 'fsubrp', dvals, CW_NEAR
        fsubrp st1, st0
        XEND
        XGROUP 'fmulp', dvals, CW_NEAR
        fmulp st1, st0
        XEND
        XGROUP 'fdivp', dvals, CW_NEAR
        fdivp st1, st0
        XEND
        XGROUP 'fdivrp', dvals, CW_NEAR
        fdivrp st1, st0
        XEND
        XGROUP 'fadd_st0', dvals, CW_NEAR
        fadd st0, st1
        fstp st1
        XEND
        XGROUP 'fdiv_down', dvals, CW_DOWN
        fdivp st1, st0
        XEND
        XGROUP 'fdiv_up', dvals, CW_UP
        fdivp st1, st0
        XEND
        XGROUP 'fdiv_zero', dvals, CW_ZERO
        fdivp st1, st0
        XEND
        XGROUP 'fmul_pc24', dvals, CW_PC24
        fmulp st1, st0
        XEND
        XGROUP 'fdiv_pc53', dvals, CW_PC53
        fdivp st1, st0
        XEND
        XGROUP 'fadd_pc24_up', dvals, CW_PC24 | 0x800
        faddp st1, st0
        XEND
        XGROUP 'fprem', dvals, CW_NEAR
        fprem
        fstp st1
        XEND
        XGROUP 'fprem1', dvals, CW_NEAR
        fprem1
        fstp st1
        XEND
        XGROUP 'fscale', dvals, CW_NEAR
        fscale
        fstp st1
        XEND
        XGROUP 'fpatan', dvals, CW_NEAR
        fpatan
        XEND
        XGROUP 'fyl2x', dvals, CW_NEAR
        fyl2x
        XEND
        XGROUP 'fyl2xp1', dvals, CW_NEAR
        fyl2xp1
        XEND
        XGROUP 'fcom', dvals, CW_NEAR
        fcom st1
        fstp st1
        XEND
        XGROUP 'fcomp', dvals, CW_NEAR
        fcomp st1
        XEND
        XGROUP 'fucomp', dvals, CW_NEAR
        fucomp st1
        XEND
        XGROUP 'fcompp', dvals, CW_NEAR
        fcompp
        fldz
        XEND
        XGROUP 'fucompp', dvals, CW_NEAR
        fucompp
        fld1
        XEND
        XGROUP 'fcomi', dvals, CW_NEAR
        fcomi st0, st1
        fstp st1
        XEND
        XGROUP 'fucomi', dvals, CW_NEAR
        fucomi st0, st1
        fstp st1
        XEND
        XGROUP 'fcomip', dvals, CW_NEAR
        fcomip st0, st1
        XEND
        XGROUP 'fucomip', dvals, CW_NEAR
        fucomip st0, st1
        XEND
        XGROUP 'fcmov', dvals, CW_NEAR
        fucomi st0, st1
        fcmovb st0, st1
        fcmovnbe st0, st1
        fcmovu st0, st1
        fstp st1
        XEND
        XGROUP 'fcmov2', dvals, CW_NEAR
        fucomi st0, st1
        fcmove st0, st1
        fcmovnu st0, st1
        fstp st1
        XEND
        XGROUP 'fxch', dvals, CW_NEAR
        fxch
        fsub st0, st1
        fstp st1
        XEND
        XGROUP 'fmem_ops', dvals, CW_NEAR
        fadd qword [three]
        fmul dword [ten]
        fsubr qword [three]
        fdiv dword [ten]
        fiadd dword [dint]
        fimul word [wint]
        fisub word [wint]
        fidivr dword [dint]
        fstp st1
        XEND

        ; --------------------------------------------------- x87 unary --
        XGROUP 'fsqrt', one_d, CW_NEAR
        fsqrt
        fstp st1
        XEND
        XGROUP 'fsqrt_pc24', one_d, CW_PC24
        fsqrt
        fstp st1
        XEND
        XGROUP 'fsin', one_d, CW_NEAR
        fsin
        fstp st1
        XEND
        XGROUP 'fcos', one_d, CW_NEAR
        fcos
        fstp st1
        XEND
        XGROUP 'fsincos', one_d, CW_NEAR
        fsincos
        fnstsw ax
        test ah, 4                      ; C2: out of range, nothing pushed
        jnz %$oor
        fstp tword [g_aux]
%$oor:
        fstp st1
        XEND
        XGROUP 'fptan', one_d, CW_NEAR
        fptan
        fnstsw ax
        test ah, 4
        jnz %$oor
        fstp tword [g_aux]
%$oor:
        fstp st1
        XEND
        XGROUP 'f2xm1', one_d, CW_NEAR
        f2xm1
        fstp st1
        XEND
        XGROUP 'frndint', one_d, CW_NEAR
        frndint
        fstp st1
        XEND
        XGROUP 'frndint_down', one_d, CW_DOWN
        frndint
        fstp st1
        XEND
        XGROUP 'frndint_up', one_d, CW_UP
        frndint
        fstp st1
        XEND
        XGROUP 'frndint_zero', one_d, CW_ZERO
        frndint
        fstp st1
        XEND
        XGROUP 'fabs_fchs', one_d, CW_NEAR
        fabs
        fld st0
        fstp tword [g_aux]
        fchs
        fstp st1
        XEND
        XGROUP 'fxtract', one_d, CW_NEAR
        fxtract
        fstp tword [g_aux]
        fstp st1
        XEND
        XGROUP 'ftst_fxam', one_d, CW_NEAR
        ftst
        fnstsw ax
        mov [g_aux], ax
        fxam
        fnstsw ax
        mov [g_aux + 2], ax
        fstp st1
        XEND
        XGROUP 'fist_round', one_d, CW_NEAR
        fist dword [g_aux]
        fist word [g_aux + 4]
        fstp st1
        XEND
        XGROUP 'fistp_down', one_d, CW_DOWN
        fld st0
        fistp qword [g_aux]
        fstp st1
        XEND
        XGROUP 'fistp_zero', one_d, CW_ZERO
        fld st0
        fistp dword [g_aux]
        fld st0
        fistp word [g_aux + 4]
        fstp st1
        XEND
        XGROUP 'fst_sizes', one_d, CW_NEAR
        fst dword [g_aux]
        fst qword [g_aux + 4]
        fld dword [g_aux]
        fstp st2
        fstp st0
        XEND

        ; ------------------------------------------- x87 one-off checks --
        fninit
        HASH_RESET
        fld1
        call fold_st0_pop
        fldz
        call fold_st0_pop
        fldpi
        call fold_st0_pop
        fldl2e
        call fold_st0_pop
        fldl2t
        call fold_st0_pop
        fldlg2
        call fold_st0_pop
        fldln2
        call fold_st0_pop
        REPORT_HASH 'x87.constants'
        mov dword [tmp], CW_UP
        fldcw [tmp]
        HASH_RESET
        fldpi
        call fold_st0_pop
        fldl2e
        call fold_st0_pop
        fldln2
        call fold_st0_pop
        REPORT_HASH 'x87.constants_up'

        ; fist/fistp in every rounding mode
        HASH_RESET
        mov ebx, CW_NEAR
        call fist_all_rvals
        mov ebx, CW_DOWN
        call fist_all_rvals
        mov ebx, CW_UP
        call fist_all_rvals
        mov ebx, CW_ZERO
        call fist_all_rvals
        REPORT_HASH 'x87.fist_rounding'

        ; fild / fbld / fbstp / 80-bit and 32-bit memory
        fninit
        fild word [wint]
        fistp dword [tmp]
        REPORT 'fild16', dword [tmp]
        fild dword [dint]
        fchs
        fistp dword [tmp]
        REPORT 'fild32', dword [tmp]
        fild qword [qint]
        fistp qword [tmp]
        REPORT 'fild64.lo', dword [tmp]
        REPORT 'fild64.hi', dword [tmp + 4]
        fbld tword [bcd]
        fild dword [dint]
        faddp st1, st0
        fbstp tword [tmp]
        REPORT 'fbstp.0', dword [tmp]
        REPORT 'fbstp.1', dword [tmp + 4]
        movzx eax, word [tmp + 8]
        REPORT 'fbstp.2', eax
        fld tword [ext80]
        fld st0
        fstp qword [tmp]
        fstp tword [tmp + 8]
        REPORT 'ext80.dbl.lo', dword [tmp]
        REPORT 'ext80.dbl.hi', dword [tmp + 4]
        REPORT 'ext80.t0', dword [tmp + 8]
        REPORT 'ext80.t1', dword [tmp + 12]
        movzx eax, word [tmp + 16]
        REPORT 'ext80.t2', eax
        fld dword [f32]
        fmul dword [ten]
        fstp dword [tmp]
        REPORT 'f32.denormal', dword [tmp]

        ; precision control: 1/3 in single, double, extended
        HASH_RESET
        mov ebx, CW_PC24
        call third
        mov ebx, CW_PC53
        call third
        mov ebx, CW_NEAR
        call third
        REPORT_HASH 'x87.precision'
        fninit

        ; the register stack: 8 pushes, fxch, fincstp/fdecstp, ffree
        fninit
        HASH_RESET
        fld1
        fldpi
        fldz
        fld qword [three]
        fxch st2
        fxch st3
        fnstsw ax
        movzx eax, ax
        call hash_fold
        fincstp
        fdecstp
        fnstsw ax
        movzx eax, ax
        call hash_fold
        ffree st3
        fnstsw ax
        movzx eax, ax
        call hash_fold
        fstp tword [tmp]
        mov esi, tmp
        call fold80
        fstp tword [tmp]
        call fold80
        fstp tword [tmp]
        call fold80
        fstp st0                        ; the freed register
        fnstsw ax
        movzx eax, ax
        call hash_fold
        REPORT_HASH 'x87.stack'
        fninit
        fld1                            ; 9 pushes: stack overflow (masked)
        fld1
        fld1
        fld1
        fld1
        fld1
        fld1
        fld1
        fld1
        fnstsw ax
        movzx eax, ax
        REPORT 'x87.overflow.fsw', eax
        fstp qword [tmp]
        REPORT 'x87.overflow.val.hi', dword [tmp + 4]
        fninit
        fnstsw ax
        movzx eax, ax
        REPORT 'fninit.fsw', eax
        fnstcw [tmp]
        movzx eax, word [tmp]
        REPORT 'fninit.fcw', eax
        fwait

        ; fnsave / frstor, fxsave / fxrstor (pointer fields not printed)
        fninit
        mov dword [tmp], CW_DOWN
        fldcw [tmp]
        fldpi
        fld qword [three]
        fdiv st0, st1
        fnsave [savearea]               ; also re-initialises the FPU
        fnstcw [tmp]
        movzx eax, word [tmp]
        REPORT 'fnsave.then.fcw', eax
        frstor [savearea]
        fnsave [savearea2]
        frstor [savearea2]
        HASH_RESET
        movzx eax, word [savearea]      ; FCW
        call hash_fold
        movzx eax, word [savearea + 4]  ; FSW
        call hash_fold
        movzx eax, word [savearea + 8]  ; FTW
        call hash_fold
        mov esi, savearea + 28          ; 8 x 80-bit registers
        mov ecx, 80
        call hash_mem
        mov esi, savearea2 + 28
        mov ecx, 80
        call hash_mem
        REPORT_HASH 'fnsave'
        fstp qword [tmp]
        REPORT 'frstor.st0.hi', dword [tmp + 4]
        fstp qword [tmp]
        REPORT 'frstor.st1.hi', dword [tmp + 4]

        fninit
        mov dword [tmp], 0x3f80         ; MXCSR: RC=down, all masked
        ldmxcsr [tmp]
        fld1
        fldl2t
        movdqa xmm0, [vecs + 32]
        movdqa xmm7, [vecs + 160]
        fxsave [fxarea]
        fninit
        mov dword [tmp], 0x1f80
        ldmxcsr [tmp]
        pxor xmm0, xmm0
        pxor xmm7, xmm7
        fxrstor [fxarea]
        fxsave [fxarea2]
        HASH_RESET
        movzx eax, word [fxarea]        ; FCW
        call hash_fold
        movzx eax, word [fxarea + 2]    ; FSW
        call hash_fold
        movzx eax, byte [fxarea + 4]    ; abridged FTW
        call hash_fold
        mov eax, [fxarea + 24]          ; MXCSR
        call hash_fold
        mov esi, fxarea + 32            ; ST0-7 and XMM0-7
        mov ecx, 256
        call hash_mem
        movzx eax, word [fxarea2]
        call hash_fold
        movzx eax, word [fxarea2 + 2]
        call hash_fold
        movzx eax, byte [fxarea2 + 4]
        call hash_fold
        mov eax, [fxarea2 + 24]
        call hash_fold
        mov esi, fxarea2 + 32
        mov ecx, 256
        call hash_mem
        REPORT_HASH 'fxsave'
        stmxcsr [tmp]
        REPORT 'fxrstor.mxcsr', dword [tmp]
        movd eax, xmm7
        REPORT 'fxrstor.xmm7', eax
        fninit
        mov dword [tmp], 0x1f80
        ldmxcsr [tmp]

        ; -------------------------------------------------- SSE (float) --
        SGROUP 'movss_ld', 0x1f80
        movss xmm0, [vecs + edi]
        SEND
        SGROUP 'movss_rr', 0x1f80
        movss xmm0, xmm1
        SEND
        SGROUP 'movsd_rr', 0x1f80
        movsd xmm0, xmm1
        SEND
        SGROUP 'movups', 0x1f80
        movups xmm0, [vecs + edi + 4]
        movups [tmp + 4], xmm0
        movaps xmm0, [tmp]
        SEND
        SGROUP 'movhlps_lhps', 0x1f80
        movhlps xmm0, xmm1
        movlhps xmm2, xmm0
        movhps xmm0, [vecs + edi]
        movlps xmm0, [vecs + esi + 8]
        addps xmm0, xmm2
        SEND
        SGROUP 'addps', 0x1f80
        addps xmm0, xmm1
        SEND
        SGROUP 'subps', 0x1f80
        subps xmm0, xmm1
        SEND
        SGROUP 'mulps', 0x1f80
        mulps xmm0, xmm1
        SEND
        SGROUP 'divps', 0x1f80
        divps xmm0, xmm1
        SEND
        SGROUP 'sqrtps', 0x1f80
        sqrtps xmm0, xmm1
        SEND
        SGROUP 'maxps', 0x1f80
        maxps xmm0, xmm1
        SEND
        SGROUP 'minps', 0x1f80
        minps xmm0, xmm1
        SEND
        SGROUP 'rcpps', 0x1f80
        rcpps xmm0, xmm1
        SEND
        SGROUP 'rsqrtps', 0x1f80
        rsqrtps xmm0, xmm1
        SEND
        SGROUP 'addss', 0x1f80
        addss xmm0, xmm1
        SEND
        SGROUP 'divss_m', 0x1f80
        divss xmm0, [vecs + edi + 12]
        SEND
        SGROUP 'cmpps', 0x1f80
        cmpltps xmm0, xmm1
        cmpunordps xmm2, xmm1
        pxor xmm0, xmm2
        SEND
        SGROUP 'andps_orps', 0x1f80
        andps xmm0, xmm1
        orps xmm2, xmm1
        andnps xmm2, xmm0
        xorps xmm0, xmm2
        SEND
        SGROUP 'shufps', 0x1f80
        shufps xmm0, xmm1, 0x1b
        SEND
        SGROUP 'unpcklps', 0x1f80
        unpcklps xmm0, xmm1
        SEND
        SGROUP 'unpckhps', 0x1f80
        unpckhps xmm0, xmm1
        SEND
        SGROUP 'movmskps', 0x1f80
        movmskps eax, xmm0
        SEND
        SGROUP 'ucomiss', 0x1f80
        ucomiss xmm0, xmm1
        SEND
        SGROUP 'comiss', 0x1f80
        comiss xmm0, xmm1
        SEND
        SGROUP 'cvtsi2ss', 0x1f80
        cvtsi2ss xmm0, eax
        SEND
        SGROUP 'cvtss2si', 0x1f80
        cvtss2si eax, xmm0
        SEND
        SGROUP 'cvttss2si', 0x1f80
        cvttss2si eax, xmm0
        SEND

        ; ------------------------------------------------- SSE2 (double) --
        SGROUP 'movapd_movsd_m', 0x1f80
        movapd xmm0, [vecs + edi]
        movsd xmm0, [vecs + esi + 8]
        SEND
        SGROUP 'addpd', 0x1f80
        addpd xmm0, xmm1
        SEND
        SGROUP 'subpd', 0x1f80
        subpd xmm0, xmm1
        SEND
        SGROUP 'mulpd', 0x1f80
        mulpd xmm0, xmm1
        SEND
        SGROUP 'divpd', 0x1f80
        divpd xmm0, xmm1
        SEND
        SGROUP 'divsd', 0x1f80
        divsd xmm0, xmm1
        SEND
        SGROUP 'sqrtpd', 0x1f80
        sqrtpd xmm0, xmm1
        SEND
        SGROUP 'sqrtsd', 0x1f80
        sqrtsd xmm0, xmm1
        SEND
        SGROUP 'maxsd_minpd', 0x1f80
        maxsd xmm0, xmm1
        minpd xmm0, xmm2
        SEND
        SGROUP 'andpd_xorpd', 0x1f80
        andpd xmm0, xmm1
        xorpd xmm0, xmm2
        SEND
        SGROUP 'cmpsd', 0x1f80
        cmplesd xmm0, xmm1
        SEND
        SGROUP 'shufpd', 0x1f80
        shufpd xmm0, xmm1, 1
        SEND
        SGROUP 'unpckhpd', 0x1f80
        unpckhpd xmm0, xmm1
        SEND
        SGROUP 'movmskpd', 0x1f80
        movmskpd eax, xmm0
        SEND
        SGROUP 'ucomisd', 0x1f80
        ucomisd xmm0, xmm1
        SEND
        SGROUP 'comisd', 0x1f80
        comisd xmm0, xmm1
        SEND
        SGROUP 'cvtsi2sd', 0x1f80
        cvtsi2sd xmm0, eax
        SEND
        SGROUP 'cvtsi2sd_m', 0x1f80
        cvtsi2sd xmm0, dword [vecs + edi + 4]
        SEND
        SGROUP 'cvttsd2si', 0x1f80
        cvttsd2si eax, xmm0
        SEND
        SGROUP 'cvtsd2si', 0x1f80
        cvtsd2si eax, xmm0
        SEND
        SGROUP 'cvtss2sd', 0x1f80
        cvtss2sd xmm0, xmm1
        SEND
        SGROUP 'cvtsd2ss', 0x1f80
        cvtsd2ss xmm0, xmm1
        SEND
        SGROUP 'cvtdq2ps', 0x1f80
        cvtdq2ps xmm0, xmm1
        SEND
        SGROUP 'cvtps2dq', 0x1f80
        cvtps2dq xmm0, xmm1
        SEND
        SGROUP 'cvttps2dq', 0x1f80
        cvttps2dq xmm0, xmm1
        SEND
        SGROUP 'cvtdq2pd', 0x1f80
        cvtdq2pd xmm0, xmm1
        SEND
        SGROUP 'cvtpd2dq', 0x1f80
        cvtpd2dq xmm0, xmm1
        SEND
        SGROUP 'cvttpd2dq', 0x1f80
        cvttpd2dq xmm0, xmm1
        SEND
        SGROUP 'cvtps2pd', 0x1f80
        cvtps2pd xmm0, xmm1
        SEND
        SGROUP 'cvtpd2ps', 0x1f80
        cvtpd2ps xmm0, xmm1
        SEND

        ; ------------------------------------------------ rounding modes --
%macro ROUNDING 1                       ; mxcsr suffix-name
  SGROUP %strcat("addps.mx", %str(%1)), %1
        addps xmm0, xmm1
  SEND
  SGROUP %strcat("mulpd.mx", %str(%1)), %1
        mulpd xmm0, xmm1
  SEND
  SGROUP %strcat("divsd.mx", %str(%1)), %1
        divsd xmm0, xmm1
  SEND
  SGROUP %strcat("sqrtps.mx", %str(%1)), %1
        sqrtps xmm0, xmm1
  SEND
  SGROUP %strcat("cvtps2dq.mx", %str(%1)), %1
        cvtps2dq xmm0, xmm1
  SEND
  SGROUP %strcat("cvtsd2si.mx", %str(%1)), %1
        cvtsd2si eax, xmm1
  SEND
  SGROUP %strcat("cvtpd2ps.mx", %str(%1)), %1
        cvtpd2ps xmm0, xmm1
  SEND
%endmacro
        ROUNDING 0x3f80                 ; round down
        ROUNDING 0x5f80                 ; round up
        ROUNDING 0x7f80                 ; toward zero
        ROUNDING 0x9fc0                 ; nearest + FTZ + DAZ

        ; ------------------------------------------------- SSE2 integer --
        SGROUP 'movdqu_movd_movq', 0x1f80
        movdqu xmm0, [vecs + edi + 3]
        movd xmm2, eax
        movq xmm1, xmm0
        paddd xmm0, xmm2
        paddq xmm0, xmm1
        movd eax, xmm0
        SEND
        SGROUP 'pxor_pand_por', 0x1f80
        pxor xmm0, xmm1
        pand xmm2, xmm1
        pandn xmm2, xmm0
        por xmm0, xmm2
        SEND
        SGROUP 'paddq', 0x1f80
        paddq xmm0, xmm1
        SEND
        SGROUP 'psubq', 0x1f80
        psubq xmm0, xmm1
        SEND
        SGROUP 'paddb', 0x1f80
        paddb xmm0, xmm1
        SEND
        SGROUP 'paddw', 0x1f80
        paddw xmm0, xmm1
        SEND
        SGROUP 'paddd', 0x1f80
        paddd xmm0, xmm1
        SEND
        SGROUP 'paddusb', 0x1f80
        paddusb xmm0, xmm1
        SEND
        SGROUP 'paddsw', 0x1f80
        paddsw xmm0, xmm1
        SEND
        SGROUP 'psubusw', 0x1f80
        psubusw xmm0, xmm1
        SEND
        SGROUP 'psubsb', 0x1f80
        psubsb xmm0, xmm1
        SEND
        SGROUP 'pmuludq', 0x1f80
        pmuludq xmm0, xmm1
        SEND
        SGROUP 'pmullw', 0x1f80
        pmullw xmm0, xmm1
        SEND
        SGROUP 'pmulhw', 0x1f80
        pmulhw xmm0, xmm1
        SEND
        SGROUP 'pmulhuw', 0x1f80
        pmulhuw xmm0, xmm1
        SEND
        SGROUP 'pmaddwd', 0x1f80
        pmaddwd xmm0, xmm1
        SEND
        SGROUP 'psadbw', 0x1f80
        psadbw xmm0, xmm1
        SEND
        SGROUP 'pavgb_pavgw', 0x1f80
        pavgb xmm0, xmm1
        pavgw xmm0, xmm2
        SEND
        SGROUP 'pminmax', 0x1f80
        pminub xmm0, xmm1
        pmaxsw xmm0, xmm2
        pmaxub xmm2, xmm1
        pminsw xmm0, xmm2
        SEND
        SGROUP 'pshufd', 0x1f80
        pshufd xmm0, xmm1, 0x4e
        pshufd xmm2, xmm2, 0xb1
        paddd xmm0, xmm2
        SEND
        SGROUP 'pshuflw_hw', 0x1f80
        pshuflw xmm0, xmm1, 0x1b
        pshufhw xmm0, xmm0, 0x6c
        SEND
        SGROUP 'punpcklbw', 0x1f80
        punpcklbw xmm0, xmm1
        SEND
        SGROUP 'punpckhbw', 0x1f80
        punpckhbw xmm0, xmm1
        SEND
        SGROUP 'punpcklwd', 0x1f80
        punpcklwd xmm0, xmm1
        SEND
        SGROUP 'punpckhwd', 0x1f80
        punpckhwd xmm0, xmm1
        SEND
        SGROUP 'punpckldq', 0x1f80
        punpckldq xmm0, xmm1
        SEND
        SGROUP 'punpckhdq', 0x1f80
        punpckhdq xmm0, xmm1
        SEND
        SGROUP 'punpcklqdq', 0x1f80
        punpcklqdq xmm0, xmm1
        SEND
        SGROUP 'punpckhqdq', 0x1f80
        punpckhqdq xmm0, xmm1
        SEND
        SGROUP 'packuswb', 0x1f80
        packuswb xmm0, xmm1
        SEND
        SGROUP 'packsswb', 0x1f80
        packsswb xmm0, xmm1
        SEND
        SGROUP 'packssdw', 0x1f80
        packssdw xmm0, xmm1
        SEND
        SGROUP 'pcmpeqb', 0x1f80
        pcmpeqb xmm0, xmm1
        SEND
        SGROUP 'pcmpeqd', 0x1f80
        pcmpeqd xmm0, xmm1
        SEND
        SGROUP 'pcmpgtb', 0x1f80
        pcmpgtb xmm0, xmm1
        SEND
        SGROUP 'pcmpgtw', 0x1f80
        pcmpgtw xmm0, xmm1
        SEND
        SGROUP 'pcmpgtd', 0x1f80
        pcmpgtd xmm0, xmm1
        SEND
        SGROUP 'pmovmskb', 0x1f80
        pcmpeqb xmm0, xmm1
        pmovmskb eax, xmm0
        SEND
        SGROUP 'pmovmskb2', 0x1f80
        pmovmskb eax, xmm1
        SEND
        SGROUP 'pextrw_pinsrw', 0x1f80
        pextrw eax, xmm1, 5
        pinsrw xmm0, eax, 2
        pinsrw xmm0, word [vecs + edi + 6], 7
        SEND
        SGROUP 'psll_imm', 0x1f80
        psllw xmm0, 3
        pslld xmm1, 17
        psllq xmm2, 33
        paddq xmm0, xmm1
        paddq xmm0, xmm2
        SEND
        SGROUP 'psrl_imm', 0x1f80
        psrlw xmm0, 15
        psrld xmm1, 1
        psrlq xmm2, 63
        pxor xmm0, xmm1
        pxor xmm0, xmm2
        SEND
        SGROUP 'psra_imm', 0x1f80
        psraw xmm0, 4
        psrad xmm1, 31
        pxor xmm0, xmm1
        SEND
        SGROUP 'psll_xmm', 0x1f80
        movd xmm3, eax
        pand xmm3, [mask63]
        psllq xmm0, xmm3
        psrad xmm2, xmm3
        pxor xmm0, xmm2
        SEND
        SGROUP 'pslldq_psrldq', 0x1f80
        pslldq xmm0, 5
        psrldq xmm1, 11
        por xmm0, xmm1
        SEND

        ; ------------------------------------------------------------ MMX --
        SGROUP 'mmx_paddb', 0x1f80
        paddb mm0, mm1
        SEND
        SGROUP 'mmx_pmullw', 0x1f80
        pmullw mm0, mm1
        SEND
        SGROUP 'mmx_psubusb', 0x1f80
        psubusb mm0, mm1
        SEND
        SGROUP 'mmx_packsswb', 0x1f80
        packsswb mm0, mm1
        SEND
        SGROUP 'mmx_punpcklbw', 0x1f80
        punpcklbw mm0, mm1
        SEND
        SGROUP 'mmx_pcmpeqb_pand', 0x1f80
        movq mm2, mm0
        pcmpeqb mm2, mm1
        pand mm0, mm2
        pxor mm0, mm1
        SEND
        SGROUP 'mmx_psllq_movd', 0x1f80
        psllq mm0, 13
        psrlw mm1, 3
        por mm0, mm1
        movd eax, mm0
        SEND
        SGROUP 'mmx_pmaddwd_m', 0x1f80
        pmaddwd mm0, [vecs + edi + 8]
        movd mm3, eax
        paddd mm0, mm3
        SEND

        ; the x87 view after MMX + emms
        fninit
        movq mm0, [vecs + 128]
        fnstsw ax
        movzx eax, ax
        REPORT 'mmx.fsw', eax
        emms
        fld1
        fstp qword [tmp]
        REPORT 'after.emms.fld1.hi', dword [tmp + 4]
        stmxcsr [tmp]
        REPORT 'final.mxcsr', dword [tmp]
        ret

; ------------------------------------------------------------- helpers --
; fold_st0_pop: fold ST0 as 80-bit, pop
fold_st0_pop:
        push esi
        fstp tword [tmp]
        mov esi, tmp
        call fold80
        pop esi
        ret

; fist_all_rvals: EBX = control word.  fist/fistp every rvals entry as
; 16/32/64-bit and frndint it; fold results and FSW.
fist_all_rvals:
        fninit
        mov [tmp + 64], ebx
        fldcw [tmp + 64]
        xor ecx, ecx
.l:
        fnclex
        fld qword [rvals + ecx * 8]
        fist word [tmp]
        fist dword [tmp + 4]
        fld st0
        fistp qword [tmp + 8]
        frndint
        fstp qword [tmp + 16]
        fnstsw ax
        movzx eax, ax
        call hash_fold
        movzx eax, word [tmp]
        call hash_fold
        mov eax, [tmp + 4]
        call hash_fold
        mov eax, [tmp + 8]
        call hash_fold
        mov eax, [tmp + 12]
        call hash_fold
        mov eax, [tmp + 16]
        call hash_fold
        mov eax, [tmp + 20]
        call hash_fold
        inc ecx
        cmp ecx, NRVALS
        jb .l
        ret

; third: EBX = control word; fold 1/3, 2/3 and sqrt(2) as 80-bit values
third:
        fninit
        mov [tmp + 64], ebx
        fldcw [tmp + 64]
        fld1
        fdiv qword [three]
        call fold_st0_pop
        fld1
        fadd st0, st0
        fdiv qword [three]
        call fold_st0_pop
        fld1
        fadd st0, st0
        fsqrt
        call fold_st0_pop
        ret

section .rodata
align 16
mask63: dq 63, 0
