// The small guest kernel under difftest and the fuzzer: GDT (ring 0/3 flat code and
// data, a TSS), an IDT whose 256 stubs push a uniform frame (vector, error code) and
// jump to a common handler, and a main loop. The two users supply the loop and the
// handler; the entry code, the stubs and the descriptor tables are shared.
#pragma once
#include <asmjit/x86.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "difftest/common.h"
#include "mmu/phys_mem.h"

namespace difftest {

// Guest physical layout (paging is off).
inline constexpr uint32_t kGdt = 0x9000, kTss = 0x9800, kIdt = 0xA000, kKernelStack = 0x90000;
inline constexpr uint32_t kGdtr = 0xB100, kIdtr = 0xB108, kFarJump = 0xB110;
inline constexpr uint32_t kLdt = 0x9900;
// Ring-3 selectors as Linux x86-64 gives 32-bit code (CS 0x23, data 0x2B), so that
// segment registers read the same natively and in the guest.
inline constexpr uint16_t kUserCs = kCs32, kUserDs = 0x2B, kTssSel = 0x30;
// The LDT (GDT entry 7) holds one descriptor: the 16-bit ring-3 code segment of 16-bit
// cases, as the native runner makes it (base kCodeAddr, limit 0xFFFF, D = 0), so
// CS reads 7 in both (and LAR reads the same: Linux presets the accessed bit).
inline constexpr uint16_t kLdtSel = 0x38;

struct Kernel {
  std::vector<uint8_t> image;  // a multiboot ELF
  uint32_t stubs[256];
  uint32_t after_cs;
};

// body(a, loop, common) emits the main loop (bound at `loop`, entered once the CPU is set
// up: CR0.MP|NE, CR4.OSFXSR|OSXMMEXCPT) and the handler (bound at `common`; the stack
// then holds vector, error code, EIP, CS, EFLAGS [, ESP, SS]).
Kernel build_kernel(const std::function<void(asmjit::x86::Assembler&, asmjit::Label loop, asmjit::Label common)>& body);

// Writes the GDT, TSS, IDT and the pseudo-descriptors. Vectors in user_vectors get
// DPL-3 gates (INT n from ring 3 reaches them). With ldt16, GDT entry 7 is the LDT with
// the 16-bit code segment (the kernel then loads it with LLDT kLdtSel).
void install_tables(rs::PhysMem& mem, const Kernel& k, std::initializer_list<int> user_vectors, bool ldt16 = false);

}  // namespace difftest
