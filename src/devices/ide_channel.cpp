#include "devices/ide_channel.h"

#include <cstdio>
#include <cstring>

#include "devices/dma.h"

namespace rs {

IdeChannel::IdeChannel(int number, IrqLine irq, DmaSpace* dma, std::function<void()> wake,
                       std::function<bool()> master_enabled)
    : number_(number), irq_(irq), dma_(dma), wake_(std::move(wake)), master_enabled_(std::move(master_enabled)) {
  reset();
}

IdeChannel::~IdeChannel() {
  // Requests still in flight write into buf_ or guest RAM: let them land first.
  for (Drive& d : drive_)
    if (d.queue) d.queue->drain();
}

void IdeChannel::attach(int unit, BlockImage* image, bool cdrom) {
  Drive& d = drive_[unit & 1];
  d.image = image;
  d.cdrom = cdrom;
  d.sectors = image->size() / (cdrom ? 2048 : 512);
  d.queue = std::make_unique<IoQueue>(*image, wake_);
  reset();
}

void IdeChannel::reset() {
  for (Drive& d : drive_)
    if (d.queue) d.queue->drain();
  busy_io_ = false;
  device_ = 0;
  control_ = 0;
  bm_cmd_ = bm_status_ = 0;
  prd_ = 0;
  for (Drive& d : drive_) d.multiple = 0, d.sense_key = 0, d.asc = 0;
  soft_reset();
}

// SRST or power-on: each drive shows its signature (ATA: count 1, LBA 1; ATAPI also
// 14h/EBh in LBA mid/high, which is how a driver tells them apart).
void IdeChannel::soft_reset() {
  xfer_ = Xfer::None;
  job_ = DmaJob{};
  buf_.clear();
  pos_ = block_end_ = filled_ = 0;
  set_irq(false);
  device_ &= 0x10;
  signature();
  error_ = 0x01;  // diagnostics passed
  status_ = kDrdy | kDsc;
}

void IdeChannel::signature() {
  count_ = 1;
  lba_[0] = 1;
  lba_[1] = cur().cdrom ? 0x14 : 0;
  lba_[2] = cur().cdrom ? 0xEB : 0;
  hob_count_ = 0;
}

bool IdeChannel::ready() const {
  for (const Drive& d : drive_)
    if (d.queue && d.queue->ready()) return true;
  return false;
}

void IdeChannel::complete() {
  for (Drive& d : drive_)
    if (d.queue && d.queue->ready()) d.queue->complete();
}

// INTRQ reaches the 8259 unless nIEN masks it; the bus master notes every assertion.
void IdeChannel::set_irq(bool on) {
  intrq_ = on;
  if (on) bm_status_ |= kBmIntr;
  irq_.set(on && !(control_ & 0x02));
}

// A channel with no drive floats to 0 here (what Linux and QEMU's PC expect); an absent
// slave behind a master reads status 0.
uint8_t IdeChannel::status() const {
  if (!cur().present()) return 0;
  return status_;
}

uint8_t IdeChannel::alt_status() const { return status(); }

void IdeChannel::control(uint8_t value) {
  const bool srst = (value & 0x04) && !(control_ & 0x04);
  control_ = value;
  if (srst) {
    // Requests in flight finish into a channel that no longer waits for them.
    for (Drive& d : drive_)
      if (d.queue) d.queue->drain();
    soft_reset();
    status_ = kBsy | kDsc;  // until SRST is released
    return;
  }
  if (!(value & 0x04) && (status_ & kBsy) && xfer_ == Xfer::None && !busy_io_) status_ = kDrdy | kDsc;
  irq_.set(intrq_ && !(control_ & 0x02));
}

uint32_t IdeChannel::read(int reg, int size) {
  if (reg == 0) return data_in(size);
  const bool none = !drive_[0].present() && !drive_[1].present();
  const bool hob = control_ & 0x80;
  switch (reg) {
    case 1: return none ? 0 : hob ? hob_feature_ : error_;
    case 2: return none ? 0 : hob ? hob_count_ : count_;
    case 3: case 4: case 5: return none ? 0 : hob ? hob_lba_[reg - 3] : lba_[reg - 3];
    case 6: return none ? 0 : device_ | 0xA0;
    default:
      if (cur().present()) set_irq(false);  // reading status acknowledges the interrupt
      return status();
  }
}

void IdeChannel::write(int reg, int size, uint32_t value) {
  if (reg == 0) return data_out(size, value);
  const uint8_t v = uint8_t(value);
  control_ &= 0x7F;  // a task file write clears HOB
  switch (reg) {
    case 1: hob_feature_ = feature_, feature_ = v; return;
    case 2: hob_count_ = count_, count_ = v; return;
    case 3: case 4: case 5: hob_lba_[reg - 3] = lba_[reg - 3], lba_[reg - 3] = v; return;
    case 6:
      if (!(status_ & kBsy)) device_ = v & 0x5F;  // not while a command runs
      return;
    default:
      if (!cur().present()) return;  // nobody there to take the command
      if ((status_ & kBsy) && v != 0x08) return;
      set_irq(false);
      command(v);
  }
}

uint32_t IdeChannel::data_in(int size) {
  if (!(status_ & kDrq) || (xfer_ != Xfer::PioIn && xfer_ != Xfer::AtapiIn)) return size == 4 ? 0xFFFFFFFF : 0xFFFF;
  uint32_t v = 0;
  for (int i = 0; i < size && pos_ < block_end_; ++i) v |= uint32_t(buf_[pos_++]) << (8 * i);
  if (pos_ >= block_end_) {
    if (xfer_ == Xfer::PioIn) pio_block_done();
    else atapi_next_chunk();
  }
  return v;
}

void IdeChannel::data_out(int size, uint32_t v) {
  if (!(status_ & kDrq) || (xfer_ != Xfer::PioOut && xfer_ != Xfer::Packet)) return;
  for (int i = 0; i < size && pos_ < block_end_; ++i) buf_[pos_++] = uint8_t(v >> (8 * i));
  if (pos_ < block_end_) return;
  if (xfer_ == Xfer::Packet) atapi_command();
  else pio_block_done();
}

uint32_t IdeChannel::bm_read(int reg, int size) const {
  uint8_t regs[8] = {bm_cmd_, 0, bm_status_, 0, uint8_t(prd_), uint8_t(prd_ >> 8), uint8_t(prd_ >> 16),
                     uint8_t(prd_ >> 24)};
  uint32_t v = 0;
  for (int i = 0; i < size && reg + i < 8; ++i) v |= uint32_t(regs[reg + i]) << (8 * i);
  return v;
}

void IdeChannel::bm_write(int reg, int size, uint32_t value) {
  for (int i = 0; i < size && reg + i < 8; ++i) {
    const int r = reg + i;
    const uint8_t v = uint8_t(value >> (8 * i));
    if (r == 0) {
      const bool start = (v & 1) && !(bm_cmd_ & 1);
      bm_cmd_ = v & 0x09;
      if (!(v & 1)) bm_status_ &= uint8_t(~kBmActive);  // stop: the engine halts
      if (start && master_enabled_()) {
        bm_status_ |= kBmActive;
        if (job_.pending) dma_go();
      }
    } else if (r == 2) {
      // Interrupt and error are write-1-to-clear; the drive-capable bits 5-6 are storage.
      bm_status_ = uint8_t((bm_status_ & ~(kBmIntr | kBmError) & ~0x60) | (bm_status_ & ~v & (kBmIntr | kBmError)) |
                           (v & 0x60));
    } else if (r >= 4) {
      const int sh = 8 * (r - 4);
      prd_ = (prd_ & ~(0xFFu << sh)) | (uint32_t(v) << sh);
      prd_ &= ~3u;  // dword aligned
    }
  }
}

// The PRD table: 8-byte entries (address, byte count with 0 meaning 64 KiB, bit 31 of
// the second dword ends the table). Every region must be guest RAM; a table that ends
// before `bytes` is an error, one that describes more is cut at `bytes`.
bool IdeChannel::prd_iovecs(uint64_t bytes, std::vector<iovec>& out,
                            std::vector<std::pair<uint64_t, uint64_t>>& ranges) {
  uint32_t at = prd_;
  for (int n = 0; bytes > 0 && n < 8192; ++n, at += 8) {
    uint32_t e[2];
    if (!dma_->read(at, e, 8)) return false;
    const uint32_t addr = e[0] & ~1u;
    uint64_t len = e[1] & 0xFFFF;
    if (!len) len = 0x10000;
    len = std::min<uint64_t>(len, bytes);
    uint8_t* p = dma_->ram(addr, len);
    if (!p) return false;
    out.push_back({p, size_t(len)});
    ranges.emplace_back(addr, len);
    bytes -= len;
    if (e[1] & 0x80000000u) break;
  }
  return bytes == 0;
}

void IdeChannel::dma_go() {
  std::vector<iovec> iov;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  const DmaJob job = job_;
  job_.pending = false;
  // The direction the guest programmed must match the command's.
  if (!((bm_cmd_ & 0x08) != 0) == job.to_memory || !prd_iovecs(job.bytes, iov, ranges)) {
    bm_status_ |= kBmError;
    return dma_done(false);
  }
  if (job.to_memory)
    for (auto& r : ranges) dma_->written(r.first, r.second);
  if (job.from_buffer) {  // an ATAPI reply already in buf_
    size_t off = 0;
    for (const iovec& v : iov) std::memcpy(v.iov_base, buf_.data() + off, v.iov_len), off += v.iov_len;
    return dma_done(true);
  }
  busy_io_ = true;
  auto done = [this, ranges, to_memory = job.to_memory](bool ok) {
    busy_io_ = false;
    if (to_memory)
      for (auto& r : ranges) dma_->written(r.first, r.second);
    dma_done(ok);
  };
  IoQueue& q = *cur().queue;
  if (job.to_memory) q.read(job.offset, std::move(iov), std::move(done));
  else q.write(job.offset, std::move(iov), job.fua, std::move(done));
}

void IdeChannel::dma_done(bool ok) {
  bm_status_ &= uint8_t(~kBmActive);
  xfer_ = Xfer::None;
  if (cur().cdrom) {
    if (ok) atapi_done();
    else atapi_error(0x04, 0x44);  // hardware error, internal target failure
    return;
  }
  finish(ok);
}

std::string IdeChannel::dump() const {
  char b[160];
  std::snprintf(b, sizeof b, "ide%d: status %02x error %02x device %02x count %02x lba %02x%02x%02x bm %02x/%02x prd %08x",
                number_, status_, error_, device_, count_, lba_[2], lba_[1], lba_[0], bm_cmd_, bm_status_, prd_);
  return b;
}

}  // namespace rs
