// Regression cases: one text file per case under test/difftest/regressions/, written
// when the tester finds a mismatch and replayed by `difftest --regressions DIR`.
//   # what it found
//   code 0fa058cc          the sequence, ending with INT3
//   gpr  eax ecx edx ebx esp ebp esi edi   (hex)
//   eflags 00000246
//   fill 0123456789abcdef  seed of the x87/SSE, scratch and stack images (gen.h)
//   undefined 00000000     flags left undefined at the end
//   code16 1               (optional) 16-bit code: run in a 16-bit code segment, EIP = offset
#pragma once
#include <string>
#include <vector>

#include "difftest/common.h"

namespace difftest {

bool load_case(const std::string& path, Case& c, std::string& error);
bool save_case(const std::string& path, const Case& c, const std::string& comment);
// The *.case files of a directory, sorted.
std::vector<std::string> list_cases(const std::string& dir);

}  // namespace difftest
