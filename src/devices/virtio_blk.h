// virtio-blk (virtio 1.1, section 5.2) on the virtio PCI transport: one request queue
// of 256 entries; a request is a 16-byte header (type, reserved, sector), its data and
// a status byte, in any split across descriptors. IN, OUT and FLUSH go to the image
// through an IoQueue, so the guest's CPU runs while the host does the I/O and many
// requests are in flight; each completion puts its chain in the used ring and the
// interrupt follows on the machine thread (update()). GET_ID answers the serial.
// Offered: SEG_MAX (ring size - 2, one request per chain), BLK_SIZE (512), FLUSH (the
// host's page cache is a write-back cache: FLUSH is fdatasync), RO for a read-only
// image. Not offered: SIZE_MAX (any segment in RAM is one host range), GEOMETRY,
// TOPOLOGY, CONFIG_WCE, MQ, DISCARD, WRITE_ZEROES.
// Errors the guest sees as status IOERR: a sector range past the image's end, data not
// a multiple of 512 bytes, a header or data buffer outside guest RAM, a write to a
// read-only image, a host I/O error; other request types are UNSUPP. A chain without a
// status byte in RAM comes back with nothing written.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "block/io_queue.h"
#include "devices/virtio_pci.h"

namespace rs {

class BlockImage;

class VirtioBlk : public VirtioPci {
 public:
  static constexpr uint64_t kFSegMax = 1u << 2, kFRo = 1u << 5, kFBlkSize = 1u << 6, kFFlush = 1u << 9;
  // Request types and status values (5.2.6).
  static constexpr uint32_t kTIn = 0, kTOut = 1, kTFlush = 4, kTGetId = 8;
  static constexpr uint8_t kSOk = 0, kSIoErr = 1, kSUnsupp = 2;
  static constexpr uint32_t kSector = 512, kIdBytes = 20;

  // wake: from the I/O thread when a request has finished (the machine polls update()).
  VirtioBlk(BlockImage& image, DmaSpace& dma, std::function<void()> wake, std::string serial = {});
  const char* name() const override { return "virtio-blk"; }

  // The timed part: finished requests complete on the machine thread.
  bool timed() const override { return true; }
  void update() override;
  uint64_t next_deadline() const override { return io_.ready() ? 0 : UINT64_MAX; }
  bool overdue() const override { return io_.ready(); }
  size_t in_flight() const { return io_.in_flight(); }

  // A guest-physical byte range of a request.
  struct Piece {
    uint64_t addr;
    uint32_t len;
  };

 protected:
  uint64_t device_config_read(uint32_t offset, int size) override;
  void queue_notify(int q) override;
  void device_reset() override;

 private:
  struct Request;
  bool parse(const VirtqChain& c, Request& r);
  uint8_t start(Request& r);
  uint8_t start_io(Request& r, uint64_t sector);
  uint8_t get_id(Request& r);
  // Status byte, used ring; `written` data bytes went into the chain.
  void finish(uint16_t head, uint64_t status_at, uint32_t written, uint8_t status);

  BlockImage& image_;
  std::string serial_;
  IoQueue io_;
  uint64_t generation_ = 0;  // bumped by a reset: completions of older requests are dropped
};

}  // namespace rs
