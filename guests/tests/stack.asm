; stack.asm -- stack instructions: push/pop of every operand kind, push esp,
; pop esp, pop to [esp]-relative memory, 16-bit push/pop, pushad/popad,
; pushaw/popaw, pushfd/popfd, enter/leave (levels 0, 1, 3), call/ret,
; ret imm16, indirect calls, segment registers, xchg with ESP, and a
; misaligned stack that straddles a 4 KiB page boundary, and far
; call/ret/jmp through memory pointers holding the current CS.
;
; Only values and ESP deltas (relative to ESP at the start of the test) are
; printed; no absolute address or selector value ever reaches the output.
; In guest mode the test loads its own flat GDT first (SETUP_FLAT_GDT:
; lgdt + far jmp + data segment reloads), because it pops segment registers.
%include "harness.inc"

section .data
align 4
esp0:           dd 0
saved_esp:      dd 0
memval:         dd 0xCAFEF00D
memval16:       dw 0xBEEF, 0
popdst:         dd 0
popdst16:       dw 0, 0
fptr:           dd callee_ret_id
farptr:         dd 0, 0                 ; m16:32, CS filled in at run time
farjmp:         dd 0, 0
old_frame:      dd 0xAAAA0003, 0xAAAA0002, 0xAAAA0001
old_frame_ebp:  dd 0

section .bss
alignb 4096
altstack:       resb 8192

section .text

; ESPD 'label': print "label <esp0 - esp>" (ESP as at the macro), keeps flags
%macro ESPD 1
        pushfd
        push eax
        mov eax, [esp0]
        sub eax, esp
        sub eax, 8
        REPORT %1, eax
        pop eax
        popfd
%endmacro

; CHECK_ESPD 'label', expected
%macro CHECK_ESPD 2
        pushfd
        push eax
        mov eax, [esp0]
        sub eax, esp
        sub eax, 8
        CHECK_EQ %1, eax, %2
        pop eax
        popfd
%endmacro

callee_ret_id:                          ; returns its own return address - label
        mov eax, [esp]
        ret

callee_ret8:                            ; stdcall-like: two args, ret 8
        mov eax, [esp + 4]
        sub eax, [esp + 8]
        ret 8

callee_ret0:                            ; ret imm16 = 0 (C2 00 00)
        mov eax, 0x600d
        ret 0

far_callee:                             ; EAX = EIP slot - label, ECX = CS slot - CS
        mov eax, [esp]
        movzx ecx, word [esp + 4]
        mov edx, cs
        movzx edx, dx
        sub ecx, edx
        retf

far_callee8:                            ; retf 8: pops two dword args
        mov eax, [esp + 8]
        add eax, [esp + 12]
        retf 8

callee_retw:                            ; ret with a 2-byte pop of args
        movzx eax, word [esp + 4]
        ret 2

