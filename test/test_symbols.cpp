// --symbols: System.map/kallsyms text files (the ELF path is exercised by the
// perf-map test against the bare-metal guest with symbols).
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>

#include "error.h"
#include "symbols.h"

TEST_CASE("symbol table from a System.map names addresses by the symbol below them", "[symbols]") {
  const std::string path = "/tmp/ringshift-test-System.map";
  {
    std::ofstream f(path);
    f << "c1000000 T startup_32\n"
         "c1000100 t helper\n"
         "garbage line\n"
         "c1002000 T later\n"
         "ffffffffffffffff B too_big\n";
  }
  rs::SymbolTable t(path);
  CHECK(t.size() == 3);
  CHECK(t.describe(0xc1000000) == "startup_32+0x0");
  CHECK(t.describe(0xc10000ff) == "startup_32+0xff");
  CHECK(t.describe(0xc1000104) == "helper+0x4");
  CHECK(t.describe(0xc1003000) == "later+0x1000");
  CHECK(t.describe(0xbfffffff).empty());
  std::remove(path.c_str());
  CHECK_THROWS_AS(rs::SymbolTable("/nonexistent/System.map"), rs::UsageError);
  {
    std::ofstream f(path);
    f << "nothing useful\n";
  }
  CHECK_THROWS_AS(rs::SymbolTable(path), rs::UsageError);
  std::remove(path.c_str());
}
