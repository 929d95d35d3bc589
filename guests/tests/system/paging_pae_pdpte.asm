; paging_pae_pdpte.asm -- the PDPTE registers of PAE paging, their #GP, and
; switching between 32-bit and PAE paging.
;
; Intel SDM vol. 3: 4.4.1 (the four PDPTEs are loaded into internal PDPTE
; registers by a MOV to CR3 while PAE paging is in use, by a MOV to CR0 or
; CR4 that results in PAE paging and modifies CR0.PG, CR4.PAE, CR4.PGE or
; CR4.PSE (among others); translations use those registers, not the PDPTEs
; in memory; if a present PDPTE has a reserved bit set (bits 2:1, 8:5,
; 63:MAXPHYADDR; table 4-8: there is no XD in a PDPTE) the MOV raises
; #GP(0) and nothing is loaded; bits 11:9 are ignored, PWT/PCD are memory
; types), table 4-7 (CR3 bits 4:0 are ignored with PAE paging), table 4-3
; (32-bit paging ignores CR3 bits 11:5), 4.1.2 (software can transition
; between 32-bit paging and PAE paging with MOV to CR4.PAE, as well as with
; CR0.PG = 0), vol. 2 MOV to CR: #GP(0) when the PDPT loaded has reserved
; bits; a faulting MOV changes nothing.
;   1  valid PDPTs: the four PDPTEs translate; PDPTEs with ignored bits
;      11:9 and PWT/PCD set load; CR3 with bits 4:3 set reads back as
;      written and still finds the PDPT; a not-present PDPTE with every other
;      bit set loads and its gigabyte faults with error code 0 / 2 / 4
;   2  MOV to CR3 of a PDPT with a reserved bit in PDPTE 1, 2 or 3 (bits 1,
;      2, 5..8, MAXPHYADDR, 51, 62, 63): #GP(0) at the MOV, CR3 unchanged,
;      the old PDPTEs still translate
;   3  PDPTE 2 changed in memory (another page directory, then not present):
;      INVLPG of addresses never used before still sees the old PDPTE; MOV
;      to CR3 (same value) loads the new one (#PF error code 0 when not
;      present); a reserved bit in memory: MOV to CR3 raises #GP and the old
;      (not-present) PDPTE stays in force; MOV to CR4 setting PGE, then
;      setting PSE, each load the PDPTEs
;   4  PAE off and on: CR0.PG = 0, CR4.PAE = 0, a 32-bit page directory:
;      32-bit paging translates (4-byte PTE, A set), CR0.PG = 0, CR4.PAE = 1:
;      PAE again; MOV to CR0 setting PG with a bad PDPT: #GP(0), PG stays 0
;   5  PAE on and off with CR0.PG = 1 (MOV to CR4): CR3 = the 32-bit page
;      directory + 0x1E0, where a copy of the PDPTEs sits: setting CR4.PAE
;      switches to the PAE tables, clearing it back; with a reserved bit in
;      that copy, setting CR4.PAE raises #GP(0) and 32-bit paging goes on
;
; -DQEMU_QUIRKS: QEMU has no PDPTE registers (see ../lib/paging_pae.inc):
; the #GP checks and the "old PDPTE still in force" checks are skipped.
%include "harness.inc"
%include "system.inc"
%include "paging.inc"
%include "paging_pae.inc"

%define X1      0x40000000              ; PDPTE 1 -> p1
%define Y1      0x80400000              ; PDPTE 2 -> p1 (PD A2), p2 (PD X)
%define Y2      0x80405000              ; same
%define Y3      0x80406000              ; same, used only in part 3f
%define Y4      0x80407000              ; same, used only in part 3f
%define W       0xC0000000              ; PDPTE 3 -> p1
%define Z       0x30000000              ; 32-bit paging -> q1, PAE -> q2
%define BAD_OFS 0x40                    ; the PDPT copies' offset in their page

section .data
align 4
space:          dd 0                    ; PDPT A
bad:            dd 0                    ; copy of A for #GP probes
ign:            dd 0                    ; copy of A with ignored bits set
np:             dd 0                    ; copy of A, PDPTE 3 not present
kdir:           dd 0                    ; 32-bit page directory
p1:             dd 0
p2:             dd 0
q1:             dd 0
q2:             dd 0
pd_a2:          dd 0                    ; PDPTE 2 of A, as it is
pd_x:           dd 0                    ; another page directory for PDPTE 2
maxphys:        dd 0
gp_bad:         dd 0
gp_tested:      dd 0

