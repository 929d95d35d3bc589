// Test support: builds multiboot ELF32 images from code assembled with asmjit in
// 32-bit mode, and runs them in a real Machine.
#pragma once
#include <asmjit/x86.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "machine.h"

namespace test {

inline constexpr uint32_t kLoad = 0x100000;
inline constexpr uint32_t kCodeOffset = 96;  // ELF header (52) + one program header (32) + multiboot header (12)

template <typename T>
void put(std::vector<uint8_t>& b, size_t off, T v) {
  if (b.size() < off + sizeof v) b.resize(off + sizeof v);
  std::memcpy(b.data() + off, &v, sizeof v);
}

inline std::vector<uint8_t> multiboot_elf(const std::vector<uint8_t>& code, uint32_t bss = 0) {
  std::vector<uint8_t> b(kCodeOffset, 0);
  const uint8_t ident[16] = {0x7F, 'E', 'L', 'F', 1, 1, 1};
  std::memcpy(b.data(), ident, 16);
  put<uint16_t>(b, 16, 2);   // ET_EXEC
  put<uint16_t>(b, 18, 3);   // EM_386
  put<uint32_t>(b, 20, 1);
  put<uint32_t>(b, 24, kLoad + kCodeOffset);  // entry
  put<uint32_t>(b, 28, 52);  // phoff
  put<uint16_t>(b, 40, 52);
  put<uint16_t>(b, 42, 32);
  put<uint16_t>(b, 44, 1);
  uint32_t total = uint32_t(kCodeOffset + code.size());
  put<uint32_t>(b, 52, 1);   // PT_LOAD
  put<uint32_t>(b, 56, 0);
  put<uint32_t>(b, 60, kLoad);
  put<uint32_t>(b, 64, kLoad);
  put<uint32_t>(b, 68, total);
  put<uint32_t>(b, 72, total + bss);
  put<uint32_t>(b, 76, 7);
  put<uint32_t>(b, 84, 0x1BADB002);
  put<uint32_t>(b, 88, 0);
  put<uint32_t>(b, 92, uint32_t(-0x1BADB002));
  b.resize(kCodeOffset + code.size());
  if (!code.empty()) std::memcpy(b.data() + kCodeOffset, code.data(), code.size());
  return b;
}

inline std::vector<uint8_t> assemble32(const std::function<void(asmjit::x86::Assembler&)>& body) {
  asmjit::CodeHolder code;
  code.init(asmjit::Environment(asmjit::Arch::kX86), kLoad + kCodeOffset);
  asmjit::x86::Assembler a(&code);
  body(a);
  code.flatten();
  code.resolveUnresolvedLinks();
  code.relocateToBase(kLoad + kCodeOffset);
  std::vector<uint8_t> out(code.codeSize());
  code.copyFlattenedData(out.data(), out.size());
  return out;
}

struct GuestRun {
  int status = -1;
  std::string uart;
  std::string reason;
};

inline GuestRun run_image(const std::vector<uint8_t>& image, uint64_t ram = 16ull << 20,
                          const std::function<void(rs::Machine&)>& before = {}) {
  int fds[2];
  if (pipe2(fds, O_NONBLOCK) != 0) throw std::runtime_error("pipe");
  GuestRun r;
  {
    rs::MachineConfig cfg;
    cfg.ram_bytes = ram;
    cfg.uart_fd = fds[1];
    cfg.no_reboot = true;  // a guest without an IDT triple-faults on its first exception
    rs::Machine m(cfg);
    m.load_multiboot(image, "test-image", "test-image", nullptr, "");
    if (before) before(m);
    r.status = m.run();
    r.reason = m.stop_reason();
  }
  close(fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) r.uart.append(buf, size_t(n));
  close(fds[0]);
  return r;
}

inline GuestRun run_guest(const std::function<void(asmjit::x86::Assembler&)>& body, uint64_t ram = 16ull << 20) {
  return run_image(multiboot_elf(assemble32(body)), ram);
}

// Ends the guest with debug-exit value in EAX.
inline void exit_with_eax(asmjit::x86::Assembler& a) {
  a.mov(asmjit::x86::edx, 0xF4);
  a.out(asmjit::x86::dx, asmjit::x86::eax);
  a.hlt();
}

}  // namespace test
