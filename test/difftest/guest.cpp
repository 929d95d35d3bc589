#include "difftest/guest.h"

#include <asmjit/x86.h>

#include "difftest/kernel.h"
#include "machine.h"

namespace difftest {

namespace {

// The harness's data (paging is off), next to the kernel's tables (kernel.h).
constexpr uint32_t kIn = 0xB000;      // gpr[8] at +0, eflags at +0x20, CS +0x24, EIP +0x28
constexpr uint32_t kOut = 0xB040;     // gpr[8], eflags +0x20, eip +0x24, vector +0x28, error +0x2C
constexpr uint32_t kFxIn = 0xC000, kFxOut = 0xC200;
constexpr uint16_t kFeedPort = 0xE0;

Kernel build_feeder_kernel() {
  using namespace asmjit;
  auto abs = [](uint32_t addr) { return x86::dword_ptr(uint64_t(addr)); };
  return build_kernel([&](x86::Assembler& a, Label loop, Label common) {
    // Next case: the harness writes it while handling the OUT, then IRET to ring 3.
    a.bind(loop);
    a.mov(x86::esp, kKernelStack);
    a.out(Imm(kFeedPort), x86::al);
    a.fxrstor(x86::ptr(uint64_t(kFxIn), 512));
    a.mov(x86::eax, kLdtSel);  // the 16-bit code segment of 16-bit cases
    a.lldt(x86::ax);
    a.mov(x86::eax, kUserDs);
    a.mov(x86::ds, x86::ax);
    a.mov(x86::es, x86::ax);
    a.xor_(x86::ecx, x86::ecx);  // FS and GS are null in a 64-bit process's 32-bit code too
    a.mov(x86::fs, x86::cx);
    a.mov(x86::gs, x86::cx);
    a.push(kUserDs);
    a.push(abs(kIn + 16));
    a.push(abs(kIn + 0x20));
    a.push(abs(kIn + 0x24));  // CS: kUserCs, or kCode16Sel (EIP 0) for a 16-bit case
    a.push(abs(kIn + 0x28));
    static const x86::Gp regs[8] = {x86::eax, x86::ecx, x86::edx, x86::ebx, x86::esp, x86::ebp, x86::esi, x86::edi};
    for (int r = 7; r >= 0; --r)
      if (r != 4) a.mov(regs[r], abs(kIn + 4 * uint32_t(r)));
    a.iretd();

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
  });
}

// Hands out cases through port 0xE0 and collects their outcomes.
class Feeder : public rs::Device {
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
      mem.read(kLowAddr, o.low, kLowBytes);
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
    mem.write(kLowAddr, c.low, kLowBytes);
    mem.write(kIn, c.in.gpr, 32);
    const uint32_t eflags = c.in.eflags | 0x200;  // user code runs with IF=1 natively too
    mem.write(kIn + 0x20, &eflags, 4);
    const uint32_t cs_eip[2] = {c.code16 ? kCode16Sel : kUserCs, c.code16 ? 0 : kCodeAddr};
    mem.write(kIn + 0x24, cs_eip, 8);
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
  static const Kernel kernel = build_feeder_kernel();
  rs::MachineConfig cfg;
  cfg.ram_bytes = 8u << 20;
  cfg.uart_fd = 2;
  cfg.no_reboot = true;
  rs::Machine m(cfg);
  m.load_multiboot(kernel.image, "difftest-kernel", "difftest-kernel", nullptr, "");
  // INT3 and INTO may be used from ring 3, as on Linux; INT n to others raises #GP.
  install_tables(m.mem(), kernel, {3, 4}, true);
  Feeder feeder(m, cases, report);
  m.io().attach(kFeedPort, 1, &feeder);
  m.run();
  if (m.stop_reason() != "all cases done") return m.stop_reason();
  return "";
}

}  // namespace difftest
