// int 15h, system services: the memory map (E820h by ACPI's "Address Range
// Descriptor", from the same src/boot/memory_map.h the Linux boot path reports; E801h;
// 88h), the wait (86h), the block move (87h), the A20 gate (2400h-2403h, port 92h),
// the configuration table (C0h) and EBDA segment (C1h), the keyboard intercept (4Fh)
// and the device busy/post hooks (90h/91h). APM (53h) answers "not present" and every
// other function "not supported": CF set, AH = 86h (Ralf Brown's interrupt list).
#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "bios/call.h"
#include "bios/rom.h"
#include "boot/memory_map.h"
#include "cpu/guest_env.h"

namespace rs::bios {
namespace {

constexpr uint32_t kSmap = 0x534D4150;  // 'SMAP'
constexpr uint64_t kMiB = 1ull << 20;
// 86h sleeps on the host; a longer wait is cut here so that the machine stays responsive.
constexpr uint32_t kMaxWaitUs = 1'000'000;

void not_supported(Call& c) {
  c.set_ah(0x86);
  c.set_cf(true);
}

void ok(Call& c) {
  c.set_ah(0);
  c.set_cf(false);
}

// E820h: EDX = 'SMAP', EBX = the continuation (0 first), ECX = buffer size (>= 20),
// ES:DI the buffer. Answer: one range (base, length, type; with 24 bytes asked, the
// ACPI 3.0 attributes, "enabled"), EAX = 'SMAP', ECX = bytes written, EBX = the next
// continuation or 0 after the last range, CF clear.
void e820(Call& c) {
  const std::vector<MemRange> map = pc_memory_map(c.cfg.ram_bytes);
  const uint32_t i = c.r32(EBX), room = c.r32(ECX);
  if (c.r32(EDX) != kSmap || room < 20 || i >= map.size()) return not_supported(c);
  const uint32_t buf = c.at(ES, c.r16(EDI));
  c.wr64(buf, map[i].base);
  c.wr64(buf + 8, map[i].len);
  c.wr32(buf + 16, map[i].type);
  uint32_t n = 20;
  if (room >= 24) c.wr32(buf + 20, 1), n = 24;
  c.set_r32(EAX, kSmap);
  c.set_r32(ECX, n);
  c.set_r32(EBX, i + 1 < map.size() ? i + 1 : 0);
  c.set_cf(false);
}

uint64_t extended_kib(const Call& c) { return c.cfg.ram_bytes > kMiB ? (c.cfg.ram_bytes - kMiB) >> 10 : 0; }

// E801h: AX = CX = KiB between 1 MiB and 16 MiB, BX = DX = 64 KiB blocks above 16 MiB.
void e801(Call& c) {
  const uint16_t low = uint16_t(std::min<uint64_t>(extended_kib(c), 15 * 1024));
  const uint64_t high = c.cfg.ram_bytes > 16 * kMiB ? (c.cfg.ram_bytes - 16 * kMiB) >> 16 : 0;
  c.set_ax(low);
  c.set_r16(ECX, low);
  c.set_r16(EBX, uint16_t(std::min<uint64_t>(high, 0xFFFF)));
  c.set_r16(EDX, uint16_t(std::min<uint64_t>(high, 0xFFFF)));
  c.set_cf(false);
}

// 88h: AX = KiB above 1 MiB (at most FFFFh).
void ext_memory(Call& c) {
  c.set_ax(uint16_t(std::min<uint64_t>(extended_kib(c), 0xFFFF)));
  c.set_cf(false);
}

// 86h: wait CX:DX microseconds (on the host, in slices so that a stop is not held up).
void wait(Call& c) {
  const uint32_t us = std::min<uint32_t>(uint32_t(c.cx()) << 16 | c.dx(), kMaxWaitUs);
  const auto end = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
  while (!c.env.must_leave()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= end) break;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(end - now, std::chrono::milliseconds(10)));
  }
  ok(c);
}

// 87h: copy CX words between the source and destination descriptors (offsets 10h and
// 18h) of the GDT at ES:SI, by physical address, A20 on as it is for any BIOS copy;
// AH = 0, CF clear, ZF set (IBM PC/AT Technical Reference, BLOCKMOVE).
void block_move(Call& c) {
  const uint32_t gdt = c.at(ES, c.r16(ESI));
  auto base = [&](uint32_t desc) { return c.rd16(desc + 2) | uint32_t(c.rd8(desc + 4)) << 16 | uint32_t(c.rd8(desc + 7)) << 24; };
  const uint32_t bytes = std::min<uint32_t>(c.cx(), 0x8000) * 2;
  std::vector<uint8_t> buf(bytes);
  c.read(base(gdt + 0x10), buf.data(), bytes);
  c.write(base(gdt + 0x18), buf.data(), bytes);
  ok(c);
  c.set_zf(true);
}

// 2400h off, 2401h on, 2402h query (AL = the gate), 2403h support (BX: bit 0 the
// keyboard controller, bit 1 port 92h). Port 92h's bit 0 is the fast reset: written 0.
void a20(Call& c) {
  switch (c.al()) {
    case 0x00:
    case 0x01: {
      const uint8_t v = c.in8(0x92);
      c.out8(0x92, uint8_t((v & ~0x03) | (c.al() ? 0x02 : 0)));
      return ok(c);
    }
    case 0x02: {
      const uint8_t on = c.in8(0x92) >> 1 & 1;
      ok(c);
      return c.set_al(on);
    }
    case 0x03:
      c.set_r16(EBX, 0x0003);
      return ok(c);
    default: return not_supported(c);
  }
}

void config_table(Call& c) {
  c.set_sreg(ES, kRomSeg);
  c.set_r16(EBX, rom_table(kDirConfigTable));
  ok(c);
}

void ebda_segment(Call& c) {
  c.set_sreg(ES, c.rd16(kBda + 0x0E));
  c.set_cf(false);
}

}  // namespace

void int15_system(Call& c) {
  switch (c.ah()) {
    case 0x24: return a20(c);
    case 0x4F: return c.set_cf(true);  // keyboard intercept: process the scan code
    case 0x86: return wait(c);
    case 0x87: return block_move(c);
    case 0x88: return ext_memory(c);
    case 0x90:
    case 0x91: return ok(c);  // device busy / interrupt complete: nothing to wait for
    case 0xC0: return config_table(c);
    case 0xC1: return ebda_segment(c);
    case 0xE8:
      if (c.al() == 0x20) return e820(c);
      if (c.al() == 0x01) return e801(c);
      return not_supported(c);
    default: return not_supported(c);  // 53h APM "not present" (86h) among them
  }
}

}  // namespace rs::bios
