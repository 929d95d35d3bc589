#include "devices/i440fx.h"

#include <algorithm>

namespace rs {

namespace {

PciIdentity identity() {
  PciIdentity id;
  id.vendor = 0x8086;
  id.device = 0x1237;
  id.revision = 0x02;
  id.class_code = 0x060000;  // bridge, host
  id.status = 0x0280;
  id.command_writable = 0x0140;
  id.command_fixed = 0x0006;
  return id;
}

}  // namespace

I440fx::I440fx() : PciDevice(identity()) {}

void I440fx::reset() {
  PciDevice::reset();
  std::fill(cfg_ + 0x40, cfg_ + 0x100, uint8_t(0));
}

}  // namespace rs
