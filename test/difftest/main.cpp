// difftest: the host as the oracle for ringshift's translator.
//   difftest [--seed S] [--first I] [--count N] [--batch B] [--max-report K] [--code16 1]
//   difftest --fuzz SECONDS [--seed S]     (the robustness fuzzer, see fuzz.h)
//   difftest --list 1 [--seed S] [--first I] [--count N]   (print the cases only)
//   difftest --regressions DIR             (replay the saved cases, see regress.h)
//   difftest --native16-check 1            (the 16-bit native runner against SDM values, see native16.h)
// Mismatches are minimized and saved under --save DIR (default: the source tree's
// test/difftest/regressions).
// Generates N random user-mode instruction sequences (seed S), runs each natively in a
// 32-bit code segment and as ring-3 code inside ringshift, and compares registers,
// arithmetic flags (minus what the SDM leaves undefined), x87/SSE state, scratch and
// stack memory, and the exception (vector, error code, EIP). Exit status 0 when all
// match, 1 on a mismatch (each printed as a reproducer), 2 on bad arguments.
// --code16 1 generates 16-bit sequences instead (gen16.h) and runs them in a 16-bit code
// segment (CS.D = 0) on both sides.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "decoder/decoder.h"
#include "difftest/fuzz.h"
#include "difftest/gen.h"
#include "difftest/guest.h"
#include "difftest/native16.h"
#include "difftest/native.h"
#include "difftest/regress.h"

using namespace difftest;

