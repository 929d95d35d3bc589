// VMware's backdoor: IN EAX, DX with DX = 5658h and EAX = 564D5868h ("VMXh"), the command
// in ECX. ringshift answers the timing commands only. Linux asks GETHZ when CPUID leaf
// 40000000h says VMware (cpuid.cpp) and then takes the TSC frequency as given instead of
// calibrating it against the PIT: that calibration reads the PIT ~100,000 times through
// the VMM and fails when the host preempts it, leaving the guest on a slow clocksource.
// Every other command leaves EBX alone and returns EAX = FFFFFFFFh, which is how Linux's
// probes (the vmmouse, the steal clock) read "not here".
#include "cpu/emulate.h"
#include "host/tsc_rate.h"

namespace rs {

namespace {

constexpr uint32_t kMagic = 0x564D5868, kGetMhz = 1, kGetHz = 45;
constexpr uint16_t kPort = 0x5658;

}  // namespace

bool vmware_backdoor(Ctx& c, uint16_t port, int size) {
  CpuState& cpu = c.cpu;
  if (port != kPort || size != 4 || cpu.reg(EAX) != kMagic) return false;
  const uint64_t hz = host_tsc_hz();
  switch (cpu.reg(ECX) & 0xFFFF) {
    case kGetMhz:
      cpu.set_reg(EAX, uint32_t((hz + 500000) / 1000000));
      cpu.set_reg(EBX, kMagic);
      break;
    case kGetHz:
      cpu.set_reg(EAX, uint32_t(hz));
      cpu.set_reg(EBX, uint32_t(hz >> 32));
      cpu.set_reg(ECX, 0);  // the local APIC's bus clock: there is no local APIC
      break;
    default:
      cpu.set_reg(EAX, 0xFFFFFFFFu);
      break;
  }
  return true;
}

}  // namespace rs
