// int 13h, disk: reset and status, CHS read/write/verify, drive parameters and type
// (IBM PC/AT Technical Reference, DISK_IO and DISKETTE_IO; Ralf Brown's interrupt list),
// with errors in AH and CF as a BIOS reports them. The LBA extensions and El Torito
// calls are in int13_extensions.cpp; drive numbers and geometries in drives.h.
#include <algorithm>
#include <vector>

#include "bios/call.h"
#include "bios/int13.h"
#include "bios/rom.h"

namespace rs::bios {

void disk_finish(Call& c, uint8_t drive, uint8_t status) {
  c.set_ah(status);
  c.set_cf(status != kDiskOk);
  c.wr8(kBda + (drive & 0x80 ? 0x74 : 0x41), status);
}

uint8_t disk_transfer(Call& c, const Drive& d, DiskOp op, uint64_t lba, uint32_t count, uint32_t buf,
                      uint32_t& done) {
  done = 0;
  if (op == DiskOp::Write && d.img->readonly()) return kWriteProtected;
  const uint64_t total = d.sectors();
  if (lba >= total) return count ? kSectorNotFound : kDiskOk;
  const uint32_t n = uint32_t(std::min<uint64_t>(count, total - lba));
  const uint32_t chunk = 0x10000 / d.sector;
  std::vector<uint8_t> tmp;
  while (done < n && op != DiskOp::Verify) {
    const uint32_t k = std::min(n - done, chunk);
    tmp.resize(size_t(k) * d.sector);
    const uint64_t off = (lba + done) * d.sector;
    const uint32_t addr = buf + done * d.sector;
    if (op == DiskOp::Read) {
      if (!d.img->read(off, tmp.data(), tmp.size())) return kReadError;
      c.write(addr, tmp.data(), tmp.size());
    } else {
      c.read(addr, tmp.data(), tmp.size());
      if (!d.img->write(off, tmp.data(), tmp.size())) return kWriteFault;
    }
    done += k;
  }
  done = n;
  return n < count ? kSectorNotFound : kDiskOk;
}

namespace {

// 02h/03h/04h: AL sectors from cylinder CH (+ CL bits 6-7 as bits 8-9), head DH, sector
// CL bits 0-5 (counted from 1), to or from ES:BX; AL = the sectors done. A transfer
// may go on past the end of the track, as on the AT's fixed disks.
void chs_io(Call& c, const Drive& d, DiskOp op) {
  const uint32_t count = c.al(), cyl = c.ch() | (c.cl() & 0xC0u) << 2, head = c.dh(), sec = c.cl() & 0x3F;
  if (d.kind == DriveKind::Cd || count == 0) return disk_finish(c, d.number, kBadCommand);
  uint32_t done = 0;
  uint8_t status = kSectorNotFound;
  if (sec >= 1 && sec <= d.chs.spt && head < d.chs.heads) {
    const uint64_t lba = (uint64_t(cyl) * d.chs.heads + head) * d.chs.spt + sec - 1;
    status = disk_transfer(c, d, op, lba, count, c.at(ES, c.bx()), done);
  }
  c.set_al(uint8_t(done));
  disk_finish(c, d.number, status);
}

// 08h for a floppy: BL drive type, CH/CL/DH the last cylinder, sector and head, DL the
// number of floppy drives, ES:DI the diskette parameter table (int 1Eh's).
void floppy_params(Call& c, const Drive& d) {
  const uint32_t last_cyl = d.chs.cyls - 1;
  c.set_ax(0);
  c.set_r16(EBX, d.floppy_type);
  c.set_r16(ECX, uint16_t((last_cyl & 0xFF) << 8 | (last_cyl >> 8 & 3) << 6 | d.chs.spt));
  c.set_r16(EDX, uint16_t((d.chs.heads - 1) << 8 | 1));
  c.set_sreg(ES, kRomSeg);
  c.set_r16(EDI, rom_table(kDirDisketteParams));
  disk_finish(c, d.number, kDiskOk);
}

// 08h for a hard disk: the last cylinder (10 bits; one cylinder less than the disk has,
// the AT's diagnostic cylinder, as BIOSes report it), sector and head; DL the number of
// hard disks.
void disk_params(Call& c, const Drive& d) {
  uint32_t last_cyl = std::min<uint32_t>(d.chs.cyls, 1024) - 1;
  if (last_cyl > 0) last_cyl--;
  c.set_ax(0);
  c.set_r16(ECX, uint16_t((last_cyl & 0xFF) << 8 | (last_cyl >> 8 & 3) << 6 | d.chs.spt));
  c.set_r16(EDX, uint16_t((d.chs.heads - 1) << 8 | hard_disk_count(c.cfg)));
  disk_finish(c, d.number, kDiskOk);
}

void params(Call& c, const std::optional<Drive>& d) {
  if (!d || d->kind == DriveKind::Cd) return disk_finish(c, c.dl(), kBadCommand);
  if (d->kind == DriveKind::Floppy) return floppy_params(c, *d);
  disk_params(c, *d);
}

// 15h: AH = 00h no such drive, 01h floppy without change line (an image never
// changes), 03h hard disk with CX:DX its sectors; CF clear. The status is not kept.
void drive_type(Call& c, const std::optional<Drive>& d) {
  c.set_cf(false);
  if (!d) return c.set_ah(0x00);
  if (d->kind == DriveKind::Cd) return disk_finish(c, d->number, kBadCommand);
  if (d->kind == DriveKind::Floppy) return c.set_ah(0x01);
  const uint32_t n = uint32_t(std::min<uint64_t>(d->sectors(), 0xFFFFFFFF));
  c.set_r16(ECX, uint16_t(n >> 16));
  c.set_r16(EDX, uint16_t(n));
  c.set_ah(0x03);
}

// 01h: AH = the status of the last operation on this kind of drive.
void last_status(Call& c) {
  const uint8_t s = c.rd8(kBda + (c.dl() & 0x80 ? 0x74 : 0x41));
  c.set_ah(s);
  c.set_cf(s != kDiskOk);
}

}  // namespace

void int13_disk(Call& c) {
  const auto d = find_drive(c.cfg, c.st, c.dl());
  switch (c.ah()) {
    case 0x01: return last_status(c);
    case 0x08: return params(c, d);
    case 0x15: return drive_type(c, d);
    default: break;
  }
  if (!d) return disk_finish(c, c.dl(), c.dl() < 0x80 ? kTimeout : kBadCommand);
  switch (c.ah()) {
    // Reset, seek, test ready, recalibrate, diagnostics, change line: nothing moves here.
    case 0x00: case 0x0C: case 0x0D: case 0x10: case 0x11: case 0x14: case 0x16:
      return disk_finish(c, d->number, kDiskOk);
    case 0x02: return chs_io(c, *d, DiskOp::Read);
    case 0x03: return chs_io(c, *d, DiskOp::Write);
    case 0x04: return chs_io(c, *d, DiskOp::Verify);
    case 0x41: case 0x42: case 0x43: case 0x44: case 0x47: case 0x48: case 0x4B:
      return int13_extensions(c, *d);
    default: return disk_finish(c, d->number, kBadCommand);
  }
}

}  // namespace rs::bios
