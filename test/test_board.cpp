// The board: devices are attached where they declare they sit, reset and timer polling
// loop over all of them, and the PC's table puts each device at its PC address.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "device_rig.h"
#include "devices/io_bus.h"
#include "devices/mmio_bus.h"
#include "platform/board.h"
#include "platform/pc.h"

namespace {

// A device at two port ranges and one memory region, with a timed part.
struct Probe : rs::Device {
  Probe(uint64_t deadline, uint16_t base, uint32_t mmio) : deadline_(deadline), base_(base), mmio_(mmio) {}
  const char* name() const override { return "probe"; }
  std::vector<rs::PortRange> ports() const override { return {{base_, 2}, {uint16_t(base_ + 0x10), 1}}; }
  std::vector<rs::MmioRange> regions() const override { return {{mmio_, 0x1000}}; }
  uint32_t in(uint16_t port, int) override { return port; }
  void out(uint16_t port, int, uint32_t v) override { last_out = uint32_t(port) << 16 | v; }
  uint64_t read(uint32_t offset, int) override { return 0xAB00 + offset; }
  void reset() override { ++resets; }
  bool timed() const override { return true; }
  void update() override { ++updates; }
  uint64_t next_deadline() const override { return deadline_; }
  bool overdue() const override { return late; }
  uint64_t deadline_;
  uint16_t base_;
  uint32_t mmio_;
  uint32_t last_out = 0;
  int resets = 0, updates = 0;
  bool late = false;
};

// A device without ports, regions or timer: attached nowhere, reset all the same.
struct Quiet : rs::Device {
  const char* name() const override { return "quiet"; }
  void reset() override { ++resets; }
  int resets = 0;
};

}  // namespace

TEST_CASE("board attaches devices by their declarations and loops over them", "[board]") {
  rs::Board b;
  auto& p = b.add<Probe>(5000, 0x300, 0xFE000000u);
  auto& p2 = b.add<Probe>(3000, 0x320, 0xFE002000u);  // a second timed device: the earliest deadline wins
  auto& q = b.add<Quiet>();
  CHECK(b.io().in(0x301, 1) == 0x301);
  CHECK(b.io().in(0x310, 1) == 0x310);
  CHECK(b.io().in(0x302, 1) == 0xFF);  // not declared: floats
  b.io().out(0x300, 1, 0x5A);
  CHECK(p.last_out == (0x300u << 16 | 0x5A));
  CHECK(b.mmio().claimed(0xFE000010u));
  CHECK(b.mmio().read(0xFE000010u, 2) == 0xAB10);
  CHECK_FALSE(b.mmio().claimed(0xFE001000u));
  CHECK(b.io().in(0x321, 1) == 0x321);
  // Two devices on one port are a wiring mistake, caught when the board is built.
  CHECK_THROWS(b.add<Probe>(0, 0x301, 0xFE004000u));
  b.reset();
  CHECK(p.resets == 1);
  CHECK(q.resets == 1);
  b.update_timers();
  CHECK(p.updates == 1);
  CHECK(p2.updates == 1);
  CHECK(b.next_deadline() == 3000);
  CHECK_FALSE(b.overdue());
  p.late = true;
  CHECK(b.overdue());
}

TEST_CASE("the PC board puts every device at its PC address", "[board]") {
  rs::Board b;
  test::RecordingBoard control;
  rs::PcDevices pc = rs::build_pc(b, control, rs::PcConfig{});
  REQUIRE(pc.pic);
  REQUIRE(pc.com1);
  auto at = [&](uint16_t port) { return std::string(b.io().at(port) ? b.io().at(port)->name() : "-"); };
  for (uint16_t port : {0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1}) CHECK(at(port) == "i8259");
  for (uint16_t port = 0x40; port <= 0x43; ++port) CHECK(at(port) == "i8254");
  CHECK(at(0x61) == "port61");
  CHECK(at(0x60) == "i8042");
  CHECK(at(0x64) == "i8042");
  CHECK(at(0x70) == "mc146818");
  CHECK(at(0x71) == "mc146818");
  CHECK(at(0x92) == "port92");
  for (uint16_t port = 0x3F8; port <= 0x3FF; ++port) CHECK(at(port) == "uart16550");
  for (uint16_t port = 0xCF8; port <= 0xCFF; ++port) CHECK(at(port) == "pci-host");
  CHECK(at(0xF4) == "debug-exit");
  CHECK(at(0x2F8) == "-");  // no COM2
  CHECK(b.mmio().claimed(0xFEB00000u));
  // The debug-exit port stops the machine through the board's control.
  b.io().out(0xF4, 1, 3);
  CHECK(control.status == 7);
  // The keyboard controller's reset line asks for a reset.
  b.io().out(0x64, 1, 0xFE);
  CHECK(control.resets == 1);
}
