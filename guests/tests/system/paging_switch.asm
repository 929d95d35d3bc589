; paging_switch.asm -- two ring-3 processes in two address spaces, switched
; thousands of times by MOV to CR3, preemptively from the PIT IRQ0 handler
; (~2 kHz) and voluntarily (int 0x41 every 32 iterations).
;
; Intel SDM vol. 3: 4.10.4.1 (MOV to CR3 invalidates the non-global
; translations: after a switch only the new directory's mappings are used),
; 6.12.1 (interrupt from CPL 3: stack switch through the TSS; the frame holds
; SS:ESP, EFLAGS, CS:EIP, and IRET restores them).  The page directories D1
; and D2 share the kernel mappings (identity, user-accessible) and map the
; same linear pages U (data) and U + 4 KiB (stack) to different physical
; pages.  A switch saves the interrupted frame (segment registers, GPRs, EIP,
; CS, EFLAGS, ESP, SS) of one process, loads the other's into the frame and
; loads its CR3.  Each process, in a loop, checks that:
;   - [U] holds its own pid (the pid it also keeps in ESI)
;   - a 256-dword pattern in its page is its own (pid-dependent)
;   - pushes/pops on its stack page work and the marker at the stack top is
;     its pid
;   - the iteration counter in its page equals the one in its EBP
; and counts failures in its page.  The kernel stops when >= 20000 switches,
; >= 200 of them from IRQ0, have happened (or after 20 s: fails).  Checked:
; no failure in either page (read through the identity map of the physical
; pages), both processes ran, voluntary yields as counted by the processes
; and by the kernel agree (+-1: a process may be stopped between the two).
%include "harness.inc"
%include "system.inc"
%include "paging.inc"

%define U           0x20000000
%define USTK        0x20001000
%define USTK_TOP    0x20002000
%define TARGET      20000
%define TIMER_MIN   200
%define PIT_COUNT   597                 ; ~2 kHz
%define MAX_TICKS   40000               ; 20 s
%define CTX_DW      19                  ; FR_GS .. FR_SS
; data page layout
%define D_PID       0
%define D_ITER      4
%define D_ERR       8
%define D_YIELD     12
%define D_PAT       0x100

section .data
align 4
dirs:           dd 0, 0
data_phys:      dd 0, 0
stk_phys:       dd 0, 0
cur:            dd 0                    ; 0: process 1, 1: process 2
done_flag:      dd 0
sw_timer:       dd 0
sw_yield:       dd 0
yields_by:      dd 0, 0
bad_frames:     dd 0
ctx:            times 2 * CTX_DW dd 0

section .text

; do_switch: EBP = frame of an interrupt from CPL 3.  Saves it as the
; current process's context, loads the other one's, switches CR3.
do_switch:
        test byte [ebp + FR_CS], 3
        jnz .ok
        add dword [bad_frames], 1
        ret
.ok:
        mov ebx, [cur]
        imul edi, ebx, CTX_DW * 4
        add edi, ctx
        mov esi, ebp
        mov ecx, CTX_DW
        rep movsd
        xor ebx, 1
        mov [cur], ebx
        imul esi, ebx, CTX_DW * 4
        add esi, ctx
        mov edi, ebp
        mov ecx, CTX_DW
        rep movsd
        mov eax, [dirs + ebx * 4]
        mov cr3, eax
        mov eax, [sw_timer]
        add eax, [sw_yield]
        cmp eax, TARGET
        jb .done
        cmp dword [sw_timer], TIMER_MIN
        jb .done
        mov dword [done_flag], 1
.done:
        ret

timer_hook:
        add dword [sys_ticks], 1
        mov al, 0x20
        out 0x20, al
        cmp dword [sys_ticks], MAX_TICKS
        jb .go
        mov dword [done_flag], 1
.go:
        test byte [ebp + FR_CS], 3      ; only ring 3 runs with IF = 1
        jz .ret
        add dword [sw_timer], 1
        call do_switch
.ret:
        ret

yield_hook:
        add dword [sw_yield], 1
        mov eax, [cur]
        add dword [yields_by + eax * 4], 1
        call do_switch
        ret

; ------------------------------------------------------------ ring 3 ----
proc1_entry:
        mov esi, 1
        jmp proc_common
proc2_entry:
        mov esi, 2
proc_common:
        push esi                        ; marker at USTK_TOP - 4
        xor ebp, ebp
        mov edi, esi
        imul edi, edi, 0x01010101       ; pattern base
.loop:
        cmp [U + D_PID], esi
        jne .bad
        mov eax, ebp
        and eax, 255
        mov edx, edi
        xor edx, eax
        cmp [U + D_PAT + eax * 4], edx
        jne .bad
        cmp [USTK_TOP - 4], esi
        jne .bad
        push ebp
        push edi
        mov eax, esp
        add eax, 12
        cmp eax, USTK_TOP
        jne .bad2
        pop ecx
        cmp ecx, edi
        jne .bad1
        pop ecx
        cmp ecx, ebp
        jne .bad
        add dword [U + D_ITER], 1
        add ebp, 1
        cmp [U + D_ITER], ebp
        jne .bad
.next:
        test ebp, 31
        jnz .noyield
        add dword [U + D_YIELD], 1
        int SYS_VEC_USER
.noyield:
        cmp dword [done_flag], 0
        je .loop
        RING0
.bad2:
        pop ecx
.bad1:
        pop ecx
.bad:
        add dword [U + D_ERR], 1
        mov esp, USTK_TOP - 4
        add ebp, 1                      ; keep going (and yielding)
        mov [U + D_ITER], ebp
        jmp .next

test_main:
        PUTSLN 'paging_switch: two ring-3 processes, CR3 switches from IRQ0 and int 0x41'
        SYS_INIT
        call pic_init
        xor esi, esi
.procs:
        call pg_new_kdir
        mov [dirs + esi * 4], eax
        call pg_alloc
        mov [data_phys + esi * 4], eax
        lea ebx, [esi + 1]              ; pid
        mov [eax + D_PID], ebx
        imul ebx, ebx, 0x01010101
        xor ecx, ecx
.pat:
        mov edx, ebx
        xor edx, ecx
        mov [eax + D_PAT + ecx * 4], edx
        add ecx, 1
        cmp ecx, 256
        jb .pat
        mov ebx, eax
        or ebx, PG_URW
        PG_MAP [dirs + esi * 4], U, ebx
        call pg_alloc
        mov [stk_phys + esi * 4], eax
        mov ebx, eax
        or ebx, PG_URW
        PG_MAP [dirs + esi * 4], USTK, ebx
        add esi, 1
        cmp esi, 2
        jb .procs
        ; process 2's initial context
        mov edi, ctx + CTX_DW * 4
        mov dword [edi + FR_GS], SEL_UDATA | 3
        mov dword [edi + FR_FS], SEL_UDATA | 3
        mov dword [edi + FR_ES], SEL_UDATA | 3
        mov dword [edi + FR_DS], SEL_UDATA | 3
        mov dword [edi + FR_EIP], proc2_entry
        mov dword [edi + FR_CS], SEL_UCODE | 3
        mov dword [edi + FR_EFLAGS], EFL_IF | 2
        mov dword [edi + FR_ESP], USTK_TOP
        mov dword [edi + FR_SS], SEL_UDATA | 3

        SET_HOOK 0x20, timer_hook
        SET_HOOK SYS_VEC_USER, yield_hook
        PG_ENABLE [dirs]
        mov eax, PIT_COUNT
        mov edx, PIT_CH0_MODE2
        call pit_ch0
        mov ax, 0xFFFE                  ; IRQ0 only
        call pic_set_mask
        ; run process 1 (ring 3, IF = 1) until one of them sees done_flag
        mov eax, proc1_entry
        mov ecx, USTK_TOP
        mov edx, EFL_IF
        call sys_enter_ring3
        mov ax, 0xFFFF
        call pic_set_mask
        PG_CR3 [dirs]
        CLEAR_HOOK 0x20
        CLEAR_HOOK SYS_VEC_USER

        mov eax, [sw_timer]
        add eax, [sw_yield]
        PUTS 'switches: '
        PUTDEC eax
        PUTS ' (IRQ0 '
        PUTDEC dword [sw_timer]
        PUTS ', int 0x41 '
        PUTDEC dword [sw_yield]
        PUTS '), ticks '
        PUTDEC dword [sys_ticks]
        NEWLINE
        CHECK_RANGE 'switches.total', eax, TARGET, 0xFFFFFFFF
        CHECK_RANGE 'switches.irq0', dword [sw_timer], TIMER_MIN, 0xFFFFFFFF
        CHECK_RANGE 'ticks', dword [sys_ticks], 1, MAX_TICKS - 1
        CHECK_EQ 'bad_frames', dword [bad_frames], 0
        mov esi, [data_phys]
        mov edi, [data_phys + 4]
        CHECK_EQ 'p1.errors', dword [esi + D_ERR], 0
        CHECK_EQ 'p2.errors', dword [edi + D_ERR], 0
        CHECK_EQ 'p1.pid', dword [esi + D_PID], 1
        CHECK_EQ 'p2.pid', dword [edi + D_PID], 2
        CHECK_RANGE 'p1.iterations', dword [esi + D_ITER], 1000, 0xFFFFFFFF
        CHECK_RANGE 'p2.iterations', dword [edi + D_ITER], 1000, 0xFFFFFFFF
        mov eax, [yields_by]
        sub eax, [esi + D_YIELD]
        add eax, 1
        CHECK_RANGE 'p1.yields.kernel-process+1', eax, 0, 1
        mov eax, [yields_by + 4]
        sub eax, [edi + D_YIELD]
        add eax, 1
        CHECK_RANGE 'p2.yields.kernel-process+1', eax, 0, 1
        mov eax, [stk_phys]
        CHECK_EQ 'p1.stack_marker', dword [eax + 0xFFC], 1
        mov eax, [stk_phys + 4]
        CHECK_EQ 'p2.stack_marker', dword [eax + 0xFFC], 2
        PG_DISABLE
        ret
