// The native side of the 16-bit oracle, checked on its own: hand-written 16-bit
// sequences run natively in the LDT code segment must give the values the Intel SDM
// defines for 16-bit operand and address sizes. Until the translator runs 16-bit code,
// this is what keeps the harness honest; then the same runner compares with ringshift.
#pragma once

namespace difftest {

// Runs the checks; prints each failure. Returns the process exit status (0: all passed).
int native16_check();

}  // namespace difftest
