// The CPU's state after RESET (SDM vol. 3, 9.1.1) as ringshift models it: EIP 0xFFF0,
// CR0 0x60000010, flat zero segments, the IDT limit 0x3FF, and the x87/SSE state of FNINIT.
#pragma once
#include "cpu/cpu_state.h"

namespace rs {

// Everything but the host-side fields (env, translator, window, jtable) and the
// fault bookkeeping.
void cpu_reset(CpuState& c);

}  // namespace rs
