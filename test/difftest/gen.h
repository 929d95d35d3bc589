// Random IA-32 user-mode instruction sequences from a table of instruction forms,
// with random registers, flags, x87/SSE state and scratch memory.
#pragma once
#include <cstdint>

#include "difftest/common.h"

namespace difftest {

// Case `index` of the run with `seed`: the same pair always gives the same case.
Case generate(uint64_t seed, uint64_t index);

}  // namespace difftest