test_main:
        PUTSLN 'stack: push/pop/call/enter/leave'
        SETUP_FLAT_GDT
        mov [esp0], esp

        ; ------------------------------------------------ push/pop reg --
        mov eax, 0x11111111
        mov ebx, 0x22222222
        push eax
        push ebx
        CHECK_ESPD 'push2.delta', 8
        pop ecx
        pop edx
        CHECK_EQ 'pop.ecx', ecx, 0x22222222
        CHECK_EQ 'pop.edx', edx, 0x11111111
        CHECK_ESPD 'pop2.delta', 0
        mov ebp, 0x55555555
        mov esi, 0x66666666
        mov edi, 0x77777777
        push ebp
        push esi
        push edi
        pop eax
        pop ebx
        pop ecx
        CHECK_EQ 'pop.edi->eax', eax, 0x77777777
        CHECK_EQ 'pop.ebp->ecx', ecx, 0x55555555

        ; ----------------------------------------------- push immediate --
        push byte -5                    ; 6A FB
        CHECK_ESPD 'push.imm8.delta', 4
        pop eax
        CHECK_EQ 'push.imm8', eax, 0xfffffffb
        push byte 0x7f
        pop eax
        CHECK_EQ 'push.imm8.pos', eax, 0x7f
        push dword 0x12345678           ; 68
        pop eax
        CHECK_EQ 'push.imm32', eax, 0x12345678
        push dword 0x80                 ; must stay 68 (0x80 not an imm8)
        pop eax
        CHECK_EQ 'push.imm32.80', eax, 0x80
        mov eax, 0xffffffff
        push word 0x1234                ; 66 68
        CHECK_ESPD 'push.imm16.delta', 2
        pop ax                          ; 66 58
        CHECK_EQ 'push.imm16', eax, 0xffff1234
        push word -2                    ; 66 6A FE
        movzx ebx, word [esp]
        add esp, 2
        CHECK_EQ 'push.imm16s8', ebx, 0xfffe

        ; -------------------------------------------------- push memory --
        push dword [memval]             ; FF 35 abs
        pop eax
        CHECK_EQ 'push.mem', eax, 0xcafef00d
        mov ebx, memval
        push dword [ebx]
        pop eax
        CHECK_EQ 'push.mem.ebx', eax, 0xcafef00d
        push dword 0xa1
        push dword 0xb2
        push dword [esp]                ; duplicate top
        push dword [esp + 8]            ; EA computed before the push
        pop eax
        pop ebx
        pop ecx
        pop edx
        CHECK_EQ 'push.[esp+8]', eax, 0xa1
        CHECK_EQ 'push.[esp]', ebx, 0xb2
        CHECK_EQ 'push.[esp].c', ecx, 0xb2
        CHECK_EQ 'push.[esp].d', edx, 0xa1
        CHECK_ESPD 'pushmem.delta', 0

        ; ----------------------------------------------------- push esp --
        push esp                        ; pushes the value before the push
        mov eax, [esp]
        sub eax, esp
        CHECK_EQ 'push.esp', eax, 4
        pop eax
        sub eax, esp
        CHECK_EQ 'push.esp.pop', eax, 0
        mov eax, 0
        push sp                         ; 66 54: low 16 bits of ESP
        movzx eax, word [esp]
        add esp, 2
        mov ebx, esp
        and ebx, 0xffff
        sub eax, ebx
        CHECK_EQ 'push.sp', eax, 0

        ; ------------------------------------------------------ pop esp --
        lea eax, [esp - 64]
        push eax
        pop esp                         ; ESP = popped value
        CHECK_ESPD 'pop.esp.delta', 64
        lea esp, [esp + 64]
        push esp
        pop esp                         ; net no-op
        CHECK_ESPD 'push.pop.esp.delta', 0

        ; ------------------------------------ pop to [esp]-relative memory --
        push dword 0xa
        push dword 0xb
        pop dword [esp]                 ; EA computed after the increment
        CHECK_ESPD 'pop.[esp].delta', 4
        pop eax
        CHECK_EQ 'pop.[esp]', eax, 0xb
        push dword 0xa
        push dword 0xb
        push dword 0xc
        pop dword [esp + 4]             ; 0xc -> slot of 0xa
        pop eax
        pop ebx
        CHECK_EQ 'pop.[esp+4].top', eax, 0xb
        CHECK_EQ 'pop.[esp+4].val', ebx, 0xc
        push dword 0x5150
        pop dword [popdst]              ; 8F 05 abs
        CHECK_EQ 'pop.mem', dword [popdst], 0x5150
        mov ebx, popdst
        push dword 0x5151
        pop dword [ebx]
        CHECK_EQ 'pop.mem.ebx', dword [popdst], 0x5151
        CHECK_ESPD 'popmem.delta', 0

        ; --------------------------------------------- 16-bit push/pop --
        mov eax, 0xaaaa1234
        mov ebx, 0xbbbb5678
        push ax
        CHECK_ESPD 'push16.delta', 2
        push bx
        CHECK_ESPD 'push16b.delta', 4
        pop cx
        pop dx
        CHECK_ESPD 'pop16.delta', 0
        mov ecx, 0xcccccccc
        mov edx, 0xdddddddd
        push ax
        push bx
        pop cx
        pop dx
        CHECK_EQ 'pop16.cx', ecx, 0xcccc5678
        CHECK_EQ 'pop16.dx', edx, 0xdddd1234
        push word [memval16]            ; 66 FF 35
        pop word [popdst16]             ; 66 8F 05
        movzx eax, word [popdst16]
        CHECK_EQ 'push16.mem', eax, 0xbeef
        push ax                         ; misalign ESP by 2 ...
        push dword 0x01020304           ; ... then a 4-byte push
        pop ebx
        pop cx
        CHECK_EQ 'misaligned.push', ebx, 0x01020304
        CHECK_EQ 'misaligned.push16', ecx, 0xccccbeef
        CHECK_ESPD 'push16.end.delta', 0

        ; ------------------------------------------------- pushad/popad --
        mov eax, 0x0a0a0a0a
        mov ecx, 0x0c0c0c0c
        mov edx, 0x0d0d0d0d
        mov ebx, 0x0b0b0b0b
        mov ebp, 0x0e0e0e0e
        mov esi, 0x05050505
        mov edi, 0x0d1d1d1d
        pushad
        CHECK_ESPD 'pushad.delta', 32
        CHECK_EQ 'pushad.edi', dword [esp + 0], 0x0d1d1d1d
        CHECK_EQ 'pushad.esi', dword [esp + 4], 0x05050505
        CHECK_EQ 'pushad.ebp', dword [esp + 8], 0x0e0e0e0e
        CHECK_EQ 'pushad.ebx', dword [esp + 16], 0x0b0b0b0b
        CHECK_EQ 'pushad.edx', dword [esp + 20], 0x0d0d0d0d
        CHECK_EQ 'pushad.ecx', dword [esp + 24], 0x0c0c0c0c
        CHECK_EQ 'pushad.eax', dword [esp + 28], 0x0a0a0a0a
        mov eax, [esp + 12]             ; the ESP slot: ESP before pushad
        sub eax, esp
        CHECK_EQ 'pushad.esp', eax, 32
        mov dword [esp + 12], 0x12345678 ; ignored by popad
        mov dword [esp + 0], 0x1
        mov dword [esp + 4], 0x2
        mov dword [esp + 8], 0x3
        mov dword [esp + 16], 0x4
        mov dword [esp + 20], 0x5
        mov dword [esp + 24], 0x6
        mov dword [esp + 28], 0x7
        popad
        CHECK_ESPD 'popad.delta', 0
        CHECK_EQ 'popad.edi', edi, 1
        CHECK_EQ 'popad.esi', esi, 2
        CHECK_EQ 'popad.ebp', ebp, 3
        CHECK_EQ 'popad.ebx', ebx, 4
        CHECK_EQ 'popad.edx', edx, 5
        CHECK_EQ 'popad.ecx', ecx, 6
        CHECK_EQ 'popad.eax', eax, 7

        mov eax, 0xffff0001
        mov ecx, 0xffff0002
        mov edx, 0xffff0003
        mov ebx, 0xffff0004
        mov ebp, 0xffff0005
        mov esi, 0xffff0006
        mov edi, 0xffff0007
        pushaw                          ; 66 60
        CHECK_ESPD 'pushaw.delta', 16
        movzx eax, word [esp + 14]
        CHECK_EQ 'pushaw.ax', eax, 1
        movzx eax, word [esp + 0]
        CHECK_EQ 'pushaw.di', eax, 7
        movzx eax, word [esp + 6]       ; SP before pushaw
        lea ebx, [esp + 16]
        and ebx, 0xffff
        sub eax, ebx
        CHECK_EQ 'pushaw.sp', eax, 0
        mov word [esp + 14], 0x0101
        mov word [esp + 8], 0x0404
        mov eax, 0x12340000
        popaw                           ; 66 61
        CHECK_ESPD 'popaw.delta', 0
        CHECK_EQ 'popaw.eax', eax, 0x12340101
        CHECK_EQ 'popaw.ebx', ebx, 0x00000404 ; upper half: from 'and ebx'
        CHECK_EQ 'popaw.edi', edi, 0xffff0007

        ; ------------------------------------------------- pushfd/popfd --
        mov eax, 0x7fffffff
        add eax, 1                      ; OF SF AF PF
        pushfd
        pop eax
        and eax, EFLAGS_ARITH_DF
        CHECK_EQ 'pushfd.add', eax, 0x894
        push dword 0x8d7                ; all arithmetic flags set
        popfd
        pushfd
        pop eax
        and eax, EFLAGS_ARITH_DF
        CHECK_EQ 'popfd.all', eax, 0x8d5
        push dword 0x402                ; DF only
        popfd
        pushfd
        pop eax
        cld
        and eax, EFLAGS_ARITH_DF
        CHECK_EQ 'popfd.df', eax, 0x400
        push dword 0x002
        popfd
        pushfd
        pop eax
        and eax, EFLAGS_ARITH_DF
        CHECK_EQ 'popfd.none', eax, 0
        stc                             ; (ZF PF still set by the 'and')
        pushfw                          ; 66 9C
        CHECK_ESPD 'pushfw.delta', 2
        movzx eax, word [esp]
        and eax, EFLAGS_ARITH_DF
        CHECK_EQ 'pushfw', eax, 0x45
        mov word [esp], 0x0846          ; OF ZF PF + reserved bit 1
        popfw                           ; 66 9D
        pushfd
        pop eax
        and eax, EFLAGS_ARITH_DF
        CHECK_EQ 'popfw', eax, 0x844
        CHECK_ESPD 'flags.delta', 0

        ; ---------------------------------------------------- enter/leave --
        mov ebp, 0x12345678
        mov ebx, esp
        enter 16, 0
        mov eax, ebx
        sub eax, ebp
        CHECK_EQ 'enter0.ebp', eax, 4
        mov eax, ebp
        sub eax, esp
        CHECK_EQ 'enter0.size', eax, 16
        CHECK_EQ 'enter0.saved', dword [ebp], 0x12345678
        leave
        CHECK_EQ 'leave0.ebp', ebp, 0x12345678
        CHECK_ESPD 'leave0.delta', 0

        enter 0, 0
        CHECK_ESPD 'enter00.delta', 4
        leave
        CHECK_ESPD 'leave00.delta', 0

        mov ebp, 0x0badf00d
        mov ebx, esp
        enter 8, 1
        mov eax, ebx
        sub eax, ebp
        CHECK_EQ 'enter1.ebp', eax, 4
        mov eax, ebp
        sub eax, esp
        CHECK_EQ 'enter1.size', eax, 12
        CHECK_EQ 'enter1.saved', dword [ebp], 0x0badf00d
        mov eax, [ebp - 4]              ; frame temp = new EBP
        sub eax, ebp
        CHECK_EQ 'enter1.display', eax, 0
        leave
        CHECK_EQ 'leave1.ebp', ebp, 0x0badf00d
        CHECK_ESPD 'leave1.delta', 0

        mov ebp, old_frame_ebp          ; [ebp-4]=..01, [ebp-8]=..02
        mov ebx, esp
        enter 12, 3
        mov eax, ebx
        sub eax, ebp
        CHECK_EQ 'enter3.ebp', eax, 4
        mov eax, ebp
        sub eax, esp
        CHECK_EQ 'enter3.size', eax, 24   ; 2 copied + frame temp + 12
        mov eax, [ebp]
        sub eax, old_frame_ebp
        CHECK_EQ 'enter3.saved', eax, 0
        CHECK_EQ 'enter3.disp1', dword [ebp - 4], 0xaaaa0001
        CHECK_EQ 'enter3.disp2', dword [ebp - 8], 0xaaaa0002
        mov eax, [ebp - 12]
        sub eax, ebp
        CHECK_EQ 'enter3.temp', eax, 0
        leave
        mov eax, ebp
        sub eax, old_frame_ebp
        CHECK_EQ 'leave3.ebp', eax, 0
        CHECK_ESPD 'leave3.delta', 0

        ; ------------------------------------------------------ call/ret --
        call callee_ret_id
