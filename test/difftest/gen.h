// Random IA-32 user-mode instruction sequences from a table of instruction forms,
// with random registers, flags, x87/SSE state and scratch memory.
#pragma once
#include <cstdint>

#include "difftest/common.h"

namespace difftest {

// Case `index` of the run with `seed`: the same pair always gives the same case. With
// code16, a sequence of 16-bit code (Case::code16; the forms include 16-bit-only ones
// and are converted by gen16.h), the same seeds giving other cases.
Case generate(uint64_t seed, uint64_t index, bool code16 = false);
// The x87/SSE state, scratch and stack images of a case, from their own seed (so that a
// saved regression case needs only its code, registers, flags and this seed).
void fill_state(Case& c, uint64_t fill_seed);

}  // namespace difftest
