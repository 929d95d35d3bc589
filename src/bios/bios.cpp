// The BIOS's front door: the ROM copied in at reset, the trap that pops a stub's
// service number and runs the service, and the register, stack, memory and port
// access every service shares (call.h).
#include "bios/bios.h"

#include <cstring>
#include <vector>

#include "bios/call.h"
#include "bios/drives.h"
#include "bios/rom.h"
#include "bios/video.h"
#include "cpu/guest_env.h"
#include "error.h"
#include "mmu/phys_mem.h"

namespace rs {

Bios::Bios(BiosConfig cfg, PhysMem& mem, GuestEnv& env)
    : cfg_(std::move(cfg)), mem_(mem), env_(env), st_(std::make_unique<bios::State>()) {}

Bios::~Bios() = default;

namespace {

// The diskette parameter table (int 1Eh) says the floppy image's sectors per track and
// gap length (2Ah for 8-9 sectors, 1Bh above), as a BIOS picks its table by drive type.
void fit_diskette_params(std::vector<uint8_t>& rom, const BiosConfig& cfg) {
  if (!cfg.fd) return;
  const bios::Chs g = bios::floppy_geometry(cfg.fd->size());
  const uint16_t dpt = bios::rom_table(bios::kDirDisketteParams);
  rom[dpt + 4] = uint8_t(g.spt);
  rom[dpt + 5] = g.spt <= 9 ? 0x2A : 0x1B;
}

}  // namespace

void Bios::install() {
  std::vector<uint8_t> rom(bios::kBiosRom, bios::kBiosRom + bios::kRomSize);
  fit_diskette_params(rom, cfg_);
  // The byte at F000:FFFF makes the ROM's bytes sum to 0 mod 256, as PC ROMs do.
  uint8_t sum = 0;
  for (uint32_t i = 0; i + 1 < bios::kRomSize; i++) sum = uint8_t(sum + rom[i]);
  rom.back() = uint8_t(-sum);
  if (!mem_.write(bios::kRomBase, rom.data(), rom.size()))
    throw GuestError("the BIOS needs at least 1 MiB of guest RAM");
  *st_ = bios::State{};
}

void Bios::trap(CpuState& cpu) {
  using Fn = void (*)(bios::Call&);
  static constexpr Fn kServices[bios::kServiceEnd] = {
      nullptr,          bios::post,           bios::int08_timer,     bios::int09_keyboard,
      bios::int10_video, bios::int11_equipment, bios::int12_memory,  bios::int13_disk,
      bios::int15_system, bios::int16_keyboard, bios::int18_next_boot, bios::int19_boot,
      bios::int1a_time};
  bios::Call c(cpu, mem_, env_, cfg_, *st_);
  const uint16_t svc = c.pop_service();
  if (svc == 0 || svc >= bios::kServiceEnd) {
    env_.unsupported("a BIOS trap with the unknown service number " + std::to_string(svc) +
                     " (a jump into the middle of the BIOS ROM?)");
    return;
  }
  kServices[svc](c);
}

namespace bios {

void Call::set_sreg(SegReg s, uint16_t v) {
  cpu.seg[s].sel = v;
  cpu.seg[s].base = uint32_t(v) << 4;
  env.segments_changed();
}

// The stack as the INT used it: SP, or all of ESP when SS is a 32-bit (B) segment kept
// from protected mode ("unreal" big stack).
bool Call::big_stack() const { return cpu.seg[SS].attr & 0x4000; }

uint32_t Call::stack_addr(uint16_t off) const {
  const uint32_t sp = r32(ESP) + off;
  return cpu.seg[SS].base + (big_stack() ? sp : sp & 0xFFFF);
}

uint16_t Call::pop_service() {
  const uint16_t svc = rd16(stack_addr(0));
  if (big_stack()) set_r32(ESP, r32(ESP) + 2);
  else set_r16(ESP, uint16_t(r16(ESP) + 2));  // SP wraps at 64 KiB
  return svc;
}

void Call::set_flag(uint16_t bit, bool on) {
  const uint32_t a = stack_addr(4);
  const uint16_t f = rd16(a);
  wr16(a, on ? f | bit : f & ~bit);
}

void Call::set_return(uint16_t cs, uint16_t ip) {
  wr16(stack_addr(0), ip);
  wr16(stack_addr(2), cs);
}

void Call::read(uint32_t addr, void* dst, size_t len) {
  if (!mem.read(addr, dst, len)) env.phys_access(addr, dst, uint32_t(len), false);
}

void Call::write(uint32_t addr, const void* src, size_t len) {
  // PhysMem::write tells the translator about code pages, so a sector read over
  // translated code drops it as a guest store would.
  if (!mem.write(addr, src, len)) env.phys_access(addr, const_cast<void*>(src), uint32_t(len), true);
}

uint8_t Call::in8(uint16_t port) { return uint8_t(env.port_in(port, 1)); }
void Call::out8(uint16_t port, uint8_t v) { env.port_out(port, 1, v); }
uint32_t Call::in32(uint16_t port) { return env.port_in(port, 4); }
void Call::out32(uint16_t port, uint32_t v) { env.port_out(port, 4, v); }

uint8_t Call::cmos(uint8_t idx) {
  out8(0x70, idx);
  return in8(0x71);
}

void Call::set_cmos(uint8_t idx, uint8_t v) {
  out8(0x70, idx);
  out8(0x71, v);
}

void Call::print(std::string_view text) { video_print(*this, text); }

}  // namespace bios

void pci_setup_for_direct_boot(PhysMem& mem, GuestEnv& env, CpuState& cpu) {
  BiosConfig cfg;
  bios::State st;
  bios::Call c(cpu, mem, env, cfg, st);
  bios::pci_init(c);
}

}  // namespace rs
