#include "profile.h"

#include <sys/time.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>

#include "cpu/cpu_state.h"
#include "translator/translator.h"

namespace rs {

uint64_t g_prof_rip[kMaxSamples];
bool g_profiling = false;
volatile size_t g_prof_samples = 0;

namespace {

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

const char* exit_name(size_t e) {
  static const char* names[] = {"none", "dispatch", "halt", "stop", "smc", "poll", "fault", "exception",
                                "page_fault", "mmio", "debug"};
  return e < sizeof names / sizeof names[0] ? names[e] : "?";
}

// The CPU samples: how many fell in translated code, and in which live blocks.
struct Samples {
  size_t n = 0, in_code = 0;
  std::map<uint32_t, uint64_t> hot;  // guest EIP of a live block -> samples
};

Samples classify_samples(const Translator& tr) {
  Samples s;
  s.n = std::min<size_t>(size_t(g_prof_samples), kMaxSamples);
  for (size_t i = 0; i < s.n; ++i) {
    if (!tr.cache().contains(g_prof_rip[i])) continue;
    ++s.in_code;
    if (const Block* b = tr.block_at(g_prof_rip[i])) s.hot[b->eip]++;
  }
  return s;
}

// Translated code versus the VMM (C++, host kernel on our behalf), by CPU samples.
std::string time_line(const Samples& s, uint64_t ns) {
  char buf[256];
  const size_t n = s.n;
  std::snprintf(buf, sizeof buf,
                "ringshift time: wall_ms=%.0f cpu_samples=%zu translated_code=%.1f%% vmm_and_host_kernel=%.1f%%\n",
                double(ns) / 1e6, n, n ? 100.0 * double(s.in_code) / double(n) : 0.0,
                n ? 100.0 * double(n - s.in_code) / double(n) : 0.0);
  return buf;
}

std::string exits_line(const std::array<Profile::Counter, 16>& exits, uint64_t shadow_fill_ticks, uint64_t fills,
                       double ms_per_tick) {
  char buf[256];
  std::string out = "ringshift exits:";
  for (size_t e = 0; e < exits.size(); ++e) {
    if (!exits[e].count) continue;
    std::snprintf(buf, sizeof buf, " %s=%llu(%.1fms)", exit_name(e), (unsigned long long)exits[e].count,
                  double(exits[e].ticks) * ms_per_tick);
    out += buf;
  }
  std::snprintf(buf, sizeof buf, " shadow_fills=%llu(%.1fms in the handler)\n", (unsigned long long)fills,
                double(shadow_fill_ticks) * ms_per_tick);
  return out + buf;
}

// The k counters that took the most time, as " name=count(ms)".
template <typename Counters, typename Name>
std::string top_by_time(const Counters& arr, size_t k, double ms_per_tick, Name name) {
  std::vector<size_t> idx;
  for (size_t i = 0; i < arr.size(); ++i)
    if (arr[i].count) idx.push_back(i);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return arr[a].ticks > arr[b].ticks; });
  char buf[256];
  std::string s;
  for (size_t i = 0; i < std::min(k, idx.size()); ++i) {
    std::snprintf(buf, sizeof buf, " %s=%llu(%.1fms)", name(idx[i]).c_str(), (unsigned long long)arr[idx[i]].count,
                  double(arr[idx[i]].ticks) * ms_per_tick);
    s += buf;
  }
  return s;
}

std::string helper_name(size_t m) {
  if (m == Profile::kMovCr) return "mov_cr";
  if (m == Profile::kMovSreg) return "mov_sreg";
  if (m == Profile::kMovDr) return "mov_dr";
  const char* s = ZydisMnemonicGetString(ZydisMnemonic(m));
  return s ? s : "?";
}

std::string port_name(size_t p) {
  char b[16];
  std::snprintf(b, sizeof b, "%#x", unsigned(p));
  return b;
}

