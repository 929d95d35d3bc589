#include "devices/virtio_pci.h"

#include <spdlog/spdlog.h>

namespace rs {

namespace {

constexpr uint8_t kCapVendor = 0x09;
// virtio_pci_cap.cfg_type (4.1.4).
constexpr uint8_t kCapCommon = 1, kCapNotify = 2, kCapIsr = 3, kCapDevice = 4;
constexpr uint32_t kCommonLen = 0x38;  // struct virtio_pci_common_cfg
constexpr uint16_t kNoVector = 0xFFFF;  // VIRTIO_MSI_NO_VECTOR: there is no MSI-X

PciIdentity identity(uint16_t virtio_id, uint32_t class_code) {
  PciIdentity id;
  id.vendor = 0x1AF4;
  id.device = uint16_t(0x1040 + virtio_id);
  id.revision = 1;  // 4.1.2.1: a non-transitional device has revision 1 or more
  id.class_code = class_code;
  id.subsystem_vendor = 0x1AF4;
  id.subsystem = uint16_t(0x1040 + virtio_id);
  id.interrupt_pin = 1;
  id.status = 0x0200;
  return id;
}

// Replaces the low or high 32 bits of a 64-bit queue address (a driver writes them
// as two halves), or all of it with an 8-byte write.
void set_half(uint64_t& field, bool high, int size, uint64_t value) {
  if (size == 8 && !high) field = value;
  else if (high) field = (field & 0xFFFFFFFFull) | (value & 0xFFFFFFFFull) << 32;
  else field = (field & ~0xFFFFFFFFull) | (value & 0xFFFFFFFFull);
}

}  // namespace

VirtioPci::VirtioPci(uint16_t virtio_id, uint32_t class_code, DmaSpace& dma, int queues,
                     uint64_t device_features, uint32_t config_len)
    : PciDevice(identity(virtio_id, class_code)),
      dma_(dma),
      queues_(size_t(queues), Virtqueue(dma)),
      offered_(device_features | kFVersion1 | kFIndirectDesc | kFEventIdx),
      config_len_(config_len) {
  declare_bar(0, kBarSize, false);
  add_caps(config_len);
}

void VirtioPci::add_caps(uint32_t config_len) {
  auto put32 = [this](int at, uint32_t v) {
    for (int i = 0; i < 4; ++i) cfg_[at + i] = uint8_t(v >> (8 * i));
  };
  auto cap = [&](uint8_t type, uint32_t offset, uint32_t length, int len) {
    const int at = add_capability(kCapVendor, len);
    cfg_[at + 2] = uint8_t(len);
    cfg_[at + 3] = type;
    cfg_[at + 4] = 0;  // BAR 0
    put32(at + 8, offset);
    put32(at + 12, length);
    return at;
  };
  cap(kCapCommon, kCommonAt, kCommonLen, 16);
  cap(kCapIsr, kIsrAt, 1, 16);
  cap(kCapDevice, kDeviceAt, config_len, 16);
  const int notify = cap(kCapNotify, kNotifyAt, uint32_t(queues_.size()) * kNotifyMultiplier, 20);
  put32(notify + 16, kNotifyMultiplier);
}

void VirtioPci::reset() {
  PciDevice::reset();
  reset_device();
}

void VirtioPci::reset_device() {
  device_reset();
  for (Virtqueue& q : queues_) q.reset();
  accepted_ = 0;
  device_feature_select_ = driver_feature_select_ = 0;
  queue_select_ = 0;
  status_ = 0;
  isr_ = 0;
  set_intx(false);
}

uint64_t VirtioPci::bar_read(int bar, uint32_t offset, int size) {
  if (bar != 0) return floating_bus(size);
  if (offset < kIsrAt) return common_read(offset, size);
  if (offset < kDeviceAt) return offset == kIsrAt ? read_isr() : 0;
  if (offset < kNotifyAt) return offset - kDeviceAt < config_len_ ? device_config_read(offset - kDeviceAt, size) : 0;
  return 0;
}

void VirtioPci::bar_write(int bar, uint32_t offset, int size, uint64_t value) {
  if (bar != 0) return;
  if (offset < kIsrAt) return common_write(offset, size, value);
  // The driver writes the queue's index to its notification address (4.1.4.4).
  if (offset >= kNotifyAt) notify(uint32_t(value & 0xFFFF));
}

// struct virtio_pci_common_cfg (4.1.4.3) as bytes, so that any access size reads it.
uint64_t VirtioPci::common_read(uint32_t offset, int size) {
  uint8_t r[kCommonLen] = {};
  auto put = [&r](uint32_t at, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) r[at + uint32_t(i)] = uint8_t(v >> (8 * i));
  };
  put(0x00, device_feature_select_, 4);
  if (device_feature_select_ < 2) put(0x04, offered_ >> (32 * device_feature_select_), 4);
  put(0x08, driver_feature_select_, 4);
  if (driver_feature_select_ < 2) put(0x0C, accepted_ >> (32 * driver_feature_select_), 4);
  put(0x10, kNoVector, 2);
  put(0x12, queues_.size(), 2);
  r[0x14] = status_;
  r[0x15] = 0;  // config_generation: the configuration never changes
  put(0x16, queue_select_, 2);
  if (queue_select_ < queues_.size()) {  // else queue_size 0: no such queue
    const Virtqueue& q = queues_[queue_select_];
    put(0x18, q.size, 2);
    put(0x1A, kNoVector, 2);
    put(0x1C, q.enabled(), 2);
    put(0x1E, queue_select_, 2);  // queue_notify_off: queue n at n * kNotifyMultiplier
    put(0x20, q.desc, 8);
    put(0x28, q.driver, 8);
    put(0x30, q.device, 8);
  }
  uint64_t v = 0;
  for (int i = 0; i < size; ++i)
    if (offset + uint32_t(i) < kCommonLen) v |= uint64_t(r[offset + uint32_t(i)]) << (8 * i);
  return v;
}

