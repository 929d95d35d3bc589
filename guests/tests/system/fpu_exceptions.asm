; fpu_exceptions.asm -- #NM, #MF, #XM (and the #UD cases of SSE).
;
; Expected values from the Intel SDM vol. 3: 2.5 (CR0.MP/EM/TS/NE,
; CR4.OSFXSR/OSXMMEXCPT), 6.15 (interrupts 7, 16, 19), 13.4/13.5 and
; vol. 1 8.7 (x87 exception delivery on the next waiting instruction),
; 11.5 (SIMD exceptions), and table 2-1 of vol. 3 ("Action taken for
; combinations of EM, MP, TS"):
;   #NM  CR0.TS=1: fld1 -> #NM (fault, EIP of fld1); the handler does CLTS
;        and returns: fld1 restarts and completes.  fwait with MP=1 TS=1
;        -> #NM; with MP=0 TS=1 -> nothing.  CR0.EM=1: fld1 -> #NM.
;        TS=1: addps -> #NM.  EM=1: addps -> #UD.  CR4.OSFXSR=0: addps -> #UD
;   #MF  CR0.NE=1, FCW with ZM clear, 1/0 with fdivp: nothing yet; the next
;        waiting instruction (fwait, or fld1) -> #MF (vector 16) with the
;        EIP of that instruction; FSW has ES and ZE; the handler's fnclex
;        lets the restarted instruction complete.  Non-waiting fnstsw and
;        fnclex do not raise it.
;   #XM  CR4.OSXMMEXCPT=1, MXCSR.ZM=0: divps/divss by 0 -> #XM (vector 19,
;        fault, EIP of the instruction), MXCSR.ZE set, destination not
;        written; the handler masks ZM and the restarted divps gives +inf.
;        With OSXMMEXCPT=0 the same unmasked exception is #UD.
%include "harness.inc"
%include "system.inc"

section .data
align 16
ones:           dd 1.0, 1.0, 1.0, 1.0
fval:           dd 0
mf_fsw:         dd 0
xm_mxcsr:       dd 0
xm_dest:        dd 0
mxcsr_val:      dd 0
cw_zm_unmasked: dw 0x037B               ; default 0x037F with ZM (bit 2) clear

section .text

nm_clts_hook:                           ; #NM: clear TS, restart
        clts
        ret

nm_cr0_hook:                            ; #NM: clear EM and TS, restart
        mov eax, cr0
        and eax, ~(CR0_EM | CR0_TS)
        mov cr0, eax
        ret

mf_hook:                                ; #MF: record FSW, clear, restart
        xor eax, eax
        fnstsw ax
        mov [mf_fsw], eax
        fnclex
        ret

xm_hook:                                ; #XM: record, mask everything, restart
        stmxcsr [xm_mxcsr]
        movd [xm_dest], xmm0
        mov dword [mxcsr_val], 0x1f80
        ldmxcsr [mxcsr_val]
        ret

%macro CR0_SET 1
        mov eax, cr0
        or eax, %1
        mov cr0, eax
%endmacro
%macro CR0_CLEAR 1
        mov eax, cr0
        and eax, ~(%1)
        mov cr0, eax
%endmacro
%macro CR4_SET 1
        mov eax, cr4
        or eax, %1
        mov cr4, eax
%endmacro
%macro CR4_CLEAR 1
        mov eax, cr4
        and eax, ~(%1)
        mov cr4, eax
%endmacro
%macro SET_MXCSR 1
        mov dword [mxcsr_val], %1
        ldmxcsr [mxcsr_val]
%endmacro

test_main:
        PUTSLN 'fpu_exceptions: #NM #MF #XM'
        SYS_INIT
        ENABLE_FPU_SSE                  ; MP=1 EM=0 TS=0, OSFXSR, OSXMMEXCPT
        CR0_SET CR0_NE

        ; ------------------------------------------------------- #NM --
        PUTSLN '--- #NM device not available: vector 7, fault'
        SET_HOOK 7, nm_clts_hook
        CR0_SET CR0_TS
        EXC_ARM 0
.nm1:
        fld1
        fstp dword [fval]
        EXC_CHECK '#NM fld1 TS=1', 7, 0, .nm1
        CHECK_EQ '#NM fld1 TS=1.restarted fld1 result', dword [fval], 0x3F800000
        mov eax, cr0
        and eax, CR0_TS
        CHECK_EQ '#NM fld1 TS=1.clts in handler', eax, 0
        EXC_ARM 0
        fld1
        fstp dword [fval]
        EXC_NONE 'fld1 TS=0'

        CR0_SET CR0_TS
        EXC_ARM 0