section .rodata
gp_bits:        db 1, 2, 5, 6, 7, 8, 0xFF, 51, 62, 63, 0  ; 0xFF: MAXPHYADDR

section .text

; new_page: EBX = tag -> EAX = a page, dword i = tag + i
new_page:
        push ecx
        push edx
        call pg_alloc
        xor ecx, ecx
.l:
        lea edx, [ebx + ecx]
        mov [eax + ecx * 4], edx
        add ecx, 1
        cmp ecx, 1024
        jb .l
        pop edx
        pop ecx
        ret

; copy_pdpt: ESI = PDPT -> EAX = a copy at BAD_OFS in a fresh page
copy_pdpt:
        push ecx
        push edi
        push esi
        call pg_alloc
        lea edi, [eax + BAD_OFS]
        mov ecx, 8
        cld
        rep movsd
        lea eax, [eax + BAD_OFS]
        pop esi
        pop edi
        pop ecx
        ret

; gp_probe: EBX = bit (0..63) to set in PDPTE ECX (1..3) of the copy `bad`.
; MOV to CR3 of it must raise #GP(0) at the MOV and leave CR3 = space.
gp_probe:
        pushad
        mov esi, [bad]
        lea esi, [esi + ecx * 8]
        mov edx, ebx
        cmp edx, 32
        jb .lo
        add esi, 4
        sub edx, 32
.lo:
        bts [esi], edx
        EXC_ARM .after
        mov eax, [bad]
.mov:   mov cr3, eax
.after:
        mov edi, cr3
        mov eax, [space]
        mov cr3, eax                    ; back (if the load was taken)
        btr [esi], edx
        add dword [gp_tested], 1
        PUTS '2.gp pdpte '
        PUTDEC ecx
        PUTS ' bit '
        PUTDEC ebx
        PUTS ': vec '
        PUTHEX dword [sys_last_vec]
        PUTS ' err '
        PUTHEX dword [sys_last_err]
        PUTS ' cr3 '
        PUTHEX edi
        mov eax, [sys_int_count]
        sub eax, [sys_armed_count]
        cmp eax, 1
        jne .bad
        cmp dword [sys_last_vec], 13
        jne .bad
        cmp dword [sys_last_err], 0
        jne .bad
        cmp dword [sys_last_eip], .mov
        jne .bad
        cmp edi, [space]
        jne .bad
        NEWLINE
        popad
        ret
.bad:
        PUTS ' FAIL expected #GP(0) at the MOV, cr3 '
        PUTHEX dword [space]
        NEWLINE
        add dword [gp_bad], 1
        mov dword [sys_resume_eip], 0
        popad
        ret

; pdpte2: EAX = new low dword of PDPTE 2 of A (high dword 0)
pdpte2:
        push edx
        mov edx, [space]
        mov dword [edx + 2 * 8 + 4], 0
        mov [edx + 2 * 8], eax
        pop edx
        ret

%macro CR3_RELOAD 0
        push eax
        mov eax, cr3
        mov cr3, eax
        pop eax
%endmacro

r3_read_w:
        mov dword [sys_resume_eip], .after
.insn:  mov eax, [W + 0x10]
.after:
        RING0

