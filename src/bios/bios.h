// ringshift's own PC BIOS: a 64 KiB ROM of stubs at F000:0000 (rom.asm) whose every
// service traps into C++ through an OUT to kBiosTrapPort. The machine copies the ROM
// in at each reset (install) and calls trap() for that OUT; POST, int 08h-1Ah and the
// boot from disk, floppy or CD then run here, one file per service.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "block/block_image.h"

namespace rs {

class PhysMem;
class GuestEnv;
struct CpuState;
namespace bios {
struct State;
}

inline constexpr uint16_t kBiosTrapPort = 0xEB;

// Where a boot loader built into the firmware (QEMU's -kernel option ROM; here a Linux
// kernel's 16-bit boot protocol) starts real-mode code: CS:IP, with DS = ES = FS = GS =
// SS = seg and SP = sp, interrupts off.
struct RealModeEntry {
  uint16_t cs = 0, ip = 0, seg = 0, sp = 0;
};

struct BiosConfig {
  uint64_t ram_bytes = 0;
  BlockImage* hd[2] = {nullptr, nullptr};  // int 13h drives 0x80, 0x81 (present ones numbered in order)
  BlockImage* cd = nullptr;                // El Torito CD (2048-byte sectors), int 13h drive 0xE0
  BlockImage* fd = nullptr;                // floppy drive 0x00
  std::string boot_order = "cad";          // c = hard disk, a = floppy, d = CD (QEMU's letters)
  // When set, int 19h boots this instead of a drive: it places its code in RAM (after
  // POST, at every boot) and says where to start.
  std::function<RealModeEntry(PhysMem&)> boot_loader;
  std::function<void(uint8_t)> console_copy;  // when set, int 10h output text is also sent here (serial console copy)
};

class Bios {
 public:
  Bios(BiosConfig cfg, PhysMem& mem, GuestEnv& env);
  ~Bios();
  Bios(const Bios&) = delete;
  Bios& operator=(const Bios&) = delete;

  // Copies the 64 KiB ROM image to physical 0xF0000 (the machine calls it at every reset).
  void install();
  // The trap: the machine calls this from an OUT to kBiosTrapPort while CR0.PE = 0 and CS
  // is the ROM's; `cpu` holds the full guest state (registers in cpu.regs, segments in cpu.seg).
  void trap(CpuState& cpu);

  const BiosConfig& config() const { return cfg_; }

 private:
  BiosConfig cfg_;
  PhysMem& mem_;
  GuestEnv& env_;
  std::unique_ptr<bios::State> st_;
};

// A kernel booted directly (--kernel, no BIOS run) finds PCI as after a BIOS's POST:
// BARs assigned, interrupts routed, the $PIR table at its place in F0000h-FFFFFh.
void pci_setup_for_direct_boot(PhysMem& mem, GuestEnv& env, CpuState& cpu);

}  // namespace rs