.nm2:
        fwait
        EXC_CHECK '#NM fwait MP=1 TS=1', 7, 0, .nm2
        CR0_CLEAR CR0_MP
        CR0_SET CR0_TS
        EXC_ARM 0
        fwait
        EXC_NONE 'fwait MP=0 TS=1'
        clts
        CR0_SET CR0_MP

        SET_HOOK 7, nm_cr0_hook
        CR0_SET CR0_EM
        EXC_ARM 0
.nm3:
        fld1
        fstp dword [fval]
        EXC_CHECK '#NM fld1 EM=1', 7, 0, .nm3
        CHECK_EQ '#NM fld1 EM=1.restarted fld1 result', dword [fval], 0x3F800000

        SET_HOOK 7, nm_clts_hook
        CR0_SET CR0_TS
        EXC_ARM 0
.nm4:
        addps xmm0, xmm1
        EXC_CHECK '#NM addps TS=1', 7, 0, .nm4
        CLEAR_HOOK 7

        PUTSLN '--- #UD for SSE with CR0.EM=1 or CR4.OSFXSR=0'
        CR0_SET CR0_EM
        EXC_ARM .ud1_resume
.ud1:
        addps xmm0, xmm1
.ud1_resume:
        CR0_CLEAR CR0_EM
        EXC_CHECK '#UD addps EM=1', 6, 0, .ud1
        CR4_CLEAR CR4_OSFXSR
        EXC_ARM .ud2_resume
.ud2:
        addps xmm0, xmm1
.ud2_resume:
        CR4_SET CR4_OSFXSR
        EXC_CHECK '#UD addps OSFXSR=0', 6, 0, .ud2

        ; ------------------------------------------------------- #MF --
        PUTSLN '--- #MF x87 error (CR0.NE=1): vector 16, on the next waiting insn'
        SET_HOOK 16, mf_hook
        fninit
        fldcw [cw_zm_unmasked]
        fld1
        fldz
        EXC_ARM 0
        fdivp st1, st0                  ; 1/0: ZE pending, no #MF yet
        EXC_NONE '#MF fdivp itself'
        EXC_ARM 0
.mf1:
        fwait
        EXC_CHECK '#MF fwait', 16, 0, .mf1
        mov eax, [mf_fsw]
        and eax, 0x84
        CHECK_EQ '#MF fwait.fsw ES|ZE', eax, 0x84
        xor eax, eax
        fnstsw ax
        and eax, 0x80
        CHECK_EQ '#MF fwait.ES clear after fnclex', eax, 0

        fninit
        fldcw [cw_zm_unmasked]
        fld1
        fldz
        fdivp st1, st0
        EXC_ARM 0
.mf2:
        fld1
        EXC_CHECK '#MF next x87 insn (fld1)', 16, 0, .mf2

        fninit
        fldcw [cw_zm_unmasked]
        fld1
        fldz
        fdivp st1, st0
        EXC_ARM 0
        xor eax, eax
        fnstsw ax
        fnclex
        EXC_NONE '#MF fnstsw/fnclex (no-wait)'
        and eax, 0x84
        CHECK_EQ '#MF fnstsw.fsw ES|ZE', eax, 0x84
        fninit
        CLEAR_HOOK 16

        ; ------------------------------------------------------- #XM --
        PUTSLN '--- #XM SIMD floating-point: vector 19, fault'
        SET_HOOK 19, xm_hook
        movaps xmm0, [ones]
        xorps xmm1, xmm1
        SET_MXCSR 0x1D80                ; ZM clear
        EXC_ARM 0
.xm1:
        divps xmm0, xmm1
        EXC_CHECK '#XM divps', 19, 0, .xm1
        mov eax, [xm_mxcsr]
        and eax, 0x3F
        CHECK_EQ '#XM divps.mxcsr flags (ZE)', eax, 0x4
        CHECK_EQ '#XM divps.destination unchanged', dword [xm_dest], 0x3F800000
        movd eax, xmm0
        CHECK_EQ '#XM divps.restarted with ZM masked: +inf', eax, 0x7F800000

        movaps xmm0, [ones]
        SET_MXCSR 0x1D80
        EXC_ARM 0
.xm2:
        divss xmm0, xmm1
        EXC_CHECK '#XM divss', 19, 0, .xm2
        CHECK_EQ '#XM divss.destination unchanged', dword [xm_dest], 0x3F800000
        CLEAR_HOOK 19

        PUTSLN '--- unmasked SIMD exception with CR4.OSXMMEXCPT=0 -> #UD'
        CR4_CLEAR CR4_OSXMMEXCPT
        movaps xmm0, [ones]
        SET_MXCSR 0x1D80
        EXC_ARM .ud3_resume
.ud3:
        divps xmm0, xmm1
.ud3_resume:
        SET_MXCSR 0x1f80
        CR4_SET CR4_OSXMMEXCPT
        EXC_CHECK '#UD divps OSXMMEXCPT=0', 6, 0, .ud3
        ret
