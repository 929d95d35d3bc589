// int 12h, memory size: AX = KiB of conventional memory below the EBDA, from 40:13
// (IBM PC/AT Technical Reference, MEMORY_SIZE_DET).
#include "bios/call.h"

namespace rs::bios {

void int12_memory(Call& c) { c.set_ax(c.rd16(kBda + 0x13)); }

}  // namespace rs::bios
