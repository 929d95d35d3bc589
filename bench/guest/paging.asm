; paging.asm -- paging benchmark guest: what the VMM's shadow paging costs.
;
; Ring 0, 32-bit paging (no PAE).  Measured with RDTSC, the TSC calibrated
; against PIT channel 2 (2 x 50 ms one-shots).  Printed on the serial port
; as key=value lines (bench/paging.py parses them; cycles are TSC cycles,
; 64-bit decimal), then debug-exit 0 (PASS):
;   tsc_cal_cycles / tsc_cal_us   TSC cycles in tsc_cal_us microseconds
;   fill_pages                    N (default 65536 = 256 MiB of linear pages)
;   fill_read_cycles              first read of each of N fresh linear pages,
;                                 all already mapped by the guest page tables
;                                 (no guest #PF: the VMM fills its shadow)
;   reread_cycles                 the same N pages read again (whether
;                                 they are still filled depends on how many
;                                 host mappings the VMM keeps)
;   hot_reads, hot_read_cycles    reads of a working set of HOT_PAGES (4096)
;                                 already-filled pages (16 passes after a
;                                 warm-up pass): the baseline
;   fill_write_cycles             first write of each of N other fresh pages
;   switch_count, switch_pages    M MOV-to-CR3 switches (default 100000)
;                                 between two address spaces, each switch
;                                 followed by reads of switch_pages pages that
;                                 map differently in the two spaces
;   switch_cycles                 the whole switch loop
;   pf_count, pf_cycles           K (default 16384) guest page faults: a read
;                                 of a not-present page, a minimal #PF handler
;                                 (own IDT gate) maps it, the read restarts
; Linear pages are aliased onto a 16 MiB physical pool at 32 MiB (so guest
; RAM stays small: run with 64 MiB).  Override the counts with
; nasm -DFILL_PAGES=N -DSWITCHES=M -DPF_PAGES=K -DHOT_PAGES=H.
%include "harness.inc"
%include "system.inc"
%include "paging.inc"

%ifndef FILL_PAGES
 %define FILL_PAGES 65536
%endif
%ifndef SWITCHES
 %define SWITCHES 100000
%endif
%ifndef PF_PAGES
 %define PF_PAGES 16384
%endif
%ifndef HOT_PAGES
 %define HOT_PAGES 4096
%endif
%define HOT_PASSES  16
%define SW_PAGES    4
%define POOL        0x02000000
%define NPOOL       4096
%define FILL_R      0x40000000          ; read-fill region
%define FILL_W      0x80000000          ; write-fill region
%define PFREG       0xC0000000          ; demand-faulted region
%define SW_BASE     0x20000000          ; per-space pages
%define FILL_PTS    ((FILL_PAGES + 1023) / 1024)
%define PF_PTS      ((PF_PAGES + 1023) / 1024)

%if FILL_PAGES > 262144 || PF_PAGES > 262144
 %error "at most 262144 pages (1 GiB) per region"
%endif
%if HOT_PAGES > FILL_PAGES
 %error "HOT_PAGES > FILL_PAGES"
%endif

section .data
align 4
dirs:           dd 0, 0
pf_pts:         dd 0                    ; first PT of PFREG (contiguous)
t0_lo:          dd 0
t0_hi:          dd 0
d_lo:           dd 0
d_hi:           dd 0
pf_seen:        dd 0

section .text

; ---------------------------------------------------------------- timing --
%macro T_START 0
        rdtsc
        mov [t0_lo], eax
        mov [t0_hi], edx
%endmacro

%macro T_STOP 0                         ; d = now - t0
        rdtsc
        sub eax, [t0_lo]
        sbb edx, [t0_hi]
        mov [d_lo], eax
        mov [d_hi], edx
%endmacro

; print_dec64: EDX:EAX unsigned decimal.  Preserves registers.
print_dec64:
        pushad
        mov ebx, 10
        xor ecx, ecx
        mov esi, eax                    ; low
        mov edi, edx                    ; high
.div:
        xor edx, edx
        mov eax, edi
        div ebx
        mov edi, eax                    ; high quotient
        mov eax, esi
        div ebx                         ; (rem:low) / 10
        mov esi, eax
        push edx
        add ecx, 1
        mov eax, esi
        or eax, edi
        jnz .div
.out:
        pop eax
        add al, '0'
        call print_char
        sub ecx, 1
        jnz .out
        popad
        ret

%macro KV 2                             ; 'key', 32-bit value
        PUTS %1
        PUTS '='
        PUTDEC %2
        NEWLINE
%endmacro

%macro KV_D 1                           ; 'key' = the last T_STOP
        PUTS %1
        PUTS '='
        mov eax, [d_lo]
        mov edx, [d_hi]
        call print_dec64
        NEWLINE
%endmacro

; ------------------------------------------------------------ set-up ----
; map_region: EDX = directory, EAX = linear base, ECX = pages, EBX = 1 to
; map (pool page i mod NPOOL, P|RW), 0 to leave the PTEs not present.
; Page tables are allocated one after another.  -> EAX = first PT.
map_region:
        push ebx
        push ecx
        push esi
        push edi
        push ebp
        mov ebp, eax                    ; linear
        xor esi, esi                    ; page index
        xor edi, edi                    ; first PT
.l:
        test esi, 1023
        jnz .have_pt
        call pg_alloc
        test edi, edi
        jnz .not_first
        mov edi, eax
.not_first:
        or eax, PG_KRW
        push ebx
        mov ebx, ebp
        shr ebx, 22
        mov [edx + ebx * 4], eax
        pop ebx
.have_pt:
        test ebx, ebx
        jz .next
        push edx
        mov eax, ebp
        shr eax, 22
        mov eax, [edx + eax * 4]
        and eax, 0xFFFFF000
        mov edx, ebp
        shr edx, 12
        and edx, 0x3FF
        push ecx
        mov ecx, esi
        and ecx, NPOOL - 1
        shl ecx, 12
        add ecx, POOL | PG_KRW
        mov [eax + edx * 4], ecx
        pop ecx
        pop edx
.next:
        add ebp, 4096
        add esi, 1
        cmp esi, ecx
        jb .l
        mov eax, edi
        pop ebp
        pop edi
        pop esi
        pop ecx
        pop ebx
        ret

; minimal #PF handler for PFREG: map pool page (index mod NPOOL)
bench_pf:
        push eax
        push edx
        mov eax, cr2
        sub eax, PFREG
        shr eax, 12                     ; page index
        mov edx, eax
        and edx, NPOOL - 1
        shl edx, 12
        add edx, POOL | PG_KRW
        push ebx
        mov ebx, [pf_pts]
        mov [ebx + eax * 4], edx
        pop ebx
        add dword [pf_seen], 1
        pop edx
        pop eax
        add esp, 4                      ; error code
        iretd

test_main:
        SYS_INIT
        PUTSLN 'bench=paging'
        ; TSC against PIT channel 2
        T_START
        mov eax, PIT_50MS
        call pit_ch2_oneshot
        call pit_ch2_oneshot
        T_STOP
        KV_D 'tsc_cal_cycles'
        KV 'tsc_cal_us', 100000

        ; page tables: two directories; both map FILL_R, FILL_W and PFREG
        ; with the same page tables; SW_BASE differs
        call pg_new_kdir
        mov [dirs], eax
        mov edx, eax
        mov eax, FILL_R
        mov ecx, FILL_PAGES
        mov ebx, 1
        call map_region
        mov eax, FILL_W
        call map_region
        mov eax, PFREG
        mov ecx, PF_PAGES
        xor ebx, ebx
        call map_region
        mov [pf_pts], eax
        call pg_new_kdir
        mov [dirs + 4], eax
        mov esi, [dirs]
        mov edi, eax
        mov ecx, 1024                   ; copy all PDEs ...
        cld
        rep movsd
        mov edx, [dirs + 4]             ; ... then SW_BASE's own page tables
        mov dword [edx + (SW_BASE >> 22) * 4], 0
        xor esi, esi
.sw_map:
        mov eax, esi
        shl eax, 12
        add eax, SW_BASE
        lea ebx, [esi + 8]              ; space 0: pool pages 0.., space 1: 8..
        shl ebx, 12
        add ebx, POOL | PG_KRW
        PG_MAP [dirs + 4], eax, ebx
        sub ebx, 8 << 12
        PG_MAP [dirs], eax, ebx
        add esi, 1
        cmp esi, SW_PAGES
        jb .sw_map
        SET_GATE 14, bench_pf, GATE_INT
        PG_ENABLE [dirs]

        ; ------------------------------------------------ (a) shadow fill --
        KV 'fill_pages', FILL_PAGES
        T_START
        mov esi, FILL_R
        mov ecx, FILL_PAGES
.fill_r:
        mov eax, [esi]
        add esi, 4096
        sub ecx, 1
        jnz .fill_r
        T_STOP
        KV_D 'fill_read_cycles'
        T_START
        mov esi, FILL_R
        mov ecx, FILL_PAGES
.reread:
        mov eax, [esi]
        add esi, 4096
        sub ecx, 1
        jnz .reread
        T_STOP
        KV_D 'reread_cycles'
        ; a working set of HOT_PAGES: one warm-up pass, then HOT_PASSES
        KV 'hot_reads', HOT_PAGES * HOT_PASSES
        mov esi, FILL_R
        mov ecx, HOT_PAGES
.warm:
        mov eax, [esi]
        add esi, 4096
        sub ecx, 1
        jnz .warm
        T_START
        mov edx, HOT_PASSES
.hot_pass:
        mov esi, FILL_R
        mov ecx, HOT_PAGES
.hot_r:
        mov eax, [esi]
        add esi, 4096
        sub ecx, 1
        jnz .hot_r
        sub edx, 1
        jnz .hot_pass
        T_STOP
        KV_D 'hot_read_cycles'
        T_START
        mov esi, FILL_W
        mov ecx, FILL_PAGES
.fill_w:
        mov [esi + 16], ecx
        add esi, 4096
        sub ecx, 1
        jnz .fill_w
        T_STOP
        KV_D 'fill_write_cycles'

        ; -------------------------------------------- (b) context switch --
        KV 'switch_count', SWITCHES
        KV 'switch_pages', SW_PAGES
        mov ebx, [dirs]
        mov ebp, [dirs + 4]
        xor edi, edi                    ; sum (keeps the reads alive)
        T_START
        mov ecx, SWITCHES / 2
.sw:
        mov cr3, ebx
%assign i 0
%rep SW_PAGES
        add edi, [SW_BASE + i * 4096]
%assign i i + 1
%endrep
        mov cr3, ebp
%assign i 0
%rep SW_PAGES
        add edi, [SW_BASE + i * 4096]
%assign i i + 1
%endrep
        sub ecx, 1
        jnz .sw
        T_STOP
        KV_D 'switch_cycles'

        ; -------------------------------------------- (c) guest #PF trip --
        KV 'pf_count', PF_PAGES
        T_START
        mov esi, PFREG
        mov ecx, PF_PAGES
.pf:
        mov eax, [esi]
        add esi, 4096
        sub ecx, 1
        jnz .pf
        T_STOP
        KV_D 'pf_cycles'
        KV 'pf_seen', dword [pf_seen]
        PG_DISABLE
        cmp dword [pf_seen], PF_PAGES
        je .ok
        FAIL_NOW 'the #PF handler did not run once per page'
.ok:
        ret