.after_call1:
        sub eax, .after_call1
        CHECK_EQ 'call.retaddr', eax, 0
        CHECK_ESPD 'call.delta', 0
        push dword 100
        push dword 58                   ; [esp+4]=58 ... callee sees args
        call callee_ret8
        CHECK_EQ 'ret8.value', eax, 0xffffffd6  ; 58 - 100
        CHECK_ESPD 'ret8.delta', 0
        call callee_ret0
        CHECK_EQ 'ret0.value', eax, 0x600d
        CHECK_ESPD 'ret0.delta', 0
        push word 0x4242
        call callee_retw
        CHECK_EQ 'retw.value', eax, 0x4242
        CHECK_ESPD 'retw.delta', 0
        mov ecx, callee_ret_id
        call ecx                        ; FF D1
.after_call2:
        sub eax, .after_call2
        CHECK_EQ 'call.reg', eax, 0
        call [fptr]                     ; FF 15 abs
.after_call3:
        sub eax, .after_call3
        CHECK_EQ 'call.mem', eax, 0
        mov ebx, fptr - 8
        call [ebx + 8]
.after_call4:
        sub eax, .after_call4
        CHECK_EQ 'call.mem.ebx', eax, 0
        push dword callee_ret_id
        call [esp]                      ; EA computed before the push
