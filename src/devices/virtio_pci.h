// The virtio PCI transport, virtio 1.0 "modern" only (OASIS virtio 1.1, section 4.1):
// vendor 1AF4h, device 1040h + the virtio device ID, revision 1, INTA#. One 16 KiB
// memory BAR (BAR 0) holds the four structures the vendor-specific capabilities point
// at: common configuration (feature negotiation, device status, queue set-up) at 0,
// the ISR status at 1000h, the device-specific configuration at 2000h and the queue
// notification addresses at 3000h (4 bytes per queue). Without MSI-X, interrupts go
// through INTx#: the ISR status (bit 0 used buffers, bit 1 configuration change) holds
// the line asserted until the driver reads it, which clears it.
//
// No legacy (0.9.5) interface: Linux has driven modern devices since 4.0, and a
// transitional device would need a second register layout in an I/O BAR, guest-endian
// fields and page-frame queue addresses. No VIRTIO_PCI_CAP_PCI_CFG window either:
// only firmware that cannot reach the BAR uses it, and this BAR is below 4 GiB.
//
// A subclass is the device: its features, its configuration, what a queue notification
// does, and what a reset drops.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "devices/pci_device.h"
#include "devices/virtqueue.h"

namespace rs {

class DmaSpace;

class VirtioPci : public PciDevice {
 public:
  // Transport feature bits (virtio 1.1, section 6).
  static constexpr uint64_t kFIndirectDesc = 1ull << 28, kFEventIdx = 1ull << 29, kFVersion1 = 1ull << 32;
  // Device status bits (2.1).
  static constexpr uint8_t kAcknowledge = 1, kDriver = 2, kDriverOk = 4, kFeaturesOk = 8, kNeedsReset = 0x40,
                           kFailed = 0x80;
  // ISR status bits.
  static constexpr uint8_t kIsrQueue = 1, kIsrConfig = 2;
  // Where the structures sit in BAR 0.
  static constexpr uint32_t kCommonAt = 0x0000, kIsrAt = 0x1000, kDeviceAt = 0x2000, kNotifyAt = 0x3000,
                            kBarSize = 0x4000, kNotifyMultiplier = 4;

  // device_features: the device's own bits; the transport adds VERSION_1, indirect
  // descriptors and event indexes. config_len: bytes of device configuration.
  VirtioPci(uint16_t virtio_id, uint32_t class_code, DmaSpace& dma, int queues, uint64_t device_features,
            uint32_t config_len);

  uint64_t bar_read(int bar, uint32_t offset, int size) override;
  void bar_write(int bar, uint32_t offset, int size, uint64_t value) override;
  void reset() override;

  uint8_t device_status() const { return status_; }
  uint64_t offered_features() const { return offered_; }
  // What the driver accepted (meaningful once FEATURES_OK is set).
  uint64_t driver_features() const { return accepted_; }
  bool has(uint64_t feature) const { return (accepted_ & feature) != 0; }
  uint8_t isr_status() const { return isr_; }

 protected:
  // Reads of the device-specific configuration, offset < config_len, size 1, 2, 4, 8.
  virtual uint64_t device_config_read(uint32_t offset, int size) = 0;
  // The driver made buffers available on queue q (the device runs, bus mastering is
  // on and the queue is enabled).
  virtual void queue_notify(int q) = 0;
  // Device reset (status 0, or the machine's): in-flight requests are dropped before
  // the queues forget their rings.
  virtual void device_reset() = 0;
  void command_changed() override;

  Virtqueue& queue(int q) { return queues_[size_t(q)]; }
  DmaSpace& dma() { return dma_; }
  // FEATURES_OK and DRIVER_OK, and not in the error state.
  bool running() const;
  // After pushing used buffers: the interrupt, if the driver wants one.
  void used_buffers(int q);
  // An error only a reset ends (a broken queue): DEVICE_NEEDS_RESET and a
  // configuration-change interrupt.
  void device_error(const std::string& why);

 private:
  void add_caps(uint32_t config_len);
  uint64_t common_read(uint32_t offset, int size);
  void common_write(uint32_t offset, int size, uint64_t value);
  void queue_write(uint32_t offset, int size, uint64_t value);
  void write_status(uint8_t v);
  void reset_device();
  void notify(uint32_t q);
  void kick_all();
  void raise(uint8_t isr_bits);
  uint8_t read_isr();

  DmaSpace& dma_;
  std::vector<Virtqueue> queues_;
  uint64_t offered_;
  uint64_t accepted_ = 0;
  uint32_t config_len_;
  uint32_t device_feature_select_ = 0, driver_feature_select_ = 0;
  uint16_t queue_select_ = 0;
  uint8_t status_ = 0;
  uint8_t isr_ = 0;
};

}  // namespace rs
