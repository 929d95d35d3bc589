// Inline caches for user code's jumps to another page and indirect JMP/CALL (a PIE
// program's PLT, `jmp *GOT(%ebx)`; a CALL into another page of the same library). Such a
// site used to look its target up in the indirect-branch table every time, and the load
// of the table's line is on the path of every misprediction's recovery. A shared block
// runs in many address spaces and at many addresses, so the site remembers one pair:
// the table (R12, which names the address space) and the target EIP, and while both
// match it jumps straight to the block it learnt, with no data load. It stays right as
// long as that table would hold the target: Translator::ic_link lists it by table and
// target page, and forget_page/clear_jtables/flush_jtable of that table and the block's
// unlink send it back to learning.
// A miss looks the target up in the table and counts down ExitSite::ic_count (data, not
// code: a store into code would clear the host's pipeline); at zero the site learns the
// pair of the moment in C++ (helper_ic_learn). Processes that take turns on the same
// library code then share a site without a helper call at each switch, and one that runs
// a site many times learns it. A site learnt again and again in one address space is
// polymorphic: after kIcLearns it jumps to the lookup at once.
//
// The site's code, at fixed offsets from its head (Translator::ic_link patches them).
// Each table sits at an address whose low 32 bits are 0 (Translator::Translator), so
// R12 + the target EIP (R9, upper half 0) is one 64-bit key for the pair:
//    0  nop5                 | jmp 41 once polymorphic
//    5  mov r10, rcx
//    8  mov rcx, imm64       -(table + target EIP); 0 while not learnt (never matches)
//   18  lea rcx, [rcx + r12]
//   22  lea rcx, [rcx + r9]
//   26  jrcxz 33
//   28  jmp miss             (out of line: the count, then the lookup at 41)
//   33  mov rcx, r10
//   36  jmp block            (ExitSite::rel32; the learning stub when not learnt)
//   41  the table lookup
// Flag-free, like all glue: the guest's flags are in RFLAGS.
#include <cstring>

#include "translator/emitter.h"

namespace rs {

using namespace asmjit;

namespace {
constexpr uint8_t kIcCode[41] = {
    0x0F, 0x1F, 0x44, 0x00, 0x00,                    // nop dword [rax + rax]
    0x49, 0x89, 0xCA,                                // mov r10, rcx
    0x48, 0xB9, 0, 0, 0, 0, 0, 0, 0, 0,              // mov rcx, imm64
    0x4A, 0x8D, 0x0C, 0x21,                          // lea rcx, [rcx + r12]
    0x4A, 0x8D, 0x0C, 0x09,                          // lea rcx, [rcx + r9]
    0xE3, 0x05,                                      // jrcxz +5
    0xE9, 0, 0, 0, 0,                                // jmp miss
    0x4C, 0x89, 0xD1,                                // mov rcx, r10
    0xE9, 0, 0, 0, 0,                                // jmp block
};
// The offsets Translator::ic_link patches, and the jumps between them, as the bytes say.
static_assert(kIcCode[Translator::kIcKey - 2] == 0x48 && kIcCode[Translator::kIcKey - 1] == 0xB9);
static_assert(kIcCode[Translator::kIcMiss - 1] == 0xE9 && kIcCode[Translator::kIcJump - 1] == 0xE9);
static_assert(kIcCode[26] == 0xE3 && 28 + kIcCode[27] == Translator::kIcJump - 4);  // jrcxz: the hit
}  // namespace

const uint8_t Translator::kIcPolymorphic[5] = {0xE9, uint8_t(kIcLookup - 5), 0, 0, 0};

void Emitter::jtable_jump_ic() {
  if (!blk.shared || !blk.cached) {
    jtable_jump();
    return;
  }
  auto s = std::make_unique<ExitSite>();
  s->from = &blk;
  EmitScratch::Ic ic{a.newLabel(), a.newLabel(), a.newLabel(), a.newLabel(), s.get()};
  blk.exits.push_back(std::move(s));
  a.bind(ic.head);
  static_assert(sizeof kIcCode == Translator::kIcLookup);
  a.embed(kIcCode, sizeof kIcCode);
  a.bind(ic.lookup);
  jtable_jump();
  ics_.push_back(ic);
  tr.stats.ic_sites++;
}

// Out of line, after the exits: R9d = the target, R10 = the guest's RCX.
void Emitter::emit_ic_learn_stubs() {
  for (const EmitScratch::Ic& ic : ics_) {
    a.bind(ic.miss);
    a.mov(x86::r11, Imm(uint64_t(&ic.info->ic_count)));
    a.mov(x86::ecx, x86::dword_ptr(x86::r11));
    a.lea(x86::ecx, x86::ptr(x86::rcx, -1));
    a.mov(x86::dword_ptr(x86::r11), x86::ecx);
    a.jecxz(x86::rcx, ic.learn);
    a.mov(x86::rcx, x86::r10);
    a.jmp(ic.lookup);
    a.bind(ic.learn);
    a.mov(x86::rcx, x86::r10);
    a.mov(x86::r11, Imm(uint64_t(ic.info)));
    a.mov(x86::r8, Imm(uint64_t(&helper_ic_learn)));
    a.jmp(Imm(uint64_t(tr.runtime().helper_stub)));
  }
}

}  // namespace rs