test_main:
        PUTSLN 'paging_pae_pdpte: PDPTE registers, #GP on MOV to CR3, PAE off/on'
        SYS_INIT
        call pg_cpuid1_edx
        and eax, CPUID_PAE
        CHECK_EQ 'cpuid.1.edx.pae', eax, CPUID_PAE
        call pae_maxphyaddr
        mov [maxphys], eax
        mov ebx, 0x11110000
        call new_page
        mov [p1], eax
        mov ebx, 0x22220000
        call new_page
        mov [p2], eax
        mov ebx, 0x71710000
        call new_page
        mov [q1], eax
        mov ebx, 0x72720000
        call new_page
        mov [q2], eax

        call pae_new_space
        mov [space], eax
        mov edx, eax
        mov ebx, [p1]
        or ebx, PG_URW
        PAE_MAP edx, X1, ebx
        PAE_MAP edx, Y1, ebx
        PAE_MAP edx, Y2, ebx
        PAE_MAP edx, Y3, ebx
        PAE_MAP edx, Y4, ebx
        PAE_MAP edx, W, ebx
        mov ebx, [q2]
        or ebx, PG_URW
        PAE_MAP edx, Z, ebx
        mov eax, [edx + 2 * 8]
        mov [pd_a2], eax
        ; PD X: Y1..Y4 -> p2
        call pg_alloc
        mov ecx, eax                    ; PD X
        or eax, PG_P
        mov [pd_x], eax
        call pg_alloc                   ; its page table
        mov ebx, eax
        or eax, PG_URW
        mov [ecx + ((Y1 >> 21) & 0x1FF) * 8], eax
        mov eax, [p2]
        or eax, PG_URW
        mov [ebx + ((Y1 >> 12) & 0x1FF) * 8], eax
        mov [ebx + ((Y2 >> 12) & 0x1FF) * 8], eax
        mov [ebx + ((Y3 >> 12) & 0x1FF) * 8], eax
        mov [ebx + ((Y4 >> 12) & 0x1FF) * 8], eax
        ; the PDPT copies
        mov esi, edx
        call copy_pdpt
        mov [bad], eax
        call copy_pdpt
        mov [ign], eax
        xor ecx, ecx
.ign:
        or dword [eax + ecx * 8], 0xE00 | PG_PWT | PG_PCD
        add ecx, 1
        cmp ecx, 4
        jb .ign
        call copy_pdpt
        mov [np], eax
        mov dword [eax + 3 * 8], 0xFFFFFFFE
        mov dword [eax + 3 * 8 + 4], 0xFFFFFFFF
        ; the 32-bit page directory: Z -> q1
        call pg_new_kdir
        mov [kdir], eax
        mov ebx, [q1]
        or ebx, PG_URW
        PG_MAP eax, Z, ebx

        PAE_ENABLE [space]

        ; -------------------------------------------------------------- 1 --
        PUTSLN '--- 1: valid PDPTs'
        EXC_ARM 0
        CHECK_EQ '1.pdpte1.read', dword [X1 + 4], 0x11110001
        CHECK_EQ '1.pdpte2.read', dword [Y1 + 8], 0x11110002
        CHECK_EQ '1.pdpte3.read', dword [W + 12], 0x11110003
        mov eax, [ign]
        mov cr3, eax
        CHECK_EQ '1.ignored_bits.read', dword [W + 16], 0x11110004
        CHECK_EQ '1.ignored_bits.read2', dword [Y2 + 16], 0x11110004
        or eax, 0x18                    ; CR3 bits 4:3 (PWT, PCD)
        mov cr3, eax
        mov ebx, cr3
        CHECK_EQ '1.cr3_bits4_3.readback', ebx, eax
        CHECK_EQ '1.cr3_bits4_3.read', dword [X1 + 20], 0x11110005
        mov eax, [np]
        mov cr3, eax
        EXC_NONE '1.valid.no_fault'
        EXC_ARM .np_r_after
.np_r:  mov eax, [W + 0x18]
.np_r_after:
        EXC_CHECK '1.np_pdpte.read', 14, 0, .np_r
        PAE_CHECK_CR2 '1.np_pdpte.read', W + 0x18
        EXC_ARM .np_w_after
.np_w:  mov [W + 0x3FFFFFFC], eax
.np_w_after:
        EXC_CHECK '1.np_pdpte.write', 14, PF_W, .np_w
        PAE_CHECK_CR2 '1.np_pdpte.write', W + 0x3FFFFFFC
        EXC_ARM 0
        ENTER_RING3 r3_read_w
        EXC_CHECK '1.np_pdpte.r3_read', 14, PF_U, r3_read_w.insn
        PAE_CHECK_CR2 '1.np_pdpte.r3_read', W + 0x10
        mov eax, [space]
        mov cr3, eax
        CHECK_EQ '1.back.read', dword [W + 0x18], 0x11110006

        ; -------------------------------------------------------------- 2 --
        PUTSLN '--- 2: reserved PDPTE bits: #GP(0) on MOV to CR3'
