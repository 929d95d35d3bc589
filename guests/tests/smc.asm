; smc.asm -- self-modifying code.
;  (a) patch the imm32 of `mov eax, imm32` in a function, then call it;
;      1000 times with different values
;  (b) patch instructions later in the same straight-line sequence (same
;      basic block, no jump between the store and the patched instruction):
;      the very next instruction, one three instructions ahead, an opcode
;      byte (inc <-> dec), a read-modify-write of an immediate, and a
;      rep stosb over the following code
;  (c) copy a routine into a buffer with rep movsb, call it, overwrite it
;      with a different routine, call again (alternating 200 times)
;  (d) code and data in the same 4 KiB page: data written on every
;      iteration next to code that is called on every iteration, the
;      routine itself writing into its own page, and occasional code patches
;  (e) patch the rel32 of a jmp and the rel8 of a jcc that have already run
; Everything is self-checked against the expected values.
%include "harness.inc"

section .data
align 4
errors:         dd 0

; (c) and (d) live in writable data pages
align 4096
codebuf:        times 256 db 0xCC
align 4096
mixpage:        ; code at +0, data at +2048, all on one page
mix_code:
        mov eax, [mix_counter]
        lea eax, [eax + eax * 2]        ; counter * 3
mix_add:
        add eax, strict dword 0         ; imm32 patched now and then
        add dword [mix_own], 1          ; writes into its own page
        ret
        times 2048 - ($ - mixpage) db 0xCC
mix_counter:    dd 0
mix_own:        dd 0
        times 4096 - ($ - mixpage) db 0

section .text

; count_error: increment `errors` if EAX != EDX (keeps flags)
check_eax_edx:
        pushfd
        cmp eax, edx
        je .ok
        add dword [errors], 1
.ok:
        popfd
        ret

; ---------------------------------------------------------------- (a) --
smc_fn:
        mov eax, strict dword 0x12345678
        ret

; ---------------------------------------------------- (c) templates --
tmpl1:
        mov eax, 0x1111
        add eax, ecx
        ret
tmpl1_end:
tmpl2:
        lea eax, [ecx * 2 + 0x2222]
        xor eax, 0x5555
        imul eax, eax, 3
        ret
tmpl2_end:

; ---------------------------------------------------------------- (e) --
patch_jmp:
        jmp strict near jtarget_a
jtarget_a:
        mov eax, 1
        ret
jtarget_b:
        mov eax, 2
        ret

patch_jcc:                              ; ZF from the caller
        jz strict short .z              ; rel8 patched between .z and .z2
        mov eax, 10
        ret
.z:
        mov eax, 20
        ret
.z2:
        mov eax, 30
        ret

test_main:
        PUTSLN 'smc: self-modifying code'

        ; ----------------------------------- (a) imm32 patch + call, 1000x --
        xor esi, esi                    ; sum of results
        xor edi, edi                    ; expected sum
        xor ecx, ecx
.a_loop:
        mov edx, ecx
        imul edx, edx, 0x9e3779b9
        xor edx, 0x5bd1e995
        mov [smc_fn + 1], edx
        call smc_fn
        call check_eax_edx
        add esi, eax
        add edi, edx
        inc ecx
        cmp ecx, 1000
        jb .a_loop
        CHECK_EQ 'a.sum', esi, edi
        REPORT 'a.sum.value', esi

        ; ---------------------------------- (b) same-block patches --
        xor esi, esi
        xor edi, edi
        xor ecx, ecx
.b1_loop:
        lea edx, [ecx + 0x21]
        mov [.b1_target + 1], dl        ; patch the imm8 of the next insn
.b1_target:
        mov al, 0x00
        movzx eax, al
        movzx edx, dl
        call check_eax_edx
        add esi, eax
        add edi, edx
        inc ecx
        cmp ecx, 200
        jb .b1_loop
        CHECK_EQ 'b.next_insn', esi, edi

        xor esi, esi
        xor ecx, ecx
.b2_loop:
        lea edx, [ecx * 8 + 0x777]
        mov [.b2_target + 1], edx       ; patch three instructions ahead
        add ebx, 1
        xor eax, eax
        lea edi, [edx + 1]
.b2_target:
        mov eax, strict dword 0
        call check_eax_edx
        add esi, eax
        inc ecx
        cmp ecx, 200
        jb .b2_loop
        REPORT 'b.ahead3', esi

        xor eax, eax                    ; opcode patch: inc eax <-> dec eax
        xor ecx, ecx
