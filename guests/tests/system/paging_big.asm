; paging_big.asm -- stress: 1 GiB of linear pages touched at CPL 3 while
; IRQ0 (PIT at 1 kHz) switches CR3 between two page directories every
; millisecond.
;
; Guest RAM stays small through aliasing: 256 page tables (1 MiB) map the
; 262144 linear pages 0x40000000 .. 0x7FFFFFFF onto a pool of 4096
; physical pages (16 MiB at 32 MiB): PT k, entry j -> pool page
; (j + 17 k) mod 4096, so each pool page has about 64 linear aliases.  Both
; directories D1 and D2 use the same 256 page tables for that range (so the
; data seen does not depend on when a switch happens) and share the kernel
; mappings; each maps its own "space id" page at 0x3FC00000 (1 or 2).
; Intel SDM vol. 3 ch. 4 (MOV to CR3 invalidates non-global translations).
; Four passes over the whole range; for each linear page L the ring-3 code
;   writes V = L ^ salt(pass) at L + 8 and reads it back at once (aliases
;   share memory, but nothing else writes in between: even a CR3 switch
;   keeps the same translation),
;   adds 1 to the dword at L + 4 (one instruction),
;   reads the space id page and counts ids 1 and 2.
; Checked afterwards with paging off, against a simulation of the mapping:
; no read-back mismatch; every pool page's +4 dword = 4 * its number of
; aliases; its +8 dword = the value of its last alias in the last pass; IRQ0
; switched CR3 at least once and both space ids were seen; the pool pages'
; other dwords are untouched.  Needs 64 MiB of guest RAM.
%include "harness.inc"
%include "system.inc"
%include "paging.inc"

%define BIG         0x40000000
%define NPT         256
%define NLPAGES     (NPT * 1024)        ; 262144 linear pages = 1 GiB
%define POOL        0x02000000
%define NPOOL       4096
%define SPACE       0x3FC00000
%define NPASS       4
%define PIT_1KHZ    1193
%define SALT_STEP   0x9E3779B9          ; salt of pass p: p * SALT_STEP
%define SALT_LAST   (((NPASS - 1) * SALT_STEP) & 0xFFFFFFFF)

section .data
align 4
dirs:           dd 0, 0
cur:            dd 0
switches:       dd 0
seen:           dd 0, 0, 0              ; by space id 0 (bad), 1, 2
mismatch:       dd 0
pt_base:        dd 0                    ; first of the 256 page tables
bad_count:      dd 0
bad_last:       dd 0
bad_other:      dd 0
tick_cs_r0:     dd 0

section .bss
alignb 4
exp_last:       resd NPOOL              ; last linear alias of each pool page
exp_n:          resd NPOOL              ; number of aliases

section .text

; IRQ0: switch to the other directory
tick:
        add dword [sys_ticks], 1
        mov al, 0x20
        out 0x20, al
        test byte [ebp + FR_CS], 3
        jnz .r3
        add dword [tick_cs_r0], 1
.r3:
        mov eax, [cur]
        xor eax, 1
        mov [cur], eax
        mov eax, [dirs + eax * 4]
        mov cr3, eax
        add dword [switches], 1
        ret

; ring 3: NPASS passes over 1 GiB
r3_touch:
        xor ebp, ebp                    ; salt
        mov edi, NPASS
.pass:
        mov esi, BIG
.page:
        mov eax, esi
        xor eax, ebp
        mov [esi + 8], eax
        cmp [esi + 8], eax
        je .same
        add dword [mismatch], 1
.same:
        add dword [esi + 4], 1
        mov eax, [SPACE]
        cmp eax, 2
        jbe .id_ok
        xor eax, eax
.id_ok:
        add dword [seen + eax * 4], 1
        add esi, 4096
        cmp esi, BIG + NLPAGES * 4096   ; wraps to 0x80000000: not 0
        jne .page
        add ebp, SALT_STEP
        sub edi, 1
        jnz .pass
        RING0

; pool_index: EAX = k, EDX = j -> EAX = pool page index
%macro POOL_INDEX 0
        imul eax, eax, 17
        add eax, edx
        and eax, NPOOL - 1
%endmacro

test_main:
        PUTSLN 'paging_big: 1 GiB of linear pages, CR3 switched every ms'
        SYS_INIT
        call pic_init
        ; the pool: +4 and +8 zero, +0 and +12 canaries
        mov edi, POOL
        xor ecx, ecx
.pool:
        mov [edi], ecx
        mov dword [edi + 4], 0
        mov dword [edi + 8], 0
        mov dword [edi + 12], 0xC0FFEE00
        add edi, 4096
        add ecx, 1
        cmp ecx, NPOOL
        jb .pool
        ; 256 page tables
        xor esi, esi                    ; k
.pt:
        call pg_alloc
        test esi, esi
        jnz .not_first
        mov [pt_base], eax
.not_first:
        mov edi, eax
        xor edx, edx                    ; j
