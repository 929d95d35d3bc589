// Runs test cases as ring-3 code inside a ringshift Machine. A small guest kernel
// (assembled here) takes every vector through its IDT, records the ring-3 state of
// the event (the closing INT3, or a fault) and asks for the next case through an
// I/O port; the harness answers by writing the case into guest memory. The code page
// is rewritten for every case, so translations are dropped and rebuilt each time.
// A 16-bit case (Case::code16) starts at 7:0, the 16-bit code segment the kernel keeps in
// its LDT with the native runner's descriptor (kernel.h).
#pragma once
#include <functional>
#include <vector>

#include "difftest/common.h"

namespace difftest {

// Runs every case in one machine; report(i, outcome) is called as each finishes.
// Returns an empty string, or why the machine stopped early.
std::string run_in_ringshift(const std::vector<Case>& cases, const std::function<void(size_t, const Outcome&)>& report);

}  // namespace difftest
