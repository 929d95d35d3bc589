// Where the time goes, for --stats: counts and host TSC ticks per emulated instruction
// (by mnemonic), per I/O port and per run-loop exit reason, and SIGPROF samples of the
// host RIP that split CPU time between translated code and the VMM and find the
// hottest translated blocks.
#pragma once
#include <x86intrin.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <Zydis/Zydis.h>

namespace rs {

class Translator;
struct TranslatorStats;

// The --stats line of translation cost per block by phase, in ns (ms_per_tick: the TSC).
std::string translate_phases_line(const TranslatorStats& t, double ms_per_tick);

struct Profile {
  struct Counter {
    uint64_t count = 0, ticks = 0;
  };
  // By mnemonic; MOV is split by what it moves (kMovCr, kMovSreg, kMovDr).
  static constexpr size_t kMovCr = ZYDIS_MNEMONIC_MAX_VALUE + 1, kMovSreg = kMovCr + 1, kMovDr = kMovCr + 2;
  std::array<Counter, ZYDIS_MNEMONIC_MAX_VALUE + 4> helpers{};
  Counter& helper(const ZydisDecodedInstruction& z, const ZydisDecodedOperand* ops);
  std::array<Counter, 65536> ports{};
  std::array<Counter, 16> exits{};  // by Exit
  uint64_t start_tsc = __rdtsc(), start_ns = 0;

  // SIGPROF sampling (only while started): host RIPs, resolved at exit.
  void start_sampling();
  void stop_sampling();
  // The --stats report lines (tsc converted to ms with the TSC rate seen over the run).
  std::string report(const Translator& tr, uint64_t shadow_fill_ticks, uint64_t fills) const;
};

// Whether --stats asked for the timings (RDTSC costs tens of cycles per helper).
extern bool g_profiling;

// Scoped TSC timer adding to a counter (a count only, without --stats).
struct Timed {
  explicit Timed(Profile::Counter& c) : c_(c), t0_(g_profiling ? __rdtsc() : 0) {}
  ~Timed() {
    c_.count++;
    if (g_profiling) c_.ticks += __rdtsc() - t0_;
  }
  Profile::Counter& c_;
  uint64_t t0_;
};

// Filled by the SIGPROF handler in translator/fault.cpp.
inline constexpr size_t kMaxSamples = 1u << 20;
extern uint64_t g_prof_rip[kMaxSamples];
extern volatile size_t g_prof_samples;

}  // namespace rs
