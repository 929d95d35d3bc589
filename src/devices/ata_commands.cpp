// The ATA command set of an IdeChannel's hard disks (ATA/ATAPI-6): IDENTIFY, PIO and
// DMA reads and writes with 28- and 48-bit LBAs, FLUSH CACHE, SET FEATURES and the
// housekeeping commands drivers send at probe time.
#include <algorithm>
#include <cstring>

#include "devices/ide_channel.h"

namespace rs {

namespace {

constexpr uint32_t kPioChunk = 256;  // sectors a PIO command reads ahead or gathers before writing

// ATA strings: space-padded, two characters per word, the first in the high byte.
void put_string(uint16_t* w, int words, const char* s) {
  for (int i = 0; i < words * 2; ++i) {
    const char ch = *s ? *s++ : ' ';
    if (i & 1) w[i / 2] = uint16_t(w[i / 2] | uint8_t(ch));
    else w[i / 2] = uint16_t(uint8_t(ch) << 8);
  }
}

}  // namespace

uint64_t IdeChannel::lba(bool ext) const {
  uint64_t v = lba_[0] | uint32_t(lba_[1]) << 8 | uint32_t(lba_[2]) << 16;
  if (ext) return v | uint64_t(hob_lba_[0]) << 24 | uint64_t(hob_lba_[1]) << 32 | uint64_t(hob_lba_[2]) << 40;
  return v | uint64_t(device_ & 0x0F) << 24;
}

uint32_t IdeChannel::count(bool ext) const {
  if (ext) {
    const uint32_t n = count_ | uint32_t(hob_count_) << 8;
    return n ? n : 65536;
  }
  return count_ ? count_ : 256;
}

// Where a failed command stopped (the LBA registers report the first bad sector).
void IdeChannel::set_lba(uint64_t v, bool ext) {
  for (int i = 0; i < 3; ++i) lba_[i] = uint8_t(v >> (8 * i));
  if (ext)
    for (int i = 0; i < 3; ++i) hob_lba_[i] = uint8_t(v >> (24 + 8 * i));
  else
    device_ = uint8_t((device_ & 0xF0) | ((v >> 24) & 0x0F));
}

// The end of a command: DRDY, or ERR with the error register; the interrupt either way.
void IdeChannel::finish(bool ok, uint8_t error) {
  xfer_ = Xfer::None;
  status_ = uint8_t(kDrdy | kDsc | (ok ? 0 : kErr));
  error_ = ok ? 0 : error;
  set_irq(true);
}

void IdeChannel::command(uint8_t cmd) {
  xfer_ = Xfer::None;
  job_ = DmaJob{};
  if (cmd == 0x08) {  // DEVICE RESET (ATAPI): the signature again
    if (!cur().cdrom) return finish(false);
    signature();
    error_ = 0x01;
    status_ = 0;
    return;
  }
  if (cmd == 0x90) {  // EXECUTE DEVICE DIAGNOSTIC
    signature();
    error_ = 0x01;
    status_ = kDrdy | kDsc;
    return set_irq(true);
  }
  if (cur().cdrom) return packet(cmd);
  if (!ata_command(cmd)) finish(false);
}

// False: not a command of this drive (aborted).
bool IdeChannel::ata_command(uint8_t cmd) {
  const bool ext = cmd == 0x24 || cmd == 0x29 || cmd == 0x34 || cmd == 0x39 || cmd == 0x25 || cmd == 0x35 ||
                   cmd == 0x3D || cmd == 0x42 || cmd == 0xEA;
  Drive& d = cur();
  switch (cmd) {
    case 0xEC: identify(false); return true;
    case 0xA1: return false;  // IDENTIFY PACKET DEVICE: a disk aborts it (that is how it is told from a CD)
    case 0x20: case 0x21: case 0x24:
      start_pio_read(lba(ext), count(ext), 1);
      return true;
    case 0xC4: case 0x29:
      if (!d.multiple) return false;
      start_pio_read(lba(ext), count(ext), d.multiple);
      return true;
    case 0x30: case 0x31: case 0x34:
      start_pio_write(lba(ext), count(ext), 1);
      return true;
    case 0xC5: case 0x39: case 0xCE:
      if (!d.multiple) return false;
      start_pio_write(lba(ext), count(ext), d.multiple);
      return true;
    case 0xC8: case 0xC9: case 0x25:
      start_dma(lba(ext), count(ext), false, false);
      return true;
    case 0xCA: case 0xCB: case 0x35: case 0x3D:  // 3Dh: WRITE DMA FUA EXT
      start_dma(lba(ext), count(ext), true, cmd == 0x3D);
      return true;
    default:
      return settings_command(cmd, ext);
  }
}

// The commands that move no data: modes, verification, cache, power, capacity.
bool IdeChannel::settings_command(uint8_t cmd, bool ext) {
  Drive& d = cur();
  switch (cmd) {
    case 0xC6:  // SET MULTIPLE MODE: 0 turns it off; otherwise a power of two up to 16
      if (count_ > 16 || (count_ & (count_ - 1))) return false;
      d.multiple = count_;
      finish(true);
      return true;
    case 0x40: case 0x41: case 0x42: {  // READ VERIFY SECTORS: only the range is checked
      const uint64_t l = lba(ext);
      finish(l + count(ext) <= d.sectors, kIdnf);
      return true;
    }
    case 0xE7: case 0xEA: flush_cache(); return true;
    case 0xEF:  // SET FEATURES: transfer mode (03h), write cache on/off (02h/82h), look-ahead
      finish(feature_ == 0x03 || feature_ == 0x02 || feature_ == 0x82 || feature_ == 0xAA || feature_ == 0x55 ||
             feature_ == 0x66 || feature_ == 0xCC);
      return true;
    case 0x91:  // INITIALIZE DEVICE PARAMETERS: CHS translation is not used by LBA drivers
    case 0x10: case 0x70:  // RECALIBRATE, SEEK
    case 0xE0: case 0xE1: case 0xE2: case 0xE3:  // STANDBY / IDLE (IMMEDIATE)
    case 0x00:  // NOP
      finish(cmd != 0x00);
      return true;
    case 0xE5:  // CHECK POWER MODE: active
      count_ = 0xFF;
      finish(true);
      return true;
    case 0xF8: case 0x27: {  // READ NATIVE MAX ADDRESS (EXT)
      set_lba(d.sectors - 1, cmd == 0x27);
      finish(true);
      return true;
    }
    default:
      return false;
  }
}

void IdeChannel::identify(bool packet) {
  const Drive& d = cur();
  uint16_t w[256] = {};
  char serial[21];
  std::snprintf(serial, sizeof serial, "RS%02d%016llu", number_ * 2 + ((device_ >> 4) & 1),
                static_cast<unsigned long long>(d.sectors));
  put_string(w + 10, 10, serial);
  put_string(w + 23, 4, "1.0");
  put_string(w + 27, 20, packet ? "ringshift ATAPI CD-ROM" : "ringshift HARDDISK");
  w[49] = 0x0B00;         // IORDY, LBA, DMA
  w[53] = 0x0007;         // words 54-58, 64-70 and 88 are valid
  w[63] = 0x0007 | 0x0400;  // multiword DMA 0-2 supported, mode 2 selected
  w[64] = 0x0003;         // PIO modes 3 and 4
  w[65] = w[66] = 120;    // DMA cycle times (ns)
  w[67] = w[68] = 120;    // PIO cycle times
  w[80] = 0x00F0;         // ATA/ATAPI-4 to -7
  w[93] = 0x6001;         // reset results: device 0 passed
  if (packet) {
    w[0] = 0x85C0;        // ATAPI, CD-ROM, removable, 12-byte packets, DRQ within 50 us
    w[82] = 0x4010;       // PACKET command set
    w[83] = w[84] = w[87] = 0x4000;
    w[85] = 0x4010;
  } else {
    const uint64_t chs_cyl = std::min<uint64_t>(d.sectors / (16 * 63), 16383);
    w[0] = 0x0040;        // fixed disk
    w[1] = w[54] = uint16_t(chs_cyl);
    w[3] = w[55] = 16;
    w[6] = w[56] = 63;
    const uint32_t chs = uint32_t(chs_cyl * 16 * 63);
    w[57] = uint16_t(chs), w[58] = uint16_t(chs >> 16);
    w[47] = 0x8010;       // READ/WRITE MULTIPLE up to 16 sectors
    w[59] = uint16_t(d.multiple ? 0x100 | d.multiple : 0);
    const uint32_t lba28 = uint32_t(std::min<uint64_t>(d.sectors, 0x0FFFFFFF));
    w[60] = uint16_t(lba28), w[61] = uint16_t(lba28 >> 16);
    w[82] = w[85] = 0x4020;  // write cache (supported, enabled)
    w[83] = w[86] = 0x4000 | 0x3400;  // 48-bit addresses, FLUSH CACHE and FLUSH CACHE EXT
    w[84] = w[87] = 0x4000;
    for (int i = 0; i < 4; ++i) w[100 + i] = uint16_t(d.sectors >> (16 * i));
  }
  buf_.assign(512, 0);
  std::memcpy(buf_.data(), w, 512);
  xfer_ = Xfer::PioIn;
  left_ = 0;
  filled_ = 512;
  pos_ = 0;
  block_end_ = 512;
  status_ = kDrdy | kDsc | kDrq;
  set_irq(true);
}

// Sectors [l, l + n) not all on the disk: the command ends with IDNF at the first
// missing one.
bool IdeChannel::past_end(uint64_t l, uint32_t n) {
  if (l + n <= cur().sectors) return false;
  set_lba(std::min<uint64_t>(l, cur().sectors), true);
  finish(false, kIdnf);
  return true;
}

void IdeChannel::start_pio_read(uint64_t l, uint32_t n, int block) {
  if (past_end(l, n)) return;
  xfer_ = Xfer::PioIn;
  next_lba_ = l;
  left_ = n;
  block_ = block;
  buf_.clear();
  pos_ = block_end_ = filled_ = 0;
  fill_pio_read();
}

// Reads ahead up to kPioChunk sectors; the completion offers the first DRQ block.
void IdeChannel::fill_pio_read() {
  const uint32_t n = std::min(left_, kPioChunk);
  buf_.assign(size_t(n) * 512, 0);
  pos_ = 0;
  status_ = kDrdy | kDsc | kBsy;
  busy_io_ = true;
  const uint64_t at = next_lba_;
  next_lba_ += n;
  left_ -= n;
  cur().queue->read(at * 512, {{buf_.data(), buf_.size()}}, [this, n, at](bool ok) {
    busy_io_ = false;
    if (xfer_ != Xfer::PioIn) return;
    if (!ok) {
      set_lba(at, true);
      return finish(false, kUnc);
    }
    filled_ = size_t(n) * 512;
    block_end_ = std::min(filled_, size_t(block_) * 512);
    status_ = kDrdy | kDsc | kDrq;
    set_irq(true);
  });
}

// The guest has moved one DRQ block through the data register.
void IdeChannel::pio_block_done() {
  if (xfer_ == Xfer::PioIn) {
    if (pos_ < filled_) {  // the next block is already here
      block_end_ = std::min(filled_, pos_ + size_t(block_) * 512);
      status_ = kDrdy | kDsc | kDrq;
      return set_irq(true);
    }
    if (left_) return fill_pio_read();
    xfer_ = Xfer::None;  // the last block: no interrupt after it
    status_ = kDrdy | kDsc;
    return;
  }
  // PIO out: gather blocks, write when the buffer is full or the data complete.
  if (pos_ < buf_.size()) {
    block_end_ = std::min(buf_.size(), pos_ + size_t(block_) * 512);
    status_ = kDrdy | kDsc | kDrq;
    return set_irq(true);
  }
  write_out();
}

void IdeChannel::start_pio_write(uint64_t l, uint32_t n, int block) {
  if (past_end(l, n)) return;
  xfer_ = Xfer::PioOut;
  next_lba_ = l;
  left_ = n;
  block_ = block;
  const uint32_t chunk = std::min(n, kPioChunk);
  buf_.assign(size_t(chunk) * 512, 0);
  left_ -= chunk;
  pos_ = 0;
  block_end_ = std::min(buf_.size(), size_t(block) * 512);
  status_ = kDrdy | kDsc | kDrq;  // the first block is asked for without an interrupt
}

void IdeChannel::write_out() {
  status_ = kDrdy | kDsc | kBsy;
  busy_io_ = true;
  const uint64_t at = next_lba_;
  next_lba_ += buf_.size() / 512;
  cur().queue->write(at * 512, {{buf_.data(), buf_.size()}}, false, [this, at](bool ok) {
    busy_io_ = false;
    if (xfer_ != Xfer::PioOut) return;
    if (!ok) {
      set_lba(at, true);
      return finish(false, kUnc);
    }
    if (!left_) return finish(true);
    const uint32_t chunk = std::min(left_, kPioChunk);
    left_ -= chunk;
    buf_.assign(size_t(chunk) * 512, 0);
    pos_ = 0;
    block_end_ = std::min(buf_.size(), size_t(block_) * 512);
    status_ = kDrdy | kDsc | kDrq;
    set_irq(true);
  });
}

void IdeChannel::start_dma(uint64_t l, uint32_t n, bool write, bool fua) {
  if (past_end(l, n)) return;
  xfer_ = Xfer::Dma;
  job_ = DmaJob{true, !write, fua, false, l * 512, uint64_t(n) * 512};
  status_ = kDrdy | kDsc | kBsy;
  if (bm_status_ & kBmActive) dma_go();
}

void IdeChannel::flush_cache() {
  status_ = kDrdy | kDsc | kBsy;
  busy_io_ = true;
  cur().queue->flush([this](bool ok) {
    busy_io_ = false;
    finish(ok);
  });
}

}  // namespace rs
