// Drive numbers, images and geometries for int 13h and the boot (see drives.h).
#include "bios/drives.h"

#include <algorithm>

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

namespace {

uint32_t le32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24; }

// The MBR's partition entries (at 1BEh, 16 bytes: status, start CHS, type, end CHS,
// start LBA, sectors). Heads and sectors per track are the largest end head + 1 and end
// sector any used entry names; every end address below cylinder 1023 (the "beyond CHS"
// mark) must then be the entry's last LBA.
std::optional<Chs> partition_geometry(BlockImage& img) {
  uint8_t mbr[512];
  if (!img.read(0, mbr, sizeof mbr) || mbr[510] != 0x55 || mbr[511] != 0xAA) return std::nullopt;
  uint32_t heads = 0, spt = 0;
  for (int i = 0; i < 4; i++) {
    const uint8_t* e = mbr + 0x1BE + 16 * i;
    if (e[4] == 0) continue;
    heads = std::max<uint32_t>(heads, e[5] + 1u);
    spt = std::max<uint32_t>(spt, e[6] & 0x3Fu);
  }
  if (heads == 0 || spt == 0) return std::nullopt;
  for (int i = 0; i < 4; i++) {
    const uint8_t* e = mbr + 0x1BE + 16 * i;
    const uint32_t cyl = e[7] | (e[6] & 0xC0u) << 2, sec = e[6] & 0x3Fu;
    if (e[4] == 0 || cyl == 1023) continue;
    const uint64_t last = uint64_t(le32(e + 8)) + le32(e + 12) - 1;
    if (sec == 0 || (uint64_t(cyl) * heads + e[5]) * spt + sec - 1 != last) return std::nullopt;
  }
  const uint64_t cyls = img.size() / 512 / (heads * spt);
  return Chs{uint32_t(std::clamp<uint64_t>(cyls, 1, 1024)), heads, spt};
}

}  // namespace

Chs disk_geometry(BlockImage& img) {
  if (auto g = partition_geometry(img)) return *g;
  return disk_geometry(img.size() / 512);
}

std::optional<Drive> find_drive(const BiosConfig& cfg, const State& st, uint8_t number) {
  if (number == 0x00 && cfg.fd) {
    Drive d{DriveKind::Floppy, number, cfg.fd, 512, {}};
    d.chs = floppy_geometry(cfg.fd->size(), &d.floppy_type);
    return d;
  }
  if (number >= 0x80 && number < 0x82) {
    if (BlockImage* img = hard_disk(cfg, number - 0x80)) {
      const Chs& g = st.hd_chs[number - 0x80];
      return Drive{DriveKind::Hard, number, img, 512, g.spt ? g : disk_geometry(img->size() / 512)};
    }
  }
  if (number == kCdDrive && cfg.cd) return Drive{DriveKind::Cd, number, cfg.cd, 2048, {}};
  return std::nullopt;
}

}  // namespace rs::bios
