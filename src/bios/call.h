// One call into the BIOS as a service sees it: the guest's registers, the FLAGS word
// its INT pushed, guest memory by physical address, the ports, the configuration and
// what the BIOS remembers between calls. Internal to src/bios; the services it lists
// are one file each.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "bios/bios.h"
#include "bios/drives.h"
#include "cpu/cpu_state.h"

namespace rs {

class PhysMem;
class GuestEnv;

namespace bios {

// The word a ROM stub pushes before `out 0xEB, al` (rom.asm's SVC_* have the same values).
enum Service : uint16_t {
  kPost = 1,
  kInt08,
  kInt09,
  kInt10,
  kInt11,
  kInt12,
  kInt13,
  kInt15,
  kInt16,
  kInt18,
  kInt19,
  kInt1A,
  kServiceEnd
};

inline constexpr uint32_t kBda = 0x400;      // BIOS data area, segment 0040h
inline constexpr uint16_t kEbdaSeg = 0x9FC0; // extended BIOS data area: the last KiB below 640 KiB
inline constexpr uint32_t kEbda = 0x9FC00;
inline constexpr uint8_t kCdDrive = 0xE0;    // int 13h number of the CD (see drives.h)

// What the BIOS keeps outside guest memory (everything a guest may look at is in the BDA).
struct State {
  size_t boot_next = 0;     // index in boot_order of the device int 18h tries next
  bool boot_stopped = false;
  std::string boot_tried;   // what each device said, for the no-boot stop message
  uint8_t pause_skip = 0;   // bytes left of the Pause key's E1 1D 45 E1 9D C5
  // The no-emulation CD image booted (El Torito 1.0, the specification packet of 4B01h).
  bool cd_booted = false;
  uint32_t cd_image_lba = 0;
  uint16_t cd_load_seg = 0, cd_sectors = 0;
  // The hard disks' geometries, chosen at POST (drives.h: disk_geometry).
  Chs hd_chs[2];
};

class Call {
 public:
  Call(CpuState& cpu, PhysMem& mem, GuestEnv& env, const BiosConfig& cfg, State& st)
      : cpu(cpu), mem(mem), env(env), cfg(cfg), st(st) {}

  // --- registers: 16- and 8-bit views that keep the rest of the 32-bit register ---
  uint16_t r16(Reg r) const { return uint16_t(cpu.regs[r]); }
  uint8_t lo(Reg r) const { return uint8_t(cpu.regs[r]); }
  uint8_t hi(Reg r) const { return uint8_t(cpu.regs[r] >> 8); }
  uint32_t r32(Reg r) const { return uint32_t(cpu.regs[r]); }
  void set_r16(Reg r, uint16_t v) { cpu.regs[r] = (cpu.regs[r] & ~0xFFFFull) | v; }
  void set_lo(Reg r, uint8_t v) { cpu.regs[r] = (cpu.regs[r] & ~0xFFull) | v; }
  void set_hi(Reg r, uint8_t v) { cpu.regs[r] = (cpu.regs[r] & ~0xFF00ull) | uint64_t(v) << 8; }
  void set_r32(Reg r, uint32_t v) { cpu.regs[r] = v; }
  uint16_t ax() const { return r16(EAX); }
  uint16_t bx() const { return r16(EBX); }
  uint16_t cx() const { return r16(ECX); }
  uint16_t dx() const { return r16(EDX); }
  uint8_t al() const { return lo(EAX); }
  uint8_t ah() const { return hi(EAX); }
  uint8_t bl() const { return lo(EBX); }
  uint8_t bh() const { return hi(EBX); }
  uint8_t cl() const { return lo(ECX); }
  uint8_t ch() const { return hi(ECX); }
  uint8_t dl() const { return lo(EDX); }
  uint8_t dh() const { return hi(EDX); }
  void set_ax(uint16_t v) { set_r16(EAX, v); }
  void set_al(uint8_t v) { set_lo(EAX, v); }
  void set_ah(uint8_t v) { set_hi(EAX, v); }