%if PAE_PDPTE_REGS
        mov esi, gp_bits
        mov ecx, 1
.gp_loop:
        movzx ebx, byte [esi]
        test ebx, ebx
        jz .gp_done
        cmp ebx, 0xFF
        jne .gp_bit
        mov ebx, [maxphys]
.gp_bit:
        cmp ebx, 64
        jae .gp_next
        call gp_probe
        add ecx, 1                      ; PDPTE 1, 2, 3, 1, ...
        cmp ecx, 4
        jb .gp_next
        mov ecx, 1
.gp_next:
        add esi, 1
        jmp .gp_loop
.gp_done:
        CHECK_EQ '2.gp.tested', dword [gp_tested], 10
        CHECK_EQ '2.gp.bad', dword [gp_bad], 0
        mov eax, cr3
        CHECK_EQ '2.cr3', eax, [space]
        CHECK_EQ '2.old_pdptes.read', dword [W + 0x1C], 0x11110007
%else
        PUTSLN '2 skipped (QEMU_QUIRKS: no PDPTE registers)'
%endif

        ; -------------------------------------------------------------- 3 --
        PUTSLN '--- 3: the PDPTE registers'
        CHECK_EQ '3a.Y1.before', dword [Y1], 0x11110000
        mov eax, [pd_x]
        call pdpte2
        invlpg [Y1]
        invlpg [Y2]
%if PAE_PDPTE_REGS
        CHECK_EQ '3b.new_pdpte_in_memory.Y1', dword [Y1], 0x11110000
        CHECK_EQ '3b.new_pdpte_in_memory.Y2', dword [Y2 + 4], 0x11110001
%endif
        CR3_RELOAD
        CHECK_EQ '3c.after_cr3.Y1', dword [Y1], 0x22220000
        CHECK_EQ '3c.after_cr3.Y2', dword [Y2 + 4], 0x22220001
        mov eax, [pd_x]
        and eax, ~PG_P                  ; not present
        call pdpte2
        invlpg [Y1]
        invlpg [Y2]
%if PAE_PDPTE_REGS
        xor eax, eax
        xor ebx, ebx
        EXC_ARM .np_mem_after
        mov eax, [Y1 + 8]
        mov ebx, [Y2 + 8]
.np_mem_after:
        EXC_NONE '3d.np_in_memory'
        CHECK_EQ '3d.np_in_memory.Y1', eax, 0x22220002
        CHECK_EQ '3d.np_in_memory.Y2', ebx, 0x22220002
%endif
        CR3_RELOAD
        EXC_ARM .np3_after
.np3:   mov eax, [Y1 + 12]
.np3_after:
        EXC_CHECK '3d.np_after_cr3', 14, 0, .np3
        PAE_CHECK_CR2 '3d.np_after_cr3', Y1 + 12
        mov eax, [pd_a2]
        or eax, 1 << 7                  ; reserved
        call pdpte2
%if PAE_PDPTE_REGS
        EXC_ARM .gp3_after
        mov eax, cr3
.gp3:   mov cr3, eax
.gp3_after:
        EXC_CHECK '3e.rsvd.mov_cr3', 13, 0, .gp3
        EXC_ARM .np4_after
.np4:   mov eax, [Y2 + 12]
.np4_after:
        EXC_CHECK '3e.rsvd.old_pdpte_kept', 14, 0, .np4
        PAE_CHECK_CR2 '3e.rsvd.old_pdpte_kept', Y2 + 12
%endif
        mov eax, [pd_a2]
        call pdpte2
        CR3_RELOAD
        CHECK_EQ '3e.fixed.after_cr3', dword [Y1 + 16], 0x11110004
        ; MOV to CR4 changing PGE, then PSE: each loads the PDPTEs
        mov eax, [pd_x]
        call pdpte2
        invlpg [Y3]
%if PAE_PDPTE_REGS
        CHECK_EQ '3f.before_cr4.Y3', dword [Y3], 0x11110000
%endif
        call pg_cpuid1_edx
        test eax, CPUID_PGE
        jz .no_pge
        PG_CR4_SET CR4_PGE
        CHECK_EQ '3f.after_pge.Y3', dword [Y3 + 4], 0x22220001
        PG_CR4_CLR CR4_PGE
        jmp .pge_done
