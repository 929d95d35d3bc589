// int 11h, equipment list: AX = the equipment word POST stored at 40:10 (IBM PC/AT
// Technical Reference, EQUIPMENT).
#include "bios/call.h"

namespace rs::bios {

void int11_equipment(Call& c) { c.set_ax(c.rd16(kBda + 0x10)); }

}  // namespace rs::bios
