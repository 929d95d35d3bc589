; rings.asm -- privilege levels: ring 3 entry/exit, the TSS stack switch,
; privileged instructions, IOPL, POPF/IRET flag rules, far transfers,
; descriptor-inspection instructions, #TS/#SS on a bad TSS stack.
;
; Expected values from the Intel SDM: vol. 3 ch. 5 (protection), 6.12.1
; (exception/interrupt procedures: stack switch, frame layout), 7.2 (TSS),
; and the vol. 2 pages of IRET, POPF, INT n, CALL/RET far, LAR, LSL,
; VERR/VERW, ARPL, STR/SLDT/SGDT/SIDT/SMSW, LTR.
;   A  LTR marks the TSS busy (access 0x89 -> 0x8B), LTR of a busy TSS ->
;      #GP(sel), STR, SGDT, SIDT, SLDT (after lldt 0), SMSW = CR0[15:0]
;   B  IRET to ring 3 (CS 0x1B, SS 0x23, ESP from the frame; DS/ES/GS with
;      DPL-0 selectors become null, FS with a DPL-3 selector is kept);
;      int 0x41 (DPL-3 gate) from ring 3: handler at CS 0x08 SS 0x10 (TSS.SS0)
;      with the frame EIP CS EFLAGS ESP SS at TSS.ESP0 - 20; IRET back to
;      ring 3 restores CS EFLAGS ESP
;   C  at CPL 3, IOPL 0: cli sti hlt in out ins outs lgdt lidt lldt ltr
;      mov cr/dr, wrmsr rdmsr rdpmc clts invd wbinvd invlpg lmsw -> #GP(0)
;      (fault: EIP of the instruction, pushed CS 0x1B, SS:ESP of ring 3);
;      int 0x42 / int3 / into through DPL-0 gates -> #GP(vector*8+2);
;      INT1 through a DPL-0 gate -> #DB (no DPL check); ud2 -> #UD
;   D  IOPL 3: cli sti in out at CPL 3 work (this test prints from ring 3)
;   E  POPF at CPL 3: IOPL 0 -> IF and IOPL unchanged, no fault; IOPL 3 ->
;      IF changes, IOPL does not; same-level IRET at CPL 3 likewise
;   E0 POPFD/POPF at CPL 0 load CF PF AF ZF SF DF OF, all together, none,
;      and OF, CF, DF each alone; PUSHFD/PUSHF store them unchanged
;   F  far call/jmp/retf within ring 3; far call to the ring-0 code
;      segment -> #GP(0x08); RETF from ring 0 to ring 3 (outer level: SS:ESP
;      popped, DPL-0 DS nulled)
;   G  LAR LSL VERR VERW on 0x08 0x10 0x1B 0x23 0x28 0x00 0x70 0x13 at
;      CPL 0 and CPL 3 (LAR masked with 0x00F0FF00: bits 16-19 are
;      undefined; ZF=0 leaves the destination unchanged: 0x0000DEAD)
;   H  ARPL at CPL 0 and 3
;   I  #TS/#SS on the stack switch: an INT from ring 3 through a DPL-3 gate
;      to a RING-1 code segment, TSS.SS1 = null -> #TS(0), wrong DPL /
;      beyond limit / code / RPL != 1 -> #TS(sel), not present -> #SS(sel);
;      a valid SS1 runs the ring-1 handler at ESP1 - 20.  (With a broken
;      SS0 instead, delivering the #TS to ring 0 would need SS0 again:
;      #TS -> #DF -> triple fault; that is triple_fault.asm -DVIA_TSS.)
%include "harness.inc"
%include "system.inc"

section .data
align 4
gdtr_buf:       dw 0, 0, 0, 0
idtr_buf:       dw 0, 0, 0, 0
r3_cs:          dd 0
r3_ss:          dd 0
r3_ds:          dd 0
r3_es:          dd 0
r3_fs:          dd 0
r3_gs:          dd 0
r3_esp0:        dd 0
r3_esp_at_int:  dd 0
r3_cs2:         dd 0
r3_flags2:      dd 0
r3_esp2:        dd 0
h_cs:           dd 0
h_ss:           dd 0
iopl_if0:       dd 0
iopl_if1:       dd 0
iopl_lsr:       dd 0
popf_r1:        dd 0
popf_r2:        dd 0
popf_r3:        dd 0
far_cs:         dd 0
far_eip:        dd 0
far_jmp_cs:     dd 0
r1_cs:          dd 0
r1_ss:          dd 0
r1_esp:         dd 0
r1_pcs:         dd 0
r1_pesp:        dd 0
r1_pss:         dd 0
r1_back:        dd 0
ins_buf:        dd 0, 0

; LAR/LSL/VERR/VERW results: [ring][selector][4 dwords]
NPROBE          equ 8
probe_sels:     dd 0x08, 0x10, 0x1B, 0x23, 0x28, 0x00, SEL_BEYOND, 0x13
probe_r0:       times NPROBE * 4 dd 0
probe_r3:       times NPROBE * 4 dd 0

section .bss
alignb 16
r1_stack:       resb 4096
r1_stack_top:

section .text

; set_of: OF = 1 (callable from ring 3)
set_of:
        mov al, 0x7f
        add al, 1
        ret

; hook for int 0x41 in part B: record the handler's CS and SS
hook_41:
        xor eax, eax
        mov ax, cs
        mov [h_cs], eax
        mov ax, ss
        mov [h_ss], eax
        ret

; probe_sel: ESI = selector, EDI -> 4 dwords: LAR (masked), LSL, VERR ZF,
; VERW ZF.  ZF=0 for LAR/LSL stores the untouched destination (0xDEAD).
; Runs at any CPL (memory through DS/ES).
probe_sel:
        mov eax, 0xDEAD
        lar eax, si
        jnz .lar_done
        and eax, 0x00F0FF00
.lar_done:
        mov [edi], eax
        mov eax, 0xDEAD
        lsl eax, si
        mov [edi + 4], eax
        xor eax, eax
        verr si
        setz al
        mov [edi + 8], eax
        xor eax, eax
        verw si
        setz al
        mov [edi + 12], eax
        ret

; probe_all: EDI -> NPROBE * 4 dwords
probe_all:
        xor ebx, ebx
.loop:
        mov esi, [probe_sels + ebx * 4]
        call probe_sel
        add edi, 16
        add ebx, 1
        cmp ebx, NPROBE
        jb .loop
        ret

; PROBE_CHECK 'ring sel', table, index, lar, lsl, verr, verw
%macro PROBE_CHECK 7
  %strcat sys_lbl_ %1, ' lar'
        CHECK_EQ sys_lbl_, dword [%2 + (%3) * 16], %4
  %strcat sys_lbl_ %1, ' lsl'
        CHECK_EQ sys_lbl_, dword [%2 + (%3) * 16 + 4], %5
  %strcat sys_lbl_ %1, ' verr.zf'
        CHECK_EQ sys_lbl_, dword [%2 + (%3) * 16 + 8], %6
  %strcat sys_lbl_ %1, ' verw.zf'
        CHECK_EQ sys_lbl_, dword [%2 + (%3) * 16 + 12], %7
%endmacro

; ring-3 code of part B (entered with DS ES GS = 0x10, FS = 0x23)
r3_basic:
        xor eax, eax
        mov ax, cs
        xor ebx, ebx
        mov bx, ds
        xor ecx, ecx
        mov cx, es
        xor edx, edx
        mov dx, fs
        xor esi, esi
        mov si, gs
        xor edi, edi
        mov di, ss
        mov ebp, SEL_UDATA | 3
        mov ds, bp
        mov es, bp
        mov [r3_cs], eax
        mov [r3_ds], ebx
        mov [r3_es], ecx
        mov [r3_fs], edx
        mov [r3_gs], esi
        mov [r3_ss], edi
        mov [r3_esp0], esp
        push dword 0x8D7                ; arithmetic flags, IF=0
        popfd
        mov [r3_esp_at_int], esp
        int SYS_VEC_USER
.after:
        pushfd
        pop dword [r3_flags2]
        mov [r3_esp2], esp
        xor eax, eax
        mov ax, cs
        mov [r3_cs2], eax
        RING0
r3_basic_after equ r3_basic.after

; part D: IOPL 3
r3_iopl3:
        cli
        pushfd
        pop eax
        and eax, EFL_IF
        mov [iopl_if0], eax
        sti
        pushfd
        pop eax
        and eax, EFL_IF
        mov [iopl_if1], eax
        cli
        mov dx, 0x3FD
        in al, dx
        movzx eax, al
        and eax, 0x20
        mov [iopl_lsr], eax
        PUTSLN 'ring3 (IOPL 3): this line is printed by out at CPL 3'
        RING0

; part E: POPF / IRET at CPL 3 with IOPL 0 (entered with IF=1)
r3_popf:
        push dword EFL_IOPL3 | 0x8D7    ; IOPL 3, IF 0, arithmetic flags
        popfd
        pushfd
        pop dword [popf_r1]
        push dword EFL_IOPL3 | 2        ; same-level IRET image: IOPL 3, IF 0
        push dword SEL_UCODE | 3
        push dword .iret_target
        iretd
        mov eax, 0xbad
.iret_target:
        pushfd
        pop dword [popf_r2]
        RING0

; part E: POPF at CPL 3 with IOPL 3 (entered with IF=1)
r3_popf_iopl3:
        push dword 2                    ; IOPL 0, IF 0
        popfd
        pushfd
        pop dword [popf_r3]
        RING0

; part F: far call / far jmp inside ring 3
r3_far:
        call (SEL_UCODE | 3):r3_far_callee
.ret_here:
        mov [far_cs], eax
        mov [far_eip], ebx
        jmp (SEL_UCODE | 3):.jmp_target
        mov eax, 0xbad
.jmp_target:
        xor eax, eax
        mov ax, cs
        mov [far_jmp_cs], eax
        RING0
r3_far_ret_here equ r3_far.ret_here

r3_far_callee:
        movzx eax, word [esp + 4]
        mov ebx, [esp]
        retf

; part F: RETF from ring 0 to ring 3.  Like sys_enter_ring3, but with RETF.
enter_ring3_retf:
        pushfd
        push ebx
        push esi
        push edi
        push ebp
        mov [sys_r0_resume_esp], esp
        push dword SEL_UDATA | 3
        push dword sys_r3_stack_top - 64
        push dword SEL_UCODE | 3
        push dword r3_after_retf
        retf

r3_after_retf:                          ; DS ES FS GS still hold 0x10 -> null
        xor eax, eax
        mov ax, cs
        xor ebx, ebx
        mov bx, ds
        xor ecx, ecx
        mov cx, ss
        mov edx, esp
        RING0

; part G at ring 3
r3_probe:
        mov edi, probe_r3
        call probe_all
        RING0

; part H at ring 3
r3_arpl:
        mov ax, 0x0010
        mov bx, 0x0003
        arpl ax, bx
        setz cl
        movzx ecx, cl
        movzx eax, ax
        mov dx, 0x0013
        mov bx, 0x0001
        arpl dx, bx
        setz bl
        movzx ebx, bl
        movzx edx, dx
        RING0

; part I: ring 3 issues int 0x50 (DPL-3 gate to ring-1 code)
r3_int50:
        mov dword [sys_resume_eip], .after
.insn:
        int 0x50
.after:
        RING0
r3_int50_insn equ r3_int50.insn

r3_int50_ok:
        int 0x50
        mov dword [r1_back], 1
        RING0

; ring-1 handler of vector 0x50 (CS 0x31, SS from TSS.SS1)
r1_handler:
        mov [r1_esp], esp               ; DS = ring 3's 0x23 (DPL 3): usable
        xor eax, eax
        mov ax, cs
        mov [r1_cs], eax
        mov ax, ss
        mov [r1_ss], eax
        movzx eax, word [esp + 4]
        mov [r1_pcs], eax
        mov eax, [esp + 12]
        mov [r1_pesp], eax
        movzx eax, word [esp + 16]
        mov [r1_pss], eax
        iretd

; TS_CASE 'name', ss1, vector, error
%macro TS_CASE 4
        mov dword [sys_tss + TSS_SS1], %2
        EXC_ARM 0
        ENTER_RING3 r3_int50
        EXC_CHECK %1, %3, %4, r3_int50_insn
  %strcat sys_lbl_ %1, '.cs'
        CHECK_EQ sys_lbl_, dword [sys_last_cs], SEL_UCODE | 3
%endmacro

test_main:
        PUTSLN 'rings: ring 3, TSS stack switch, privileged instructions, IOPL'
        SYS_INIT
        call pic_init                   ; all IRQs masked: IF=1 is harmless

        ; ------------------------------------------------------ E0 ----
        PUTSLN '--- E0: POPF/PUSHF carry CF PF AF ZF SF DF OF'
%macro POPF_ROUND 3                     ; name, bits to set of 0xCD5, 16-bit?
        pushfd
        pop esi
        and esi, ~0xCD5
        or esi, %2
%if %3
        push si
        popfw
        pushfw
        cld                             ; the checks print with string ops
        pop cx
        movzx ecx, cx
%else
        push esi
        popfd
        pushfd
        cld
        pop ecx
%endif
        and ecx, 0xCD5
        CHECK_EQ %1, ecx, %2
%endmacro
        POPF_ROUND 'popfd all seven set', 0xCD5, 0
        POPF_ROUND 'popfd none set', 0, 0
        POPF_ROUND 'popfd OF alone', 0x800, 0
        POPF_ROUND 'popfd CF alone', 0x001, 0
        POPF_ROUND 'popfd DF alone', 0x400, 0
        POPF_ROUND 'popfd SF ZF PF', 0x0C4, 0
        POPF_ROUND 'popf (16) all seven set', 0xCD5, 1
        POPF_ROUND 'popf (16) OF AF alone', 0x810, 1

        ; ------------------------------------------------------- A ----
        PUTSLN '--- A: LTR busy bit, STR SGDT SIDT SLDT SMSW'
        movzx eax, byte [sys_gdt + SEL_TSS + 5]
        CHECK_EQ 'ltr.tss access byte (busy)', eax, 0x8B
        mov eax, 0xffffffff
        str ax
        and eax, 0xffff
        CHECK_EQ 'str', eax, SEL_TSS
        mov ax, SEL_TSS
        EXC_ARM .ltr_resume
.ltr_insn:
        ltr ax
.ltr_resume:
        EXC_CHECK 'ltr busy tss -> #GP(sel)', 13, SEL_TSS, .ltr_insn
        sgdt [gdtr_buf]
        movzx eax, word [gdtr_buf]
        CHECK_EQ 'sgdt.limit', eax, SYS_GDT_LIMIT
        CHECK_EQ 'sgdt.base', dword [gdtr_buf + 2], sys_gdt
        sidt [idtr_buf]
        movzx eax, word [idtr_buf]
        CHECK_EQ 'sidt.limit', eax, 0x7FF
        CHECK_EQ 'sidt.base', dword [idtr_buf + 2], sys_idt
        xor eax, eax
        lldt ax
        mov eax, 0xffffffff
        sldt ax
        and eax, 0xffff
        CHECK_EQ 'sldt (after lldt 0)', eax, 0
        mov ebx, cr0
        and ebx, 0xffff
        mov eax, 0xffffffff
        smsw ax
        and eax, 0xffff
        CHECK_EQ 'smsw = cr0[15:0]', eax, ebx
        and eax, 1
        CHECK_EQ 'smsw.PE', eax, 1

        ; ------------------------------------------------------- B ----
        PUTSLN '--- B: IRET to ring 3, INT to ring 0 through the TSS, IRET back'
        SET_HOOK SYS_VEC_USER, hook_41
        mov ax, SEL_UDATA | 3
        mov fs, ax                      ; DPL 3: survives the IRET
        EXC_ARM 0
        ENTER_RING3_KEEPSEG r3_basic
        CLEAR_HOOK SYS_VEC_USER
        CHECK_EQ 'ring3.cs', dword [r3_cs], SEL_UCODE | 3
        CHECK_EQ 'ring3.ss', dword [r3_ss], SEL_UDATA | 3
        CHECK_EQ 'ring3.esp (from the iret frame)', dword [r3_esp0], sys_r3_stack_top
        CHECK_EQ 'ring3.ds (DPL 0 -> null)', dword [r3_ds], 0
        CHECK_EQ 'ring3.es (DPL 0 -> null)', dword [r3_es], 0
        CHECK_EQ 'ring3.fs (DPL 3 kept)', dword [r3_fs], SEL_UDATA | 3
        CHECK_EQ 'ring3.gs (DPL 0 -> null)', dword [r3_gs], 0
        EXC_CHECK 'int 0x41 from ring3', SYS_VEC_USER, 0, r3_basic_after
        CHECK_EQ 'int 0x41 from ring3.pushed cs', dword [sys_last_cs], SEL_UCODE | 3
        CHECK_EQ 'int 0x41 from ring3.pushed eflags', dword [sys_last_eflags], 0x8D7
        CHECK_EQ 'int 0x41 from ring3.pushed esp', dword [sys_last_esp], dword [r3_esp_at_int]
        CHECK_EQ 'int 0x41 from ring3.pushed ss', dword [sys_last_ss], SEL_UDATA | 3
        CHECK_EQ 'int 0x41 from ring3.frame at ESP0-20', dword [sys_last_frame], sys_r0_stack_top - 20
        CHECK_EQ 'int 0x41 from ring3.handler cs', dword [h_cs], SEL_KCODE
        CHECK_EQ 'int 0x41 from ring3.handler ss (TSS.SS0)', dword [h_ss], SEL_KDATA
        CHECK_EQ 'iret to ring3.cs', dword [r3_cs2], SEL_UCODE | 3
        CHECK_EQ 'iret to ring3.eflags', dword [r3_flags2], 0x8D7
        CHECK_EQ 'iret to ring3.esp', dword [r3_esp2], dword [r3_esp_at_int]
        CHECK_EQ 'int 0x80 (back to ring 0).pushed cs', dword [sys_r3_exit_cs], SEL_UCODE | 3
        CHECK_EQ 'int 0x80 (back to ring 0).pushed ss', dword [sys_r3_exit_ss], SEL_UDATA | 3
        xor eax, eax
        mov ax, cs
        CHECK_EQ 'back in ring 0.cs', eax, SEL_KCODE

        ; ------------------------------------------------------- C ----
        PUTSLN '--- C: privileged instructions at CPL 3, IOPL 0 -> #GP(0)'
        R3_FAULT 'cpl3 cli', 13, 0, cli
        mov eax, [sys_last_esp]
        CHECK_EQ 'cpl3 cli.pushed esp', eax, sys_r3_stack_top
        CHECK_EQ 'cpl3 cli.pushed ss', dword [sys_last_ss], SEL_UDATA | 3
        CHECK_EQ 'cpl3 cli.frame at ESP0-20 (error code below)', dword [sys_last_frame], sys_r0_stack_top - 20
        R3_FAULT 'cpl3 sti', 13, 0, sti
        R3_FAULT 'cpl3 hlt', 13, 0, hlt
        R3_FAULT_S 'cpl3 in al,dx', 13, 0, {mov dx, 0x3FF}, in al, dx
        R3_FAULT_S 'cpl3 out dx,al', 13, 0, {mov dx, 0x3FF}, out dx, al
        R3_FAULT 'cpl3 in al,0x61', 13, 0, in al, 0x61
        R3_FAULT_S 'cpl3 out 0x61,al', 13, 0, {mov al, 0}, out 0x61, al
        R3_FAULT_S 'cpl3 insb', 13, 0, {mov edi, ins_buf}, insb
        R3_FAULT_S 'cpl3 outsb', 13, 0, {mov esi, ins_buf}, outsb
        R3_FAULT 'cpl3 lgdt', 13, 0, lgdt [sys_gdtr]
        R3_FAULT 'cpl3 lidt', 13, 0, lidt [sys_idtr]
        R3_FAULT_S 'cpl3 lldt', 13, 0, {xor eax, eax}, lldt ax
        R3_FAULT_S 'cpl3 ltr', 13, 0, {mov eax, SEL_TSS}, ltr ax
        R3_FAULT 'cpl3 mov eax,cr0', 13, 0, mov eax, cr0
        R3_FAULT_S 'cpl3 mov cr0,eax', 13, 0, {smsw eax}, mov cr0, eax
        R3_FAULT_S 'cpl3 mov cr3,eax', 13, 0, {xor eax, eax}, mov cr3, eax
        R3_FAULT 'cpl3 mov eax,cr4', 13, 0, mov eax, cr4
        R3_FAULT 'cpl3 mov eax,dr7', 13, 0, mov eax, dr7
        R3_FAULT_S 'cpl3 mov dr7,eax', 13, 0, {xor eax, eax}, mov dr7, eax
        R3_FAULT_S 'cpl3 wrmsr', 13, 0, {mov ecx, 0x10}, wrmsr
        R3_FAULT_S 'cpl3 rdmsr', 13, 0, {mov ecx, 0x10}, rdmsr
        R3_FAULT_S 'cpl3 rdpmc (CR4.PCE=0)', 13, 0, {xor ecx, ecx}, rdpmc
        R3_FAULT 'cpl3 clts', 13, 0, clts
        R3_FAULT 'cpl3 invd', 13, 0, invd
        R3_FAULT 'cpl3 wbinvd', 13, 0, wbinvd
        R3_FAULT 'cpl3 invlpg', 13, 0, invlpg [ins_buf]
        R3_FAULT_S 'cpl3 lmsw', 13, 0, {smsw ax}, lmsw ax
        PUTSLN '--- C: INT n from ring 3 through DPL-0 gates -> #GP(vector*8+2)'
        R3_FAULT 'cpl3 int 0x42 (DPL-0 gate)', 13, 0x42 * 8 + 2, int 0x42
        R3_FAULT 'cpl3 int3 (DPL-0 gate)', 13, 3 * 8 + 2, int3
        R3_FAULT 'cpl3 int 3 (DPL-0 gate)', 13, 3 * 8 + 2, int 3
        R3_FAULT_S 'cpl3 into OF=1 (DPL-0 gate)', 13, 4 * 8 + 2, {call set_of}, into
        PUTSLN '--- C: exceptions from ring 3 ignore the gate DPL'
        R3_TRAP 'cpl3 int1 (DPL-0 gate, no DPL check)', 1, int1
        R3_FAULT 'cpl3 ud2', 6, 0, ud2
        SET_GATE_STUB 3, GATE_INT | GATE_DPL3
        R3_TRAP 'cpl3 int3 (DPL-3 gate)', 3, int3
        SET_GATE_STUB 3, GATE_INT

        ; ------------------------------------------------------- D ----
        PUTSLN '--- D: IOPL 3: cli sti in out at CPL 3'
        EXC_ARM 0
        ENTER_RING3 r3_iopl3, EFL_IOPL3 | 2
        EXC_NONE 'iopl3 cli/sti/in/out (no fault)'
        CHECK_EQ 'iopl3 cli.IF', dword [iopl_if0], 0
        CHECK_EQ 'iopl3 sti.IF', dword [iopl_if1], EFL_IF
        CHECK_EQ 'iopl3 in 0x3FD.THRE', dword [iopl_lsr], 0x20

        ; ------------------------------------------------------- E ----
        PUTSLN '--- E: POPF / IRET at CPL 3'
        EXC_ARM 0
        ENTER_RING3 r3_popf, EFL_IF | 2
        EXC_NONE 'popf/iret cpl3 iopl0 (no fault)'
        CHECK_EQ 'popf cpl3 iopl0: IF, IOPL kept', dword [popf_r1], EFL_IF | 0x8D7
        CHECK_EQ 'iret cpl3 iopl0: IF, IOPL kept', dword [popf_r2], EFL_IF | 2
        EXC_ARM 0
        ENTER_RING3 r3_popf_iopl3, EFL_IOPL3 | EFL_IF | 2
        EXC_NONE 'popf cpl3 iopl3 (no fault)'
        CHECK_EQ 'popf cpl3 iopl3: IF cleared, IOPL kept', dword [popf_r3], EFL_IOPL3 | 2

        ; ------------------------------------------------------- F ----
        PUTSLN '--- F: far call/jmp/retf'
        EXC_ARM 0
        ENTER_RING3 r3_far
        EXC_NONE 'far call/jmp in ring 3 (no fault)'
        CHECK_EQ 'callf ring3.pushed cs', dword [far_cs], SEL_UCODE | 3
        CHECK_EQ 'callf ring3.pushed eip', dword [far_eip], r3_far_ret_here
        CHECK_EQ 'jmpf ring3.cs', dword [far_jmp_cs], SEL_UCODE | 3
        R3_FAULT 'cpl3 call far 0x08:x (DPL 0 code)', 13, SEL_KCODE, call SEL_KCODE:r3_far_callee
        EXC_ARM 0
        call enter_ring3_retf
        EXC_NONE 'retf r0->r3 (no fault)'
        CHECK_EQ 'retf r0->r3.cs', dword [sys_r3_regs + R3_EAX], SEL_UCODE | 3
        CHECK_EQ 'retf r0->r3.ds (DPL 0 -> null)', dword [sys_r3_regs + R3_EBX], 0
        CHECK_EQ 'retf r0->r3.ss', dword [sys_r3_regs + R3_ECX], SEL_UDATA | 3
        CHECK_EQ 'retf r0->r3.esp', dword [sys_r3_regs + R3_EDX], sys_r3_stack_top - 64

        ; ------------------------------------------------------- G ----
        PUTSLN '--- G: LAR LSL VERR VERW (0x0000dead: ZF=0, destination unchanged)'
        mov edi, probe_r0
        call probe_all
        EXC_ARM 0
        ENTER_RING3 r3_probe
        EXC_NONE 'lar/lsl/verr/verw (no fault)'
        ; selector              LAR          LSL         VERR VERW
        PROBE_CHECK 'cpl0 sel 08', probe_r0, 0, 0x00C09B00, 0xFFFFFFFF, 1, 0
        PROBE_CHECK 'cpl0 sel 10', probe_r0, 1, 0x00C09300, 0xFFFFFFFF, 1, 1
        PROBE_CHECK 'cpl0 sel 1b', probe_r0, 2, 0x00C0FB00, 0xFFFFFFFF, 1, 0
        PROBE_CHECK 'cpl0 sel 23', probe_r0, 3, 0x00C0F300, 0xFFFFFFFF, 1, 1
        PROBE_CHECK 'cpl0 sel 28 (tss)', probe_r0, 4, 0x00008B00, 0x00000067, 0, 0
        PROBE_CHECK 'cpl0 sel 00', probe_r0, 5, 0xDEAD, 0xDEAD, 0, 0
        PROBE_CHECK 'cpl0 sel 70 (beyond)', probe_r0, 6, 0xDEAD, 0xDEAD, 0, 0
        PROBE_CHECK 'cpl0 sel 13 (RPL3>DPL0)', probe_r0, 7, 0xDEAD, 0xDEAD, 0, 0
        PROBE_CHECK 'cpl3 sel 08', probe_r3, 0, 0xDEAD, 0xDEAD, 0, 0
        PROBE_CHECK 'cpl3 sel 10', probe_r3, 1, 0xDEAD, 0xDEAD, 0, 0
        PROBE_CHECK 'cpl3 sel 1b', probe_r3, 2, 0x00C0FB00, 0xFFFFFFFF, 1, 0
        PROBE_CHECK 'cpl3 sel 23', probe_r3, 3, 0x00C0F300, 0xFFFFFFFF, 1, 1
        PROBE_CHECK 'cpl3 sel 28 (tss)', probe_r3, 4, 0xDEAD, 0xDEAD, 0, 0
        PROBE_CHECK 'cpl3 sel 00', probe_r3, 5, 0xDEAD, 0xDEAD, 0, 0
        PROBE_CHECK 'cpl3 sel 70 (beyond)', probe_r3, 6, 0xDEAD, 0xDEAD, 0, 0
        PROBE_CHECK 'cpl3 sel 13', probe_r3, 7, 0xDEAD, 0xDEAD, 0, 0

        ; ------------------------------------------------------- H ----
        PUTSLN '--- H: ARPL'
        mov ax, 0x0010
        mov bx, 0x0003
        arpl ax, bx
        setz cl
        movzx ecx, cl
        movzx eax, ax
        CHECK_EQ 'cpl0 arpl 0x10,3', eax, 0x13
        CHECK_EQ 'cpl0 arpl 0x10,3.zf', ecx, 1
        mov dx, 0x0013
        mov bx, 0x0001
        arpl dx, bx
        setz bl
        movzx ebx, bl
        movzx edx, dx
        CHECK_EQ 'cpl0 arpl 0x13,1', edx, 0x13
        CHECK_EQ 'cpl0 arpl 0x13,1.zf', ebx, 0
        ENTER_RING3 r3_arpl
        CHECK_EQ 'cpl3 arpl 0x10,3', dword [sys_r3_regs + R3_EAX], 0x13
        CHECK_EQ 'cpl3 arpl 0x10,3.zf', dword [sys_r3_regs + R3_ECX], 1
        CHECK_EQ 'cpl3 arpl 0x13,1', dword [sys_r3_regs + R3_EDX], 0x13
        CHECK_EQ 'cpl3 arpl 0x13,1.zf', dword [sys_r3_regs + R3_EBX], 0

        ; ------------------------------------------------------- I ----
        PUTSLN '--- I: #TS/#SS on the TSS stack switch (ring 3 -> ring 1)'
        SET_DESC SEL_SPARE0, 0, 0xFFFFF, 0xCBB         ; ring-1 code
        SET_DESC SEL_SPARE1, 0, 0xFFFFF, 0xCB3         ; ring-1 data
        SET_DESC SEL_SPARE2, 0, 0xFFFFF, 0xCB3 & DESC_NP ; not present
        SET_GATE 0x50, r1_handler, GATE_INT | GATE_DPL3, SEL_SPARE0
        mov dword [sys_tss + TSS_ESP1], r1_stack_top
        TS_CASE '#TS ss1=null', 0, 10, 0
        TS_CASE '#TS ss1=0x11 (DPL 0)', SEL_KDATA | 1, 10, SEL_KDATA
        TS_CASE '#TS ss1=0x71 (beyond limit)', SEL_BEYOND | 1, 10, SEL_BEYOND
        TS_CASE '#TS ss1=0x31 (code)', SEL_SPARE0 | 1, 10, SEL_SPARE0
        TS_CASE '#TS ss1=0x38 (RPL 0 != 1)', SEL_SPARE1, 10, SEL_SPARE1
        TS_CASE '#SS ss1=0x41 (not present)', SEL_SPARE2 | 1, 12, SEL_SPARE2
        PUTSLN '--- I: valid TSS.SS1: the ring-1 handler runs'
        mov dword [sys_tss + TSS_SS1], SEL_SPARE1 | 1
        mov dword [r1_back], 0
        EXC_ARM 0
        ENTER_RING3 r3_int50_ok
        EXC_NONE 'int 0x50 -> ring 1 (no fault)'
        CHECK_EQ 'ring1 handler.cs', dword [r1_cs], SEL_SPARE0 | 1
        CHECK_EQ 'ring1 handler.ss (TSS.SS1)', dword [r1_ss], SEL_SPARE1 | 1
        CHECK_EQ 'ring1 handler.esp (ESP1-20)', dword [r1_esp], r1_stack_top - 20
        CHECK_EQ 'ring1 handler.pushed cs', dword [r1_pcs], SEL_UCODE | 3
        CHECK_EQ 'ring1 handler.pushed esp', dword [r1_pesp], sys_r3_stack_top
        CHECK_EQ 'ring1 handler.pushed ss', dword [r1_pss], SEL_UDATA | 3
        CHECK_EQ 'ring1 iret -> ring 3 continues', dword [r1_back], 1
        ret
