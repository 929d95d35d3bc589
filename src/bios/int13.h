// What int 13h's two files share: the status codes, ending a call, and moving sectors
// between an image and guest memory.
#pragma once
#include <cstdint>

#include "bios/drives.h"

namespace rs::bios {

class Call;

// int 13h status codes in AH (IBM PC/AT Technical Reference, DISK_IO; Phoenix EDD 3.0).
enum DiskStatus : uint8_t {
  kDiskOk = 0x00,
  kBadCommand = 0x01,       // invalid function or parameter, or no such drive
  kWriteProtected = 0x03,
  kSectorNotFound = 0x04,   // also: past the end of the disk
  kReadError = 0x10,        // uncorrectable data error: the host could not read the image
  kTimeout = 0x80,          // no floppy in drive 00h
  kWriteFault = 0xCC,       // the host could not write the image
};

enum class DiskOp { Read, Write, Verify };

// Ends the call: AH = status, CF = status != 0, and the status remembered for 01h
// (40:41 for floppies, 40:74 for the other drives).
void disk_finish(Call& c, uint8_t drive, uint8_t status);
// Moves up to `count` sectors from `lba` between the image and guest memory at `buf`
// (a write needs a writable image, a verify only the range); `done` counts the
// sectors that completed. Returns the status: past the end is kSectorNotFound after
// the sectors that exist.
uint8_t disk_transfer(Call& c, const Drive& d, DiskOp op, uint64_t lba, uint32_t count, uint32_t buf,
                      uint32_t& done);
// AH = 41h-48h (Phoenix EDD 3.0) and 4Bh (El Torito 1.0): int13_extensions.cpp.
void int13_extensions(Call& c, const Drive& d);

}  // namespace rs::bios
