// Shadow page tables: the mapping budget, checked by running a paging guest in a real
// Machine whose budget is far smaller than the pages it touches.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>

#include "guest_image.h"

using namespace asmjit;

namespace {

constexpr uint32_t kDir = 0x200000, kTables = 0x201000, kPool = 0x300000;
constexpr uint32_t kLinear = 0x40000000, kPages = 4096, kPoolPages = 16;

// Identity-maps the first 4 MiB, maps kPages linear pages at kLinear onto kPoolPages
// physical pages (page i -> pool page i % 16), turns paging on, writes i into page i
// at offset (i / 16) * 4 (distinct bytes of the pool), reads everything back through
// the same linear pages and exits with 0x21 if the sum is right, 3 if not.
std::vector<uint8_t> aliasing_guest() {
  return test::assemble32([](x86::Assembler& a) {
    Label fill = a.newLabel(), write = a.newLabel(), read = a.newLabel(), bad = a.newLabel();
    // Page directory: entry 0 -> table 0 (identity), entries 256..259 -> tables 1..4.
    a.mov(x86::edi, kDir);
    a.mov(x86::ecx, 1024 * 6);  // directory + 5 tables
    a.xor_(x86::eax, x86::eax);
    a.rep().stosd();
    a.mov(x86::dword_ptr(kDir), kTables | 3);
    for (uint32_t t = 0; t < 4; ++t)
      a.mov(x86::dword_ptr(kDir + ((kLinear >> 22) + t) * 4), (kTables + (t + 1) * 4096) | 3);
    a.xor_(x86::ecx, x86::ecx);
    a.bind(fill);  // table 0: identity; tables 1..4: the pool, in order
    a.mov(x86::eax, x86::ecx);
    a.shl(x86::eax, 12);
    a.or_(x86::eax, 3);
    a.mov(x86::dword_ptr(kTables, x86::ecx, 2), x86::eax);
    a.mov(x86::eax, x86::ecx);
    a.and_(x86::eax, kPoolPages - 1);
    a.shl(x86::eax, 12);
    a.add(x86::eax, kPool | 3);
    a.mov(x86::dword_ptr(kTables + 4096, x86::ecx, 2), x86::eax);
    a.inc(x86::ecx);
    a.cmp(x86::ecx, kPages);
    a.jb(fill);
    a.mov(x86::eax, kDir);
    a.mov(x86::cr3, x86::eax);
    a.mov(x86::eax, x86::cr0);
    a.or_(x86::eax, 0x80000000u);
    a.mov(x86::cr0, x86::eax);

    a.xor_(x86::ecx, x86::ecx);
    a.bind(write);  // [kLinear + i * 4096 + (i / 16) * 4] = i
    a.mov(x86::ebx, x86::ecx);
    a.shl(x86::ebx, 12);
    a.mov(x86::edx, x86::ecx);
    a.shr(x86::edx, 4);
    a.mov(x86::dword_ptr(x86::ebx, x86::edx, 2, kLinear), x86::ecx);
    a.inc(x86::ecx);
    a.cmp(x86::ecx, kPages);
    a.jb(write);

    a.xor_(x86::ecx, x86::ecx);
    a.xor_(x86::esi, x86::esi);
    a.bind(read);
    a.mov(x86::ebx, x86::ecx);
    a.shl(x86::ebx, 12);
    a.mov(x86::edx, x86::ecx);
    a.shr(x86::edx, 4);
    a.mov(x86::eax, x86::dword_ptr(x86::ebx, x86::edx, 2, kLinear));
    a.cmp(x86::eax, x86::ecx);
    a.jne(bad);
    a.add(x86::esi, x86::eax);
    a.inc(x86::ecx);
    a.cmp(x86::ecx, kPages);
    a.jb(read);
    a.cmp(x86::esi, kPages * (kPages - 1) / 2);
    a.jne(bad);
    a.mov(x86::eax, 0x21);
    test::exit_with_eax(a);
    a.bind(bad);
    a.mov(x86::eax, 3);
    test::exit_with_eax(a);
  });
}

struct Outcome {
  int status;
  std::string reason;
  rs::Shadow::Stats stats;
  size_t mapped;
};

Outcome run_with_budget(size_t budget) {
  int fds[2];
  if (pipe2(fds, O_NONBLOCK) != 0) throw std::runtime_error("pipe");
  rs::MachineConfig cfg;
  cfg.ram_bytes = 16ull << 20;
  cfg.uart_fd = fds[1];
  cfg.no_reboot = true;
  cfg.map_budget = budget;
  rs::Machine m(cfg);
  m.load_multiboot(test::multiboot_elf(aliasing_guest()), "budget", "budget", nullptr, "");
  Outcome o{m.run(), m.stop_reason(), m.shadow().stats, m.shadow().mapped()};
  close(fds[0]);
  close(fds[1]);
  return o;
}

}  // namespace

TEST_CASE("more pages than the mapping budget: eviction, not failure", "[shadow]") {
  Outcome o = run_with_budget(64);
  INFO(o.reason);
  CHECK(o.status == (0x21 << 1 | 1));
  CHECK(o.stats.fills >= 2 * kPages);                    // every linear page filled, twice
  CHECK(o.stats.budget_evictions >= o.stats.fills / 64 - 1);  // and room made again and again
  CHECK(o.mapped <= 64);
}

TEST_CASE("with a budget above the working set nothing is evicted", "[shadow]") {
  Outcome o = run_with_budget(2 * kPages + 64);
  INFO(o.reason);
  CHECK(o.status == (0x21 << 1 | 1));
  CHECK(o.stats.budget_evictions == 0);
  CHECK(o.stats.fills >= kPages);
  CHECK(o.stats.fills < 2 * kPages);  // the read pass found the write pass's mappings
}
