; sysenter.asm -- SYSENTER/SYSEXIT and the MSRs around them.
;
; Expected values from the Intel SDM vol. 2 (SYSENTER, SYSEXIT, RDMSR,
; WRMSR, CPUID) and vol. 3 5.8.7 (fast system calls), vol. 4 (MSR list).
;   * CPUID.01H:EDX bit 11 (SEP) is set
;   * WRMSR/RDMSR of IA32_SYSENTER_CS/ESP/EIP (0x174/0x175/0x176) read back
;     (EDX = 0); RDMSR 0x10 (TSC) works and increases; RDMSR/WRMSR of an
;     unknown MSR -> #GP(0)
;   * IA32_MISC_ENABLE (0x1A0) on a GenuineIntel CPU: fast strings (bit 0)
;     on, limit CPUID (bit 22) and XD disable (bit 34) off, bit 0 written
;     reads back; on another vendor (it is an Intel MSR) -> #GP(0)
;   * 1000 round trips ring 3 -> SYSENTER -> ring 0 -> SYSEXIT -> ring 3:
;     ring 0 side: CS = SYSENTER_CS (0x08), SS = SYSENTER_CS + 8 (0x10),
;     ESP = IA32_SYSENTER_ESP, EIP = IA32_SYSENTER_EIP, IF = 0 (cleared);
;     ring 3 side after SYSEXIT: CS = SYSENTER_CS + 16 | 3 (0x1B), SS =
;     SYSENTER_CS + 24 | 3 (0x23), EIP = EDX, ESP = ECX, EBX ESI EDI EBP
;     untouched; EFLAGS are not changed by SYSEXIT, so IF stays 0 in ring 3
;   * SYSEXIT at CPL 3 -> #GP(0); SYSENTER with IA32_SYSENTER_CS = 0 ->
;     #GP(0); SYSEXIT at CPL 0 with IA32_SYSENTER_CS = 0 -> #GP(0)
%include "harness.inc"
%include "system.inc"

%define ROUNDS 1000

section .data
align 4
se_count:       dd 0
se_bad_cs:      dd 0
se_bad_ss:      dd 0
se_bad_esp:     dd 0
se_bad_if:      dd 0
se_first_cs:    dd 0
se_first_ss:    dd 0
se_first_esp:   dd 0
se_first_efl:   dd 0
r3_bad_cs:      dd 0
r3_bad_ss:      dd 0
r3_bad_esp:     dd 0
r3_bad_regs:    dd 0
r3_if_before:   dd 0
r3_if_after:    dd 0
r3_rounds:      dd 0
tsc0:           dd 0, 0
tsc1:           dd 0, 0

section .bss
alignb 16
se_stack:       resb 4096
se_stack_top:

section .text

; SYSENTER target (CPL 0).  ECX/EDX carry the return ESP/EIP: keep them.
; DS is still ring 3's 0x23 (SYSENTER does not touch it): flat, usable.
sysenter_entry:
        add dword [se_count], 1
        cmp dword [se_count], 1
        jne .checks
        xor eax, eax
        mov ax, cs
        mov [se_first_cs], eax
        mov ax, ss
        mov [se_first_ss], eax
        mov [se_first_esp], esp
        pushfd
        pop dword [se_first_efl]
.checks:
        xor eax, eax
        mov ax, cs
        cmp eax, SEL_KCODE
        je .cs_ok
        add dword [se_bad_cs], 1
.cs_ok:
        mov ax, ss
        cmp eax, SEL_KDATA
        je .ss_ok
        add dword [se_bad_ss], 1
.ss_ok:
        cmp esp, se_stack_top
        je .esp_ok
        add dword [se_bad_esp], 1
.esp_ok:
        pushfd
        pop eax
        test eax, EFL_IF
        jz .if_ok
        add dword [se_bad_if], 1
.if_ok:
        sysexit

; ring 3: ROUNDS round trips
r3_loop:
        pushfd
        pop eax
        and eax, EFL_IF
        mov [r3_if_before], eax
        mov ebp, ROUNDS
        mov esi, 0x5a5a5a5a
        mov edi, 0xa5a5a5a5
        mov ebx, 0x3c3c3c3c
