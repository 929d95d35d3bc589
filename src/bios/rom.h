// The BIOS ROM image (src/bios/rom.asm, assembled by the build and embedded as an
// array) and the directory at its start through which POST finds the ROM's tables.
#pragma once
#include <cstdint>

namespace rs::bios {

inline constexpr uint32_t kRomSize = 0x10000;
inline constexpr uint32_t kRomBase = 0xF0000;  // physical; F000:0000 in real mode
inline constexpr uint16_t kRomSeg = 0xF000;
extern const uint8_t kBiosRom[kRomSize];

// IBM PC/AT entry points POST and the tests rely on (rom.asm places them).
inline constexpr uint16_t kRomPost = 0xE05B, kRomInt13 = 0xE3FE, kRomDummyIret = 0xFF53, kRomReset = 0xFFF0;

// Offsets of the directory's words (rom.asm, "directory"): each holds the offset in
// segment F000h of one ROM table.
enum RomDir : uint16_t {
  kDirVectorList = 8,      // (vector, offset) word pairs, 0FFFFh ends
  kDirFont8x16 = 10,       // 256 x 16 bytes
  kDirFont8x8 = 12,        // characters 00h-7Fh, 8 bytes each
  kDirFont8x8High = 14,    // characters 80h-FFh (int 1Fh)
  kDirConfigTable = 16,    // int 15h C0h
  kDirDisketteParams = 18, // int 1Eh
  kDirVideoParams = 20,    // int 1Dh
  kDirPirTable = 22,       // room for the $PIR table POST writes (kPirRoom bytes, 16-byte aligned)
};

inline constexpr uint16_t kPirRoom = 32 + 16 * 8;  // header and 8 slot entries

// The word at `off` of the ROM image as built (little-endian).
inline uint16_t rom_word(uint16_t off) { return uint16_t(kBiosRom[off] | kBiosRom[off + 1] << 8); }
// The offset a directory entry points at.
inline uint16_t rom_table(RomDir entry) { return rom_word(entry); }

}  // namespace rs::bios
