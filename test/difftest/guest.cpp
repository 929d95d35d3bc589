#include "difftest/guest.h"

#include <asmjit/x86.h>

#include "guest_image.h"
#include "machine.h"

namespace difftest {

namespace {

// Guest physical layout of the harness kernel's data (paging is off).
constexpr uint32_t kGdt = 0x9000, kTss = 0x9800, kIdt = 0xA000, kKernelStack = 0x90000;
constexpr uint32_t kIn = 0xB000;      // gpr[8] at +0, eflags at +0x20
constexpr uint32_t kOut = 0xB040;     // gpr[8], eflags +0x20, eip +0x24, vector +0x28, error +0x2C
constexpr uint32_t kGdtr = 0xB100, kIdtr = 0xB108;
constexpr uint32_t kFxIn = 0xC000, kFxOut = 0xC200;
constexpr uint16_t kFeedPort = 0xE0;

bool has_error_code(int v) { return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21; }

struct Kernel {
  std::vector<uint8_t> image;
  uint32_t stubs[256];
  uint32_t after_cs;  // where the far jump that reloads CS lands
};

Kernel build_kernel() {
  using namespace asmjit;
  CodeHolder code;
  const uint32_t base = test::kLoad + test::kCodeOffset;
  code.init(Environment(Arch::kX86), base);
  x86::Assembler a(&code);
  Label loop = a.newLabel(), common = a.newLabel(), after_cs = a.newLabel();
  Label stubs[256];
  auto abs = [](uint32_t addr) { return x86::dword_ptr(uint64_t(addr)); };

  // Entry from the multiboot loader.
  a.cli();
  a.lgdt(x86::ptr(uint64_t(kGdtr), 6));
  a.ljmp(x86::ptr(uint64_t(kGdtr + 0x10), 6));  // far pointer 0x08:after_cs, written by the harness
  a.bind(after_cs);
  a.mov(x86::eax, 0x10);
  a.mov(x86::ds, x86::ax);
  a.mov(x86::es, x86::ax);
  a.mov(x86::ss, x86::ax);
  a.mov(x86::esp, kKernelStack);
  a.lidt(x86::ptr(uint64_t(kIdtr), 6));
  a.mov(x86::eax, 0x28);
  a.ltr(x86::ax);
  a.mov(x86::eax, x86::cr4);
  a.or_(x86::eax, 0x600);  // OSFXSR | OSXMMEXCPT, as Linux sets them
  a.mov(x86::cr4, x86::eax);
  a.mov(x86::eax, x86::cr0);
  a.and_(x86::eax, ~0xCu);
  a.or_(x86::eax, 0x22);   // MP | NE
  a.mov(x86::cr0, x86::eax);

  // Next case: the harness writes it while handling the OUT, then IRET to ring 3.
  a.bind(loop);
  a.mov(x86::esp, kKernelStack);
  a.out(Imm(kFeedPort), x86::al);
  a.fxrstor(x86::ptr(uint64_t(kFxIn), 512));
  a.mov(x86::eax, 0x23);
  a.mov(x86::ds, x86::ax);
  a.mov(x86::es, x86::ax);
  a.mov(x86::fs, x86::ax);
  a.mov(x86::gs, x86::ax);
  a.push(0x23);
  a.push(abs(kIn + 16));
  a.push(abs(kIn + 0x20));
  a.push(0x1B);
  a.push(Imm(kCodeAddr));
  static const x86::Gp regs[8] = {x86::eax, x86::ecx, x86::edx, x86::ebx, x86::esp, x86::ebp, x86::esi, x86::edi};
  for (int r = 7; r >= 0; --r)
    if (r != 4) a.mov(regs[r], abs(kIn + 4 * uint32_t(r)));
  a.iretd();

  for (int v = 0; v < 256; ++v) {
    stubs[v] = a.newLabel();
    a.bind(stubs[v]);
    if (!has_error_code(v)) a.push(0);
    a.push(v);
    a.jmp(common);
  }

  // Stack: vector, error, EIP, CS, EFLAGS, ESP, SS (always from ring 3).
  a.bind(common);
  a.pushad();  // EDI ESI EBP ESP' EBX EDX ECX EAX
  a.mov(x86::eax, 0x10);
  a.mov(x86::ds, x86::ax);
  a.mov(x86::es, x86::ax);
  const int pushad_slot[8] = {28, 24, 20, 16, -1, 8, 4, 0};
  for (int r = 0; r < 8; ++r) {
    int32_t from = r == 4 ? 32 + 20 : pushad_slot[r];
    a.mov(x86::eax, x86::dword_ptr(x86::esp, from));
    a.mov(abs(kOut + 4 * uint32_t(r)), x86::eax);
  }
  const int32_t frame[4][2] = {{32 + 16, 0x20}, {32 + 8, 0x24}, {32, 0x28}, {32 + 4, 0x2C}};
  for (auto& f : frame) {
    a.mov(x86::eax, x86::dword_ptr(x86::esp, f[0]));
    a.mov(abs(kOut + uint32_t(f[1])), x86::eax);
  }
  a.fxsave(x86::ptr(uint64_t(kFxOut), 512));
  a.fninit();
  a.jmp(loop);

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

// Hands out cases through port 0xE0 and collects their outcomes.
class Feeder : public rs::PortDevice {
 public:
  Feeder(rs::Machine& m, const std::vector<Case>& cases, const std::function<void(size_t, const Outcome&)>& report)
      : m_(m), cases_(cases), report_(report) {}
  const char* name() const override { return "difftest-feeder"; }
  uint32_t in(uint16_t, int) override { return 0xFF; }
  void out(uint16_t, int, uint32_t) override {
    rs::PhysMem& mem = m_.mem();
    if (next_ > 0) {
      Outcome o;
      uint32_t w[12];
      mem.read(kOut, w, sizeof w);
      std::memcpy(o.st.gpr, w, 32);
      o.st.eflags = w[8];
      o.eip = w[9];
      o.vector = int(w[10]);
      o.error = w[11];
      mem.read(kFxOut, o.st.fx, 512);
      mem.read(kScratchAddr, o.scratch, kScratchBytes);
      mem.read(kStackAddr, o.stack, kStackBytes);
      report_(next_ - 1, o);
    }
    if (next_ == cases_.size()) {
      m_.request_stop(0, "all cases done");
      return;
    }
    const Case& c = cases_[next_++];
    mem.write(kCodeAddr, c.code.data(), c.code.size());
    mem.write(kScratchAddr, c.scratch, kScratchBytes);
    mem.write(kStackAddr, c.stack, kStackBytes);
    mem.write(kIn, c.in.gpr, 32);
    const uint32_t eflags = c.in.eflags | 0x200;  // user code runs with IF=1 natively too
    mem.write(kIn + 0x20, &eflags, 4);
    mem.write(kFxIn, c.in.fx, 512);
  }

 private:
  rs::Machine& m_;
  const std::vector<Case>& cases_;
  const std::function<void(size_t, const Outcome&)>& report_;
  size_t next_ = 0;
};

}  // namespace

std::string run_in_ringshift(const std::vector<Case>& cases,
                             const std::function<void(size_t, const Outcome&)>& report) {
  static const Kernel kernel = build_kernel();
  rs::MachineConfig cfg;
  cfg.ram_bytes = 8u << 20;
  cfg.uart_fd = 2;
  cfg.no_reboot = true;
  rs::Machine m(cfg);
  m.load_multiboot(kernel.image, "difftest-kernel", "difftest-kernel", nullptr, "");
  rs::PhysMem& mem = m.mem();
  // GDT: null, ring-0 code/data, ring-3 code/data, TSS.
  const uint64_t gdt[6] = {0, 0x00CF9A000000FFFFull, 0x00CF92000000FFFFull, 0x00CFFA000000FFFFull,
                           0x00CFF2000000FFFFull,
                           0x0000890000000067ull | (uint64_t(kTss & 0xFFFFFF) << 16) | (uint64_t(kTss >> 24) << 56)};
  mem.write(kGdt, gdt, sizeof gdt);
  uint8_t tss[0x68] = {};
  uint32_t esp0 = kKernelStack, ss0 = 0x10;
  uint16_t iomap = 0x68;
  std::memcpy(tss + 4, &esp0, 4);
  std::memcpy(tss + 8, &ss0, 4);
  std::memcpy(tss + 0x66, &iomap, 2);
  mem.write(kTss, tss, sizeof tss);
  for (int v = 0; v < 256; ++v) {
    // INT3 and INTO are allowed from ring 3, as on Linux; other vectors fault with #GP from INT n.
    uint32_t dpl = (v == 3 || v == 4) ? 3 : 0;
    uint32_t off = kernel.stubs[v];
    uint64_t g = (off & 0xFFFF) | (uint64_t(0x08) << 16) | (uint64_t(0x8E | (dpl << 5)) << 40) |
                 (uint64_t(off >> 16) << 48);
    mem.write(kIdt + 8 * uint32_t(v), &g, 8);
  }
  uint8_t gdtr[6], idtr[6];
  uint16_t gl = sizeof gdt - 1, il = 256 * 8 - 1;
  uint32_t gb = kGdt, ib = kIdt;
  std::memcpy(gdtr, &gl, 2), std::memcpy(gdtr + 2, &gb, 4);
  std::memcpy(idtr, &il, 2), std::memcpy(idtr + 2, &ib, 4);
  mem.write(kGdtr, gdtr, 6);
  mem.write(kIdtr, idtr, 6);
  const uint16_t cs = 0x08;
  mem.write(kGdtr + 0x10, &kernel.after_cs, 4);
  mem.write(kGdtr + 0x14, &cs, 2);
  Feeder feeder(m, cases, report);
  m.io().attach(kFeedPort, 1, &feeder);
  m.run();
  if (m.stop_reason() != "all cases done") return m.stop_reason();
  return "";
}

}  // namespace difftest
