; exceptions.asm -- ring-0 exception and software-interrupt delivery.
;
; For every event: vector, error code, pushed EIP (fault: the faulting
; instruction, trap: the next one) and the number of events (exactly one).
; Expected values from the Intel SDM vol. 3, chapter 6 ("Interrupt and
; Exception Handling": table 6-1, 6.13 error code, 6.15 exception reference)
; and the vol. 2 pages of the instructions involved.
;   #DE  div/idiv by 0 and quotient overflow (fault, registers unchanged),
;        pushed CS and EFLAGS, RF=1 in the pushed EFLAGS of a fault
;   #DB  single step (TF set by POPF: the first trap follows the instruction
;        AFTER the popf, one trap per instruction, EIP = next instruction,
;        a taken jmp traps with EIP = target), INT1 (F1, trap)
;   #BP  int3 (CC) and int 3 (CD 03), trap
;   #OF  into with OF=1 (trap), into with OF=0 (nothing)
;   #BR  bound out of range (fault), in range (nothing), 16-bit bound
;   #UD  ud2, lock on a register operand, mov cs
;   #NP  data segment not present: #NP(selector & ~3); INT n / int3 through
;        a not-present gate: #NP(vector*8 + 2); an exception (ud2) through a
;        not-present gate: #NP(6*8 + 2 + EXT=1)
;   #SS  mov ss with a not-present writable data segment: #SS(selector)
;   #GP  selector beyond the GDT limit, system/exec-only/RPL>DPL selectors
;        in DS, null / read-only / DPL!=CPL selectors in SS, INT n beyond
;        the IDT limit (#GP(vector*8+2)), far jmp to a data segment
;   INT n (vector 0x40, DPL-0 gate, ring 0): no error code, EIP after the
;        instruction, 3 dwords pushed; IRET ring 0 -> ring 0 restores
;        EFLAGS/CS/EIP and pops 12 bytes
;   gate types: an interrupt gate clears IF, a trap gate does not; delivery
;        clears NT (both), with the PIC initialised and every IRQ masked
; #DF: double_fault.asm; #TS and ring 3: rings.asm; #NM #MF #XM:
; fpu_exceptions.asm.
%include "harness.inc"
%include "system.inc"

section .data
align 8
bnd_pair:       dd 10, 20
bnd_pair16:     dw -5, 5
ss_stop:        dd 0
esp_before:     dd 0
small_idtr:     dw 0x50 * 8 - 1
                dd sys_idt
far_data:       dd 0
                dw SEL_KDATA
nt_hook_seen:   dd 0

section .text

; #DB hook for the single-step test: clear TF when the trap EIP is ss_stop
ss_hook:
        mov eax, [ebp + FR_EIP]
        cmp eax, [ss_stop]
        jne .ret
        and dword [ebp + FR_EFLAGS], ~EFL_TF
.ret:
        ret

; hook for the NT test: record that NT was cleared on delivery and clear
; NT in the frame so that iretd does not attempt a task return
nt_hook:
        mov eax, [sys_last_hflags]
        and eax, EFL_NT
        mov [nt_hook_seen], eax
        and dword [ebp + FR_EFLAGS], ~EFL_NT
        ret

test_main:
        PUTSLN 'exceptions: vectors, error codes, fault/trap EIP (SDM vol. 3 ch. 6)'
        SYS_INIT

        ; ------------------------------------------------------- #DE --
        PUTSLN '--- #DE divide error: vector 0, fault, no error code'
        xor ecx, ecx
        mov eax, 1
        xor edx, edx
        EXC_ARM .de1_resume
        push dword 0x8D7                ; CF PF AF ZF SF OF, IF=0
        popfd
.de1:
        div ecx
        mov eax, 0xbad
.de1_resume:
        EXC_CHECK '#DE div ecx=0', 0, 0, .de1
        CHECK_EQ '#DE div ecx=0.cs', dword [sys_last_cs], SEL_KCODE
        mov ebx, [sys_last_eflags]
        and ebx, ~EFL_RF
        CHECK_EQ '#DE div ecx=0.eflags (RF masked)', ebx, 0x8D7
        mov ebx, [sys_last_eflags]
        and ebx, EFL_RF
        CHECK_EQ '#DE div ecx=0.eflags.RF (faults push RF=1)', ebx, EFL_RF
        CHECK_EQ '#DE div ecx=0.eax unchanged', eax, 1

        mov eax, 0x80000000
        cdq
        mov ecx, -1
        EXC_ARM .de2_resume
.de2:
        idiv ecx                        ; quotient 2^31 does not fit
        mov eax, 0xbad
.de2_resume:
        EXC_CHECK '#DE idiv overflow', 0, 0, .de2
        CHECK_EQ '#DE idiv overflow.eax unchanged', eax, 0x80000000

        mov eax, 0x1000
        mov bl, 0x10
        EXC_ARM .de3_resume
.de3:
        div bl                          ; quotient 0x100 > 0xff
        mov eax, 0xbad
.de3_resume:
        EXC_CHECK '#DE div8 overflow', 0, 0, .de3
        mov edx, 8
        xor eax, eax
        mov ecx, 7
        EXC_ARM .de4_resume
.de4:
        div ecx                         ; 8*2^32 / 7 > 2^32-1: overflow
.de4_resume:
        EXC_CHECK '#DE div64 overflow', 0, 0, .de4
        mov edx, 0
        mov eax, 100
        mov ecx, 7
        EXC_ARM 0
        div ecx
        EXC_NONE '#DE div 100/7 (no fault)'
        CHECK_EQ '#DE div 100/7.quotient', eax, 14

        ; ------------------------------------------------ #DB step ----
        PUTSLN '--- #DB single step: vector 1, trap after each instruction'
        SET_HOOK 1, ss_hook
        mov dword [ss_stop], .ss_end
        mov dword [sys_log_n], 0
        EXC_ARM 0
        xor eax, eax
        pushfd
        or dword [esp], EFL_TF
        popfd                           ; no trap after the popf itself
.ss0:   add eax, 1                      ; trap: EIP = .ss1
.ss1:   add eax, 2                      ; trap: EIP = .ss2
.ss2:   jmp short .ss4                  ; trap: EIP = .ss4 (the target)
.ss3:   add eax, 0x100
.ss4:   add eax, 4                      ; trap: EIP = .ss_end -> TF cleared
.ss_end:
        mov ebx, [sys_int_count]
        sub ebx, [sys_armed_count]
        CHECK_EQ '#DB step.count', ebx, 4
        CHECK_EQ '#DB step.result', eax, 7
        CHECK_EQ '#DB step1.vec', dword [sys_log + 0 * 16], 1
        CHECK_EQ '#DB step1.eip', dword [sys_log + 0 * 16 + 8], .ss1
        CHECK_EQ '#DB step2.eip', dword [sys_log + 1 * 16 + 8], .ss2
        CHECK_EQ '#DB step3.eip (jmp target)', dword [sys_log + 2 * 16 + 8], .ss4
        CHECK_EQ '#DB step4.eip', dword [sys_log + 3 * 16 + 8], .ss_end
        CHECK_EQ '#DB step4.vec', dword [sys_log + 3 * 16], 1
        mov ebx, [sys_log + 0 * 16 + 12]
        and ebx, EFL_TF
        CHECK_EQ '#DB step1.pushed TF', ebx, EFL_TF
        mov ebx, [sys_last_hflags]
        and ebx, EFL_TF
        CHECK_EQ '#DB step.handler TF cleared', ebx, 0
        pushfd
        pop ebx
        and ebx, EFL_TF
        CHECK_EQ '#DB step.TF clear after', ebx, 0
        CLEAR_HOOK 1

        PUTSLN '--- #DB INT1 (F1): vector 1, trap'
        EXC_ARM 0
        int1
.int1_after:
        EXC_CHECK '#DB int1', 1, 0, .int1_after

        ; ------------------------------------------------------ #BP ---
        PUTSLN '--- #BP breakpoint: vector 3, trap'
        EXC_ARM 0
        int3
.bp1_after:
        EXC_CHECK '#BP int3 (CC)', 3, 0, .bp1_after
        EXC_ARM 0
        int 3
.bp2_after:
        EXC_CHECK '#BP int 3 (CD 03)', 3, 0, .bp2_after
        CHECK_EQ '#BP int 3.cs', dword [sys_last_cs], SEL_KCODE

        ; ------------------------------------------------------ #OF ---
        PUTSLN '--- #OF overflow: vector 4, trap'
        mov al, 0x7f
        add al, 1                       ; OF = 1
        EXC_ARM 0
        into
.of_after:
        EXC_CHECK '#OF into OF=1', 4, 0, .of_after
        mov ebx, [sys_last_eflags]
        and ebx, EFL_OF
        CHECK_EQ '#OF into OF=1.pushed OF', ebx, EFL_OF
        xor eax, eax                    ; OF = 0
        EXC_ARM 0
        into
        EXC_NONE '#OF into OF=0'

        ; ------------------------------------------------------ #BR ---
        PUTSLN '--- #BR bound: vector 5, fault'
        mov eax, 25
        EXC_ARM .br1_resume
.br1:
        bound eax, [bnd_pair]
.br1_resume:
        EXC_CHECK '#BR bound 25 [10,20]', 5, 0, .br1
        mov eax, 9
        EXC_ARM .br2_resume
.br2:
        bound eax, [bnd_pair]
.br2_resume:
        EXC_CHECK '#BR bound 9 [10,20]', 5, 0, .br2
        mov eax, 20
        EXC_ARM 0
        bound eax, [bnd_pair]
        mov eax, 10
        bound eax, [bnd_pair]
        EXC_NONE '#BR bound 20, 10 [10,20]'
        mov eax, 0xffff0006             ; 16-bit: ax = 6 > 5
        EXC_ARM .br3_resume
.br3:
        bound ax, [bnd_pair16]
.br3_resume:
        EXC_CHECK '#BR bound16 6 [-5,5]', 5, 0, .br3
        mov eax, 0x0000fffb             ; ax = -5
        EXC_ARM 0
        bound ax, [bnd_pair16]
        EXC_NONE '#BR bound16 -5 [-5,5]'

        ; ------------------------------------------------------ #UD ---
        PUTSLN '--- #UD invalid opcode: vector 6, fault'
        EXC_ARM .ud1_resume
.ud1:
        ud2
.ud1_resume:
        EXC_CHECK '#UD ud2', 6, 0, .ud1
        EXC_ARM .ud2_resume
.ud2:
        db 0xF0, 0x01, 0xD8             ; lock add eax, ebx
.ud2_resume:
        EXC_CHECK '#UD lock add reg,reg', 6, 0, .ud2
        mov eax, cs
        EXC_ARM .ud3_resume
.ud3:
        db 0x8E, 0xC8                   ; mov cs, ax
.ud3_resume:
        EXC_CHECK '#UD mov cs,ax', 6, 0, .ud3

        ; ------------------------------------------------------ #NP ---
        PUTSLN '--- #NP segment not present: vector 11, fault'
        SET_DESC SEL_SPARE0, 0, 0xFFFFF, DESC_DATA0 & DESC_NP
        mov ax, SEL_SPARE0
        EXC_ARM .np1_resume
.np1:
        mov ds, ax
.np1_resume:
        EXC_CHECK '#NP mov ds,not-present', 11, SEL_SPARE0, .np1
        mov eax, ds
        CHECK_EQ '#NP mov ds.ds unchanged', eax, SEL_KDATA
        SET_DESC SEL_SPARE1, 0, 0xFFFFF, DESC_DATA3 & DESC_NP
        mov ax, SEL_SPARE1 | 3
        EXC_ARM .np2_resume
.np2:
        mov fs, ax
.np2_resume:
        EXC_CHECK '#NP mov fs,not-present DPL3 RPL3', 11, SEL_SPARE1, .np2
        mov ax, SEL_KDATA
        mov fs, ax

        SET_GATE_STUB 0x44, GATE_INT & GATE_NP
        EXC_ARM .np3_resume
.np3:
        int 0x44
.np3_resume:
        EXC_CHECK '#NP int 0x44 gate not present', 11, 0x44 * 8 + 2, .np3

        SET_GATE_STUB 3, GATE_INT & GATE_NP
        EXC_ARM .np4_resume
.np4:
        int3
.np4_resume:
        EXC_CHECK '#NP int3 gate not present', 11, 3 * 8 + 2, .np4
        SET_GATE_STUB 3, GATE_INT

        SET_GATE_STUB 6, GATE_INT & GATE_NP
        EXC_ARM .np5_resume
.np5:
        ud2
.np5_resume:
        EXC_CHECK '#NP ud2, #UD gate not present (EXT=1)', 11, 6 * 8 + 2 + 1, .np5
        SET_GATE_STUB 6, GATE_INT

        ; ------------------------------------------------------ #SS ---
        PUTSLN '--- #SS stack segment: vector 12, fault'
        SET_DESC SEL_SPARE2, 0, 0xFFFFF, DESC_DATA0 & DESC_NP
        mov ax, SEL_SPARE2
        EXC_ARM .ss_resume
.ss_fault:
        mov ss, ax
.ss_resume:
        EXC_CHECK '#SS mov ss,not-present', 12, SEL_SPARE2, .ss_fault
        mov eax, ss
        CHECK_EQ '#SS mov ss.ss unchanged', eax, SEL_KDATA

        ; ------------------------------------------------------ #GP ---
        PUTSLN '--- #GP general protection: vector 13, fault'
        mov ax, SEL_BEYOND | 3
        EXC_ARM .gp1_resume
.gp1:
        mov ds, ax
.gp1_resume:
        EXC_CHECK '#GP mov ds,beyond GDT limit', 13, SEL_BEYOND, .gp1
        mov ax, 0x1000
        EXC_ARM .gp2_resume
.gp2:
        mov es, ax
.gp2_resume:
        EXC_CHECK '#GP mov es,0x1000', 13, 0x1000, .gp2
        mov ax, SEL_TSS
        EXC_ARM .gp3_resume
.gp3:
        mov ds, ax
.gp3_resume:
        EXC_CHECK '#GP mov ds,TSS', 13, SEL_TSS, .gp3
        SET_DESC SEL_SPARE3, 0, 0xFFFFF, 0xC99  ; execute-only code
        mov ax, SEL_SPARE3
        EXC_ARM .gp4_resume
.gp4:
        mov ds, ax
.gp4_resume:
        EXC_CHECK '#GP mov ds,exec-only code', 13, SEL_SPARE3, .gp4
        mov ax, SEL_KDATA | 3
        EXC_ARM .gp5_resume
.gp5:
        mov gs, ax
.gp5_resume:
        EXC_CHECK '#GP mov gs,RPL3>DPL0', 13, SEL_KDATA, .gp5
        xor eax, eax
        EXC_ARM .gp6_resume
.gp6:
        mov ss, ax
.gp6_resume:
        EXC_CHECK '#GP mov ss,null', 13, 0, .gp6
        SET_DESC SEL_SPARE4, 0, 0xFFFFF, 0xC91  ; read-only data
        mov ax, SEL_SPARE4
        EXC_ARM .gp7_resume
.gp7:
        mov ss, ax
.gp7_resume:
        EXC_CHECK '#GP mov ss,read-only data', 13, SEL_SPARE4, .gp7
        mov ax, SEL_UDATA | 3
        EXC_ARM .gp8_resume
.gp8:
        mov ss, ax
.gp8_resume:
        EXC_CHECK '#GP mov ss,DPL3 at CPL0', 13, SEL_UDATA, .gp8
        mov eax, ss
        CHECK_EQ '#GP mov ss.ss unchanged', eax, SEL_KDATA
        mov ax, SEL_UDATA | 3           ; DPL-3 data in DS at CPL 0: fine
        EXC_ARM 0
        mov es, ax
        mov ax, SEL_KDATA
        mov es, ax
        xor eax, eax
        mov fs, ax                      ; null into FS: fine
        mov ax, SEL_KDATA
        mov fs, ax
        EXC_NONE '#GP mov es,0x23 / fs,null at CPL0 (no fault)'
        lidt [small_idtr]
        EXC_ARM .gp9_resume
.gp9:
        int 0x60
.gp9_resume:
        lidt [sys_idtr]
        EXC_CHECK '#GP int 0x60 beyond IDT limit', 13, 0x60 * 8 + 2, .gp9
        EXC_ARM .gp10_resume
.gp10:
        jmp far [far_data]              ; CS := data segment
.gp10_resume:
        EXC_CHECK '#GP jmp far to a data segment', 13, SEL_KDATA, .gp10

        ; ------------------------------------------------ INT n / IRET --
        PUTSLN '--- INT n (0x40, DPL-0 gate, ring 0) and IRET'
        mov [esp_before], esp
        EXC_ARM 0
        int 0x40
.int40_after:
        EXC_CHECK 'int 0x40', 0x40, 0, .int40_after
        CHECK_EQ 'int 0x40.cs', dword [sys_last_cs], SEL_KCODE
        mov eax, [esp_before]
        sub eax, [sys_last_frame]
        CHECK_EQ 'int 0x40.bytes pushed (EIP CS EFLAGS)', eax, 12
        mov eax, [sys_last_ss]
        CHECK_EQ 'int 0x40.no stack switch (ss)', eax, SEL_KDATA
        mov eax, esp
        sub eax, [esp_before]
        CHECK_EQ 'int 0x40.esp restored by iret', eax, 0

        pushfd
        pop ebx                         ; current EFLAGS, restored below
        push dword 0x8D7                ; EFLAGS image
        push dword SEL_KCODE
        push dword .iret_target
        mov edx, esp
        iretd
        mov eax, 0xbad
.iret_target:
        pushfd
        pop ecx
        mov eax, esp
        sub eax, edx
        push ebx
        popfd
        CHECK_EQ 'iret r0->r0.eflags', ecx, 0x8D7
        CHECK_EQ 'iret r0->r0.esp (+12)', eax, 12

        ; ------------------------------------------------ gate types ----
        PUTSLN '--- interrupt gate clears IF, trap gate keeps it; NT cleared'
        call pic_init                   ; every IRQ masked
        SET_GATE_STUB 0x45, GATE_INT
        SET_GATE_STUB 0x46, GATE_TRAP
        sti
        EXC_ARM 0
        int 0x45
        cli
        mov eax, [sys_last_hflags]
        and eax, EFL_IF
        CHECK_EQ 'interrupt gate.handler IF', eax, 0
        mov eax, [sys_last_eflags]
        and eax, EFL_IF
        CHECK_EQ 'interrupt gate.pushed IF', eax, EFL_IF
        sti
        int 0x46
        cli
        mov eax, [sys_last_hflags]
        and eax, EFL_IF
        CHECK_EQ 'trap gate.handler IF', eax, EFL_IF
        mov eax, [sys_int_count]
        sub eax, [sys_armed_count]
        CHECK_EQ 'gates.count', eax, 2
        SET_HOOK 0x46, nt_hook
        mov dword [nt_hook_seen], 0xffffffff
        pushfd
        pop ebx
        push dword EFL_NT | 2
        popfd
        int 0x46
        push ebx
        popfd
        mov eax, [sys_last_eflags]
        and eax, EFL_NT
        CHECK_EQ 'trap gate.pushed NT', eax, EFL_NT
        CHECK_EQ 'trap gate.handler NT', dword [nt_hook_seen], 0
        pushfd
        pop eax
        and eax, EFL_NT
        CHECK_EQ 'trap gate.NT after iret (hook cleared it)', eax, 0
        CLEAR_HOOK 0x46
        ret
