// The drives int 13h and the boot see: which image answers a drive number, its sector
// size and the CHS geometry the BIOS reports for it.
//
// Numbers: 00h the floppy; 80h, 81h the hard disks present, in the order of
// BiosConfig::hd (so -hdb alone is 80h, as with SeaBIOS); E0h the CD. E0h because the
// El Torito specification leaves a no-emulation CD's number to the BIOS, and a number
// above the hard-disk range keeps the CD out of loops that walk 80h..80h+(40:75) as
// hard disks, while boot software reads the number from DL or int 13h 4B01h (isolinux
// and GRUB do); SeaBIOS numbers its first CD E0h too, so loaders already meet it.
#pragma once
#include <cstdint>
#include <optional>

#include "bios/bios.h"

namespace rs::bios {

struct Chs {
  uint32_t cyls = 0, heads = 0, spt = 0;
};

enum class DriveKind { Floppy, Hard, Cd };

struct Drive {
  DriveKind kind;
  uint8_t number;
  BlockImage* img;
  uint32_t sector;         // bytes: 512, or 2048 for the CD
  Chs chs;                 // none for the CD
  uint8_t floppy_type = 0; // int 13h 08h BL: 1 360K, 2 1.2M, 3 720K, 4 1.44M, 6 2.88M
  uint64_t sectors() const { return img->size() / sector; }
};

struct State;
// The drive answering `number`; hard disks take the geometry POST chose (State::hd_chs).
std::optional<Drive> find_drive(const BiosConfig& cfg, const State& st, uint8_t number);
// The image of hard disk 80h + i, or null.
BlockImage* hard_disk(const BiosConfig& cfg, int i);
int hard_disk_count(const BiosConfig& cfg);

// A floppy's geometry from its image size (160K..2.88M; other sizes as 1.44M) and type.
Chs floppy_geometry(uint64_t bytes, uint8_t* type = nullptr);
// A hard disk's geometry by LBA-assisted translation: 63 sectors per track, the fewest
// heads of 16, 32, 64, 128, 255 that keep the cylinders at 1024 or less (at most 1024).
Chs disk_geometry(uint64_t sectors);
// The geometry a hard disk's partition table was written with, when its used entries
// agree on one (code that reads by CHS from the table's addresses then finds its
// sectors), else the translation above.
Chs disk_geometry(BlockImage& img);

}  // namespace rs::bios
