// The ATAPI CD-ROM of an IdeChannel: the PACKET protocol (ATA/ATAPI-6 chapter 9.9) and
// the SCSI/MMC commands a CD driver sends (SPC-3, MMC-5): TEST UNIT READY, REQUEST
// SENSE, INQUIRY, READ CAPACITY, READ(10/12), READ TOC, MODE SENSE(10), GET
// CONFIGURATION, GET EVENT STATUS NOTIFICATION and the no-ops of tray and speed. The
// medium is always present and never changes.
#include <algorithm>
#include <cstring>

#include "devices/ide_channel.h"

namespace rs {

namespace {

constexpr uint8_t kIllegalRequest = 0x05;
constexpr uint8_t kInvalidOpcode = 0x20, kLbaOutOfRange = 0x21, kInvalidField = 0x24;
constexpr uint32_t kAtapiChunk = 32;  // 2048-byte sectors read ahead for PIO

void be16(uint8_t* p, uint32_t v) { p[0] = uint8_t(v >> 8), p[1] = uint8_t(v); }
void be32(uint8_t* p, uint32_t v) { p[0] = uint8_t(v >> 24), p[1] = uint8_t(v >> 16), p[2] = uint8_t(v >> 8), p[3] = uint8_t(v); }
uint32_t get_be16(const uint8_t* p) { return uint32_t(p[0] << 8 | p[1]); }
uint32_t get_be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

// The interrupt reason in the sector count register: bit 0 C/D, bit 1 I/O.
constexpr uint8_t kReasonCommand = 0x01, kReasonIn = 0x02;

}  // namespace

// The PACKET command and the ATA commands an ATAPI device takes.
void IdeChannel::packet(uint8_t cmd) {
  switch (cmd) {
    case 0xA1: return identify(true);
    case 0xA0:
      atapi_dma_ = feature_ & 1;
      atapi_limit_ = lba_[1] | uint32_t(lba_[2]) << 8;
      if (atapi_limit_ == 0 || atapi_limit_ > 0xFFFE) atapi_limit_ = 0xFFFE;
      atapi_limit_ &= ~1u;
      buf_.assign(12, 0);
      pos_ = 0;
      block_end_ = 12;
      xfer_ = Xfer::Packet;
      count_ = kReasonCommand;
      status_ = kDrdy | kDsc | kDrq;  // the packet is asked for without an interrupt
      return;
    case 0xEF: case 0x00: case 0xE0: case 0xE1: case 0xE5:  // SET FEATURES, NOP, power
      return finish(cmd != 0x00);
    case 0xEC:  // IDENTIFY DEVICE: an ATAPI device aborts it with its signature showing
      signature();
      return finish(false);
    default:
      return finish(false);
  }
}

void IdeChannel::atapi_command() {
  uint8_t cdb[12];
  std::memcpy(cdb, buf_.data(), 12);
  xfer_ = Xfer::None;
  Drive& d = cur();
  switch (cdb[0]) {
    case 0x00: case 0x1B: case 0x1E: case 0x2B: case 0xBB:  // TEST UNIT READY, START STOP, PREVENT, SEEK, SET CD SPEED
      return atapi_done();
    case 0x03: {  // REQUEST SENSE (fixed format)
      uint8_t s[18] = {0x70, 0, d.sense_key, 0, 0, 0, 0, 10, 0, 0, 0, 0, d.asc, 0, 0, 0, 0, 0};
      d.sense_key = d.asc = 0;
      return atapi_reply(s, sizeof s, cdb[4]);
    }
    case 0x12: {  // INQUIRY
      if (cdb[1] & 1) return atapi_error(kIllegalRequest, kInvalidField);  // no vital product data
      uint8_t s[36] = {0x05, 0x80, 0x00, 0x21, 31};
      std::memcpy(s + 8, "RINGSHFTCD-ROM          1.0 ", 28);
      return atapi_reply(s, sizeof s, get_be16(cdb + 3));
    }
    case 0x25: {  // READ CAPACITY
      uint8_t s[8];
      be32(s, uint32_t(d.sectors ? d.sectors - 1 : 0));
      be32(s + 4, 2048);
      return atapi_reply(s, sizeof s, 8);
    }
    case 0x28: return atapi_read(get_be32(cdb + 2), get_be16(cdb + 7));
    case 0xA8: return atapi_read(get_be32(cdb + 2), get_be32(cdb + 6));
    case 0x43: return read_toc(cdb);
    case 0x5A: return mode_sense(cdb);
    case 0x46: return get_configuration(cdb);
    case 0x4A: {  // GET EVENT STATUS NOTIFICATION, polled: media class, no event, medium present
      if (!(cdb[1] & 1)) return atapi_error(kIllegalRequest, kInvalidField);
      uint8_t s[8] = {0, 6, 0x04, 0x10, 0x00, 0x02, 0, 0};
      if (!(cdb[4] & 0x10)) s[2] = 0x80, s[1] = 2;  // no class the guest asked for
      return atapi_reply(s, cdb[4] & 0x10 ? 8 : 4, get_be16(cdb + 7));
    }
    default:
      return atapi_error(kIllegalRequest, kInvalidOpcode);
  }
}

// Data the device has at once: PIO chunks or, with DMA, when the bus master starts.
void IdeChannel::atapi_reply(const uint8_t* data, size_t len, size_t alloc) {
  len = std::min(len, alloc);
  if (!len) return atapi_done();
  buf_.assign(data, data + len);
  filled_ = len;
  pos_ = 0;
  left_ = 0;
  if (atapi_dma_) {
    xfer_ = Xfer::Dma;
    job_ = DmaJob{true, true, false, true, 0, len};
    status_ = kDrdy | kDsc | kBsy;
    if (bm_status_ & kBmActive) dma_go();
    return;
  }
  xfer_ = Xfer::AtapiIn;
  atapi_next_chunk();
}

void IdeChannel::atapi_read(uint32_t lba, uint32_t n) {
  Drive& d = cur();
  if (uint64_t(lba) + n > d.sectors) return atapi_error(kIllegalRequest, kLbaOutOfRange);
  if (!n) return atapi_done();
  if (atapi_dma_) {
    xfer_ = Xfer::Dma;
    job_ = DmaJob{true, true, false, false, uint64_t(lba) * 2048, uint64_t(n) * 2048};
    status_ = kDrdy | kDsc | kBsy;
    if (bm_status_ & kBmActive) dma_go();
    return;
  }
  xfer_ = Xfer::AtapiIn;
  next_lba_ = lba;
  left_ = n;
  atapi_fill();
}

// PIO: reads ahead the next kAtapiChunk sectors, then offers them in chunks.
void IdeChannel::atapi_fill() {
  const uint32_t n = std::min(left_, kAtapiChunk);
  buf_.assign(size_t(n) * 2048, 0);
  pos_ = filled_ = 0;
  const uint64_t at = next_lba_;
  next_lba_ += n;
  left_ -= n;
  status_ = kDrdy | kDsc | kBsy;
  busy_io_ = true;
  cur().queue->read(at * 2048, {{buf_.data(), buf_.size()}}, [this](bool ok) {
    busy_io_ = false;
    if (xfer_ != Xfer::AtapiIn) return;
    if (!ok) return atapi_error(0x03, 0x11);  // medium error, unrecovered read error
    filled_ = buf_.size();
    atapi_next_chunk();
  });
}

// The next DRQ chunk of at most the byte count limit, or the end of the command.
void IdeChannel::atapi_next_chunk() {
  if (pos_ >= filled_) {
    if (left_) return atapi_fill();
    return atapi_done();
  }
  const size_t n = std::min<size_t>(filled_ - pos_, atapi_limit_);
  block_end_ = pos_ + n;
  lba_[1] = uint8_t(n), lba_[2] = uint8_t(n >> 8);
  count_ = kReasonIn;
  status_ = kDrdy | kDsc | kDrq;
  set_irq(true);
}

void IdeChannel::atapi_done() {
  xfer_ = Xfer::None;
  count_ = kReasonIn | kReasonCommand;
  status_ = kDrdy | kDsc;
  error_ = 0;
  set_irq(true);
}

// CHECK CONDITION: the sense key in the error register's high nibble, sense kept for
// REQUEST SENSE.
void IdeChannel::atapi_error(uint8_t key, uint8_t asc) {
  Drive& d = cur();
  d.sense_key = key;
  d.asc = asc;
  xfer_ = Xfer::None;
  job_ = DmaJob{};
  count_ = kReasonIn | kReasonCommand;
  status_ = kDrdy | kDsc | kErr;
  error_ = uint8_t(key << 4 | kAbrt);
  set_irq(true);
}

// MODE SENSE(10): the CD capabilities page (2Ah) and the error recovery page (01h).
void IdeChannel::mode_sense(const uint8_t* cdb) {
  const uint8_t page = cdb[2] & 0x3F;
  uint8_t s[8 + 12 + 28] = {};
  size_t len = 8;
  s[2] = 0x70;  // medium type: door closed, no disc type
  if (page == 0x01 || page == 0x3F) {
    uint8_t* p = s + len;
    p[0] = 0x01, p[1] = 10;
    len += 12;
  }
  if (page == 0x2A || page == 0x3F) {
    uint8_t* p = s + len;
    p[0] = 0x2A, p[1] = 26;
    p[2] = 0x03;   // reads CD-R and CD-RW
    p[4] = 0x71;   // audio play, mode 2 form 1 and 2, multi-session
    p[5] = 0xFF;   // CD-DA commands and everything in byte 5
    p[6] = 0x29;   // tray loading, lock and eject
    be16(p + 8, 706 * 4);   // maximum read speed (KB/s)
    be16(p + 10, 256);      // volume levels
    be16(p + 12, 512);      // buffer (KiB)
    be16(p + 14, 706 * 4);  // current read speed
    len += 28;
  }
  if (len == 8) return atapi_error(kIllegalRequest, kInvalidField);
  be16(s, uint32_t(len - 2));
  atapi_reply(s, len, get_be16(cdb + 7));
}

// READ TOC: one data track and the lead-out (format 0), or the session (format 1).
void IdeChannel::read_toc(const uint8_t* cdb) {
  const bool msf = cdb[1] & 0x02;
  const int format = (cdb[2] & 0x0F) ? cdb[2] & 0x0F : cdb[9] >> 6;
  auto address = [msf](uint8_t* p, uint32_t lba) {
    if (!msf) return be32(p, lba);
    lba += 150;  // the 2-second pregap
    p[0] = 0, p[1] = uint8_t(lba / 75 / 60), p[2] = uint8_t(lba / 75 % 60), p[3] = uint8_t(lba % 75);
  };
  uint8_t s[20] = {};
  size_t len;
  if (format == 0) {
    s[2] = 1, s[3] = 1;
    s[5] = 0x14, s[6] = 1;  // track 1: data, digital copy permitted
    address(s + 8, 0);
    s[13] = 0x14, s[14] = 0xAA;  // the lead-out
    address(s + 16, uint32_t(cur().sectors));
    len = 20;
    if (cdb[6] > 1 && cdb[6] != 0xAA) return atapi_error(kIllegalRequest, kInvalidField);
  } else if (format == 1) {
    s[2] = 1, s[3] = 1;
    s[5] = 0x14, s[6] = 1;
    address(s + 8, 0);
    len = 12;
  } else {
    return atapi_error(kIllegalRequest, kInvalidField);
  }
  be16(s, uint32_t(len - 2));
  atapi_reply(s, len, get_be16(cdb + 7));
}

// GET CONFIGURATION: the CD-ROM profile, current, and the features a reader has.
void IdeChannel::get_configuration(const uint8_t* cdb) {
  uint8_t s[8 + 8 + 12] = {};
  be16(s + 6, 0x0008);  // current profile: CD-ROM
  uint8_t* f = s + 8;    // feature 0000h, the profile list: one profile
  f[2] = 0x03, f[3] = 4;
  be16(f + 4, 0x0008);
  f[6] = 0x01;           // current
  f = s + 16;            // feature 0001h, core: ATAPI
  be16(f, 0x0001);
  f[2] = 0x0B, f[3] = 8;
  be32(f + 4, 2);
  be32(s, sizeof s - 4);
  atapi_reply(s, sizeof s, get_be16(cdb + 7));
}

}  // namespace rs