.after_call5:
        add esp, 4
        sub eax, .after_call5
        CHECK_EQ 'call.[esp]', eax, 0
        CHECK_ESPD 'calls.delta', 0

        ; ------------------------------------------- segment registers --
        push ds
        CHECK_ESPD 'push.ds', 4
        pop ds
        push es
        CHECK_ESPD 'push.es', 4
        pop es
        push ss
        CHECK_ESPD 'push.ss', 4
        pop ss
        push fs
        CHECK_ESPD 'push.fs', 4
        pop fs
        push gs
        CHECK_ESPD 'push.gs', 4
        pop gs
        push cs
        CHECK_ESPD 'push.cs', 4
        add esp, 4
        o16 push ds                     ; 66 1E
        CHECK_ESPD 'push16.ds', 2
        o16 pop ds
        o16 push es
        o16 pop es
        o16 push fs
        CHECK_ESPD 'push16.fs', 2
        o16 pop fs
        o16 push cs
        CHECK_ESPD 'push16.cs', 2
        add esp, 2
        mov ax, ss
        mov ss, ax
        mov ax, ds
        mov es, ax
        CHECK_ESPD 'seg.delta', 0
        mov eax, 0x1234                 ; still a flat data segment?
        mov [popdst], eax
        CHECK_EQ 'seg.memok', dword [popdst], 0x1234

        ; ------------------------------- far call/ret/jmp with current CS --
        mov ax, cs
        mov [farptr + 4], ax
        mov [farjmp + 4], ax
        mov dword [farptr], far_callee
        mov dword [farjmp], .far_jmp_target
        call far [farptr]               ; FF /3
