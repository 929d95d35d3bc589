// Shadow page tables, checked by running paging guests in a real Machine: the mapping
// budget (far smaller than the pages the guest touches), and fill-around.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <unistd.h>

#include "guest_image.h"

using namespace asmjit;

namespace {

constexpr uint32_t kDir = 0x200000, kTables = 0x201000, kPool = 0x300000;
constexpr uint32_t kLinear = 0x40000000, kPages = 4096, kPoolPages = 16;

// The paging the fill guests start from: the directory, an identity map of the first 4
// MiB (table kTables) and an empty table kLinearTable for kLinear's 4 MiB, whose PTEs
// each guest writes before enable_paging.
constexpr uint32_t kLinearTable = kTables + 4096;

void identity_and_linear_table(x86::Assembler& a) {
  Label fill = a.newLabel();
  a.mov(x86::edi, kDir);
  a.mov(x86::ecx, 1024 * 3);  // directory, identity table, kLinear's table (contiguous)
  a.xor_(x86::eax, x86::eax);
  a.rep().stosd();
  a.mov(x86::dword_ptr(kDir), kTables | 3);
  a.mov(x86::dword_ptr(kDir + (kLinear >> 22) * 4), kLinearTable | 3);
  a.xor_(x86::ecx, x86::ecx);
  a.bind(fill);
  a.mov(x86::eax, x86::ecx);
  a.shl(x86::eax, 12);
  a.or_(x86::eax, 3);
  a.mov(x86::dword_ptr(kTables, x86::ecx, 2), x86::eax);
  a.inc(x86::ecx);
  a.cmp(x86::ecx, 1024);
  a.jb(fill);
}

void enable_paging(x86::Assembler& a) {
  a.mov(x86::eax, kDir);
  a.mov(x86::cr3, x86::eax);
  a.mov(x86::eax, x86::cr0);
  a.or_(x86::eax, 0x80000000u);
  a.mov(x86::cr0, x86::eax);
}

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
    enable_paging(a);

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

// The end of a guest that counts its checks in EBX: exits 0x21 when all passed, else
// with EBX (the number of the failed check) from `bad`.
void exit_passed_or_step(x86::Assembler& a, Label bad) {
  a.mov(x86::eax, 0x21);
  test::exit_with_eax(a);
  a.bind(bad);
  a.mov(x86::eax, x86::ebx);
  test::exit_with_eax(a);
}

// Fill-around (Shadow::fill_around): linear pages kLinear + i (i < 16) map pool pages
// i, physically contiguous, writable, with A and D set, except: page 2 with D clear,
// page 5 with A clear, page 7 not present, page 12 onto pool page 20 (not contiguous). Page i holds 0x1000 + i (page
// 12: 0x2000). The guest reads page 4, then every present page, checking the values,
// writes page 2 (A set, D clear), then checks that the CPU set A in PTE 5 and D in PTE 2:
// mapping a page ahead while its A (or for a write, D) is clear would skip setting it.
// Exits 0x21 when all holds, 2 + the failed check's number otherwise.
std::vector<uint8_t> fill_around_guest() {
  return test::assemble32([](x86::Assembler& a) {
    constexpr uint32_t kTable = kLinearTable;
    auto pte = [](int i) -> uint32_t {
      if (i == 7) return 0;
      const uint32_t frame = kPool + uint32_t(i == 12 ? 20 : i) * 4096;
      return frame | (i == 5 ? 0x03 : i == 2 ? 0x23 : 0x63);
    };
    Label bad = a.newLabel();
    identity_and_linear_table(a);
    for (int i = 0; i < 16; ++i) {
      a.mov(x86::dword_ptr(kTable + i * 4), pte(i));
      a.mov(x86::dword_ptr(kPool + i * 4096), 0x1000 + i);
    }
    a.mov(x86::dword_ptr(kPool + 20 * 4096), 0x2000);
    enable_paging(a);

    a.mov(x86::ebx, 2);  // failed check number
    a.cmp(x86::dword_ptr(kLinear + 4 * 4096), 0x1004);
    a.jne(bad);
    for (int i = 0; i < 16; ++i) {
      if (i == 7) continue;
      a.inc(x86::ebx);
      a.cmp(x86::dword_ptr(kLinear + i * 4096), i == 12 ? 0x2000 : 0x1000 + i);
      a.jne(bad);
    }
    a.mov(x86::dword_ptr(kLinear + 2 * 4096 + 8), 0x55);
    a.inc(x86::ebx);
    a.cmp(x86::dword_ptr(kPool + 2 * 4096 + 8), 0x55);  // through the identity map
    a.jne(bad);
    a.inc(x86::ebx);
    a.test(x86::dword_ptr(kTable + 5 * 4), 0x20);  // A of page 5
    a.jz(bad);
    a.inc(x86::ebx);
    a.test(x86::dword_ptr(kTable + 2 * 4), 0x40);  // D of page 2
    a.jz(bad);
    exit_passed_or_step(a, bad);
  });
}

// A mapping the guest keeps remaking (early_memremap's fixmap slots): linear pages
// kLinear + i (i < 8) map pool pages i, contiguous, with A and D set. The guest reads page
// 0 (its fill maps 1-7 beside it), INVLPGs all eight, points page 3 at pool page 20
// (INVLPG again), and reads pages 0, 3 and 1. Pool page i holds 0x1000 + i, page 20
// 0x2000. Exits 0x21 when every read is right, 2 + the failed read's number otherwise.
std::vector<uint8_t> transient_guest() {
  return test::assemble32([](x86::Assembler& a) {
    constexpr uint32_t kTable = kLinearTable;
    Label bad = a.newLabel();
    identity_and_linear_table(a);
    for (int i = 0; i < 8; ++i) {
      a.mov(x86::dword_ptr(kTable + i * 4), (kPool + i * 4096) | 0x63);
      a.mov(x86::dword_ptr(kPool + i * 4096), 0x1000 + i);
    }
    a.mov(x86::dword_ptr(kPool + 20 * 4096), 0x2000);
    enable_paging(a);

    a.mov(x86::ebx, 2);
    a.cmp(x86::dword_ptr(kLinear), 0x1000);
    a.jne(bad);
    for (int i = 0; i < 8; ++i) a.invlpg(x86::byte_ptr(kLinear + i * 4096));
    a.mov(x86::dword_ptr(kTable + 3 * 4), (kPool + 20 * 4096) | 0x63);
    a.invlpg(x86::byte_ptr(kLinear + 3 * 4096));
    a.inc(x86::ebx);
    a.cmp(x86::dword_ptr(kLinear), 0x1000);
    a.jne(bad);
    a.inc(x86::ebx);
    a.cmp(x86::dword_ptr(kLinear + 3 * 4096), 0x2000);
    a.jne(bad);
    a.inc(x86::ebx);
    a.cmp(x86::dword_ptr(kLinear + 4096), 0x1001);
    a.jne(bad);
    exit_passed_or_step(a, bad);
  });
}

Outcome run_guest(const std::vector<uint8_t>& code, size_t budget) {
  int fds[2];
  if (pipe2(fds, O_NONBLOCK) != 0) throw std::runtime_error("pipe");
  rs::MachineConfig cfg;
  cfg.ram_bytes = 16ull << 20;
  cfg.uart_fd = fds[1];
  cfg.no_reboot = true;
  cfg.map_budget = budget;
  rs::Machine m(cfg);
  m.load_multiboot(test::multiboot_elf(code), "budget", "budget", nullptr, "");
  Outcome o{m.run(), m.stop_reason(), m.shadow().stats, m.shadow().mapped()};
  close(fds[0]);
  close(fds[1]);
  return o;
}

Outcome run_with_budget(size_t budget) { return run_guest(aliasing_guest(), budget); }

}  // namespace

