#include "difftest/regress.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "difftest/gen.h"

namespace difftest {

bool load_case(const std::string& path, Case& c, std::string& error) {
  std::ifstream f(path);
  if (!f) {
    error = "cannot open " + path;
    return false;
  }
  c = Case{};
  bool have_code = false, have_gpr = false;
  uint64_t fill = 0;
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in(line);
    std::string key;
    in >> key;
    if (key == "code") {
      std::string hex;
      in >> hex;
      if (hex.size() % 2) break;
      for (size_t i = 0; i < hex.size(); i += 2) c.code.push_back(uint8_t(std::stoul(hex.substr(i, 2), nullptr, 16)));
      have_code = !c.code.empty() && c.code.back() == 0xCC;
    } else if (key == "gpr") {
      for (auto& r : c.in.gpr) in >> std::hex >> r;
      have_gpr = bool(in);
    } else if (key == "eflags") {
      in >> std::hex >> c.in.eflags;
    } else if (key == "fill") {
      in >> std::hex >> fill;
    } else if (key == "undefined") {
      in >> std::hex >> c.flags_undefined;
    } else if (key == "code16") {
      int v = 0;
      in >> v;
      c.code16 = v != 0;
    }
  }
  if (!have_code || !have_gpr) {
    error = path + ": needs a 'code' line ending in cc (INT3) and a 'gpr' line with 8 registers";
    return false;
  }
  c.in.eflags |= 2;
  fill_state(c, fill);
  c.text = path;
  return true;
}

bool save_case(const std::string& path, const Case& c, const std::string& comment) {
  std::ofstream f(path);
  if (!f) return false;
  f << "# " << comment << "\ncode ";
  char b[24];
  for (uint8_t x : c.code) {
    std::snprintf(b, sizeof b, "%02x", x);
    f << b;
  }
  f << "\ngpr";
  for (uint32_t r : c.in.gpr) {
    std::snprintf(b, sizeof b, " %08x", r);
    f << b;
  }
  std::snprintf(b, sizeof b, "%08x", c.in.eflags);
  f << "\neflags " << b;
  std::snprintf(b, sizeof b, "%016llx", (unsigned long long)c.fill_seed);
  f << "\nfill " << b;
  std::snprintf(b, sizeof b, "%08x", c.flags_undefined);
  f << "\nundefined " << b << "\n";
  if (c.code16) f << "code16 1\n";
  return bool(f);
}

std::vector<std::string> list_cases(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".case") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace difftest
