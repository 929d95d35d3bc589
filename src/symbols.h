// Guest symbols for naming translated code in the perf map (--symbols): a System.map
// (or /proc/kallsyms) text file, or an ELF32 file's symbol table.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace rs {

class SymbolTable {
 public:
  // Throws UsageError when the file cannot be read or holds no symbols.
  explicit SymbolTable(const std::string& path);
  // "name+0xoff" for the symbol at or below addr, or "" when there is none.
  std::string describe(uint32_t addr) const;
  size_t size() const { return syms_.size(); }

 private:
  struct Sym {
    uint32_t addr;
    std::string name;
  };
  std::vector<Sym> syms_;  // sorted by address
};

}  // namespace rs
