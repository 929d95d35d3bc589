// Drive numbers, images and geometries for int 13h and the boot (see drives.h).
#include "bios/drives.h"

#include "bios/call.h"

namespace rs::bios {

BlockImage* hard_disk(const BiosConfig& cfg, int i) {
  for (BlockImage* img : cfg.hd) {
    if (img && i-- == 0) return img;
  }
  return nullptr;
}

int hard_disk_count(const BiosConfig& cfg) { return (cfg.hd[0] != nullptr) + (cfg.hd[1] != nullptr); }

Chs floppy_geometry(uint64_t bytes, uint8_t* type) {
  struct Format {
    uint64_t kib;
    Chs chs;
    uint8_t type;
  };
  // The IBM formats (cylinders, heads, sectors per track) and their drive types.
  static constexpr Format kFormats[] = {
      {160, {40, 1, 8}, 1},  {180, {40, 1, 9}, 1},   {320, {40, 2, 8}, 1},  {360, {40, 2, 9}, 1},
      {720, {80, 2, 9}, 3},  {1200, {80, 2, 15}, 2}, {1440, {80, 2, 18}, 4}, {2880, {80, 2, 36}, 6}};
  const Format* f = &kFormats[6];
  for (const Format& k : kFormats) {
    if (k.kib * 1024 == bytes) f = &k;
  }
  if (type) *type = f->type;
  return f->chs;
}

Chs disk_geometry(uint64_t sectors) {
  uint32_t heads = 16;
  for (uint32_t h : {16u, 32u, 64u, 128u, 255u}) {
    heads = h;
    if (sectors / (uint64_t(h) * 63) <= 1024) break;
  }
  uint64_t cyls = sectors / (uint64_t(heads) * 63);
  if (cyls > 1024) cyls = 1024;
  if (cyls == 0) cyls = 1;
  return {uint32_t(cyls), heads, 63};
}

std::optional<Drive> find_drive(const BiosConfig& cfg, uint8_t number) {
  if (number == 0x00 && cfg.fd) {
    Drive d{DriveKind::Floppy, number, cfg.fd, 512, {}};
    d.chs = floppy_geometry(cfg.fd->size(), &d.floppy_type);
    return d;
  }
  if (number >= 0x80 && number < 0x82) {
    if (BlockImage* img = hard_disk(cfg, number - 0x80))
      return Drive{DriveKind::Hard, number, img, 512, disk_geometry(img->size() / 512)};
  }
  if (number == kCdDrive && cfg.cd) return Drive{DriveKind::Cd, number, cfg.cd, 2048, {}};
  return std::nullopt;
}

}  // namespace rs::bios