void VirtioPci::common_write(uint32_t offset, int size, uint64_t value) {
  switch (offset) {
    case 0x00:
      device_feature_select_ = uint32_t(value);
      return;
    case 0x08:
      driver_feature_select_ = uint32_t(value);
      return;
    case 0x0C:
      // Features are fixed once FEATURES_OK is set (3.1.1).
      if (driver_feature_select_ < 2 && !(status_ & kFeaturesOk)) {
        const int sh = 32 * int(driver_feature_select_);
        accepted_ = (accepted_ & ~(0xFFFFFFFFull << sh)) | (value & 0xFFFFFFFFull) << sh;
      }
      return;
    case 0x14:
      write_status(uint8_t(value));
      return;
    case 0x16:
      queue_select_ = uint16_t(value);
      return;
    default:
      if (offset >= 0x18 && offset < kCommonLen) queue_write(offset, size, value);
      return;  // msix_config and the read-only fields
  }
}

void VirtioPci::queue_write(uint32_t offset, int size, uint64_t value) {
  if (queue_select_ >= queues_.size()) return;
  Virtqueue& q = queues_[queue_select_];
  // A queue's set-up is fixed while it is enabled; only a reset disables it (4.1.4.3.2).
  if (q.enabled()) return;
  switch (offset) {
    case 0x18:
      q.size = uint16_t(value);
      return;
    case 0x1C:
      if ((value & 1) && !q.enable(has(kFIndirectDesc), has(kFEventIdx)))
        device_error("queue " + std::to_string(queue_select_) + " enabled with a bad size or ring address");
      return;
    case 0x20:
    case 0x24:
      return set_half(q.desc, offset == 0x24, size, value);
    case 0x28:
    case 0x2C:
      return set_half(q.driver, offset == 0x2C, size, value);
    case 0x30:
    case 0x34:
      return set_half(q.device, offset == 0x34, size, value);
    default:
      return;  // queue_msix_vector (no MSI-X), queue_notify_off (read-only)
  }
}

void VirtioPci::write_status(uint8_t v) {
  if (v == 0) return reset_device();
  // The device refuses features it did not offer, and a driver that does not speak
  // virtio 1.0: FEATURES_OK then reads back clear (3.1.1).
  if ((v & kFeaturesOk) && !(status_ & kFeaturesOk))
    if ((accepted_ & ~offered_) || !(accepted_ & kFVersion1)) v = uint8_t(v & ~kFeaturesOk);
  const bool was_running = running();
  // The driver never clears a bit but by reset; NEEDS_RESET is the device's.
  status_ = uint8_t(status_ | (v & ~kNeedsReset));
  if (!was_running && running()) kick_all();
}

bool VirtioPci::running() const {
  return (status_ & (kDriverOk | kFeaturesOk | kNeedsReset)) == (kDriverOk | kFeaturesOk);
}

void VirtioPci::notify(uint32_t q) {
  if (q < queues_.size() && running() && bus_master() && queues_[q].enabled()) queue_notify(int(q));
}

void VirtioPci::kick_all() {
  for (uint32_t q = 0; q < queues_.size(); ++q) notify(q);
}

// Buffers made available while bus mastering was off are taken once it is on.
void VirtioPci::command_changed() { kick_all(); }

void VirtioPci::raise(uint8_t isr_bits) {
  isr_ = uint8_t(isr_ | isr_bits);
  set_intx(true);
}

uint8_t VirtioPci::read_isr() {
  const uint8_t v = isr_;
  isr_ = 0;
  set_intx(false);
  return v;
}

void VirtioPci::used_buffers(int q) {
  Virtqueue& vq = queue(q);
  if (vq.needs_interrupt()) raise(kIsrQueue);
  if (vq.broken()) device_error("queue " + std::to_string(q) + ": " + vq.error());
}

void VirtioPci::device_error(const std::string& why) {
  if (status_ & kNeedsReset) return;
  spdlog::warn("{}: {}; the device needs a reset", name(), why);
  status_ = uint8_t(status_ | kNeedsReset);
  if (status_ & kDriverOk) raise(kIsrConfig);
}

}  // namespace rs
