#include "symbols.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "cli.h"
#include "error.h"

namespace rs {

namespace {

template <typename T>
bool get(const std::vector<uint8_t>& b, size_t off, T& v) {
  if (off > b.size() || b.size() - off < sizeof v) return false;
  std::memcpy(&v, b.data() + off, sizeof v);
  return true;
}

}  // namespace

SymbolTable::SymbolTable(const std::string& path) {
  // A regular file of sane size (not /dev/zero); read_file says what is wrong otherwise.
  const std::vector<uint8_t> data = read_file(path, "--symbols file", 1ull << 30);
  if (data.size() >= 52 && std::memcmp(data.data(), "\x7f" "ELF", 4) == 0) {
    // ELF32: the section of type SHT_SYMTAB and the string table it links to.
    uint32_t shoff = 0;
    uint16_t shentsize = 0, shnum = 0;
    if (data[4] != 1 || !get(data, 32, shoff) || !get(data, 46, shentsize) || !get(data, 48, shnum) || shentsize < 40)
      throw UsageError("--symbols '" + path + "': not an ELF32 file with section headers");
    for (uint32_t i = 0; i < shnum; ++i) {
      const size_t sh = size_t(shoff) + size_t(i) * shentsize;
      uint32_t type = 0, off = 0, size = 0, link = 0, entsize = 0;
      if (!get(data, sh + 4, type) || type != 2) continue;
      get(data, sh + 16, off);
      get(data, sh + 20, size);
      get(data, sh + 24, link);
      get(data, sh + 36, entsize);
      uint32_t stroff = 0, strsize = 0;
      const size_t lsh = size_t(shoff) + size_t(link) * shentsize;
      if (!get(data, lsh + 16, stroff) || !get(data, lsh + 20, strsize) || entsize < 16) break;
      for (uint64_t e = off; e + 16 <= uint64_t(off) + size && e + 16 <= data.size(); e += entsize) {
        uint32_t name = 0, value = 0;
        uint8_t info = 0;
        get(data, size_t(e), name);
        get(data, size_t(e) + 4, value);
        get(data, size_t(e) + 12, info);
        const int kind = info & 15;  // NOTYPE, OBJECT, FUNC
        if (kind > 2 || name >= strsize || uint64_t(stroff) + name >= data.size()) continue;
        const char* s = reinterpret_cast<const char*>(data.data() + stroff + name);
        const size_t max = std::min<size_t>(strsize - name, data.size() - stroff - name);
        std::string n(s, strnlen(s, max));
        if (!n.empty()) syms_.push_back({value, n});
      }
      break;
    }
  } else {
    // System.map / kallsyms: "c1000000 T startup_32"
    std::istringstream in(std::string(data.begin(), data.end()));
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream l(line);
      std::string addr, type, name;
      if (!(l >> addr >> type >> name) || addr.size() > 16) continue;
      char* end = nullptr;
      const unsigned long long v = std::strtoull(addr.c_str(), &end, 16);
      if (*end || v > 0xFFFFFFFFull) continue;
      syms_.push_back({uint32_t(v), name});
    }
  }
  if (syms_.empty()) throw UsageError("--symbols '" + path + "': no symbols found");
  std::sort(syms_.begin(), syms_.end(), [](const Sym& a, const Sym& b) { return a.addr < b.addr; });
}

std::string SymbolTable::describe(uint32_t addr) const {
  auto it = std::upper_bound(syms_.begin(), syms_.end(), addr, [](uint32_t a, const Sym& s) { return a < s.addr; });
  if (it == syms_.begin()) return "";
  --it;
  char off[16];
  std::snprintf(off, sizeof off, "+0x%x", addr - it->addr);
  return it->name + off;
}

}  // namespace rs