namespace {

const char* kRegNames[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
constexpr uint32_t kFlagsCompared = 0x8D5 | 0x400;  // OF SF ZF AF PF CF, DF

// A 16-bit case may far-jump to CS 0x23 and back (gen.cpp): the listing follows.
std::string disassemble(const Case& c) {
  rs::Decoder d;
  std::string out;
  size_t off = 0;
  bool code32 = !c.code16;
  while (off < c.code.size()) {
    rs::Insn in;
    const uint32_t eip = (code32 ? kCodeAddr : 0) + uint32_t(off);
    if (!d.decode(c.code.data() + off, c.code.size() - off, eip, code32, in)) {
      out += "  (undecodable)\n";
      break;
    }
    char addr[16];
    std::snprintf(addr, sizeof addr, "  %08x  ", in.eip);
    std::string hex;
    for (uint32_t i = 0; i < in.len(); ++i) {
      char b[4];
      std::snprintf(b, sizeof b, "%02x", in.bytes[i]);
      hex += b;
    }
    hex.resize(std::max<size_t>(hex.size(), 24), ' ');
    out += addr + hex + " " + in.text() + "\n";
    off += in.len();
    if (c.code16 && in.mn() == ZYDIS_MNEMONIC_JMP && in.z.operand_count_visible == 1 &&
        in.ops[0].type == ZYDIS_OPERAND_TYPE_POINTER)
      code32 = in.ops[0].ptr.segment == kCs32;
  }
  return out;
}

// Differences between the two outcomes, one line each; empty when they agree.
std::vector<std::string> compare(const Case& c, const Outcome& n, const Outcome& g) {
  std::vector<std::string> d;
  char buf[200];
  auto diff32 = [&](const char* what, uint32_t a, uint32_t b) {
    if (a == b) return;
    std::snprintf(buf, sizeof buf, "%-10s native %08x  ringshift %08x", what, a, b);
    d.push_back(buf);
  };
  diff32("vector", uint32_t(n.vector), uint32_t(g.vector));
  diff32("eip", n.eip, g.eip);
  if (n.vector != 3) diff32("error", n.error, g.error);
  for (int r = 0; r < 8; ++r) diff32(kRegNames[r], n.st.gpr[r], g.st.gpr[r]);
  uint32_t mask = kFlagsCompared & ~c.undefined_at(n.eip);
  diff32("eflags", n.st.eflags & mask, g.st.eflags & mask);
  auto diff_bytes = [&](const char* what, const uint8_t* a, const uint8_t* b, size_t len, uint32_t base) {
    for (size_t i = 0; i < len; ++i)
      if (a[i] != b[i]) {
        std::snprintf(buf, sizeof buf, "%-10s first difference at %#x: native %02x  ringshift %02x", what,
                      base + uint32_t(i), a[i], b[i]);
        d.push_back(buf);
        return;
      }
  };
  diff_bytes("fcw/fsw", n.st.fx, g.st.fx, 4, 0);
  diff_bytes("ftw", n.st.fx + 4, g.st.fx + 4, 1, 4);
  diff_bytes("mxcsr", n.st.fx + 24, g.st.fx + 24, 4, 24);
  for (int i = 0; i < 8; ++i) {
    std::snprintf(buf, sizeof buf, "st%d/mm%d", i, i);
    std::string name = buf;
    diff_bytes(name.c_str(), n.st.fx + 32 + 16 * i, g.st.fx + 32 + 16 * i, 10, uint32_t(32 + 16 * i));
  }
  diff_bytes("xmm", n.st.fx + 160, g.st.fx + 160, 128, 160);
  diff_bytes("scratch", n.scratch, g.scratch, kScratchBytes, kScratchAddr);
  diff_bytes("stack", n.stack, g.stack, kStackBytes, kStackAddr);
  diff_bytes("low", n.low, g.low, kLowBytes, kLowAddr);
  return d;
}

void print_outcome(const char* who, const Outcome& o) {
  std::printf("%-10s", who);
  for (int r = 0; r < 8; ++r) std::printf(" %s=%08x", kRegNames[r], o.st.gpr[r]);
  std::printf(" eflags=%08x vector=%d error=%#x eip=%08x\n", o.st.eflags, o.vector, o.error, o.eip);
}

void report(uint64_t seed, uint64_t index, const Case& c, const std::vector<std::string>& diffs,
            const Outcome* native = nullptr, const Outcome* guest = nullptr) {
  std::printf("MISMATCH seed %llu case %llu\n%s code (%zu bytes):\n%s", (unsigned long long)seed,
              (unsigned long long)index, c.code16 ? "16-bit" : "32-bit", c.code.size(), disassemble(c).c_str());
  std::printf("input:    ");
  for (int r = 0; r < 8; ++r) std::printf(" %s=%08x", kRegNames[r], c.in.gpr[r]);
  std::printf(" eflags=%08x\n", c.in.eflags);
  if (native) print_outcome("native:", *native);
  if (guest) print_outcome("ringshift:", *guest);
  for (const auto& l : diffs) std::printf("  %s\n", l.c_str());
  std::printf("reproduce: difftest%s --seed %llu --first %llu --count 1\n\n", c.code16 ? " --code16 1" : "",
              (unsigned long long)seed, (unsigned long long)index);
}

// Runs cases natively, then in ringshift. got[i] is valid for i < the returned count.
size_t run_both(NativeRunner& native, const std::vector<Case>& cases, std::vector<Outcome>& expected,
                std::vector<Outcome>& got, std::string& err) {
  expected.assign(cases.size(), Outcome{});
  got.assign(cases.size(), Outcome{});
  native.begin_batch();
  for (size_t i = 0; i < cases.size(); ++i) expected[i] = native.run(cases[i]);
  native.end_batch();
  size_t seen = 0;
  err = run_in_ringshift(cases, [&](size_t i, const Outcome& o) {
    got[i] = o;
    seen = i + 1;
  });
  return seen;
}

std::vector<std::string> fields(const std::vector<std::string>& diffs) {
  std::vector<std::string> f;
  for (const auto& d : diffs) f.push_back(d.substr(0, d.find(' ')));
  return f;
}

// Drops instructions while the same fields still differ. Sequences with branches are
// kept whole: removing bytes would move their targets.
Case minimize(NativeRunner& native, const Case& c, const std::vector<std::string>& diffs) {
  rs::Decoder d;
  auto boundaries = [&](const Case& k, bool& branches) {
    std::vector<std::pair<size_t, size_t>> v;
    size_t off = 0;
    branches = false;
    while (off + 1 < k.code.size()) {
      rs::Insn in;
      if (!d.decode(k.code.data() + off, k.code.size() - off, uint32_t(off), !k.code16, in)) break;
      if (in.z.meta.category == ZYDIS_CATEGORY_COND_BR || in.z.meta.category == ZYDIS_CATEGORY_UNCOND_BR ||
          in.z.meta.category == ZYDIS_CATEGORY_CALL || in.z.meta.category == ZYDIS_CATEGORY_RET)
        branches = true;
      v.push_back({off, in.len()});
      off += in.len();
    }
    return v;
  };
  const auto want = fields(diffs);
  Case best = c;
  bool branches = false;
  for (bool progress = true; progress;) {
    progress = false;
    auto insns = boundaries(best, branches);
    if (branches) return best;
    for (auto [off, len] : insns) {
      Case k = best;
      k.code.erase(k.code.begin() + long(off), k.code.begin() + long(off + len));
      k.undef_before.clear();
      std::vector<Outcome> e, g;
      std::string err;
      if (run_both(native, {k}, e, g, err) != 1 || !err.empty()) continue;
      auto dd = compare(k, e[0], g[0]);
      if (!dd.empty() && fields(dd) == want) {
        best = k;
        progress = true;
        break;
      }
    }
  }
  return best;
}

int run_regressions(const std::string& dir) {
  NativeRunner native;
  std::vector<Case> cases;
  for (const auto& path : list_cases(dir)) {
    Case c;
    std::string why;
    if (!load_case(path, c, why)) {
      std::printf("difftest: %s\n", why.c_str());
      return 2;
    }
    cases.push_back(std::move(c));
  }
  std::vector<Outcome> e, g;
  std::string err;
  size_t seen = run_both(native, cases, e, g, err);
  int bad = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    auto d = i < seen ? compare(cases[i], e[i], g[i]) : std::vector<std::string>{"(ringshift stopped: " + err + ")"};
    if (d.empty()) continue;
    ++bad;
    std::printf("REGRESSION %s\n%s", cases[i].text.c_str(), disassemble(cases[i]).c_str());
    for (const auto& l : d) std::printf("  %s\n", l.c_str());
  }
  std::printf("difftest: %zu regression cases from %s, %d failing\n", cases.size(), dir.c_str(), bad);
  return bad ? 1 : 0;
}

uint64_t arg(int argc, char** argv, const char* name, uint64_t def) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == name) return std::strtoull(argv[i + 1], nullptr, 0);
  return def;
}

}  // namespace