.no_pge:
        PUTSLN '3f.after_pge skipped (no PGE in CPUID.1:EDX)'
.pge_done:
        mov eax, [pd_a2]
        call pdpte2
        invlpg [Y4]
%if PAE_PDPTE_REGS
        CHECK_EQ '3f.before_cr4.Y4', dword [Y4], 0x22220000
%endif
        PG_CR4_SET CR4_PSE
        CHECK_EQ '3f.after_pse.Y4', dword [Y4 + 4], 0x11110001
        PG_CR4_CLR CR4_PSE

        ; -------------------------------------------------------------- 4 --
        PUTSLN '--- 4: PAE off and on with CR0.PG = 0'
        CHECK_EQ '4.pae.Z', dword [Z], 0x72720000
        PAE_DISABLE
        PG_ENABLE [kdir]
        mov eax, cr4
        and eax, CR4_PAE
        CHECK_EQ '4.32bit.cr4.pae', eax, 0
        CHECK_EQ '4.32bit.Z', dword [Z + 4], 0x71710001
        PG_PTEP [kdir], Z
        mov ebx, [eax]
        and ebx, PG_A | PG_D
        CHECK_EQ '4.32bit.pte.ad', ebx, PG_A
        mov ebx, [eax + 4]              ; the next 4-byte PTE: untouched
        CHECK_EQ '4.32bit.next_pte', ebx, 0
        PG_DISABLE
        PAE_ENABLE [space]
        CHECK_EQ '4.pae_again.Z', dword [Z + 8], 0x72720002
        PG_DISABLE
%if PAE_PDPTE_REGS
        mov eax, [bad]
        or dword [eax + 3 * 8 + 4], 0x80000000  ; bit 63
        mov cr3, eax                    ; paging off: nothing loaded yet
        mov ebx, cr0
        or ebx, CR0_PG
        EXC_ARM .gp0_after
.gp0:   mov cr0, ebx
.gp0_after:
        EXC_CHECK '4.rsvd.set_pg', 13, 0, .gp0
        mov ebx, cr0
        and ebx, CR0_PG
        CHECK_EQ '4.rsvd.cr0.pg', ebx, 0
        and dword [eax + 3 * 8 + 4], 0x7FFFFFFF
%endif
        PAE_DISABLE
        PAE_ENABLE [space]
        CHECK_EQ '4.pae_again2.Z', dword [Z + 12], 0x72720003

        ; -------------------------------------------------------------- 5 --
        PUTSLN '--- 5: PAE off and on with CR0.PG = 1 (MOV to CR4)'
        PAE_DISABLE
        mov edi, [kdir]
        add edi, PAE_PDPT_OFS           ; 32-bit paging ignores CR3 bits 11:5
        mov esi, [space]
        mov ecx, 8
        cld
        rep movsd                       ; PDEs 0x78..0x7F: the PDPTEs
        mov eax, [kdir]
        add eax, PAE_PDPT_OFS
        PG_ENABLE eax
        CHECK_EQ '5.32bit.Z', dword [Z + 16], 0x71710004
        PG_CR4_SET CR4_PAE
        mov eax, cr0
        and eax, CR0_PG
        CHECK_EQ '5.set_pae.cr0.pg', eax, CR0_PG
        CHECK_EQ '5.set_pae.Z', dword [Z + 20], 0x72720005
        CHECK_EQ '5.set_pae.pdpte3', dword [W + 0x20], 0x11110008
        PG_CR4_CLR CR4_PAE
        CHECK_EQ '5.clear_pae.Z', dword [Z + 24], 0x71710006
%if PAE_PDPTE_REGS
        mov eax, [kdir]
        or dword [eax + PAE_PDPT_OFS + 3 * 8 + 4], 0x80000000  ; bit 63
        mov eax, cr4
        or eax, CR4_PAE
        EXC_ARM .gp4_after
.gp4:   mov cr4, eax
.gp4_after:
        EXC_CHECK '5.rsvd.set_pae', 13, 0, .gp4
        mov eax, cr4
        and eax, CR4_PAE
        CHECK_EQ '5.rsvd.cr4.pae', eax, 0
        CHECK_EQ '5.rsvd.32bit.Z', dword [Z + 28], 0x71710007
%endif

        PG_DISABLE
        ret
