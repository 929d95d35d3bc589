; string.asm -- movs/stos/lods/cmps/scas in byte/word/dword sizes, with and
; without rep/repe/repne, DF=0 and DF=1, ECX=0, overlapping moves, counts
; that cross several 4 KiB pages at misaligned offsets, and segment
; override prefixes on the source operand (flat segments: same result).
;
; After each operation one line is printed:
;   label ecx=<ECX> dsi=<ESI - start> ddi=<EDI - start> fl=<EFLAGS & 0xcd5>
; and destination buffers are hashed whole (16 KiB, so overruns show).
%include "harness.inc"

BUFSZ   equ 16384

section .bss
alignb 4096
src:    resb BUFSZ
dst:    resb BUFSZ

section .data
align 4
s0:     dd 0
d0:     dd 0

section .text

; BEGIN: remember ESI/EDI for the deltas printed by STATE
%macro BEGIN 0
        mov [s0], esi
        mov [d0], edi
%endmacro

%macro STATE 1
        pushfd
        PUTS %1
        PUTS ' ecx='
        PUTHEX ecx
        push eax
        mov eax, esi
        sub eax, [s0]
        PUTS ' dsi='
        PUTHEX eax
        mov eax, edi
        sub eax, [d0]
        PUTS ' ddi='
        PUTHEX eax
        mov eax, [esp + 4]
        and eax, EFLAGS_ARITH_DF
        PUTS ' fl='
        PUTHEX eax
        NEWLINE
        pop eax
        popfd
%endmacro

; DSTHASH 'label': hash the whole destination buffer
%macro DSTHASH 1
        push esi
        push ecx
        HASH_RESET
        mov esi, dst
        mov ecx, BUFSZ
        call hash_mem
        REPORT_HASH %1
        pop ecx
        pop esi
%endmacro

; fill_src / reset_dst: plain loops (no string instructions).  Neither
; pattern contains a zero byte.
fill_src:
        xor ecx, ecx
.l:
        mov eax, ecx
        shr eax, 8
        lea edx, [ecx * 8 + ecx]
        xor eax, edx
        or al, 0x01
        mov [src + ecx], al
        inc ecx
        cmp ecx, BUFSZ
        jb .l
        ret

reset_dst:
        push eax
        push ecx
        xor ecx, ecx
.l:
        lea eax, [ecx * 4 + ecx]
        lea eax, [eax * 2 + ecx + 0x5a]
        or al, 0x80
        mov [dst + ecx], al
        inc ecx
        cmp ecx, BUFSZ
        jb .l
        pop ecx
        pop eax
        ret