  // Segment registers in real mode: selector and base = selector * 16.
  uint16_t sreg(SegReg s) const { return cpu.seg[s].sel; }
  void set_sreg(SegReg s, uint16_t v);
  // seg:off as a physical address (real mode; no 1 MiB wrap: A20 is on while the BIOS runs).
  static uint32_t lin(uint16_t seg, uint16_t off) { return uint32_t(seg) * 16 + off; }
  // A segment register's offset as the CPU would address it: through the segment's base
  // (selector * 16 once loaded in real mode; what protected mode left until then).
  uint32_t at(SegReg s, uint16_t off) const { return cpu.seg[s].base + off; }

  // --- the stack: the trap's service word, then the INT's IP, CS, FLAGS ---
  bool big_stack() const;
  uint32_t stack_addr(uint16_t off) const;
  uint16_t pop_service();
  void set_flag(uint16_t bit, bool on);  // in the FLAGS word the stub's IRET reloads
  void set_cf(bool on) { set_flag(FL_CF, on); }
  void set_zf(bool on) { set_flag(FL_ZF, on); }
  // Where the stub's IRET goes (int 19h's jump to the boot sector).
  void set_return(uint16_t cs, uint16_t ip);

  // --- guest memory by physical address: RAM, or device memory through the machine ---
  void read(uint32_t addr, void* dst, size_t len);
  void write(uint32_t addr, const void* src, size_t len);
  uint8_t rd8(uint32_t a) { uint8_t v; read(a, &v, 1); return v; }
  uint16_t rd16(uint32_t a) { uint16_t v; read(a, &v, 2); return v; }
  uint32_t rd32(uint32_t a) { uint32_t v; read(a, &v, 4); return v; }
  uint64_t rd64(uint32_t a) { uint64_t v; read(a, &v, 8); return v; }
  void wr8(uint32_t a, uint8_t v) { write(a, &v, 1); }
  void wr16(uint32_t a, uint16_t v) { write(a, &v, 2); }
  void wr32(uint32_t a, uint32_t v) { write(a, &v, 4); }
  void wr64(uint32_t a, uint64_t v) { write(a, &v, 8); }

  // --- ports ---
  uint8_t in8(uint16_t port);
  void out8(uint16_t port, uint8_t v);
  uint32_t in32(uint16_t port);
  void out32(uint16_t port, uint32_t v);
  // MC146818 register idx through ports 70h/71h (bit 7 of the index, NMI off, left clear).
  uint8_t cmos(uint8_t idx);
  void set_cmos(uint8_t idx, uint8_t v);
  // Teletype text on the screen and the console copy ('\n' is CR LF); see video.h.
  void print(std::string_view text);

  CpuState& cpu;
  PhysMem& mem;
  GuestEnv& env;
  const BiosConfig& cfg;
  State& st;
};

// The services, one file each (post.cpp, int08_timer.cpp, ...).
void post(Call& c);
void pci_init(Call& c);  // POST's PCI part
void int08_timer(Call& c);
void int09_keyboard(Call& c);
void int10_video(Call& c);
void int11_equipment(Call& c);
void int12_memory(Call& c);
void int13_disk(Call& c);
void int15_system(Call& c);
void int16_keyboard(Call& c);
void int18_next_boot(Call& c);  // boot.cpp
void int19_boot(Call& c);       // boot.cpp
void int1a_time(Call& c);
// The RTC's time of day in seconds (int1a_time.cpp; POST starts the tick count from it).
uint32_t rtc_seconds_of_day(Call& c);

// BCD as the RTC and int 1Ah use it.
inline uint8_t to_bcd(unsigned v) { return uint8_t((v / 10) << 4 | v % 10); }
inline unsigned from_bcd(uint8_t v) { return (v >> 4) * 10 + (v & 15); }

}  // namespace bios
}  // namespace rs
