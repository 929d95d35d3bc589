#include "devices/virtio_blk.h"

#include <algorithm>
#include <cstring>

#include "block/block_image.h"
#include "devices/dma.h"

namespace rs {

namespace {

constexpr uint16_t kVirtioBlockId = 2;
constexpr uint32_t kMassStorageOther = 0x018000;
constexpr uint32_t kConfigLen = 0x60;  // struct virtio_blk_config as of virtio 1.2
constexpr uint32_t kHeaderLen = 16;
constexpr uint8_t kPending = 0xFF;  // start(): submitted, the status comes later

uint64_t features_for(const BlockImage& image) {
  uint64_t f = VirtioBlk::kFSegMax | VirtioBlk::kFBlkSize | VirtioBlk::kFFlush;
  return image.readonly() ? f | VirtioBlk::kFRo : f;
}

}  // namespace

struct VirtioBlk::Request {
  uint16_t head = 0;
  uint32_t type = 0;
  std::vector<Piece> readable, writable;  // the chain's bytes by direction, in order
  uint64_t status = 0;                    // guest address of the status byte
  std::vector<Piece> data;                // the request's data buffers
  uint32_t written = 0;                   // bytes written into data (the used length, less status)
};

namespace {

using Pieces = std::vector<VirtioBlk::Piece>;

uint64_t total(const Pieces& in) {
  uint64_t n = 0;
  for (const auto& p : in) n += p.len;
  return n;
}

// The bytes of `in` without its first `front` and last `back` bytes.
Pieces cut(const Pieces& in, uint64_t front, uint64_t back) {
  Pieces out;
  const uint64_t all = total(in);
  if (front > all || back > all - front) return out;
  uint64_t keep = all - front - back;
  for (const auto& p : in) {
    if (keep == 0) break;
    const uint64_t skip = std::min<uint64_t>(front, p.len);
    front -= skip;
    const uint64_t n = std::min<uint64_t>(p.len - skip, keep);
    if (n) out.push_back(VirtioBlk::Piece{p.addr + skip, uint32_t(n)});
    keep -= n;
  }
  return out;
}

}  // namespace

VirtioBlk::VirtioBlk(BlockImage& image, DmaSpace& dma, std::function<void()> wake, std::string serial)
    : VirtioPci(kVirtioBlockId, kMassStorageOther, dma, 1, features_for(image), kConfigLen),
      image_(image),
      serial_(std::move(serial)),
      io_(image, std::move(wake)) {}

// struct virtio_blk_config (5.2.4) as bytes; fields of features not offered read 0.
uint64_t VirtioBlk::device_config_read(uint32_t offset, int size) {
  uint8_t c[kConfigLen] = {};
  auto put = [&c](uint32_t at, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) c[at + uint32_t(i)] = uint8_t(v >> (8 * i));
  };
  put(0x00, image_.size() / kSector, 8);         // capacity
  put(0x0C, Virtqueue::kMaxSize - 2u, 4);        // seg_max: header and status take two
  put(0x14, kSector, 4);                         // blk_size
  put(0x22, 1, 2);                               // num_queues
  uint64_t v = 0;
  for (int i = 0; i < size; ++i)
    if (offset + uint32_t(i) < kConfigLen) v |= uint64_t(c[offset + uint32_t(i)]) << (8 * i);
  return v;
}

void VirtioBlk::queue_notify(int q) {
  Virtqueue& vq = queue(q);
  VirtqChain c;
  while (vq.pop(c) == Virtqueue::Pop::Chain) {
    Request r;
    if (!parse(c, r)) {
      vq.push(c.head, 0);  // no status byte to answer in: the chain comes back untouched
      continue;
    }
    const uint8_t s = start(r);
    if (s != kPending) finish(r.head, r.status, r.written, s);
  }
  vq.publish_avail_event();
  used_buffers(q);
}