namespace {

// Whether this host runs 32-bit code natively (the oracle): one generated case in a child,
// since a host without IA-32 user mode (no compat code segment, as under PVM) kills the
// process at the mode switch. On "" it does; else why not.
std::string native_probe() {
  const Case c = generate(1, 0, false);
  const pid_t pid = fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    NativeRunner native;
    native.begin_batch();
    native.run(c);
    native.end_batch();
    _exit(0);
  }
  int st = 0;
  if (waitpid(pid, &st, 0) != pid) return "waitpid failed";
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return "";
  return WIFSIGNALED(st) ? "the probe died of signal " + std::to_string(WTERMSIG(st))
                         : "the probe exited with status " + std::to_string(WEXITSTATUS(st));
}

constexpr int kSkipped = 77;  // ctest's SKIP_RETURN_CODE for these tests

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; i += 2) {
    std::string a = argv[i];
    if ((a != "--seed" && a != "--count" && a != "--first" && a != "--batch" && a != "--max-report" && a != "--fuzz" &&
         a != "--list" && a != "--regressions" && a != "--save" && a != "--native16-check" && a != "--code16") ||
        i + 1 >= argc) {
      std::fprintf(stderr,
                   "usage: difftest [--seed S] [--first I] [--count N] [--batch B] [--max-report K] [--code16 1]\n"
                   "       difftest --fuzz SECONDS [--seed S]\n");
      return 2;
    }
  }
  // DIFFTEST_LOG=debug shows ringshift's log (every exception delivered, with its reason).
  if (const char* lv = std::getenv("DIFFTEST_LOG")) spdlog::set_level(spdlog::level::from_str(lv));
  else spdlog::set_level(spdlog::level::warn);
  const uint64_t seed = arg(argc, argv, "--seed", 1), first = arg(argc, argv, "--first", 0);
  const uint64_t count = arg(argc, argv, "--count", 1000), batch = std::max<uint64_t>(1, arg(argc, argv, "--batch", 4096));
  const uint64_t max_report = arg(argc, argv, "--max-report", 10);
  const bool code16 = arg(argc, argv, "--code16", 0) != 0;
  if (uint64_t secs = arg(argc, argv, "--fuzz", 0)) return fuzz(seed, double(secs));
  if (!arg(argc, argv, "--list", 0)) {
    if (const std::string why = native_probe(); !why.empty()) {
      std::printf("difftest: SKIPPED: this host cannot run 32-bit x86 code natively, the oracle (%s)\n", why.c_str());
      return kSkipped;
    }
  }
  if (arg(argc, argv, "--native16-check", 0)) return native16_check();
  std::string save_dir = DIFFTEST_REGRESSION_DIR;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--regressions") return run_regressions(argv[i + 1]);
    if (std::string(argv[i]) == "--save") save_dir = argv[i + 1];
  }
  if (arg(argc, argv, "--list", 0)) {  // print the cases without running them
    for (uint64_t i = first; i < first + count; ++i)
      std::printf("case %llu:\n%s", (unsigned long long)i, disassemble(generate(seed, i, code16)).c_str());
    return 0;
  }
  auto t0 = std::chrono::steady_clock::now();
  NativeRunner native;
  uint64_t mismatches = 0, faults = 0, by_vector[256] = {};
  for (uint64_t start = first; start < first + count; start += batch) {
    uint64_t n = std::min(batch, first + count - start);
    std::vector<Case> cases;
    cases.reserve(n);
    for (uint64_t i = 0; i < n; ++i) cases.push_back(generate(seed, start + i, code16));
    std::vector<Outcome> expected(n);
    native.begin_batch();
    for (uint64_t i = 0; i < n; ++i) expected[i] = native.run(cases[i]);
    native.end_batch();
    uint64_t seen = 0;
    std::vector<std::pair<size_t, std::vector<std::string>>> found;
    std::string err = run_in_ringshift(cases, [&](size_t i, const Outcome& got) {
      ++seen;
      if (expected[i].vector != 3 || expected[i].eip != cases[i].end_eip()) {
        ++faults;
        ++by_vector[expected[i].vector & 0xFF];
      }
      auto d = compare(cases[i], expected[i], got);
      if (d.empty()) return;
      if (mismatches++ < max_report) found.push_back({i, d});
    });
    // Outside the run: minimize each reported case, show it, keep it as a regression case.
    for (auto& [i, d] : found) {
      Case m = minimize(native, cases[i], d);
      std::vector<Outcome> e, g;
      std::string e2;
      if (run_both(native, {m}, e, g, e2) == 1) {
        d = compare(m, e[0], g[0]);
        report(seed, start + i, m, d, &e[0], &g[0]);
      } else {
        report(seed, start + i, m, d);
      }
      char name[64];
      std::snprintf(name, sizeof name, "/%sseed%llu_case%llu.case", code16 ? "code16_" : "", (unsigned long long)seed,
                    (unsigned long long)(start + i));
      std::string why = std::string("difftest ") + (code16 ? "--code16 1 " : "") + "--seed " + std::to_string(seed) +
                        " --first " + std::to_string(start + i) + " --count 1: " + (d.empty() ? "?" : d[0]);
      if (!save_dir.empty() && save_case(save_dir + name, m, why))
        std::printf("saved as %s%s\n\n", save_dir.c_str(), name);
    }
    if (!err.empty()) {
      std::printf("ringshift stopped after %llu cases of the batch at %llu: %s\n", (unsigned long long)seen,
                  (unsigned long long)start, err.c_str());
      if (seen < n) report(seed, start + seen, cases[seen], {"(the machine stopped on this case)"});
      return 1;
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("difftest: %sseed %llu, %llu sequences (%llu ended in an exception), %llu mismatches, %.1f s "
              "(%.0f us a case)\n",
              code16 ? "16-bit code, " : "", (unsigned long long)seed, (unsigned long long)count,
              (unsigned long long)faults, (unsigned long long)mismatches, secs,
              count ? secs * 1e6 / double(count) : 0.0);
  std::printf("exceptions by vector:");
  for (int v = 0; v < 256; ++v)
    if (by_vector[v]) std::printf(" %d:%llu", v, (unsigned long long)by_vector[v]);
  std::printf("\n");
  return mismatches ? 1 : 0;
}
