; irq_stress.asm -- asynchronous interrupts must not disturb the interrupted code.
;
; The same flag-heavy computation (adc/sbb/rcl chains, setcc, pushfd, string ops with
; DF, x87 and SSE) runs twice: once with IF=0, once with PIT channel 0 at about 20 kHz
; (count 60) interrupting it hundreds of times (at block boundaries, where ringshift
; takes interrupts).
; The IRQ0 handler (sys_tick_hook + the common IDT entry) saves nothing but what it
; uses. Both runs must give the same checksum, registers and EFLAGS.
%include "harness.inc"
%include "system.inc"

%define ROUNDS 200000

section .data
align 16
buf_a:  times 64 dd 0
buf_b:  times 64 dd 0
f_one:  dd 1.5
res_eflags: dd 0
res_edi: dd 0

section .text
; Returns EAX = checksum, leaves its final EFLAGS in res_eflags.
compute:
        push ebx
        push esi
        push edi
        push ebp
        mov ecx, ROUNDS
        mov eax, 0x12345678
        mov ebx, 0x9abcdef0
        mov edx, 0x0f1e2d3c
        xor ebp, ebp
        fld1
        movss xmm0, [f_one]
        xorps xmm1, xmm1
.loop:
        add eax, ebx
        adc edx, eax
        sbb ebx, edx
        rcl eax, 1
        rcr edx, 3
        setc [buf_a + 4]
        seto [buf_a + 5]
        lahf
        xor ebp, eax
        add ebp, edx
        pushfd
        pop esi
        and esi, EFLAGS_ARITH_DF
        add ebp, esi
        std
        lea esi, [buf_a + 60]
        lea edi, [buf_b + 60]
        push ecx
        mov ecx, 4
        rep movsd
        pop ecx
        cld
        mov [buf_a + 8], ebp
        fadd st0, st0
        fsqrt
        addss xmm1, xmm0
        sub ecx, 1
        jnz .loop
        fistp dword [buf_a + 12]
        cvttss2si esi, xmm1
        add ebp, esi
        add ebp, [buf_a + 12]
        lea esi, [buf_b]
        mov ecx, 64 * 4
        mov edi, ebp
        HASH_RESET
        call hash_mem
        mov eax, [hash_value]
        xor eax, edi
        add eax, edx
        add eax, ebx
        pushfd
        pop dword [res_eflags]
        pop ebp
        pop edi
        pop esi
        pop ebx
        ret

global test_main
test_main:
        PUTSLN 'irq_stress: the same computation without and with ~20 kHz timer interrupts'
        ENABLE_FPU_SSE
        SYS_INIT
        call pic_init
        SET_HOOK 0x20, sys_tick_hook
        cli
        call compute
        mov esi, eax
        mov edi, [res_eflags]
        TIMER_20KHZ_ON
        call compute
        cli
        CHECK_EQ 'checksum with interrupts = without', eax, esi
        mov eax, [res_eflags]
        and eax, EFLAGS_ARITH_DF
        and edi, EFLAGS_ARITH_DF
        CHECK_EQ 'final EFLAGS with interrupts = without', eax, edi
        mov eax, [sys_ticks]
        CHECK_RANGE 'interrupts taken during the second run', eax, 20, 0xFFFFFFFF
        ret
