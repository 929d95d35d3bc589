// One IDE channel of the PIIX IDE controller (piix_ide.h): its task file, the two
// drives on it (an ATA hard disk or an ATAPI CD-ROM each), PIO and bus-master DMA
// transfers and the channel's interrupt line, as ATA/ATAPI-6 (T13 1410D) and the PIIX
// data sheet's bus-master section describe them. The ATA commands are in
// ata_commands.cpp, the ATAPI packet commands in atapi.cpp.
//
// Disk data moves on an I/O thread (block/io_queue.h): a command that needs the image
// keeps BSY set until its completion runs on the machine thread.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "block/io_queue.h"
#include "devices/device.h"

namespace rs {

class DmaSpace;

class IdeChannel {
 public:
  // Status register bits.
  static constexpr uint8_t kBsy = 0x80, kDrdy = 0x40, kDf = 0x20, kDsc = 0x10, kDrq = 0x08, kErr = 0x01;
  // Error register bits.
  static constexpr uint8_t kAbrt = 0x04, kIdnf = 0x10, kUnc = 0x40;
  // Bus-master status bits (PIIX BMISX).
  static constexpr uint8_t kBmActive = 0x01, kBmError = 0x02, kBmIntr = 0x04;

  // master_enabled: the PCI function's bus master enable (without it DMA never starts).
  IdeChannel(int number, IrqLine irq, DmaSpace* dma, std::function<void()> wake, std::function<bool()> master_enabled);
  ~IdeChannel();
  // A drive on unit 0 (master) or 1 (slave); images of CDs have 2048-byte sectors.
  void attach(int unit, BlockImage* image, bool cdrom);

  // The command block registers 0-7 (the data register at 0 takes 2 or 4 bytes).
  uint32_t read(int reg, int size);
  void write(int reg, int size, uint32_t value);
  // The control block: alternate status (no interrupt acknowledge) and device control.
  uint8_t alt_status() const;
  void control(uint8_t value);
  // The channel's bus-master registers: 0 command, 2 status, 4-7 PRD table address.
  uint32_t bm_read(int reg, int size) const;
  void bm_write(int reg, int size, uint32_t value);

  void reset();  // power-on
  bool ready() const;    // disk completions wait for complete()
  void complete();
  std::string dump() const;

 private:
  struct Drive {
    BlockImage* image = nullptr;
    std::unique_ptr<IoQueue> queue;
    bool cdrom = false;
    uint64_t sectors = 0;       // of 512 bytes (disk) or 2048 bytes (CD)
    uint8_t multiple = 0;       // sectors per DRQ block of READ/WRITE MULTIPLE (0: off)
    uint8_t sense_key = 0, asc = 0;  // ATAPI: the last CHECK CONDITION's sense
    bool present() const { return image != nullptr; }
  };
  enum class Xfer { None, PioIn, PioOut, Packet, AtapiIn, Dma };
  // What a DMA command moves once the bus master is started.
  struct DmaJob {
    bool pending = false, to_memory = false, fua = false, from_buffer = false;
    uint64_t offset = 0, bytes = 0;
  };

  Drive& cur() { return drive_[(device_ >> 4) & 1]; }
  const Drive& cur() const { return drive_[(device_ >> 4) & 1]; }
  uint8_t status() const;
  void set_irq(bool on);
  void soft_reset();
  void signature();

  // ata_commands.cpp
  void command(uint8_t cmd);
  bool ata_command(uint8_t cmd);
  bool settings_command(uint8_t cmd, bool ext);
  void identify(bool packet);
  uint64_t lba(bool ext) const;
  uint32_t count(bool ext) const;
  void set_lba(uint64_t v, bool ext);
  bool past_end(uint64_t lba, uint32_t n);
  void start_pio_read(uint64_t lba, uint32_t n, int block);
  void start_pio_write(uint64_t lba, uint32_t n, int block);
  void start_dma(uint64_t lba, uint32_t n, bool write, bool fua);
  void fill_pio_read();
  void pio_block_done();
  void write_out();
  void flush_cache();
  void finish(bool ok, uint8_t error = kAbrt);

  // atapi.cpp
  void packet(uint8_t cmd_byte);
  void atapi_command();
  void atapi_reply(const uint8_t* data, size_t len, size_t alloc);
  void atapi_read(uint32_t lba, uint32_t n);
  void atapi_fill();
  void atapi_next_chunk();
  void atapi_done();
  void atapi_error(uint8_t key, uint8_t asc);
  void mode_sense(const uint8_t* cdb);
  void read_toc(const uint8_t* cdb);
  void get_configuration(const uint8_t* cdb);

  // the data register and the bus master
  uint32_t data_in(int size);
  void data_out(int size, uint32_t v);
  void dma_go();
  bool prd_iovecs(uint64_t bytes, std::vector<iovec>& out, std::vector<std::pair<uint64_t, uint64_t>>& ranges);
  void dma_done(bool ok);

  const int number_;
  IrqLine irq_;
  DmaSpace* dma_;
  std::function<void()> wake_;
  std::function<bool()> master_enabled_;
  Drive drive_[2];

  // The task file, with the "previous" bytes of the 48-bit commands (HOB).
  uint8_t feature_ = 0, hob_feature_ = 0, count_ = 0, hob_count_ = 0;
  uint8_t lba_[3] = {}, hob_lba_[3] = {};
  uint8_t device_ = 0, status_ = 0, error_ = 0, control_ = 0;
  bool intrq_ = false;

  // The transfer in progress.
  Xfer xfer_ = Xfer::None;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0, block_end_ = 0, filled_ = 0;  // bytes read/written, end of this DRQ block, bytes in buf_
  uint64_t next_lba_ = 0;     // PIO: the first sector not yet in buf_ (read) or on the image (write)
  uint32_t left_ = 0;         // PIO: sectors not yet moved to or from buf_ ; ATAPI: sectors not yet read
  int block_ = 1;             // PIO: sectors per DRQ block
  bool busy_io_ = false;      // a disk request of this channel is in flight
  uint32_t atapi_limit_ = 0;  // ATAPI PIO: the byte count limit of the PACKET command
  bool atapi_dma_ = false;
  DmaJob job_;

  // Bus master.
  uint8_t bm_cmd_ = 0, bm_status_ = 0;
  uint32_t prd_ = 0;
};

}  // namespace rs
