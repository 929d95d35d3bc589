; double_fault.asm -- #DF (vector 8, abort, error code 0).
;
; SDM vol. 3 6.15 "Interrupt 8—Double Fault Exception (#DF)", table 6-4
; (benign / contributory classes) and table 6-5 (conditions for a double
; fault): a contributory exception (#DE #TS #NP #SS #GP) raised while
; delivering a contributory exception becomes #DF with error code 0.  The
; saved CS:EIP of a #DF are undefined (not checked) and the handler must not
; return: the #DF hook here switches back to a saved stack and jumps to a
; recovery label instead of IRET.
;   1  #GP (mov ds, selector beyond the GDT limit), #GP gate not present:
;      #NP while delivering #GP -> #DF(0)
;   2  #DE (div by 0), #DE gate not present -> #DF(0)
;   3  #NP (mov ds, not-present segment), #NP gate not present -> #DF(0)
;   4  benign first exceptions are handled serially, no #DF: #UD / #BR with
;      their gates not present -> #NP(vector*8 + 2 + EXT=1) at the faulting
;      instruction
%include "harness.inc"
%include "system.inc"

section .data
align 4
df_esp:         dd 0
df_cont:        dd 0
bnd_pair:       dd 10, 20

section .text

; #DF hook: never returns to the faulting context
df_hook:
        mov esp, [df_esp]
        jmp [df_cont]

; DF_SETUP recovery_label
%macro DF_SETUP 1
        mov [df_esp], esp
        mov dword [df_cont], %1
        EXC_ARM 0
%endmacro

; DF_CHECK 'name': exactly one event, #DF with error code 0
%macro DF_CHECK 1
        push eax
        mov eax, [sys_int_count]
        sub eax, [sys_armed_count]
  %strcat sys_lbl_ %1, '.vec'
        CHECK_EQ sys_lbl_, dword [sys_last_vec], 8
  %strcat sys_lbl_ %1, '.err'
        CHECK_EQ sys_lbl_, dword [sys_last_err], 0
  %strcat sys_lbl_ %1, '.count'
        CHECK_EQ sys_lbl_, eax, 1
        pop eax
%endmacro

test_main:
        PUTSLN 'double_fault: contributory + contributory = #DF(0)'
        SYS_INIT
        SET_HOOK 8, df_hook

        PUTSLN '--- 1: #GP with the #GP gate not present'
        SET_GATE_STUB 13, GATE_INT & GATE_NP
        DF_SETUP .c1
        mov ax, SEL_BEYOND
        mov ds, ax
        PUTSLN 'FAIL: no exception'
        call count_failure
.c1:
        SET_GATE_STUB 13, GATE_INT
        DF_CHECK '#GP->#NP: #DF'

        PUTSLN '--- 2: #DE with the #DE gate not present'
        SET_GATE_STUB 0, GATE_INT & GATE_NP
        DF_SETUP .c2
        xor ecx, ecx
        xor edx, edx
        mov eax, 1
        div ecx
        PUTSLN 'FAIL: no exception'
        call count_failure
.c2:
        SET_GATE_STUB 0, GATE_INT
        DF_CHECK '#DE->#NP: #DF'

        PUTSLN '--- 3: #NP with the #NP gate not present'
        SET_DESC SEL_SPARE0, 0, 0xFFFFF, DESC_DATA0 & DESC_NP
        SET_GATE_STUB 11, GATE_INT & GATE_NP
        DF_SETUP .c3
        mov ax, SEL_SPARE0
        mov es, ax
        PUTSLN 'FAIL: no exception'
        call count_failure
.c3:
        SET_GATE_STUB 11, GATE_INT
        DF_CHECK '#NP->#NP: #DF'

        PUTSLN '--- 4: benign first exception: no #DF'
        SET_GATE_STUB 6, GATE_INT & GATE_NP
        DF_SETUP .c4
        EXC_ARM .ud_resume
.ud_insn:
        ud2
.ud_resume:
        SET_GATE_STUB 6, GATE_INT
        EXC_CHECK '#UD->#NP (no #DF)', 11, 6 * 8 + 2 + 1, .ud_insn
        jmp .c4_done
.c4:
        PUTSLN 'FAIL: #DF instead of #NP'
        call count_failure
.c4_done:
        SET_GATE_STUB 5, GATE_INT & GATE_NP
        DF_SETUP .c5
        mov eax, 30
        EXC_ARM .br_resume
.br_insn:
        bound eax, [bnd_pair]
.br_resume:
        SET_GATE_STUB 5, GATE_INT
        EXC_CHECK '#BR->#NP (no #DF)', 11, 5 * 8 + 2 + 1, .br_insn
        jmp .c5_done
.c5:
        PUTSLN 'FAIL: #DF instead of #NP'
        call count_failure
.c5_done:
        ret
