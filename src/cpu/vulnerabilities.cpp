// What the guest is told about the CPU's speculative-execution vulnerabilities: the truth
// about the host, which is the silicon the guest's code runs on. A guest that is not told
// defends itself anyway: Linux in a VM with an AMD family 19h CPU and no leaf 80000021h
// forces the TSA mitigation (a VERW on every return to user mode, a helper call here).
//  - AMD: CPUID 80000021h ECX TSA_SQ_NO/TSA_L1_NO, as the host's CPUID says them.
//  - The architectural capabilities MSR (IA32_ARCH_CAPABILITIES, CPUID.7.EDX[29]): its
//    *_NO bits for each vulnerability the host's kernel reports "Not affected" in
//    /sys/devices/system/cpu/vulnerabilities (an unprivileged process cannot read the
//    host's MSR; the host kernel has read it and its CPUID for us).
#include <cpuid.h>

#include <fstream>
#include <string>

#include "cpu/emulate.h"

namespace rs {

namespace {

bool host_not_affected(const char* name) {
  std::ifstream f(std::string("/sys/devices/system/cpu/vulnerabilities/") + name);
  std::string line;
  return std::getline(f, line) && line.rfind("Not affected", 0) == 0;
}

}  // namespace

uint32_t host_amd_tsa_no() {
  static const uint32_t bits = [] {
    uint32_t a, b, c, d;
    __cpuid(0x80000000u, a, b, c, d);
    if (!host_is_amd() || a < 0x80000021u) return 0u;
    __cpuid_count(0x80000021u, 0, a, b, c, d);
    return c & (kTsaSqNo | kTsaL1No);
  }();
  return bits;
}

uint64_t arch_capabilities() {
  static const uint64_t caps = [] {
    // IA32_ARCH_CAPABILITIES bits (SDM vol. 4, table 2-2) and the host's verdicts behind them.
    static const struct {
      int bit;
      const char* vuln;
    } kBits[] = {
        {0, "meltdown"},                 // RDCL_NO
        {4, "spec_store_bypass"},        // SSB_NO
        {5, "mds"},                      // MDS_NO
        {6, "itlb_multihit"},            // IF_PSCHANGE_MC_NO
        {8, "tsx_async_abort"},          // TAA_NO
        {13, "mmio_stale_data"},         // SBDR_SSDP_NO
        {14, "mmio_stale_data"},         // FBSDP_NO
        {15, "mmio_stale_data"},         // PSDP_NO
        {26, "gather_data_sampling"},    // GDS_NO
        {27, "reg_file_data_sampling"},  // RFDS_NO
    };
    uint64_t v = 0;
    for (const auto& b : kBits)
      if (host_not_affected(b.vuln)) v |= uint64_t(1) << b.bit;
    return v;
  }();
  return caps;
}

}  // namespace rs