// Sorts the chain's bytes by direction and finds the status byte: the last byte the
// device may write (5.2.6: any framing of header, data and status is allowed).
bool VirtioBlk::parse(const VirtqChain& c, Request& r) {
  r.head = c.head;
  for (const VirtqBuffer& b : c.bufs) (b.device_writes ? r.writable : r.readable).push_back(Piece{b.addr, b.len});
  const uint64_t w = total(r.writable);
  if (w == 0) return false;
  r.status = cut(r.writable, w - 1, 0).front().addr;
  return dma().ram(r.status, 1) != nullptr;
}

uint8_t VirtioBlk::start(Request& r) {
  const uint64_t readable = total(r.readable);
  if (readable < kHeaderLen) return kSIoErr;
  uint8_t hdr[kHeaderLen];
  uint32_t at = 0;
  for (const Piece& p : cut(r.readable, 0, readable - kHeaderLen)) {
    if (!dma().read(p.addr, hdr + at, p.len)) return kSIoErr;
    at += p.len;
  }
  uint64_t sector = 0;
  std::memcpy(&r.type, hdr, 4);
  std::memcpy(&sector, hdr + 8, 8);
  switch (r.type) {
    case kTIn:
      r.data = cut(r.writable, 0, 1);
      return start_io(r, sector);
    case kTOut:
      r.data = cut(r.readable, kHeaderLen, 0);
      return start_io(r, sector);
    case kTFlush:
      io_.flush([this, head = r.head, at = r.status, gen = generation_](bool ok) {
        if (gen == generation_) finish(head, at, 0, ok ? kSOk : kSIoErr);
      });
      return kPending;
    case kTGetId:
      r.data = cut(r.writable, 0, 1);
      return get_id(r);
    default:
      return kSUnsupp;
  }
}

// IN and OUT: the data goes straight between the image and guest RAM (every buffer
// checked to be RAM first) on the I/O thread.
uint8_t VirtioBlk::start_io(Request& r, uint64_t sector) {
  const uint64_t len = total(r.data);
  const uint64_t sectors = image_.size() / kSector;
  if (len % kSector || sector > sectors || len / kSector > sectors - sector) return kSIoErr;
  if (r.type == kTOut && image_.readonly()) return kSIoErr;
  std::vector<iovec> iov;
  for (const Piece& p : r.data) {
    uint8_t* host = dma().ram(p.addr, p.len);
    if (!host) return kSIoErr;
    if (p.len) iov.push_back(iovec{host, p.len});
  }
  const bool in = r.type == kTIn;
  // Translated code and shadow entries on pages the read lands in go before and after.
  if (in)
    for (const Piece& p : r.data) dma().written(p.addr, p.len);
  // A read's used length counts its data; a write's only the status byte.
  const uint32_t written = in ? uint32_t(len) : 0;
  auto done = [this, head = r.head, at = r.status, landed = in ? std::move(r.data) : Pieces{}, written,
               gen = generation_](bool ok) {
    for (const Piece& p : landed) dma().written(p.addr, p.len);
    if (gen == generation_) finish(head, at, ok ? written : 0, ok ? kSOk : kSIoErr);
  };
  if (in) io_.read(sector * kSector, std::move(iov), std::move(done));
  else io_.write(sector * kSector, std::move(iov), false, std::move(done));
  return kPending;
}

uint8_t VirtioBlk::get_id(Request& r) {
  uint8_t id[kIdBytes] = {};
  std::memcpy(id, serial_.data(), std::min<size_t>(serial_.size(), kIdBytes));
  uint32_t at = 0;
  for (const Piece& p : r.data) {
    const uint32_t n = std::min(p.len, kIdBytes - at);
    if (n && !dma().write(p.addr, id + at, n)) return kSIoErr;
    at += n;
  }
  r.written = at;
  return kSOk;
}

void VirtioBlk::finish(uint16_t head, uint64_t status_at, uint32_t written, uint8_t status) {
  dma().write(status_at, &status, 1);  // parse() found it in RAM
  queue(0).push(head, written + 1);
}

void VirtioBlk::update() {
  if (!io_.ready()) return;  // the board polls every timed device often
  io_.complete();
  used_buffers(0);
}

void VirtioBlk::device_reset() {
  ++generation_;
  io_.drain();
}

}  // namespace rs
