// int 13h by LBA: the extensions check (41h), extended read/write/verify/seek through
// a disk address packet (42h/43h/44h/47h) and drive parameters (48h) of Phoenix's
// Enhanced Disk Drive specification 3.0, on every drive, the CD in 2048-byte sectors;
// and El Torito 1.0's 4B00h/4B01h (the specification packet of the booted CD).
#include "bios/call.h"
#include "bios/int13.h"

namespace rs::bios {
namespace {

// 41h: BX = 55AAh asks; BX = AA55h, AH = 30h (EDD 3.0), CX = 1 (42h-44h, 47h, 48h by
// packet) | 4 (EDD: 48h) answer, CF clear.
void check(Call& c, const Drive& d) {
  if (c.bx() != 0x55AA) return disk_finish(c, d.number, kBadCommand);
  c.set_r16(EBX, 0xAA55);
  c.set_r16(ECX, 0x0001 | 0x0004);
  disk_finish(c, d.number, kDiskOk);
  c.set_ah(0x30);
}

// 42h/43h/44h: the disk address packet at DS:SI: size (10h, or 18h with a 64-bit
// flat buffer address used when the seg:off buffer is FFFF:FFFF), block count, buffer,
// starting LBA. The block count is rewritten with the blocks done.
void packet_io(Call& c, const Drive& d, DiskOp op) {
  const uint32_t dap = c.at(DS, c.r16(ESI));
  const uint8_t size = c.rd8(dap);
  if (size < 0x10) return disk_finish(c, d.number, kBadCommand);
  const uint32_t count = c.rd16(dap + 2);
  uint64_t buf = Call::lin(c.rd16(dap + 6), c.rd16(dap + 4));
  if (c.rd32(dap + 4) == 0xFFFFFFFF && size >= 0x18) buf = c.rd64(dap + 0x10);
  if (buf >> 32) return disk_finish(c, d.number, kBadCommand);
  uint32_t done = 0;
  const uint8_t status = disk_transfer(c, d, op, c.rd64(dap + 8), count, uint32_t(buf), done);
  c.wr16(dap + 2, uint16_t(done));
  disk_finish(c, d.number, status);
}

// 47h: a seek to the packet's LBA, which only has to exist.
void seek(Call& c, const Drive& d) {
  const uint32_t dap = c.at(DS, c.r16(ESI));
  disk_finish(c, d.number, c.rd64(dap + 8) < d.sectors() ? kDiskOk : kSectorNotFound);
}

// 48h: the result buffer at DS:SI (its first word the caller's size, at least 1Ah):
// size, information flags, cylinders, heads, sectors per track, total sectors, bytes
// per sector, and from 1Eh on the EDD configuration parameters pointer (none: FFFF:FFFF).
void drive_params(Call& c, const Drive& d) {
  const uint32_t buf = c.at(DS, c.r16(ESI));
  const uint16_t size = c.rd16(buf);
  if (size < 0x1A) return disk_finish(c, d.number, kBadCommand);
  // Flags: bit 0 DMA boundaries handled, 1 CHS valid, 2 removable, 4 change line,
  // 5 lockable, 6 CHS are the maximum values (no fixed media geometry).
  const uint16_t flags = d.kind == DriveKind::Hard ? 0x0003 : d.kind == DriveKind::Floppy ? 0x0007 : 0x0075;
  c.wr16(buf, size >= 0x1E ? 0x1E : 0x1A);
  c.wr16(buf + 2, flags);
  c.wr32(buf + 4, d.chs.cyls);
  c.wr32(buf + 8, d.chs.heads);
  c.wr32(buf + 0x0C, d.chs.spt);
  c.wr64(buf + 0x10, d.sectors());
  c.wr16(buf + 0x18, uint16_t(d.sector));
  if (size >= 0x1E) c.wr32(buf + 0x1A, 0xFFFFFFFF);
  disk_finish(c, d.number, kDiskOk);
}

// 4B00h (terminate emulation) and 4B01h (status): the specification packet at DS:SI
// (El Torito 1.0, section 5.3), for the CD the machine booted without emulation.
void eltorito_status(Call& c, const Drive& d) {
  if (d.kind != DriveKind::Cd || !c.st.cd_booted || c.al() > 1) return disk_finish(c, d.number, kBadCommand);
  uint8_t p[0x13] = {};
  p[0] = sizeof p;
  p[1] = 0x00;  // media: no emulation
  p[2] = d.number;
  p[3] = 0;     // controller index
  for (int i = 0; i < 4; i++) p[4 + i] = uint8_t(c.st.cd_image_lba >> (8 * i));
  p[0x0C] = uint8_t(c.st.cd_load_seg), p[0x0D] = uint8_t(c.st.cd_load_seg >> 8);
  p[0x0E] = uint8_t(c.st.cd_sectors), p[0x0F] = uint8_t(c.st.cd_sectors >> 8);
  c.write(c.at(DS, c.r16(ESI)), p, sizeof p);
  disk_finish(c, d.number, kDiskOk);
}

}  // namespace

void int13_extensions(Call& c, const Drive& d) {
  switch (c.ah()) {
    case 0x41: return check(c, d);
    case 0x42: return packet_io(c, d, DiskOp::Read);
    case 0x43: return packet_io(c, d, DiskOp::Write);
    case 0x44: return packet_io(c, d, DiskOp::Verify);
    case 0x47: return seek(c, d);
    case 0x48: return drive_params(c, d);
    case 0x4B: return eltorito_status(c, d);
    default: return disk_finish(c, d.number, kBadCommand);
  }
}

}  // namespace rs::bios