std::string hot_blocks_line(const Samples& s) {
  std::vector<std::pair<uint64_t, uint32_t>> blocks;
  for (auto& [eip, c] : s.hot) blocks.push_back({c, eip});
  std::sort(blocks.rbegin(), blocks.rend());
  char buf[64];
  std::string out = "ringshift hot blocks (share of CPU samples):";
  for (size_t i = 0; i < std::min<size_t>(10, blocks.size()); ++i) {
    std::snprintf(buf, sizeof buf, " %08x=%.1f%%", blocks[i].second,
                  100.0 * double(blocks[i].first) / double(s.n ? s.n : 1));
    out += buf;
  }
  return out + "\n";
}

}  // namespace

void Profile::start_sampling() {
  g_profiling = true;
  start_ns = now_ns();
  start_tsc = __rdtsc();
  itimerval it{};
  // Every 4 ms of process CPU time: the kernel checks CPU timers at its tick (HZ 250 on
  // Debian), so asking for more would not give more.
  it.it_interval.tv_usec = 4000;
  it.it_value.tv_usec = 4000;
  setitimer(ITIMER_PROF, &it, nullptr);
}

void Profile::stop_sampling() {
  itimerval it{};
  setitimer(ITIMER_PROF, &it, nullptr);
}

// Translation cost per block by phase (TranslatorStats), in ns.
std::string translate_phases_line(const TranslatorStats& t, double ms_per_tick) {
  if (!t.blocks || !t.phase_blocks) return "";
  const double per = ms_per_tick * 1e6 / double(t.blocks);
  const double sampled = ms_per_tick * 1e6 / double(t.phase_blocks);  // the phases: a sample of the blocks
  const double total = double(t.total_ticks) * per, decode = double(t.decode_ticks) * sampled,
               emit = double(t.emit_ticks) * sampled, assemble = double(t.assemble_ticks) * sampled,
               books = double(t.bookkeeping_ticks) * sampled;
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "ringshift translation per block (ns): median=%.0f p90=%.0f total=%.0f decode=%.0f emit=%.0f assemble=%.0f "
                "bookkeeping=%.0f setup=%.0f (%.1f guest insns a block, %.1f of them decoded without Zydis)\n",
                double(t.median_ticks()) * ms_per_tick * 1e6, double(t.percentile_ticks(90)) * ms_per_tick * 1e6, total, decode, emit, assemble, books,
                // (from the sampled blocks alone: against the mean of all blocks the remainder
                // went negative when the sample ran slower than the rest)
                double(t.phase_total_ticks) * sampled - decode - emit - assemble - books,
                double(t.guest_insns) / double(t.blocks), double(t.fast_decodes) / double(t.blocks));
  return buf;
}

std::string Profile::report(const Translator& tr, uint64_t shadow_fill_ticks, uint64_t fills) const {
  const uint64_t ns = now_ns() - start_ns, ticks = __rdtsc() - start_tsc;
  const double ms_per_tick = ticks && ns ? double(ns) / double(ticks) / 1e6 : 0;
  const Samples samples = classify_samples(tr);
  std::string out = time_line(samples, ns) + exits_line(exits, shadow_fill_ticks, fills, ms_per_tick);
  out += "ringshift helpers (by time):" + top_by_time(helpers, 12, ms_per_tick, helper_name) + "\n";
  out += "ringshift ports (by time):" + top_by_time(ports, 10, ms_per_tick, port_name) + "\n";
  out += translate_phases_line(tr.stats, ms_per_tick);
  return out + hot_blocks_line(samples);
}

Profile::Counter& Profile::helper(const ZydisDecodedInstruction& z, const ZydisDecodedOperand* ops) {
  if (z.mnemonic == ZYDIS_MNEMONIC_MOV)
    for (int i = 0; i < 2; ++i) {
      if (ops[i].type != ZYDIS_OPERAND_TYPE_REGISTER) continue;
      switch (ZydisRegisterGetClass(ops[i].reg.value)) {
        case ZYDIS_REGCLASS_CONTROL: return helpers[kMovCr];
        case ZYDIS_REGCLASS_SEGMENT: return helpers[kMovSreg];
        case ZYDIS_REGCLASS_DEBUG: return helpers[kMovDr];
        default: break;
      }
    }
  return helpers[z.mnemonic];
}

}  // namespace rs