test_main:
        PUTSLN 'string: movs stos lods cmps scas'
        call fill_src
        cld

        ; ----------------------------------------------------------- movs --
        call reset_dst
        mov esi, src + 3
        mov edi, dst + 4093
        mov ecx, 10000
        BEGIN
        rep movsb
        STATE 'rep_movsb_fwd'
        DSTHASH 'rep_movsb_fwd.hash'

        call reset_dst
        mov esi, src + 1
        mov edi, dst + 2
        mov ecx, 3001
        BEGIN
        rep movsw
        STATE 'rep_movsw_fwd'
        DSTHASH 'rep_movsw_fwd.hash'

        call reset_dst
        mov esi, src + 4094
        mov edi, dst + 4091
        mov ecx, 2500
        BEGIN
        rep movsd
        STATE 'rep_movsd_fwd'
        DSTHASH 'rep_movsd_fwd.hash'

        call reset_dst
        std
        mov esi, src + 9999
        mov edi, dst + 12000
        mov ecx, 9000
        BEGIN
        rep movsb
        STATE 'rep_movsb_bwd'
        cld
        DSTHASH 'rep_movsb_bwd.hash'

        call reset_dst
        std
        mov esi, src + 8000
        mov edi, dst + 12002
        mov ecx, 2000
        BEGIN
        rep movsd
        STATE 'rep_movsd_bwd'
        cld
        DSTHASH 'rep_movsd_bwd.hash'

        call reset_dst
        std
        mov esi, src + 5001
        mov edi, dst + 8191
        mov ecx, 1500
        BEGIN
        rep movsw
        STATE 'rep_movsw_bwd'
        cld
        DSTHASH 'rep_movsw_bwd.hash'

        ; single movs, both directions
        call reset_dst
        mov esi, src + 10
        mov edi, dst + 20
        BEGIN
        movsb
        movsw
        movsd
        STATE 'movs_single_fwd'
        std
        movsd
        movsw
        movsb
        STATE 'movs_single_bwd'
        cld
        DSTHASH 'movs_single.hash'

        ; ECX = 0: nothing moves, flags untouched
        call reset_dst
        mov esi, src
        mov edi, dst
        xor ecx, ecx
        BEGIN
        push dword 0x8d7
        popfd
        rep movsb
        STATE 'rep_movsb_ecx0'
        push dword 0x002
        popfd
        rep movsd
        STATE 'rep_movsd_ecx0'
        DSTHASH 'ecx0.hash'

        ; ---------------------------------------------- overlapping moves --
        call reset_dst
        mov esi, dst + 100
        mov edi, dst + 101              ; forward, distance 1: replication
        mov ecx, 5000
        BEGIN
        rep movsb
        STATE 'overlap_movsb_d1'
        DSTHASH 'overlap_movsb_d1.hash'

        call reset_dst
        mov esi, dst + 200
        mov edi, dst + 202              ; forward, distance 2 < 4
        mov ecx, 1000
        BEGIN
        rep movsd
        STATE 'overlap_movsd_d2'
        DSTHASH 'overlap_movsd_d2.hash'

        call reset_dst
        mov esi, dst + 4090
        mov edi, dst + 4100             ; forward, distance 10 (8-byte gap)
        mov ecx, 6000
        BEGIN
        rep movsb
        STATE 'overlap_movsb_d10'
        DSTHASH 'overlap_movsb_d10.hash'

        call reset_dst
        std                             ; memmove to higher addresses
        mov esi, dst + 5000
        mov edi, dst + 5010
        mov ecx, 4000
        BEGIN
        rep movsb
        STATE 'overlap_movsb_bwd'
        cld
        DSTHASH 'overlap_movsb_bwd.hash'

        call reset_dst
        std                             ; backward, dst below src
        mov esi, dst + 3000
        mov edi, dst + 2999
        mov ecx, 1000
        BEGIN
        rep movsw
        STATE 'overlap_movsw_bwd_down'
        cld
        DSTHASH 'overlap_movsw_bwd_down.hash'

        ; ----------------------------------------------------------- stos --
        call reset_dst
        mov al, 0x5c
        mov edi, dst + 4090
        mov ecx, 5000
        BEGIN
        rep stosb
        STATE 'rep_stosb'
        mov eax, 0xa5a51234
        mov edi, dst + 1
        mov ecx, 1000
        BEGIN
        rep stosw
        STATE 'rep_stosw'
        mov eax, 0xdeadbeef
        mov edi, dst + 9214
        mov ecx, 1500
        BEGIN
        rep stosd
        STATE 'rep_stosd'
        std
        mov eax, 0x01020304
        mov edi, dst + 16000
        mov ecx, 700
        BEGIN
        rep stosd
        STATE 'rep_stosd_bwd'
        stosb
        stosw
        STATE 'stos_single_bwd'
        cld
        stosw
        stosb
        stosd
        STATE 'stos_single_fwd'
        xor ecx, ecx
        push dword 0x8d7
        popfd
        BEGIN
        rep stosd
        STATE 'rep_stosd_ecx0'
        DSTHASH 'stos.hash'

        ; ----------------------------------------------------------- lods --
        mov esi, src + 4000
        xor edx, edx
        xor eax, eax
        mov ecx, 300
        BEGIN
.lb:
        lodsb
        add edx, eax
        rol edx, 1
        dec ecx
        jnz .lb
        STATE 'lodsb_loop'
        REPORT 'lodsb_loop.sum', edx
        mov esi, src + 77
        mov ecx, 10
        BEGIN
        rep lodsb                       ; AL = last byte
        STATE 'rep_lodsb'
        REPORT 'rep_lodsb.eax', eax
        std
        mov esi, src + 12000
        xor edx, edx
        mov ecx, 100
        BEGIN
.ld:
        lodsd
        xor edx, eax
        rol edx, 3
        dec ecx
        jnz .ld
        cld
        STATE 'lodsd_bwd'
        REPORT 'lodsd_bwd.sum', edx
        mov eax, 0xffffffff
        mov esi, src + 4095
        BEGIN
        lodsw
        STATE 'lodsw'
        REPORT 'lodsw.eax', eax

        ; ----------------------------------------------------------- cmps --
        mov esi, src                    ; dst = copy of src, one byte changed
        mov edi, dst
        mov ecx, BUFSZ
        rep movsb
        xor byte [dst + 7000], 0x40
        mov esi, src
        mov edi, dst
        mov ecx, 9000
        BEGIN
        repe cmpsb
        STATE 'repe_cmpsb'
        mov esi, src + 4
        mov edi, dst + 4
        mov ecx, 3000
        BEGIN
        repe cmpsd
        STATE 'repe_cmpsd'
        mov esi, src + 2
        mov edi, dst + 2
        mov ecx, 1000
        BEGIN
        repe cmpsw                      ; no difference in range
        STATE 'repe_cmpsw_equal'
        xor ecx, ecx                    ; dst[i] = src[i] ^ 0x20, except