.after_far:
        sub eax, .after_far
        CHECK_EQ 'callf.eip', eax, 0
        CHECK_EQ 'callf.cs', ecx, 0
        CHECK_ESPD 'callf.delta', 0
        mov dword [farptr], far_callee8
        push dword 0x300
        push dword 0x12
        call far [farptr]
        CHECK_EQ 'retf8.value', eax, 0x312
        CHECK_ESPD 'retf8.delta', 0
        xor eax, eax
        push cs                         ; push cs; push eip; retf
        push dword .far_ret_target
        retf
        mov eax, 0xbad
.far_ret_target:
        CHECK_EQ 'retf.jump', eax, 0
        CHECK_ESPD 'retf.delta', 0
        jmp far [farjmp]                ; FF /5
        mov eax, 0xbad
.far_jmp_target:
        CHECK_EQ 'jmpf', eax, 0

        ; ------------------------------------------------ xchg with ESP --
        mov eax, esp
        sub eax, 256
        xchg eax, esp                   ; 94
        push dword 0x77
        pop ebx
        xchg esp, eax                   ; 94 (or 87 /r)
        CHECK_EQ 'xchg.esp.val', ebx, 0x77
        CHECK_ESPD 'xchg.esp.delta', 0
        mov eax, esp
        mov ebp, eax
        mov esp, ebp
        sub esp, 20
        add esp, 12
        lea esp, [esp + 8]
        CHECK_ESPD 'arith.esp.delta', 0

        ; --------------------------- stack straddling a 4 KiB boundary --
        mov [saved_esp], esp
        mov esp, altstack + 4096 + 2
        mov eax, 0x89abcdef
        push eax                        ; bytes 4094..4097 of altstack
        mov ebx, [altstack + 4094]
        mov ecx, [esp]
        call callee_ret_id              ; return address straddles too
.after_call6:
        sub eax, .after_call6
        mov esi, eax
        pushad
        popad
        pushfd
        popfd
        pop edx
        mov esp, [saved_esp]
        CHECK_EQ 'straddle.mem', ebx, 0x89abcdef
        CHECK_EQ 'straddle.top', ecx, 0x89abcdef
        CHECK_EQ 'straddle.pop', edx, 0x89abcdef
        CHECK_EQ 'straddle.call', esi, 0
        mov esp, altstack + 4096 + 2
        mov ebp, 0x31415926
        enter 32, 1                     ; saved EBP straddles the boundary
        mov eax, [ebp]
        mov ecx, [ebp - 4]
        sub ecx, ebp
        mov edx, ebp
        sub edx, esp
        leave
        mov ebx, esp
        mov esp, [saved_esp]
        CHECK_EQ 'straddle.enter.saved', eax, 0x31415926
        CHECK_EQ 'straddle.enter.temp', ecx, 0
        CHECK_EQ 'straddle.enter.size', edx, 36
        CHECK_EQ 'straddle.leave.ebp', ebp, 0x31415926
        sub ebx, altstack + 4096 + 2
        CHECK_EQ 'straddle.leave.esp', ebx, 0
        CHECK_ESPD 'end.delta', 0
        ret
