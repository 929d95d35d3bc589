// CPUID: reports exactly what ringshift implements. Feature bits that run natively
// (x87, MMX, SSE..SSE4.2, CMOV, POPCNT) are passed through when the host has them;
// everything that needs emulation is reported only once it exists.
#include <cpuid.h>

#include <cstring>

#include "cpu/emulate.h"
#include "host/tsc_rate.h"
#include "mmu/page_walk.h"

namespace rs {

namespace {

// Leaf 7 for the architectural capabilities MSR's bit alone; extended leaves up to
// 80000021h for AMD's TSA verdicts (80000008h then gives the address sizes).
constexpr uint32_t kMaxBasic = 7, kMaxExtended = 0x80000021, kHypervisorLeaf = 0x40000000;
// VMware's timing leaf: EAX the TSC frequency in kHz, EBX the local APIC's bus in kHz.
constexpr uint32_t kTimingLeaf = 0x40000010;
constexpr uint32_t kLeaf7EdxArchCap = 1u << 29;
// CPUID.1:ECX[31]: a hypervisor is present. Guests then skip what only makes sense on
// bare metal (Linux's early microcode loader, for one) and look at leaf 0x40000000.
constexpr uint32_t kHypervisorBit = 1u << 31;

// Leaf 1 EDX: FPU PSE TSC MSR PAE CX8 SEP PGE CMOV CLFSH MMX FXSR SSE SSE2.
constexpr uint32_t kLeaf1Edx = (1u << 0) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 8) | (1u << 11) |
                               (1u << 13) | (1u << 15) | (1u << 19) | (1u << 23) | (1u << 24) | (1u << 25) | (1u << 26);
constexpr uint32_t kPae = 1u << 6;
// Leaf 80000001h EDX: NX (IA32_EFER.NXE and the XD bit of PAE entries).
constexpr uint32_t kExtEdxNx = 1u << 20;
// Leaf 1 ECX: SSE3 SSSE3 SSE4.1 SSE4.2 MOVBE POPCNT.
constexpr uint32_t kLeaf1Ecx = (1u << 0) | (1u << 9) | (1u << 19) | (1u << 20) | (1u << 22) | (1u << 23);

void host_cpuid(uint32_t leaf, uint32_t r[4]) { __cpuid_count(leaf, 0, r[0], r[1], r[2], r[3]); }

}  // namespace

void cpuid_leaf(uint32_t leaf, uint32_t out[4]) {
  uint32_t h[4];
  const bool hypervisor_range = leaf >= kHypervisorLeaf && leaf <= kTimingLeaf;
  if ((leaf > kMaxBasic && leaf < 0x80000000u && !hypervisor_range) || leaf > kMaxExtended)
    leaf = kMaxBasic;  // as Intel does
  std::memset(out, 0, 16);
  switch (leaf) {
    case 0:
      host_cpuid(0, h);  // the host's vendor: undefined-flag behaviour follows its silicon
      out[0] = kMaxBasic;
      out[1] = h[1];
      out[2] = h[2];
      out[3] = h[3];
      break;
    case 1:
      host_cpuid(1, h);
      out[0] = h[0];
      out[1] = 8u << 8;  // CLFLUSH line 64 bytes, one logical processor, APIC ID 0
      out[2] = (h[2] & kLeaf1Ecx) | kHypervisorBit;
      out[3] = (h[3] & kLeaf1Edx) | kPae;  // PAE is ringshift's own (page_walk_pae.cpp), host or not
      break;
    case 7:  // structured features: none but IA32_ARCH_CAPABILITIES (vulnerabilities.cpp)
      out[3] = kLeaf7EdxArchCap;
      break;
    case kHypervisorLeaf:
      // VMware's signature: the interface guests know for being told the TSC frequency
      // (Linux's vmware.c; also FreeBSD's). The backdoor answers only that (backdoor.cpp).
      out[0] = kTimingLeaf;
      std::memcpy(&out[1], "VMwareVMware", 12);
      break;
    case kTimingLeaf:  // ECX 0: hypercalls through the backdoor port, not VMCALL/VMMCALL
      out[0] = uint32_t(host_tsc_hz() / 1000);
      break;
    case 0x80000000:
      out[0] = kMaxExtended;
      break;
    case 0x80000001:
      out[3] = kExtEdxNx;
      break;
    case 0x80000008:  // MAXPHYADDR 36 (PAE, page_walk_pae.cpp), 32-bit linear addresses
      out[0] = uint32_t(kMaxPhysAddr) | (32u << 8);
      break;
    case 0x80000021:
      out[2] = host_amd_tsa_no();
      break;
    case 0x80000002: case 0x80000003: case 0x80000004: {
      static const char brand[48] = "ringshift virtual CPU";
      std::memcpy(out, brand + 16 * (leaf - 0x80000002), 16);
      break;
    }
    default:
      break;
  }
}

bool host_is_amd() {
  static const bool amd = [] {
    uint32_t h[4];
    host_cpuid(0, h);
    return h[1] == 0x68747541u || h[1] == 0x6F677948u;  // "Auth"enticAMD, "Hygo"nGenuine
  }();
  return amd;
}

bool host_has_lahf64() {
  static const bool yes = [] {
    uint32_t h[4];
    host_cpuid(0x80000000u, h);
    if (h[0] < 0x80000001u) return false;
    host_cpuid(0x80000001u, h);
    return (h[2] & 1) != 0;
  }();
  return yes;
}

bool sreg_push_zero_extends() {
  // SDM (PUSH): with a 32-bit operand a segment register is pushed either zero-extended
  // or as a 16-bit write; Intel Core/Atom do the latter, AMD the former. The guest sees
  // the host's vendor, so it gets the host's behaviour.
  return host_is_amd();
}

uint32_t emulate_cpuid(Ctx& c) {
  uint32_t r[4];
  cpuid_leaf(c.cpu.reg(EAX), r);
  c.cpu.set_reg(EAX, r[0]);
  c.cpu.set_reg(EBX, r[1]);
  c.cpu.set_reg(ECX, r[2]);
  c.cpu.set_reg(EDX, r[3]);
  return 0;
}

}  // namespace rs