.mk:                                    ; one equal byte at 4321
        mov al, [src + ecx]
        xor al, 0x20
        mov [dst + ecx], al
        inc ecx
        cmp ecx, 5000
        jb .mk
        mov al, [src + 4321]
        mov [dst + 4321], al
        mov esi, src
        mov edi, dst
        mov ecx, 5000
        BEGIN
        repne cmpsb                     ; stops after 4321
        STATE 'repne_cmpsb'
        std
        mov esi, src + 9000
        mov edi, dst + 9000
        mov ecx, 5000
        BEGIN
        repe cmpsb                      ; backward, stops at 7000
        STATE 'repe_cmpsb_bwd'
        cld
        mov esi, src + 6999
        mov edi, dst + 6999
        BEGIN
        cmpsb
        STATE 'cmpsb_single_eq'
        cmpsb
        STATE 'cmpsb_single_ne'
        cmpsd
        STATE 'cmpsd_single'
        xor ecx, ecx
        push dword 0x8d7
        popfd
        BEGIN
        repe cmpsb                      ; ECX = 0: flags untouched
        STATE 'repe_cmpsb_ecx0'
        push dword 0x002
        popfd
        repne cmpsd
        STATE 'repne_cmpsd_ecx0'

        ; ----------------------------------------------------------- scas --
        call reset_dst
        mov byte [dst + 6543], 0
        mov edi, dst + 10
        xor eax, eax
        mov ecx, -1
        BEGIN
        repne scasb                     ; strlen
        STATE 'repne_scasb_strlen'
        not ecx
        dec ecx
        CHECK_EQ 'strlen', ecx, 6533
        mov eax, 0x11223344
        mov edi, dst + 4092
        mov ecx, 1000
        rep stosd
        mov dword [dst + 4092 + 4 * 777], 0x11223345
        mov edi, dst + 4092
        mov ecx, 1000
        BEGIN
        repe scasd
        STATE 'repe_scasd'
        mov edi, dst + 4092
        mov ecx, 700
        BEGIN
        repe scasd                      ; all equal
        STATE 'repe_scasd_equal'
        mov ax, 0x3344
        mov edi, dst + 4092
        BEGIN
        scasw
        STATE 'scasw_eq'
        scasw
        STATE 'scasw_ne'
        std
        mov al, 0x45
        mov edi, dst + 4092 + 4 * 999 + 3
        mov ecx, 4000
        BEGIN
        repne scasb                     ; backward search
        STATE 'repne_scasb_bwd'
        cld
        xor ecx, ecx
        push dword 0x8d7
        popfd
        BEGIN
        repne scasb
        STATE 'repne_scasb_ecx0'

        ; -------------------------------------- segment override prefixes --
        call reset_dst
        mov esi, src + 333
        mov edi, dst + 4000
        BEGIN
        ds movsb                        ; 3E A4
        cs movsb                        ; 2E A4
        ss movsw                        ; 36 66 A5
        es movsd                        ; 26 A5
        STATE 'seg_movs_single'
        mov ecx, 5000
        BEGIN
        db 0x2E                         ; cs: rep movsb
        rep movsb
        STATE 'cs_rep_movsb'
        mov ecx, 1000
        BEGIN
        db 0x36                         ; ss: rep movsd
        rep movsd
        STATE 'ss_rep_movsd'
        mov ecx, 777
        BEGIN
        db 0x3E                         ; ds: rep movsw
        rep movsw
        STATE 'ds_rep_movsw'
        DSTHASH 'seg_movs.hash'
        mov esi, src + 100
        BEGIN
        cs lodsd                        ; 2E AD
        STATE 'cs_lodsd'
        REPORT 'cs_lodsd.eax', eax
        mov esi, src + 333
        mov edi, dst + 4000
        mov ecx, 2000
        BEGIN
        db 0x26                         ; es: repe cmpsb
        repe cmpsb
        STATE 'es_repe_cmpsb'
        ret