.pte:
        mov eax, esi
        POOL_INDEX
        shl eax, 12
        add eax, POOL | PG_URW
        mov [edi + edx * 4], eax
        add edx, 1
        cmp edx, 1024
        jb .pte
        add esi, 1
        cmp esi, NPT
        jb .pt
        ; two directories sharing them, each with its own space id page
        xor esi, esi
.dir:
        call pg_new_kdir
        mov [dirs + esi * 4], eax
        mov edx, eax
        xor ecx, ecx
.pde:
        mov eax, ecx
        shl eax, 12
        add eax, [pt_base]
        or eax, PG_URW
        mov [edx + ((BIG >> 22) + ecx) * 4], eax
        add ecx, 1
        cmp ecx, NPT
        jb .pde
        call pg_alloc
        lea ebx, [esi + 1]
        mov [eax], ebx                  ; space id
        mov ebx, eax
        or ebx, PG_URW
        mov eax, SPACE
        call pg_map
        add esi, 1
        cmp esi, 2
        jb .dir
        ; page tables must be consecutive (pg_alloc is a bump allocator)
        mov eax, [dirs]
        mov eax, [eax + ((BIG >> 22) + NPT - 1) * 4]
        and eax, 0xFFFFF000
        sub eax, [pt_base]
        CHECK_EQ 'setup.pt_contiguous', eax, (NPT - 1) * 4096

        SET_HOOK 0x20, tick
        PG_ENABLE [dirs]
        mov eax, PIT_1KHZ
        mov edx, PIT_CH0_MODE2
        call pit_ch0
        mov ax, 0xFFFE
        call pic_set_mask
        ENTER_RING3 r3_touch, EFL_IF | 2
        mov ax, 0xFFFF
        call pic_set_mask
        CLEAR_HOOK 0x20
        PG_DISABLE

        PUTS 'ticks '
        PUTDEC dword [sys_ticks]
        PUTS ', CR3 switches '
        PUTDEC dword [switches]
        PUTS ', pages seen in space 1: '
        PUTDEC dword [seen + 4]
        PUTS ', space 2: '
        PUTDEC dword [seen + 8]
        NEWLINE
        CHECK_RANGE 'switches', dword [switches], 1, 0xFFFFFFFF
        CHECK_EQ 'irq0_at_cpl0', dword [tick_cs_r0], 0
        CHECK_EQ 'readback_mismatches', dword [mismatch], 0
        CHECK_EQ 'seen.bad_id', dword [seen], 0
        mov eax, [seen + 4]
        add eax, [seen + 8]
        CHECK_EQ 'seen.total', eax, NPASS * NLPAGES
        CHECK_RANGE 'seen.space1', dword [seen + 4], 1, 0xFFFFFFFF
        CHECK_RANGE 'seen.space2', dword [seen + 8], 1, 0xFFFFFFFF

        ; simulate: last alias and alias count of each pool page
        xor esi, esi                    ; k
.sim_k:
        xor edx, edx                    ; j
.sim_j:
        mov eax, esi
        POOL_INDEX
        mov ebx, esi
        shl ebx, 10
        add ebx, edx
        shl ebx, 12
        add ebx, BIG                    ; L
        mov [exp_last + eax * 4], ebx
        add dword [exp_n + eax * 4], 1
        add edx, 1
        cmp edx, 1024
        jb .sim_j
        add esi, 1
        cmp esi, NPT
        jb .sim_k
        ; compare
        mov edi, POOL
        xor ecx, ecx
.cmp:
        xor ebx, ebx
        mov eax, [exp_n + ecx * 4]
        imul eax, eax, NPASS
        cmp [edi + 4], eax
        je .n_ok
        or ebx, 1
.n_ok:
        mov eax, [exp_last + ecx * 4]
        xor eax, SALT_LAST
        cmp [edi + 8], eax
        je .l_ok
        or ebx, 2
.l_ok:
        cmp [edi], ecx
        jne .other_bad
        cmp dword [edi + 12], 0xC0FFEE00
        je .other_ok
.other_bad:
        or ebx, 4
.other_ok:
        test ebx, ebx
        jz .next
        add dword [bad_count], 1
        cmp dword [bad_count], 5
        ja .next
        PUTS 'pool page '
        PUTDEC ecx
        PUTS ': +4 '
        PUTHEX dword [edi + 4]
        PUTS ' +8 '
        PUTHEX dword [edi + 8]
        PUTS ' expected aliases '
        PUTDEC dword [exp_n + ecx * 4]
        PUTS ' last '
        PUTHEX dword [exp_last + ecx * 4]
        NEWLINE
.next:
        add edi, 4096
        add ecx, 1
        cmp ecx, NPOOL
        jb .cmp
        CHECK_EQ 'pool.bad_pages', dword [bad_count], 0
        ; every pool page has an alias
        xor ecx, ecx
        xor edx, edx
.min:
        cmp dword [exp_n + ecx * 4], 0
        jne .has
        add edx, 1
.has:
        add ecx, 1
        cmp ecx, NPOOL
        jb .min
        CHECK_EQ 'pool.pages_without_alias', edx, 0
        ret
