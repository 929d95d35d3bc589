#include "difftest/kernel.h"

#include <algorithm>
#include <cstring>

#include "guest_image.h"

namespace difftest {

namespace {

bool has_error_code(int v) { return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21; }

}  // namespace

Kernel build_kernel(const std::function<void(asmjit::x86::Assembler&, asmjit::Label, asmjit::Label)>& body) {
  using namespace asmjit;
  CodeHolder code;
  const uint32_t base = test::kLoad + test::kCodeOffset;
  code.init(Environment(Arch::kX86), base);
  x86::Assembler a(&code);
  Label loop = a.newLabel(), common = a.newLabel(), after_cs = a.newLabel();
  Label stubs[256];

  a.cli();
  a.lgdt(x86::ptr(uint64_t(kGdtr), 6));
  a.ljmp(x86::ptr(uint64_t(kFarJump), 6));  // 0x08:after_cs, written by install_tables
  a.bind(after_cs);
  a.mov(x86::eax, 0x10);
  a.mov(x86::ds, x86::ax);
  a.mov(x86::es, x86::ax);
  a.mov(x86::ss, x86::ax);
  a.mov(x86::esp, kKernelStack);
  a.lidt(x86::ptr(uint64_t(kIdtr), 6));
  a.mov(x86::eax, kTssSel);
  a.ltr(x86::ax);
  a.mov(x86::eax, x86::cr4);
  a.or_(x86::eax, 0x600);  // OSFXSR | OSXMMEXCPT, as Linux sets them
  a.mov(x86::cr4, x86::eax);
  a.mov(x86::eax, x86::cr0);
  a.and_(x86::eax, ~0xCu);
  a.or_(x86::eax, 0x22);  // MP | NE
  a.mov(x86::cr0, x86::eax);
  a.jmp(loop);

  for (int v = 0; v < 256; ++v) {
    stubs[v] = a.newLabel();
    a.bind(stubs[v]);
    if (!has_error_code(v)) a.push(0);
    a.push(v);
    a.jmp(common);
  }
  body(a, loop, common);

  code.flatten();
  code.resolveUnresolvedLinks();
  code.relocateToBase(base);
  std::vector<uint8_t> bytes(code.codeSize());
  code.copyFlattenedData(bytes.data(), bytes.size());
  Kernel k;
  k.image = test::multiboot_elf(bytes);
  for (int v = 0; v < 256; ++v) k.stubs[v] = base + uint32_t(code.labelOffsetFromBase(stubs[v]));
  k.after_cs = base + uint32_t(code.labelOffsetFromBase(after_cs));
  return k;
}

void install_tables(rs::PhysMem& mem, const Kernel& k, std::initializer_list<int> user_vectors, bool ldt16) {
  auto base = [](uint32_t b) { return (uint64_t(b & 0xFFFFFF) << 16) | (uint64_t(b >> 24) << 56); };
  // null, ring-0 code/data, spare, ring-3 code (0x23) and data (0x2B), TSS (0x30), LDT (0x38).
  const uint64_t gdt[8] = {0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull, 0, 0x00CFFA000000FFFFull,
                           0x00CFF2000000FFFFull, 0x0000890000000067ull | base(kTss),
                           0x0000820000000007ull | base(kLdt)};
  const size_t gdt_entries = ldt16 ? 8 : 7;
  mem.write(kGdt, gdt, 8 * gdt_entries);
  if (ldt16) {
    const uint64_t code16 = 0x0000FB000000FFFFull | base(kCodeAddr);  // P, DPL 3, execute/read, accessed, D = 0
    mem.write(kLdt, &code16, 8);
  }
  uint8_t tss[0x68] = {};
  uint32_t esp0 = kKernelStack, ss0 = 0x10;
  uint16_t iomap = 0x68;  // no I/O bitmap
  std::memcpy(tss + 4, &esp0, 4);
  std::memcpy(tss + 8, &ss0, 4);
  std::memcpy(tss + 0x66, &iomap, 2);
  mem.write(kTss, tss, sizeof tss);
  for (int v = 0; v < 256; ++v) {
    bool user = std::find(user_vectors.begin(), user_vectors.end(), v) != user_vectors.end();
    uint32_t off = k.stubs[v];
    uint64_t g = (off & 0xFFFF) | (uint64_t(0x08) << 16) | (uint64_t(0x8E | (user ? 0x60 : 0)) << 40) |
                 (uint64_t(off >> 16) << 48);
    mem.write(kIdt + 8 * uint32_t(v), &g, 8);
  }
  uint8_t gdtr[6], idtr[6];
  uint16_t gl = uint16_t(8 * gdt_entries - 1), il = 256 * 8 - 1;
  uint32_t gb = kGdt, ib = kIdt;
  std::memcpy(gdtr, &gl, 2), std::memcpy(gdtr + 2, &gb, 4);
  std::memcpy(idtr, &il, 2), std::memcpy(idtr + 2, &ib, 4);
  mem.write(kGdtr, gdtr, 6);
  mem.write(kIdtr, idtr, 6);
  const uint16_t cs = 0x08;
  mem.write(kFarJump, &k.after_cs, 4);
  mem.write(kFarJump + 4, &cs, 2);
}

}  // namespace difftest
