// The PC ringshift emulates (an i440FX-era machine without APIC): the board table.
#pragma once
#include <cstdint>

#include "platform/board.h"

namespace rs {

class Pic8259;
class Uart16550;
class Vga;
class I8042;

struct PcConfig {
  uint64_t ram_bytes = 128ull << 20;  // reported in the CMOS memory-size fields
  int uart_fd = 1;                    // where COM1's output goes
};

// What the machine talks to directly, beyond the buses.
struct PcDevices {
  Pic8259* pic = nullptr;      // acknowledges interrupts for the CPU
  Uart16550* com1 = nullptr;   // the host console's serial port
  Vga* vga = nullptr;          // the text screen of -display curses
  I8042* kbd = nullptr;        // where that display's keys go
};

// Plugs the PC's devices into the board; board asks the machine for stops and resets.
PcDevices build_pc(Board& board, BoardControl& control, const PcConfig& cfg);

}  // namespace rs