.loop:
        mov ecx, esp
        mov edx, .back
        sysenter
        mov dword [r3_bad_regs], 0xbad  ; never: SYSEXIT returns to EDX
.back:
        xor eax, eax
        mov ax, cs
        cmp eax, SEL_UCODE | 3
        je .cs_ok
        add dword [r3_bad_cs], 1
.cs_ok:
        mov ax, ss
        cmp eax, SEL_UDATA | 3
        je .ss_ok
        add dword [r3_bad_ss], 1
.ss_ok:
        cmp esp, sys_r3_stack_top
        je .esp_ok
        add dword [r3_bad_esp], 1
.esp_ok:
        cmp esi, 0x5a5a5a5a
        jne .bad_regs
        cmp edi, 0xa5a5a5a5
        jne .bad_regs
        cmp ebx, 0x3c3c3c3c
        je .regs_ok
.bad_regs:
        add dword [r3_bad_regs], 1
.regs_ok:
        add dword [r3_rounds], 1
        sub ebp, 1
        jnz .loop
        pushfd
        pop eax
        and eax, EFL_IF
        mov [r3_if_after], eax
        RING0

; WRMSR ECX <- EAX (EDX = 0)
%macro WRMSR32 2
        mov ecx, %1
        mov eax, %2
        xor edx, edx
        wrmsr
%endmacro

test_main:
        PUTSLN 'sysenter: SYSENTER/SYSEXIT round trips, MSRs'
        SYS_INIT
        call pic_init                   ; all IRQs masked: IF=1 is harmless

        PUTSLN '--- CPUID, MSRs'
        mov eax, 1
        cpuid
        shr edx, 11
        and edx, 1
        CHECK_EQ 'cpuid.01h.edx.SEP', edx, 1

        WRMSR32 0x174, SEL_KCODE
        WRMSR32 0x175, se_stack_top
        WRMSR32 0x176, sysenter_entry
        mov ecx, 0x174
        mov edx, 0xdead
        rdmsr
        CHECK_EQ 'rdmsr 0x174 SYSENTER_CS', eax, SEL_KCODE
        CHECK_EQ 'rdmsr 0x174.edx', edx, 0
        mov ecx, 0x175
        rdmsr
        CHECK_EQ 'rdmsr 0x175 SYSENTER_ESP', eax, se_stack_top
        mov ecx, 0x176
        rdmsr
        CHECK_EQ 'rdmsr 0x176 SYSENTER_EIP', eax, sysenter_entry

        mov ecx, 0x10
        rdmsr
        mov [tsc0], eax
        mov [tsc0 + 4], edx
        mov ecx, 1000
.spin:
        sub ecx, 1
        jnz .spin
        mov ecx, 0x10
        rdmsr
        mov [tsc1], eax
        mov [tsc1 + 4], edx
        sub eax, [tsc0]
        sbb edx, [tsc0 + 4]             ; EDX:EAX = tsc1 - tsc0
        xor ebx, ebx
        test edx, edx
        js .tsc_done                    ; went backwards
        jnz .tsc_up
        test eax, eax
        jz .tsc_done
.tsc_up:
        mov ebx, 1
.tsc_done:
        CHECK_EQ 'rdmsr 0x10 (TSC) increases', ebx, 1

        mov ecx, 0x12345678
        EXC_ARM .rd_resume
.rd_insn:
        rdmsr
.rd_resume:
        EXC_CHECK 'rdmsr 0x12345678 -> #GP(0)', 13, 0, .rd_insn
        mov ecx, 0x12345678
        xor eax, eax
        xor edx, edx
        EXC_ARM .wr_resume
.wr_insn:
        wrmsr