TEST_CASE("more mappings than the budget: eviction, not failure", "[shadow]") {
  Outcome o = run_with_budget(64);
  INFO(o.reason);
  CHECK(o.status == (0x21 << 1 | 1));
  const uint64_t pages = o.stats.fills + o.stats.around;  // a fill maps its neighbours too
  CHECK(pages >= 2 * kPages);                            // every linear page filled, twice
  // More VMAs than 64 over the run (runs of at most 16 consecutive frames): room was
  // made, and the budget held.
  CHECK(o.stats.budget_evictions >= 1);
  CHECK(o.stats.vmas_peak <= 64);
  CHECK(o.stats.pressure_flushes == 0);
}

TEST_CASE("the default map budget leaves half of vm.max_map_count of this host free", "[shadow]") {
  unsigned long max_maps = 65530;
  if (FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r")) {
    REQUIRE(std::fscanf(f, "%lu", &max_maps) == 1);
    std::fclose(f);
  }
  const size_t b = rs::Shadow::host_budget();
  CHECK(b >= 64);
  if (max_maps >= 4096) CHECK(2 * b + rs::Shadow::kReservedVmas <= max_maps);
  if (max_maps == 65530) CHECK(b == rs::Shadow::kDefaultBudget);
}

TEST_CASE("mappings the host refuses (vm.max_map_count) empty the windows, and the guest runs on", "[shadow]") {
  rs::Window::fail_every_for_test(97);  // every 97th mmap or mprotect of a paging window fails
  Outcome o = run_with_budget(rs::Shadow::kDefaultBudget);
  rs::Window::fail_every_for_test(0);
  INFO(o.reason);
  CHECK(o.status == (0x21 << 1 | 1));  // every read right: no stale or missing mapping
  CHECK(o.stats.pressure_flushes >= 5);
  CHECK(o.stats.budget_evictions == 0);
}

TEST_CASE("with a budget above the working set nothing is evicted", "[shadow]") {
  Outcome o = run_with_budget(2 * kPages + 64);
  INFO(o.reason);
  CHECK(o.status == (0x21 << 1 | 1));
  CHECK(o.stats.budget_evictions == 0);
  CHECK(o.stats.fills >= kPages);
  CHECK(o.stats.fills < 2 * kPages);  // the read pass found the write pass's mappings
}

TEST_CASE("a fill maps the contiguous, accessed pages beside it, and only those", "[shadow]") {
  Outcome o = run_guest(fill_around_guest(), rs::Shadow::kDefaultBudget);
  INFO(o.reason);
  CHECK(o.status == (0x21 << 1 | 1));
  // Page 4's fill maps page 3 with it (2 is to be read-only, 5 has A clear), 0's maps 1,
  // 5's and 6's none (5 is read-only, 6 writable, 7 not present), 8's maps 9-11 (12 is
  // another frame), 13's 14 and 15.
  CHECK(o.stats.around == 7);
}

TEST_CASE("pages an INVLPG dropped are not mapped beside later fills", "[shadow]") {
  Outcome o = run_guest(transient_guest(), rs::Shadow::kDefaultBudget);
  INFO(o.reason);
  CHECK(o.status == (0x21 << 1 | 1));
  CHECK(o.stats.invlpg_drops == 8);  // the first fill and its seven neighbours; the second INVLPG of page 3 finds nothing
  // Only the first fill maps beside it: after the INVLPGs, page 0's and page 1's fills map
  // no neighbours (each of which would cost an mprotect at its next INVLPG).
  CHECK(o.stats.around == 7);
}