.b3_loop:
        mov edx, ecx
        and edx, 1
        shl edx, 3
        add edx, 0x40                   ; 0x40 (inc eax) or 0x48 (dec eax)
        mov [.b3_target], dl
.b3_target:
        inc eax
        inc eax
        inc ecx
        cmp ecx, 101
        jb .b3_loop
        ; 51 iterations of inc+inc, 50 of dec+inc
        CHECK_EQ 'b.opcode', eax, 102

        xor esi, esi                    ; read-modify-write of an imm8
        mov byte [.b4_target + 1], 0
        xor ecx, ecx
.b4_loop:
        add byte [.b4_target + 1], 3
.b4_target:
        mov bl, 0
        movzx ebx, bl
        add esi, ebx
        inc ecx
        cmp ecx, 50
        jb .b4_loop
        CHECK_EQ 'b.rmw', esi, 3825     ; 3 * (1 + ... + 50)

        mov edi, .b5_target             ; rep stosb over the following code:
        mov al, 0x90                    ; the three `inc eax` become nops
        mov ecx, 3
        xor ebx, ebx
        rep stosb
.b5_target:
        inc ebx
        inc ebx
        inc ebx
        CHECK_EQ 'b.rep_stosb', ebx, 0

        ; --------------------------------------- (c) copy + call, rewrite --
        xor esi, esi
        xor ebp, ebp
.c_loop:
        mov eax, ebp
        and eax, 1
        jnz .c_t2
        push esi
        mov esi, tmpl1
        mov edi, codebuf
        mov ecx, tmpl1_end - tmpl1
        rep movsb
        pop esi
        mov ecx, ebp
        call codebuf
        lea edx, [ebp + 0x1111]
        jmp .c_chk
.c_t2:
        push esi
        mov esi, tmpl2
        mov edi, codebuf
        mov ecx, tmpl2_end - tmpl2
        rep movsb
        pop esi
        mov ecx, ebp
        call codebuf
        lea edx, [ebp * 2 + 0x2222]
        xor edx, 0x5555
        imul edx, edx, 3
.c_chk:
        call check_eax_edx
        add esi, eax
        inc ebp
        cmp ebp, 200
        jb .c_loop
        REPORT 'c.sum', esi

        ; ------------------------------------ (d) code + data on one page --
        xor esi, esi
        xor edi, edi                    ; current patched imm32
        xor ecx, ecx
.d_loop:
        add dword [mix_counter], 1
        mov eax, ecx
        and eax, 1023
        jnz .d_nopatch
        lea edi, [ecx + 0x100]
        mov [mix_add + 1], edi
.d_nopatch:
        call mix_code
        mov edx, [mix_counter]
        lea edx, [edx + edx * 2]
        add edx, edi
        call check_eax_edx
        add esi, eax
        inc ecx
        cmp ecx, 10000
        jb .d_loop
        REPORT 'd.sum', esi
        CHECK_EQ 'd.own_writes', dword [mix_own], 10000

        ; --------------------------------------- (e) patch jmp rel32 / jcc --
        xor esi, esi
        xor ecx, ecx
.e_loop:
        mov eax, ecx
        and eax, 1
        jz .e_a
        mov dword [patch_jmp + 1], jtarget_b - (patch_jmp + 5)
        mov edx, 2
        jmp .e_go
.e_a:
        mov dword [patch_jmp + 1], jtarget_a - (patch_jmp + 5)
        mov edx, 1
.e_go:
        call patch_jmp
        call check_eax_edx
        add esi, eax
        inc ecx
        cmp ecx, 100
        jb .e_loop
        CHECK_EQ 'e.jmp_sum', esi, 150

        xor esi, esi
        xor ecx, ecx
.e2_loop:
        mov eax, ecx
        and eax, 1
        jz .e2_a
        mov byte [patch_jcc + 1], patch_jcc.z2 - (patch_jcc + 2)
        mov edx, 30
        jmp .e2_go
.e2_a:
        mov byte [patch_jcc + 1], patch_jcc.z - (patch_jcc + 2)
        mov edx, 20
.e2_go:
        cmp eax, eax                    ; ZF = 1: branch taken
        call patch_jcc
        call check_eax_edx
        add esi, eax
        test esp, esp                   ; ZF = 0: falls through
        call patch_jcc
        mov edx, 10
        call check_eax_edx
        add esi, eax
        inc ecx
        cmp ecx, 100
        jb .e2_loop
        CHECK_EQ 'e.jcc_sum', esi, 3500

        CHECK_EQ 'smc.errors', dword [errors], 0
        ret
