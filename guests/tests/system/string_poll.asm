; string_poll.asm -- a block that begins with a REP string instruction, entered while
; an interrupt is waiting. ringshift runs string ops on host pointers (ESI/EDI rebased
; into the guest window) and checks for waiting interrupts with a read at the start
; of every block; that read faulted with the string op's record and the fault
; handler "rebased back" ESI/EDI that had never been rebased, corrupting both
; (seen as a Linux oops in memcpy). PIT channel 0 at ~20 kHz makes such exits
; frequent; every round checks ESI, EDI, ECX and the copied data.
%include "harness.inc"
%include "system.inc"

%define ROUNDS 200000

section .data
align 16
src:    times 16 dd 0
dst:    times 16 dd 0
extra:  dd 0

section .text
global test_main
test_main:
        PUTSLN 'string_poll: REP MOVSD/STOSD at the start of a block under ~20 kHz interrupts'
        SYS_INIT
        call pic_init
        SET_HOOK 0x20, sys_tick_hook
        TIMER_20KHZ_ON
        mov ebx, ROUNDS
.round:
        mov [src], ebx
        mov [src + 36], ebx
        lea esi, [src]
        lea edi, [dst]
        mov ecx, 10
        jmp .copy                       ; ends the block: the next one starts with REP MOVSD
.copy:
        rep movsd
        lea edx, [src + 40]
        cmp esi, edx
        jne .bad_esi
        lea edx, [dst + 40]
        cmp edi, edx
        jne .bad_edi
        test ecx, ecx
        jnz .bad_ecx
        cmp [dst + 36], ebx
        jne .bad_data
        mov eax, ebx
        lea edi, [dst]
        mov ecx, 16
        jmp .fill
.fill:
        rep stosd
        lea edx, [dst + 64]
        cmp edi, edx
        jne .bad_edi
        cmp [dst + 60], ebx
        jne .bad_data
        sub ebx, 1
        jnz .round
        ; however fast the rounds run, go on until a thousand interrupts have come in
        ; between them (each one a chance for the bug); stop anyway after 50M rounds.
        cmp dword [sys_ticks], 1000
        jae .enough
        mov ebx, ROUNDS
        add dword [extra], 1
        cmp dword [extra], 250
        jb .round
.enough:
        cli
        mov eax, [sys_ticks]
        CHECK_RANGE 'interrupts taken during the rounds', eax, 1000, 0xFFFFFFFF
        ret
.bad_esi:
        FAIL_NOW 'ESI wrong after REP MOVSD at the start of a block'
.bad_edi:
        FAIL_NOW 'EDI wrong after a REP string op at the start of a block'
.bad_ecx:
        FAIL_NOW 'ECX not zero after REP MOVSD'
.bad_data:
        FAIL_NOW 'REP string op copied the wrong data'
