// Self-checking blocks: code on a page that also holds data written often.
//
// Translated code is normally kept coherent by write-protecting its pages: a write there
// faults and is replayed (code_writes.cpp), and after kDataWrites writes that changed no
// translated byte the page is dropped whole and left writable. A page whose code then
// runs again is protected again, and the cycle repeats: GRUB's real-mode trampoline
// keeps its stack beside its code and runs once per BIOS disk read, which cost a Debian
// boot ~11,000 page drops and 270,000 blocks translated again. Such a page now stays
// writable for good, and each block translated there compares its guest bytes with the
// ones it was made from every time it is entered (a few compares: these blocks are
// short); a difference sends it to helper_self_check, which drops it and translates the
// bytes there now. Nothing of the block has run at that point.
//
// The compare keeps the guest's flags (they live in the host's): RCX is saved in R10, a
// word of guest code is loaded into RCX, the negated expected value added with LEA, and
// JRCXZ tells equal from different.
#include "translator/emitter.h"
#include "translator/translator.h"

#include <algorithm>
#include <cstring>

namespace rs {

using namespace asmjit;

void Translator::self_check_failed(Block* b) {
  stats.self_check_fails++;
  if (!b->dead) unlink(b);
}

void Translator::emit_self_check(Emitter& e, Label check, Label body) {
  Block& blk = e.blk;
  auto& a = e.a;
  a.bind(check);
  // The block's bytes: the rest of its first page, then (an instruction that runs into
  // the next page) the start of the page it continues on.
  struct Part {
    uint32_t phys, len;
  };
  Part parts[2];
  int n = 0;
  const uint32_t in_first = kPageSize - (blk.phys_start & (kPageSize - 1));
  const uint32_t len = blk.guest_len;
  if (len == 0 || len > 2 * kPageSize) {  // IP wrapped in 16-bit code: protect its pages instead
    blk.self_check = false;
    a.jmp(body);
    return;
  }
  parts[n++] = {blk.phys_start, std::min(len, in_first)};
  if (len > in_first) parts[n++] = {blk.phys_last << kPageShift, len - in_first};
  const uint8_t* hosts[2] = {};
  for (int i = 0; i < n; ++i)
    if (!(hosts[i] = mem_.ptr(parts[i].phys, parts[i].len))) {  // not RAM: protect instead
      blk.self_check = false;
      a.jmp(body);
      return;
    }
  stats.self_check_blocks++;
  Label fail = a.newLabel();
  a.mov(x86::r10, x86::rcx);
  for (int i = 0; i < n; ++i) {
    const uint8_t* host = hosts[i];
    a.mov(x86::r11, Imm(uint64_t(host)));
    // Words of 8 bytes, the last one ending at the part's end (it may overlap the one
    // before); a part under 8 bytes in words of 4, then single bytes.
    auto word = [&](uint32_t off, uint32_t size) {
      uint64_t v = 0;
      std::memcpy(&v, host + off, size);
      if (size == 8)
        a.mov(x86::rcx, x86::qword_ptr(x86::r11, int32_t(off)));
      else if (size == 4)
        a.mov(x86::ecx, x86::dword_ptr(x86::r11, int32_t(off)));
      else
        a.movzx(x86::ecx, x86::byte_ptr(x86::r11, int32_t(off)));
      a.mov(x86::r8, Imm(uint64_t(0) - v));
      a.lea(x86::rcx, x86::ptr(x86::rcx, x86::r8));
      Label same = a.newLabel();
      a.jecxz(x86::rcx, same);  // JRCXZ
      a.jmp(fail);
      a.bind(same);
    };
    const uint32_t plen = parts[i].len;
    if (plen >= 8) {
      for (uint32_t off = 0; off + 8 <= plen; off += 8) word(off, 8);
      if (plen % 8) word(plen - 8, 8);
    } else {
      uint32_t off = 0;
      if (plen >= 4) {
        word(0, 4);
        if (plen > 4) word(plen - 4, 4);
        off = plen;
      }
      for (; off < plen; ++off) word(off, 1);
    }
  }
  a.mov(x86::rcx, x86::r10);
  a.jmp(body);
  a.bind(fail);
  a.mov(x86::rcx, x86::r10);
  a.mov(x86::r9d, Imm(blk.eip));
  a.mov(x86::r11, Imm(uint64_t(&blk)));
  a.mov(x86::r8, Imm(uint64_t(&helper_self_check)));
  a.lea(x86::r10, x86::ptr(body));  // not used: the helper goes on at the new translation
  a.jmp(Imm(uint64_t(runtime().helper_stub)));
}

}  // namespace rs