.wr_resume:
        EXC_CHECK 'wrmsr 0x12345678 -> #GP(0)', 13, 0, .wr_insn

        xor eax, eax
        cpuid
        cmp ebx, 0x756e6547             ; "Genu"
        jne .misc_not_intel
        mov ecx, 0x1A0
        rdmsr
        mov ebx, eax
        and ebx, 1
        CHECK_EQ 'rdmsr 0x1A0 MISC_ENABLE fast strings', ebx, 1
        mov ebx, eax
        and ebx, 1 << 22
        CHECK_EQ 'rdmsr 0x1A0 MISC_ENABLE limit CPUID off', ebx, 0
        mov ebx, edx
        and ebx, 1 << (34 - 32)
        CHECK_EQ 'rdmsr 0x1A0 MISC_ENABLE XD disable off', ebx, 0
        mov esi, eax                    ; EDX:ESI = the value before
        and eax, ~1
        wrmsr
        rdmsr
        and eax, 1
        CHECK_EQ 'wrmsr 0x1A0 fast strings off reads back', eax, 0
        mov eax, esi
        wrmsr
        rdmsr
        and eax, 1
        CHECK_EQ 'wrmsr 0x1A0 fast strings on again', eax, 1
        jmp .misc_done
.misc_not_intel:
        mov ecx, 0x1A0
        EXC_ARM .misc_resume
.misc_insn:
        rdmsr
.misc_resume:
        EXC_CHECK 'rdmsr 0x1A0 on a non-Intel CPU -> #GP(0)', 13, 0, .misc_insn
.misc_done:

        PUTSLN '--- SYSENTER/SYSEXIT round trips from ring 3 (IF=1 on entry)'
        EXC_ARM 0
        ENTER_RING3 r3_loop, EFL_IF | 2
        EXC_NONE 'round trips (no exception)'
        CHECK_EQ 'round trips.ring3 count', dword [r3_rounds], ROUNDS
        CHECK_EQ 'round trips.ring0 count', dword [se_count], ROUNDS
        CHECK_EQ 'sysenter.cs (SYSENTER_CS)', dword [se_first_cs], SEL_KCODE
        CHECK_EQ 'sysenter.ss (SYSENTER_CS+8)', dword [se_first_ss], SEL_KDATA
        CHECK_EQ 'sysenter.esp (SYSENTER_ESP)', dword [se_first_esp], se_stack_top
        mov eax, [se_first_efl]
        and eax, EFL_IF | EFL_VM
        CHECK_EQ 'sysenter.eflags IF VM cleared', eax, 0
        CHECK_EQ 'sysenter.rounds with cs != 0x08', dword [se_bad_cs], 0
        CHECK_EQ 'sysenter.rounds with ss != 0x10', dword [se_bad_ss], 0
        CHECK_EQ 'sysenter.rounds with esp != MSR', dword [se_bad_esp], 0
        CHECK_EQ 'sysenter.rounds with IF=1', dword [se_bad_if], 0
        CHECK_EQ 'sysexit.rounds with cs != 0x1b', dword [r3_bad_cs], 0
        CHECK_EQ 'sysexit.rounds with ss != 0x23', dword [r3_bad_ss], 0
        CHECK_EQ 'sysexit.rounds with esp != ecx', dword [r3_bad_esp], 0
        CHECK_EQ 'sysexit.rounds with ebx/esi/edi changed', dword [r3_bad_regs], 0
        CHECK_EQ 'ring3 IF before the first sysenter', dword [r3_if_before], EFL_IF
        CHECK_EQ 'ring3 IF after sysexit (not restored)', dword [r3_if_after], 0
        CHECK_EQ 'int 0x80 after the loop.pushed cs', dword [sys_r3_exit_cs], SEL_UCODE | 3

        PUTSLN '--- #GP(0) cases'
        R3_FAULT 'sysexit at cpl3', 13, 0, sysexit
        WRMSR32 0x174, 0
        R3_FAULT 'sysenter with SYSENTER_CS=0', 13, 0, sysenter
        mov ecx, sys_r3_stack_top
        mov edx, .never
        EXC_ARM .sx_resume
.sx_insn:
        sysexit
.never:
        mov eax, 0xbad
.sx_resume:
        EXC_CHECK 'sysexit at cpl0 with SYSENTER_CS=0', 13, 0, .sx_insn
        WRMSR32 0x174, SEL_KCODE
        ret
