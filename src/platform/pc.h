// The PC ringshift emulates (an i440FX-era machine without APIC): the board table.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "platform/board.h"

namespace rs {

class Pic8259;
class Uart16550;
class Vga;
class I8042;
class BlockImage;
class DmaSpace;

// A drive on one of the PC's disk controllers (the caller owns the image).
struct PcDrive {
  enum class Bus { Ide, Virtio };
  BlockImage* image = nullptr;
  Bus bus = Bus::Ide;
  int index = 0;       // IDE: channel * 2 + unit (0 primary master .. 3 secondary slave); virtio: its slot order
  bool cdrom = false;  // an ATAPI CD-ROM (IDE only)
};

struct PcConfig {
  uint64_t ram_bytes = 128ull << 20;  // reported in the CMOS memory-size fields
  int uart_fd = 1;                    // where COM1's output goes
  std::vector<PcDrive> drives;
  DmaSpace* dma = nullptr;            // guest RAM as the bus-master controllers see it
  // Called from an I/O thread when a disk request has finished: the machine then polls
  // its devices (the controllers are timed devices whose update() runs completions).
  std::function<void()> io_wake;
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
