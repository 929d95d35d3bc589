// Unit tests of the 8259A PIC pair and of the 8254 PIT with port 0x61.
//
// Expected values come from the Intel 8259A and 8254 data sheets and from the PC
// wiring (master at 0x20 with vectors 0x20.., slave at 0xA0 on master IR2 with vectors
// 0x28.., PIT OUT0 on IRQ0, channel 2 gate and OUT on port 0x61 bits 0 and 5), not
// from what the models happen to return.
//
// Time: the PIT reads a fake clock. On the chip a count written at time w is loaded
// into the counting element on the next CLK falling edge, so every event happens
// somewhere between N and N + 1 clock periods after the write, depending on the phase
// of the clock. Samples are therefore taken at least two ticks away from an event;
// deadlines are compared with a tolerance of 1 us (one tick is 838 ns).
#include <catch2/catch.hpp>

#include <cstdint>

#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/port61.h"

namespace {

// ---------------------------------------------------------------------------------
// Fake clock

uint64_t g_now = 0;
uint64_t fake_now() { return g_now; }

// An arbitrary, non-zero start so that nothing relies on the clock starting at 0.
constexpr uint64_t kEpoch = 7'000'000'000'123ull;
constexpr uint64_t kHz = rs::Pit8254::kHz;

// The first nanosecond at which `ticks` whole PIT clock periods have elapsed.
uint64_t ns_of_ticks(uint64_t ticks) { return (ticks * 1000000000ull + kHz - 1) / kHz; }
// Puts the fake clock exactly on tick boundary `ticks` (counted from kEpoch).
void set_tick(uint64_t ticks) { g_now = kEpoch + ns_of_ticks(ticks); }
// The fake-clock reading of tick boundary `ticks`.
uint64_t time_of_tick(uint64_t ticks) { return kEpoch + ns_of_ticks(ticks); }

uint64_t distance(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

// ---------------------------------------------------------------------------------
// 8259A helpers

// The PC BIOS / Linux initialisation: edge triggered, cascade, ICW4 needed; master
// vectors 0x20-0x27 with a slave on IR2, slave vectors 0x28-0x2F with slave ID 2;
// ICW4 = 0x01 (8086 mode, normal EOI) unless told otherwise.
void init_pics(rs::Pic8259& pic, uint8_t icw4 = 0x01) {
  pic.out(0x20, 1, 0x11);  // ICW1
  pic.out(0x21, 1, 0x20);  // ICW2: vector base
  pic.out(0x21, 1, 0x04);  // ICW3: a slave on IR2
  pic.out(0x21, 1, icw4);  // ICW4
  pic.out(0xA0, 1, 0x11);
  pic.out(0xA1, 1, 0x28);
  pic.out(0xA1, 1, 0x02);  // ICW3: slave ID 2
  pic.out(0xA1, 1, icw4);
}

uint16_t command_port(bool slave) { return slave ? 0xA0 : 0x20; }

// OCW3 with RR=1, RIS=1, then a read: the in-service register.
uint32_t isr(rs::Pic8259& pic, bool slave = false) {
  pic.out(command_port(slave), 1, 0x0B);
  return pic.in(command_port(slave), 1);
}

// OCW3 with RR=1, RIS=0, then a read: the interrupt request register.
uint32_t irr(rs::Pic8259& pic, bool slave = false) {
  pic.out(command_port(slave), 1, 0x0A);
  return pic.in(command_port(slave), 1);
}

// OCW3 with P=1, then a read: the poll word.
uint32_t poll(rs::Pic8259& pic, bool slave = false) {
  pic.out(command_port(slave), 1, 0x0C);
  return pic.in(command_port(slave), 1);
}

void nonspecific_eoi(rs::Pic8259& pic, bool slave = false) { pic.out(command_port(slave), 1, 0x20); }

// ---------------------------------------------------------------------------------
// 8254 helpers

// Sets the clock to kEpoch before the PIT reads its epoch.
struct ClockAtEpoch {
  ClockAtEpoch() { g_now = kEpoch; }
};

// A PIC pair initialised as on a PC, the PIT on its IRQ0 and port 0x61.
struct PitRig : ClockAtEpoch {
  rs::Pic8259 pic;
  rs::Pit8254 pit{rs::IrqLine{&pic, 0}, &fake_now};
  rs::Port61 port61{pit, &fake_now};
  PitRig() { init_pics(pic); }
};

// Control word, then the count LSB and MSB (the control word must select access 3).
void program(rs::Pit8254& pit, int channel, uint8_t control, uint16_t count) {
  pit.out(0x43, 1, control);
  pit.out(uint16_t(0x40 + channel), 1, count & 0xFFu);
  pit.out(uint16_t(0x40 + channel), 1, count >> 8);
}

// Two reads of a channel in access mode 3: LSB then MSB.
uint16_t read_count(rs::Pit8254& pit, int channel) {
  uint32_t lsb = pit.in(uint16_t(0x40 + channel), 1) & 0xFF;
  uint32_t msb = pit.in(uint16_t(0x40 + channel), 1) & 0xFF;
  return uint16_t(lsb | msb << 8);
}

// Counter latch command (SC = channel, RW = 00), then LSB and MSB.
uint16_t latch_and_read(rs::Pit8254& pit, int channel) {
  pit.out(0x43, 1, uint32_t(channel) << 6);
  return read_count(pit, channel);
}

uint32_t from_bcd(uint32_t v) {
  return (v & 0xF) + ((v >> 4) & 0xF) * 10 + ((v >> 8) & 0xF) * 100 + ((v >> 12) & 0xF) * 1000;
}

// The count a mode 0/2 counter loaded with n holds e ticks after the write: n - e on
// the model's clock, n - e + 1 if the loading CLK edge comes a whole period late.
bool count_near(uint32_t value, uint64_t n, uint64_t e) { return value + e == n || value + e == n + 1; }

// The guest's side of IRQ0: every interrupt the PIT raises is acknowledged and ended
// with a non-specific EOI, and the host calls update() after each EOI as the port I/O
// path does. Returns how many IRQ0s were taken.
// Takes every IRQ0 that is due, as the run loop does: a backlog edge comes when the host
// timer fires at next_deadline() (the fake clock moves there, the gap between two).
int take_irq0s(PitRig& r) {
  int taken = 0;
  for (int guard = 0; guard < 200; ++guard) {
    r.pit.update();
    if (!r.pic.pending() && r.pit.overdue()) {
      g_now = std::max(g_now, r.pit.next_deadline());
      r.pit.update();
    }
    if (!r.pic.pending()) break;
    CHECK(r.pic.acknowledge() == 0x20);
    nonspecific_eoi(r.pic);
    ++taken;
  }
  return taken;
}

bool port61_out2(PitRig& r) { return r.port61.in(0x61, 1) & 0x20; }

// Channel 0 in mode 2 with a period of n = 1000 ticks from tick 0; at tick 1500 its
// first edge has raised IRQ0, not yet acknowledged.
void first_edge_requested(PitRig& r) {
  set_tick(0);
  program(r.pit, 0, 0x34, uint16_t(1000));
  set_tick(1500);
  r.pit.update();
  REQUIRE(r.pic.pending());
}

}  // namespace

// =================================================================================
// 8259A
// =================================================================================

TEST_CASE("8259A: ICW1-ICW4 initialise the master at base 0x20 and the slave at base 0x28 on IR2", "[pic]") {
  rs::Pic8259 pic;
  // OCW1 before initialisation; ICW1 then clears the IMR (data sheet, "Initialization
  // Command Words") and selects the IRR for the next status read.
  pic.out(0x21, 1, 0xFF);
  pic.out(0xA1, 1, 0xFF);
  pic.out(0x20, 1, 0x0B);
  init_pics(pic);
  CHECK(pic.in(0x21, 1) == 0x00);
  CHECK(pic.in(0xA1, 1) == 0x00);
  pic.set_irq(0, true);
  CHECK(pic.in(0x20, 1) == 0x01);  // the IRR, not the ISR (which is 0)
  CHECK(pic.acknowledge() == 0x20);
  pic.set_irq(0, false);
  nonspecific_eoi(pic);

  // Vectors: ICW2 gives T7-T3, the IR number T2-T0.
  pic.set_irq(6, true);
  CHECK(pic.acknowledge() == 0x26);
  pic.set_irq(6, false);
  nonspecific_eoi(pic);
  pic.set_irq(9, true);  // slave IR1 through master IR2
  CHECK(pic.acknowledge() == 0x29);
  pic.set_irq(9, false);
  nonspecific_eoi(pic, true);
  nonspecific_eoi(pic);
  CHECK(isr(pic) == 0);
  CHECK(isr(pic, true) == 0);
  CHECK_FALSE(pic.pending());
}

TEST_CASE("8259A: the IMR written with OCW1 reads back from 0x21 and 0xA1", "[pic]") {
  rs::Pic8259 pic;
  init_pics(pic);
  pic.out(0x21, 1, 0xB8);
  pic.out(0xA1, 1, 0x5A);
  CHECK(pic.in(0x21, 1) == 0xB8);
  CHECK(pic.in(0xA1, 1) == 0x5A);
  CHECK(pic.masked(3));
  CHECK_FALSE(pic.masked(2));
  CHECK(pic.masked(9));
  CHECK_FALSE(pic.masked(8));
  pic.out(0x21, 1, 0xFB);  // Linux: everything masked but the cascade
  pic.out(0xA1, 1, 0xFF);
  CHECK(pic.in(0x21, 1) == 0xFB);
  CHECK(pic.in(0xA1, 1) == 0xFF);
  // Reading the IMR does not disturb the IRR/ISR selection.
  pic.set_irq(4, true);
  CHECK(irr(pic) == 0x10);
  CHECK(pic.in(0x21, 1) == 0xFB);
  CHECK(pic.in(0x20, 1) == 0x10);
}

TEST_CASE("8259A: an IRQ0 edge is pending and acknowledges as vector 0x20 moving from IRR to ISR", "[pic]") {
  rs::Pic8259 pic;
  init_pics(pic);
  CHECK_FALSE(pic.pending());
  pic.set_irq(0, true);  // rising edge; the line stays high until after INTA
  CHECK(pic.pending());
  CHECK(pic.requested(0));
  CHECK(irr(pic) == 0x01);
  CHECK(isr(pic) == 0x00);
  CHECK(pic.acknowledge() == 0x20);
  CHECK(isr(pic) == 0x01);
  CHECK(irr(pic) == 0x00);
  CHECK_FALSE(pic.requested(0));
  CHECK_FALSE(pic.pending());
  pic.set_irq(0, false);
  nonspecific_eoi(pic);
  CHECK(isr(pic) == 0x00);
  CHECK_FALSE(pic.pending());
}

TEST_CASE("8259A: fully nested mode - while IRQ3 is in service IRQ5 waits and IRQ1 interrupts", "[pic]") {
  rs::Pic8259 pic;
  init_pics(pic);
  pic.set_irq(3, true);
  REQUIRE(pic.acknowledge() == 0x23);
  pic.set_irq(5, true);
  CHECK(pic.requested(5));
  CHECK_FALSE(pic.pending());  // lower priority than the level in service
  pic.set_irq(1, true);
  CHECK(pic.pending());        // higher priority: nests
  CHECK(pic.acknowledge() == 0x21);
  CHECK(isr(pic) == 0x0A);
  CHECK_FALSE(pic.pending());
  nonspecific_eoi(pic);        // ends IRQ1
  CHECK(isr(pic) == 0x08);
  CHECK_FALSE(pic.pending());  // IRQ3 still holds off IRQ5
  nonspecific_eoi(pic);        // ends IRQ3
  CHECK(isr(pic) == 0x00);
  CHECK(pic.pending());
  CHECK(pic.acknowledge() == 0x25);
}

TEST_CASE("8259A: non-specific EOI clears the highest-priority ISR bit", "[pic]") {
  rs::Pic8259 pic;
  init_pics(pic);
  pic.set_irq(6, true);
  REQUIRE(pic.acknowledge() == 0x26);
  pic.set_irq(4, true);
  REQUIRE(pic.acknowledge() == 0x24);
  pic.set_irq(1, true);
  REQUIRE(pic.acknowledge() == 0x21);
  REQUIRE(isr(pic) == 0x52);
  nonspecific_eoi(pic);
  CHECK(isr(pic) == 0x50);
  nonspecific_eoi(pic);
  CHECK(isr(pic) == 0x40);
  nonspecific_eoi(pic);
  CHECK(isr(pic) == 0x00);
  nonspecific_eoi(pic);  // nothing in service: no effect
  CHECK(isr(pic) == 0x00);
}

TEST_CASE("8259A: specific EOI (0x60 or n) clears exactly ISR bit n", "[pic]") {
  rs::Pic8259 pic;
  init_pics(pic);
  pic.set_irq(3, true);
  REQUIRE(pic.acknowledge() == 0x23);
  pic.set_irq(1, true);
  REQUIRE(pic.acknowledge() == 0x21);
  REQUIRE(isr(pic) == 0x0A);
  pic.out(0x20, 1, 0x63);  // the lower-priority level, not the highest
  CHECK(isr(pic) == 0x02);
  pic.out(0x20, 1, 0x65);  // a level not in service: nothing changes
  CHECK(isr(pic) == 0x02);
  pic.out(0x20, 1, 0x61);
  CHECK(isr(pic) == 0x00);
  // On the slave too.
  pic.set_irq(13, true);
  REQUIRE(pic.acknowledge() == 0x2D);
  CHECK(isr(pic, true) == 0x20);
  pic.out(0xA0, 1, 0x65);
  CHECK(isr(pic, true) == 0x00);
  pic.out(0x20, 1, 0x62);
  CHECK(isr(pic) == 0x00);
}

TEST_CASE("8259A: rotate on non-specific EOI (OCW2 0xA0) makes the level just ended the lowest", "[pic]") {
  rs::Pic8259 pic;
  init_pics(pic);
  pic.set_irq(3, true);
  REQUIRE(pic.acknowledge() == 0x23);
  pic.out(0x20, 1, 0xA0);  // priorities now 4 5 6 7 0 1 2 3
  CHECK(isr(pic) == 0x00);
  pic.set_irq(1, true);
  pic.set_irq(6, true);
  CHECK(pic.acknowledge() == 0x26);
  pic.out(0x20, 1, 0xA0);  // priorities now 7 0 1 ... 6
  CHECK(pic.acknowledge() == 0x21);
}

TEST_CASE("8259A: a masked IRQ stays in IRR without being pending and unmasking makes it pending", "[pic]") {
  rs::Pic8259 pic;
  init_pics(pic);
  pic.out(0x21, 1, 0x10);
  pic.set_irq(4, true);
  CHECK(pic.requested(4));
  CHECK(irr(pic) == 0x10);
  CHECK_FALSE(pic.pending());
  pic.out(0x21, 1, 0x00);
  CHECK(pic.pending());
  CHECK(pic.acknowledge() == 0x24);
  nonspecific_eoi(pic);

  // A slave mask, then the cascade input masked on the master.
  pic.out(0xA1, 1, 0x04);
  pic.set_irq(10, true);
  CHECK(pic.requested(10));
  CHECK_FALSE(pic.pending());
  pic.out(0x21, 1, 0x04);
  pic.out(0xA1, 1, 0x00);
  CHECK_FALSE(pic.pending());
  pic.out(0x21, 1, 0x00);
  CHECK(pic.pending());
  CHECK(pic.acknowledge() == 0x2A);
}

TEST_CASE("8259A: slave IRQ 10 acknowledges as 0x2A with ISR bit 2 set on master and slave", "[pic]") {
  rs::Pic8259 pic;
  init_pics(pic);
  pic.set_irq(10, true);
  CHECK(pic.requested(10));
  CHECK(pic.pending());
  CHECK(pic.acknowledge() == 0x2A);
  CHECK(isr(pic) == 0x04);
  CHECK(isr(pic, true) == 0x04);
  CHECK(irr(pic, true) == 0x00);
  CHECK_FALSE(pic.requested(10));
  CHECK_FALSE(pic.pending());

  // Fully nested (not special fully nested) mode: master IR2 in service blocks the
  // whole slave, even its higher-priority IRQ 8, and master IR3-7; IRQ1 still nests.
  pic.set_irq(8, true);
  CHECK(pic.requested(8));
  CHECK_FALSE(pic.pending());
  pic.set_irq(3, true);
  CHECK_FALSE(pic.pending());
  pic.set_irq(1, true);
  CHECK(pic.acknowledge() == 0x21);
  nonspecific_eoi(pic);
  CHECK(isr(pic) == 0x04);

  // The EOIs: slave first, then master; IRQ 8 then comes, IRQ 3 after it.
  pic.set_irq(10, false);
  nonspecific_eoi(pic, true);
  CHECK(isr(pic, true) == 0x00);
  CHECK_FALSE(pic.pending());
  nonspecific_eoi(pic);
  CHECK(isr(pic) == 0x00);
  CHECK(pic.acknowledge() == 0x28);
  nonspecific_eoi(pic, true);
  nonspecific_eoi(pic);
  CHECK(pic.acknowledge() == 0x23);
}

TEST_CASE("8259A: spurious - acknowledge with nothing pending returns base+7 and sets no ISR bit", "[pic]") {
  rs::Pic8259 pic;
  init_pics(pic);
  CHECK_FALSE(pic.pending());
  CHECK(pic.acknowledge() == 0x27);
  CHECK(isr(pic) == 0x00);
  CHECK(isr(pic, true) == 0x00);

  // A level request that goes away before the INTA gives the same default IR7.
  pic.out(0x4D0, 1, 0x20);
  pic.set_irq(5, true);
  CHECK(pic.pending());
  pic.set_irq(5, false);
  CHECK(pic.acknowledge() == 0x27);
  CHECK(isr(pic) == 0x00);
  nonspecific_eoi(pic);  // a handler that EOIs anyway does no harm

  // A real IRQ7 does set ISR bit 7, which is how a handler tells the two apart.
  pic.set_irq(7, true);
  CHECK(pic.acknowledge() == 0x27);
  CHECK(isr(pic) == 0x80);
}

TEST_CASE("8259A: auto-EOI mode (ICW4 bit 1) leaves ISR clear after acknowledge", "[pic]") {
  rs::Pic8259 pic;
  init_pics(pic, 0x03);
  pic.set_irq(3, true);
  CHECK(pic.acknowledge() == 0x23);
  CHECK(isr(pic) == 0x00);
  pic.set_irq(5, true);  // lower priority, yet no EOI is needed
  CHECK(pic.pending());
  CHECK(pic.acknowledge() == 0x25);
  CHECK(isr(pic) == 0x00);
  pic.set_irq(12, true);
  CHECK(pic.acknowledge() == 0x2C);
  CHECK(isr(pic) == 0x00);
  CHECK(isr(pic, true) == 0x00);
}

TEST_CASE("8259A: in edge mode a line held high does not re-trigger until it goes low and high again", "[pic]") {
  rs::Pic8259 pic;
  init_pics(pic);
  pic.set_irq(0, true);
  REQUIRE(pic.acknowledge() == 0x20);
  nonspecific_eoi(pic);
  pic.set_irq(0, true);  // still high: no new edge
  CHECK_FALSE(pic.requested(0));
  CHECK_FALSE(pic.pending());
  pic.set_irq(0, false);
  CHECK_FALSE(pic.pending());
  pic.set_irq(0, true);
  CHECK(pic.requested(0));
  CHECK(pic.pending());
  CHECK(pic.acknowledge() == 0x20);
}

TEST_CASE("8259A: ELCR level mode keeps IRR following the line and re-interrupts after EOI", "[pic]") {
  rs::Pic8259 pic;
  init_pics(pic);
  pic.out(0x4D0, 1, 0x20);  // IRQ 5 level triggered
  pic.out(0x4D1, 1, 0x08);  // IRQ 11 level triggered
  CHECK(pic.in(0x4D0, 1) == 0x20);
  CHECK(pic.in(0x4D1, 1) == 0x08);

  pic.set_irq(5, true);
  CHECK(pic.requested(5));
  CHECK(pic.pending());
  pic.set_irq(5, false);
  CHECK_FALSE(pic.requested(5));
  CHECK_FALSE(pic.pending());
  pic.set_irq(5, true);
  CHECK(pic.acknowledge() == 0x25);
  CHECK(pic.requested(5));      // the line is still high
  CHECK_FALSE(pic.pending());   // but it is in service
  nonspecific_eoi(pic);
  CHECK(pic.pending());         // still asserted after the EOI: interrupts again
  CHECK(pic.acknowledge() == 0x25);
  pic.set_irq(5, false);        // the handler quiets the device, then EOIs
  nonspecific_eoi(pic);
  CHECK_FALSE(pic.requested(5));
  CHECK_FALSE(pic.pending());

  pic.set_irq(11, true);
  CHECK(pic.acknowledge() == 0x2B);
  CHECK(pic.requested(11));
  nonspecific_eoi(pic, true);
  nonspecific_eoi(pic);
  CHECK(pic.pending());
  CHECK(pic.acknowledge() == 0x2B);
  pic.set_irq(11, false);
  nonspecific_eoi(pic, true);
  nonspecific_eoi(pic);
  CHECK_FALSE(pic.requested(11));
  CHECK_FALSE(pic.pending());
}

TEST_CASE("8259A: poll command (OCW3 bit 2) reads 0x80 or irq and puts the request in service", "[pic]") {
  rs::Pic8259 pic;
  init_pics(pic);
  CHECK((poll(pic) & 0x80) == 0);  // no request: I = 0
  pic.set_irq(6, true);
  pic.set_irq(3, true);
  CHECK(poll(pic) == 0x83);
  CHECK(pic.in(0x20, 1) == 0x40);  // the poll lasts for one read; then the IRR again
  CHECK(isr(pic) == 0x08);
  CHECK(irr(pic) == 0x40);
  nonspecific_eoi(pic);
  CHECK(poll(pic) == 0x86);
  CHECK(isr(pic) == 0x40);
  nonspecific_eoi(pic);
  CHECK((poll(pic) & 0x80) == 0);
  CHECK(isr(pic) == 0x00);
}

// The master's RD pulse reaches only the master (CS selects one chip); the slave's IS
// bit can only be set by polling the slave itself.
TEST_CASE("8259A: polling the master for a slave request returns 0x82 and leaves the slave to be polled", "[pic]") {
  rs::Pic8259 pic;
  init_pics(pic);
  pic.set_irq(10, true);
  CHECK(poll(pic) == 0x82);
  CHECK(isr(pic) == 0x04);
  CHECK(irr(pic, true) == 0x04);
  CHECK(isr(pic, true) == 0x00);
  CHECK(poll(pic, true) == 0x82);
  CHECK(isr(pic, true) == 0x04);
}

// =================================================================================
// 8254
// =================================================================================

TEST_CASE("8254 mode 2: IRQ0 edges number floor(elapsed/N) and next_deadline() names the next edge", "[pit]") {
  PitRig r;
  const uint64_t n = 1000, load = 100;
  set_tick(load);
  program(r.pit, 0, 0x34, uint16_t(n));  // channel 0, LSB/MSB, mode 2, binary
  CHECK(distance(r.pit.next_deadline(), time_of_tick(load + n)) <= 1000);
  // Each step crosses at most one edge and stays at least 2 ticks from one.
  int total = 0;
  for (uint64_t e : {300, 1200, 1800, 2500, 3100, 3990, 4005, 5500, 9700}) {
    set_tick(load + e);
    total += take_irq0s(r);
    INFO("elapsed ticks " << e);
    CHECK(uint64_t(total) == e / n);
    CHECK(distance(r.pit.next_deadline(), time_of_tick(load + (e / n + 1) * n)) <= 1000);
  }
}

// The run loop arms its host timer at next_deadline(): the edge must be due by then
// (else the timer fires for nothing) and not long before (else it is late).
TEST_CASE("8254 mode 2: update() at next_deadline() delivers the edge and 1 us earlier does not", "[pit]") {
  PitRig r;
  set_tick(37);
  program(r.pit, 0, 0x34, 11932);  // about 100 Hz, as Linux uses
  for (int k = 0; k < 4; ++k) {
    uint64_t d = r.pit.next_deadline();
    REQUIRE(d != UINT64_MAX);
    g_now = d - 1000;
    CHECK(take_irq0s(r) == 0);
    g_now = d;
    CHECK(take_irq0s(r) == 1);
    CHECK(r.pit.next_deadline() > d);
  }
}

TEST_CASE("8254 mode 2: the counter read LSB then MSB counts down and stays within 1..N", "[pit]") {
  PitRig r;
  const uint64_t n = 10000, load = 5;
  set_tick(load);
  program(r.pit, 0, 0x34, uint16_t(n));
  uint32_t previous = n + 1;
  for (uint64_t e : {1, 2, 500, 5000, 9990, 9998}) {
    set_tick(load + e);
    uint32_t v = read_count(r.pit, 0);
    INFO("elapsed ticks " << e << " count " << v);
    CHECK(count_near(v, n, e));
    CHECK(v < previous);
    previous = v;
  }
  for (uint64_t e : {9999, 10000, 10001, 10002, 15000, 19999, 20000, 20001}) {
    set_tick(load + e);
    uint32_t v = read_count(r.pit, 0);
    INFO("elapsed ticks " << e << " count " << v);
    CHECK(v >= 1);
    CHECK(v <= n);
    if (e % n != 0) CHECK(count_near(v, n, e % n));
  }
}

TEST_CASE("8254: the counter latch command freezes the count until both bytes are read", "[pit]") {
  PitRig r;
  const uint64_t n = 10000;
  set_tick(0);
  program(r.pit, 0, 0x34, uint16_t(n));
  set_tick(1234);
  r.pit.out(0x43, 1, 0x00);  // latch channel 0
  set_tick(1734);
  uint32_t lsb = r.pit.in(0x40, 1);
  set_tick(2234);
  uint32_t msb = r.pit.in(0x40, 1);
  CHECK(count_near(lsb | msb << 8, n, 1234));
  // Both bytes read: the next read follows the counter again.
  CHECK(count_near(read_count(r.pit, 0), n, 2234));

  // A second latch before the first is read is ignored.
  set_tick(3000);
  r.pit.out(0x43, 1, 0x00);
  set_tick(3500);
  r.pit.out(0x43, 1, 0x00);
  set_tick(3600);
  CHECK(count_near(read_count(r.pit, 0), n, 3000));
  set_tick(4000);
  CHECK(count_near(latch_and_read(r.pit, 0), n, 4000));
}

TEST_CASE("8254: read-back returns the status byte (OUT null-count access mode BCD) then the latched count", "[pit]") {
  PitRig r;
  set_tick(0);
  r.pit.out(0x43, 1, 0x34);  // control word only: mode 2 OUT is high, null count set
  r.pit.out(0x43, 1, 0xE2);  // read-back: status of channel 0
  CHECK(r.pit.in(0x40, 1) == 0xF4);
  r.pit.out(0x40, 1, 0x10);
  r.pit.out(0x40, 1, 0x27);  // 10000
  set_tick(10);
  r.pit.out(0x43, 1, 0xC2);  // read-back: count and status of channel 0
  set_tick(500);
  CHECK(r.pit.in(0x40, 1) == 0xB4);  // OUT 1, count loaded, LSB/MSB, mode 2, binary
  CHECK(count_near(read_count(r.pit, 0), 10000, 10));

  // Channel 2, mode 0, BCD, gate high: OUT low until the terminal count.
  r.port61.out(0x61, 1, 0x01);
  set_tick(1000);
  r.pit.out(0x43, 1, 0xB1);
  r.pit.out(0x43, 1, 0xE8);  // read-back: status of channel 2 only
  CHECK(r.pit.in(0x42, 1) == 0x71);
  r.pit.out(0x42, 1, 0x00);
  r.pit.out(0x42, 1, 0x01);  // BCD 100
  set_tick(1010);
  r.pit.out(0x43, 1, 0xE8);
  CHECK(r.pit.in(0x42, 1) == 0x31);
  set_tick(1200);
  r.pit.out(0x43, 1, 0xE8);
  CHECK(r.pit.in(0x42, 1) == 0xB1);
  // Access mode 1 and 2 show in bits 5-4.
  r.pit.out(0x43, 1, 0x54);  // channel 1, LSB only, mode 2
  r.pit.out(0x41, 1, 18);
  set_tick(1205);
  r.pit.out(0x43, 1, 0xE4);
  CHECK(r.pit.in(0x41, 1) == 0x94);
}

// Data sheet, read-back status: bits D5-D0 hold the mode "exactly as written in the
// last Mode Control Word"; mode 6 (M = 110) behaves as mode 2 but reads back as 110.
TEST_CASE("8254: the read-back status reports the mode bits exactly as written (mode 6 counts as mode 2)", "[pit]") {
  PitRig r;
  set_tick(0);
  program(r.pit, 0, 0x3C, 1000);  // channel 0, LSB/MSB, M = 110
  set_tick(10);
  r.pit.out(0x43, 1, 0xE2);
  CHECK(r.pit.in(0x40, 1) == 0xBC);
  set_tick(1500);
  CHECK(take_irq0s(r) == 1);  // a rate generator all the same
}

TEST_CASE("8254 mode 0: OUT is low after programming and goes high after N ticks with exactly one IRQ0", "[pit]") {
  PitRig r;
  const uint64_t n = 2000, load = 50;
  set_tick(load);
  r.pit.out(0x43, 1, 0x30);  // channel 0, LSB/MSB, mode 0
  CHECK_FALSE(r.pit.output(0));
  r.pit.out(0x40, 1, n & 0xFF);
  CHECK_FALSE(r.pit.output(0));
  r.pit.out(0x40, 1, n >> 8);
  CHECK_FALSE(r.pit.output(0));
  CHECK(distance(r.pit.next_deadline(), time_of_tick(load + n)) <= 1000);
  set_tick(load + n - 2);
  CHECK_FALSE(r.pit.output(0));
  CHECK(take_irq0s(r) == 0);
  set_tick(load + n + 2);
  CHECK(r.pit.output(0));
  CHECK(take_irq0s(r) == 1);
  CHECK(r.pit.next_deadline() == UINT64_MAX);
  for (uint64_t e : {3 * n, n + 65536, n + 70000, 10 * n + 65536 * 3}) {
    set_tick(load + e);
    CHECK(r.pit.output(0));  // stays high; the wrapped counter gives no new edge
    CHECK(take_irq0s(r) == 0);
  }
}

TEST_CASE("8254 mode 3: square wave of period N with one IRQ0 edge per period", "[pit]") {
  PitRig r;
  const uint64_t n = 1000, load = 3;
  set_tick(load);
  program(r.pit, 0, 0x36, uint16_t(n));  // channel 0, LSB/MSB, mode 3
  CHECK(r.pit.output(0));
  int total = 0;
  for (uint64_t k = 0; k < 5; ++k) {
    set_tick(load + k * n + 100);
    INFO("period " << k);
    CHECK(r.pit.output(0));  // high for the first half
    uint32_t v = read_count(r.pit, 0);
    CHECK(v % 2 == 0);       // even count: decrements by two
    CHECK(v >= n - 200);
    CHECK(v <= n - 198);
    set_tick(load + k * n + 250);
    total += take_irq0s(r);
    CHECK(uint64_t(total) == k);
    CHECK(distance(r.pit.next_deadline(), time_of_tick(load + (k + 1) * n)) <= 1000);
    set_tick(load + k * n + 600);
    CHECK_FALSE(r.pit.output(0));  // low for the second half
  }
}

TEST_CASE("8254: a count of 0 means 65536 in binary", "[pit]") {
  PitRig r;
  const uint64_t load = 20;
  set_tick(load);
  program(r.pit, 0, 0x34, 0);
  CHECK(distance(r.pit.next_deadline(), time_of_tick(load + 65536)) <= 1000);
  set_tick(load + 1000);
  CHECK(count_near(read_count(r.pit, 0), 65536, 1000));
  set_tick(load + 65534);
  CHECK(take_irq0s(r) == 0);
  set_tick(load + 65538);
  CHECK(take_irq0s(r) == 1);
  set_tick(load + 2 * 65536 - 2);
  CHECK(take_irq0s(r) == 0);
  set_tick(load + 2 * 65536 + 2);
  CHECK(take_irq0s(r) == 1);
}

TEST_CASE("8254 BCD mode: a count of 0x1000 is 1000 ticks", "[pit]") {
  PitRig r;
  const uint64_t load = 0;
  set_tick(load);
  program(r.pit, 0, 0x35, 0x1000);  // channel 0, LSB/MSB, mode 2, BCD
  set_tick(load + 250);
  uint32_t v = read_count(r.pit, 0);
  INFO("count read 0x" << std::hex << v);
  CHECK((v & 0xF) <= 9);
  CHECK(((v >> 4) & 0xF) <= 9);
  CHECK(((v >> 8) & 0xF) <= 9);
  CHECK(count_near(from_bcd(v), 1000, 250));
  CHECK(take_irq0s(r) == 0);
  set_tick(load + 1500);
  CHECK(take_irq0s(r) == 1);
  set_tick(load + 2500);
  CHECK(take_irq0s(r) == 1);
  CHECK(distance(r.pit.next_deadline(), time_of_tick(load + 3000)) <= 1000);
}

TEST_CASE("8254 channel 2 on port 0x61: bit 0 gates it and bit 5 reads its OUT in mode 0", "[pit]") {
  PitRig r;
  const uint64_t n = 1000;
  set_tick(0);
  r.port61.out(0x61, 1, 0x00);
  CHECK((r.port61.in(0x61, 1) & 0x01) == 0);
  program(r.pit, 2, 0xB0, uint16_t(n));  // channel 2, LSB/MSB, mode 0, gate low
  CHECK_FALSE(port61_out2(r));
  set_tick(5000);
  CHECK_FALSE(port61_out2(r));  // gate low: not counting
  r.port61.out(0x61, 1, 0x01);
  CHECK((r.port61.in(0x61, 1) & 0x01) == 1);
  CHECK(r.pit.gate(2));
  set_tick(5000 + n - 2);
  CHECK_FALSE(port61_out2(r));
  set_tick(5000 + n + 3);
  CHECK(port61_out2(r));
  CHECK(r.pit.output(2));

  // The calibration loop of Linux and others: gate on, speaker off, program, spin on bit 5.
  set_tick(10000);
  r.port61.out(0x61, 1, 0x01);
  program(r.pit, 2, 0xB0, 2000);
  CHECK_FALSE(port61_out2(r));
  set_tick(10000 + 1998);
  CHECK_FALSE(port61_out2(r));
  set_tick(10000 + 2002);
  CHECK(port61_out2(r));

  // Bit 1 (speaker data) reads back.
  r.port61.out(0x61, 1, 0x03);
  CHECK((r.port61.in(0x61, 1) & 0x03) == 0x03);
}

TEST_CASE("8254 mode 0: gate low pauses counting and gate high resumes it", "[pit]") {
  PitRig r;
  const uint64_t n = 1000;
  set_tick(0);
  r.port61.out(0x61, 1, 0x01);
  program(r.pit, 2, 0xB0, uint16_t(n));
  set_tick(400);
  CHECK(count_near(latch_and_read(r.pit, 2), n, 400));
  r.port61.out(0x61, 1, 0x00);  // pause with about 600 left
  set_tick(3000);
  CHECK_FALSE(port61_out2(r));
  uint16_t held = latch_and_read(r.pit, 2);
  CHECK(held >= n - 401);
  CHECK(held <= n - 398);
  set_tick(3500);
  CHECK(latch_and_read(r.pit, 2) == held);
  CHECK_FALSE(port61_out2(r));
  r.port61.out(0x61, 1, 0x01);  // resume
  set_tick(3500 + 600 - 3);
  CHECK_FALSE(port61_out2(r));
  set_tick(3500 + 600 + 3);
  CHECK(port61_out2(r));
}

TEST_CASE("8254: IRQ0 edges that come while IRQ0 is still requested are lost", "[pit]") {
  PitRig r;
  first_edge_requested(r);
  // Five more periods pass; the guest does not acknowledge (interrupts disabled).
  for (uint64_t e : {2500, 3500, 4500, 5500, 6500}) {
    set_tick(e);
    r.pit.update();
    CHECK(r.pic.requested(0));
  }
  CHECK(r.pic.acknowledge() == 0x20);
  nonspecific_eoi(r.pic);
  CHECK(take_irq0s(r) == 0);  // the edges at 2000..6000 merged into the one request
  set_tick(7500);
  CHECK(take_irq0s(r) == 1);

  // The same with the host looking only once, late: still one interrupt.
  set_tick(8500);
  r.pit.update();
  REQUIRE(r.pic.requested(0));
  set_tick(13500);
  r.pit.update();
  CHECK(take_irq0s(r) == 1);
  CHECK(take_irq0s(r) == 0);

  // A masked IRQ0 latches one request too; the rest are lost.
  r.pic.out(0x21, 1, 0x01);
  set_tick(14500);
  r.pit.update();
  set_tick(17500);
  r.pit.update();
  CHECK(r.pic.requested(0));
  CHECK_FALSE(r.pic.pending());
  r.pic.out(0x21, 1, 0x00);
  CHECK(take_irq0s(r) == 1);
}

TEST_CASE("8254: after an acknowledge edges that pile up before a late update() come one per acknowledge, 50 us apart", "[pit]") {
  PitRig r;
  const uint64_t n = 1000;
  set_tick(0);
  program(r.pit, 0, 0x34, uint16_t(n));
  set_tick(1500);
  REQUIRE(take_irq0s(r) == 1);
  // The guest has acknowledged; the host runs update() only three periods later.
  set_tick(4500);
  int delivered = 0;
  for (int guard = 0; guard < 10; ++guard) {
    r.pit.update();
    if (!r.pic.pending()) break;
    CHECK(r.pic.acknowledge() == 0x20);
    CHECK_FALSE(r.pic.pending());  // one at a time
    nonspecific_eoi(r.pic);
    ++delivered;
    // The guest gets time between two: the next one comes 50 us later (at most 61 ticks),
    // when the run loop's timer fires.
    const uint64_t at = g_now;
    r.pit.update();
    CHECK_FALSE(r.pic.pending());
    if (!r.pit.overdue()) break;
    CHECK(r.pit.next_deadline() > at);
    CHECK(r.pit.next_deadline() - at <= ns_of_ticks(61));
    g_now = r.pit.next_deadline();
  }
  CHECK(delivered == 3);
  CHECK(distance(r.pit.next_deadline(), time_of_tick(5000)) <= 1000);
  set_tick(5500);
  CHECK(take_irq0s(r) == 1);
}

// Data sheet, mode 2: "Writing a new count while counting does not affect the current
// counting sequence ... the new count will be loaded at the end of the current counting
// cycle." (Only a gate trigger loads it sooner; channel 0's gate is tied high.)
TEST_CASE("8254 mode 2: a new count written while counting takes effect at the end of the current period", "[pit]") {
  PitRig r;
  set_tick(0);
  program(r.pit, 0, 0x34, 1000);
  set_tick(300);
  r.pit.out(0x40, 1, 500 & 0xFF);  // new count 500, no control word
  r.pit.out(0x40, 1, 500 >> 8);
  set_tick(600);
  CHECK(count_near(read_count(r.pit, 0), 1000, 600));
  set_tick(900);
  CHECK(take_irq0s(r) == 0);  // the 1000-tick period is still running
  set_tick(1100);
  CHECK(take_irq0s(r) == 1);
  CHECK(count_near(read_count(r.pit, 0), 500, 100));
  set_tick(1400);
  CHECK(take_irq0s(r) == 0);
  set_tick(1600);
  CHECK(take_irq0s(r) == 1);
  set_tick(2100);
  CHECK(take_irq0s(r) == 1);
}

TEST_CASE("8254: a backlog waiting behind a requested IRQ0 sets no timer of its own", "[pit]") {
  // IRQ0 raised and not acknowledged (the guest has interrupts off): the backlog can only
  // go after the EOI, whose port write runs update(); a deadline at the backlog's gap
  // would wake the run loop every 50 us for nothing.
  PitRig r;
  first_edge_requested(r);
  CHECK(r.pic.acknowledge() == 0x20);
  nonspecific_eoi(r.pic);
  set_tick(4500);  // three edges late: the first goes out, two wait
  r.pit.update();
  REQUIRE(r.pic.pending());
  REQUIRE(r.pit.overdue());
  CHECK(distance(r.pit.next_deadline(), time_of_tick(5000)) <= 1000);  // the next edge, not the gap
  CHECK(r.pic.acknowledge() == 0x20);
  nonspecific_eoi(r.pic);
  r.pit.update();  // within the gap: nothing yet, and now the gap is the deadline
  CHECK_FALSE(r.pic.pending());
  CHECK(r.pit.next_deadline() < time_of_tick(4500) + 50001);
}
