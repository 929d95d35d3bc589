// The CPU helpers (src/cpu) against a fake GuestEnv: flat memory (linear = physical),
// recorded port accesses and raised events. No Machine, translator or page tables.
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <vector>

#include "cpu/cpu_state.h"
#include "cpu/guest_env.h"
#include "cpu/helpers.h"
#include "cpu/interrupts.h"
#include "decoder/decoder.h"
#include "profile.h"

namespace {

struct FakeEnv : rs::GuestEnv {
  std::vector<uint8_t> ram = std::vector<uint8_t>(1u << 20);
  struct PortAccess {
    bool out;
    uint16_t port;
    int size;
    uint32_t value;
  };
  std::vector<PortAccess> ports;
  uint32_t next_in = 0;
  struct Event {
    int vector;
    rs::EventKind kind;
    uint32_t error;
  };
  std::vector<Event> events;
  int ferr = 0, segment_changes = 0;
  std::unique_ptr<rs::Profile> prof = std::make_unique<rs::Profile>();

  bool in_ram(uint32_t a, uint32_t len) const { return uint64_t(a) + len <= ram.size(); }
  bool read_linear(uint32_t a, void* d, uint32_t len, bool) override {
    if (!in_ram(a, len)) return false;
    std::memcpy(d, &ram[a], len);
    return true;
  }
  bool write_linear(uint32_t a, const void* s, uint32_t len, bool) override {
    if (!in_ram(a, len)) return false;
    std::memcpy(&ram[a], s, len);
    return true;
  }
  bool take_page_fault(uint32_t&) override { return false; }
  void clear_page_fault() override {}
  bool translate(uint32_t lin, bool, bool, uint32_t& phys, uint32_t&) override {
    phys = lin;
    return true;
  }
  void phys_access(uint32_t phys, void* buf, uint32_t len, bool write) override {
    if (write) write_linear(phys, buf, len, true);
    else read_linear(phys, buf, len, true);
  }
  const void* ram_pointer(uint32_t lin, uint32_t len) override { return in_ram(lin, len) ? &ram[lin] : nullptr; }
  void paging_changed(uint32_t, uint32_t) override {}
  void invlpg(uint32_t) override {}
  void segments_changed() override { segment_changes++; }
  uint32_t mode() const override { return 0; }
  uint32_t raise_event(int vector, rs::EventKind kind, uint32_t error, uint32_t, const std::string&) override {
    events.push_back({vector, kind, error});
    return uint32_t(rs::Exit::Exception);
  }
  void request_stop(int, const std::string&) override { FAIL("stop requested"); }
  void unsupported(const std::string& what) override { FAIL("unsupported: " << what); }
  void triple_fault(const std::string& why) override { FAIL("triple fault: " << why); }
  bool must_leave() const override { return false; }
  uint32_t port_in(uint16_t port, int size) override {
    ports.push_back({false, port, size, 0});
    return next_in;
  }
  void port_out(uint16_t port, int size, uint32_t value) override { ports.push_back({true, port, size, value}); }
  bool ports_settled() override { return false; }
  void ferr_irq() override { ferr++; }
  void after_iret() override {}
  uint32_t continue_after_helper() override { return uint32_t(rs::Exit::Dispatch); }
  rs::Profile& profile() override { return *prof; }

  void put64(uint32_t a, uint64_t v) { std::memcpy(&ram[a], &v, 8); }
  uint32_t get32(uint32_t a) const {
    uint32_t v;
    std::memcpy(&v, &ram[a], 4);
    return v;
  }
};

// A protected-mode CPU at CPL cpl with flat segments from a GDT at 0x1000
// (0x08 ring-0 code, 0x10 ring-0 data, 0x1B ring-3 code, 0x23 ring-3 data, 0x28 TSS at 0x3000).
struct Cpu {
  std::unique_ptr<rs::CpuState> s = std::make_unique<rs::CpuState>();
  FakeEnv env;
  rs::Decoder dec;
  explicit Cpu(int cpl) {
    s->env = &env;
    env.put64(0x1008, 0x00CF9A000000FFFFull);
    env.put64(0x1010, 0x00CF92000000FFFFull);
    env.put64(0x1018, 0x00CFFA000000FFFFull);
    env.put64(0x1020, 0x00CFF2000000FFFFull);
    s->gdtr = rs::DescTable{0x1000, 0x2F};
    s->cr0 = 0x11;
    s->cpl = uint8_t(cpl);
    s->seg[rs::CS] = rs::Segment{uint16_t(cpl ? 0x1B : 0x08), uint16_t(cpl ? 0xCFFA : 0xCF9A), 0, 0xFFFFFFFF};
    for (int r : {rs::SS, rs::DS, rs::ES})
      s->seg[r] = rs::Segment{uint16_t(cpl ? 0x23 : 0x10), uint16_t(cpl ? 0xCFF2 : 0xCF92), 0, 0xFFFFFFFF};
    s->set_eflags(0x202);
  }
  uint32_t run(std::vector<uint8_t> bytes, uint32_t ea = 0, uint32_t eip = 0x8000) {
    REQUIRE(dec.decode(bytes.data(), bytes.size(), eip, true, insn));
    s->eip = eip;
    return rs::helper_emulate(s.get(), ea, &insn);
  }
  rs::Insn insn;
};

}  // namespace

TEST_CASE("OUT and IN reach the port bus through the environment", "[cpu]") {
  Cpu c(0);
  c.s->set_reg(rs::EAX, 0x12345678);
  CHECK(c.run({0xE6, 0x80}) == 0);  // out 0x80, al
  c.env.next_in = 0xBEEF;
  c.s->set_reg(rs::EDX, 0x3F8);
  CHECK(c.run({0x66, 0xED}) == 0);  // in ax, dx
  REQUIRE(c.env.ports.size() == 2);
  CHECK(c.env.ports[0].out);
  CHECK(c.env.ports[0].port == 0x80);
  CHECK(c.env.ports[0].size == 1);
  CHECK(c.env.ports[0].value == 0x78);
  CHECK_FALSE(c.env.ports[1].out);
  CHECK(c.env.ports[1].port == 0x3F8);
  CHECK(c.env.ports[1].size == 2);
  CHECK(c.s->reg(rs::EAX) == 0x1234BEEF);
}

TEST_CASE("port I/O at CPL 3 follows IOPL and the TSS I/O permission bitmap", "[cpu]") {
  Cpu c(3);
  // A 32-bit TSS at 0x3000 with its bitmap at offset 0x68: port 0x60 allowed, 0x64 not.
  c.s->tr = rs::Segment{0x28, 0x008B, 0x3000, 0x68 + 0x2000};
  const uint16_t map_base = 0x68;
  std::memcpy(&c.env.ram[0x3066], &map_base, 2);
  std::memset(&c.env.ram[0x3068], 0xFF, 0x2000);
  c.env.ram[0x3068 + 0x60 / 8] = uint8_t(~(1u << (0x60 & 7)));
  CHECK(c.run({0xE4, 0x60}) == 0);  // in al, 0x60
  CHECK(c.env.ports.size() == 1);
  CHECK(c.run({0xE4, 0x64}) == uint32_t(rs::Exit::Exception));  // in al, 0x64
  REQUIRE(c.env.events.size() == 1);
  CHECK(c.env.events[0].vector == 13);
  CHECK(c.env.events[0].error == 0);
  CHECK(c.env.ports.size() == 1);  // the faulting IN never reached the bus
  // IOPL 3 lets every port through without looking at the bitmap.
  c.s->vflags |= rs::FL_IOPL;
  CHECK(c.run({0xE4, 0x64}) == 0);
  CHECK(c.env.ports.size() == 2);
}

TEST_CASE("LGDT reads its operand through linear memory; at CPL 3 it raises #GP", "[cpu]") {
  Cpu c(0);
  const uint8_t pseudo[6] = {0xFF, 0x07, 0x00, 0x50, 0x02, 0x00};  // limit 0x7FF, base 0x25000
  std::memcpy(&c.env.ram[0x9000], pseudo, 6);
  c.run({0x0F, 0x01, 0x15, 0x00, 0x90, 0x00, 0x00}, 0x9000);  // lgdt [0x9000]
  CHECK(c.s->gdtr.base == 0x25000);
  CHECK(c.s->gdtr.limit == 0x7FF);
  Cpu u(3);
  CHECK(u.run({0x0F, 0x01, 0x15, 0x00, 0x90, 0x00, 0x00}, 0x9000) == uint32_t(rs::Exit::Exception));
  REQUIRE(u.env.events.size() == 1);
  CHECK(u.env.events[0].vector == 13);
  CHECK(u.s->gdtr.base == 0x1000);
}

TEST_CASE("an external interrupt from ring 3 switches to the TSS stack and pushes the SDM's frame", "[cpu]") {
  Cpu c(3);
  // IDT at 0x2000, vector 0x20: a 32-bit interrupt gate to 0x08:0x00401000, DPL 0.
  c.s->idtr = rs::DescTable{0x2000, 0x7FF};
  c.env.put64(0x2000 + 0x20 * 8, 0x00408E0000081000ull);
  // The TSS holds SS0:ESP0 = 0x10:0x7000.
  c.s->tr = rs::Segment{0x28, 0x008B, 0x3000, 0x67};
  const uint32_t esp0 = 0x7000, ss0 = 0x10;
  std::memcpy(&c.env.ram[0x3004], &esp0, 4);
  std::memcpy(&c.env.ram[0x3008], &ss0, 4);
  c.s->set_reg(rs::ESP, 0x6000);
  c.s->eip = 0x1234;
  c.s->set_eflags(0x246);
  REQUIRE(rs::deliver_event(c.env, *c.s, 0x20, rs::EventKind::External, 0, 0x1234));
  CHECK(c.s->cpl == 0);
  CHECK(c.s->eip == 0x00401000);
  CHECK(c.s->seg[rs::CS].sel == 0x08);
  CHECK(c.s->seg[rs::SS].sel == 0x10);
  CHECK(c.s->reg(rs::ESP) == 0x7000 - 20);
  CHECK(c.env.get32(0x7000 - 20) == 0x1234);  // EIP
  CHECK(c.env.get32(0x7000 - 16) == 0x1B);    // CS
  CHECK(c.env.get32(0x7000 - 12) == 0x246);   // EFLAGS
  CHECK(c.env.get32(0x7000 - 8) == 0x6000);   // ESP
  CHECK(c.env.get32(0x7000 - 4) == 0x23);     // SS
  CHECK(c.s->vif == 0);                       // an interrupt gate clears IF
  CHECK(c.env.segment_changes > 0);
}

TEST_CASE("FWAIT with a pending x87 error and CR0.NE clear raises IRQ 13 through FERR#", "[cpu]") {
  Cpu c(0);
  rs::Decoder dec;
  rs::Insn in;
  const uint8_t fwait[] = {0x9B};
  REQUIRE(dec.decode(fwait, 1, 0x8000, true, in));
  c.s->fpu[2] = 0x80;  // FSW.ES
  CHECK(rs::helper_fpu_unavailable(c.s.get(), 0, &in) == 0);
  CHECK(c.env.ferr == 1);
  c.s->cr0 |= 0x20;  // CR0.NE: #MF instead
  CHECK(rs::helper_fpu_unavailable(c.s.get(), 0, &in) == uint32_t(rs::Exit::Exception));
  REQUIRE(c.env.events.size() == 1);
  CHECK(c.env.events[0].vector == 16);
  CHECK(c.env.ferr == 1);
}

TEST_CASE("segment loads check the descriptor; POP SS inhibits interrupts; far JMP loads CS", "[cpu]") {
  Cpu c(0);
  // 0x30: a data segment with base 0x00120000, limit 0xFFFFF (4 KiB granular), DPL 0.
  c.env.put64(0x1030, 0x00CF92120000FFFFull);
  c.s->gdtr.limit = 0x37;
  c.s->set_reg(rs::EAX, 0x30);
  CHECK(c.run({0x8E, 0xD8}) == 0);  // mov ds, ax
  CHECK(c.s->seg[rs::DS].sel == 0x30);
  CHECK(c.s->seg[rs::DS].base == 0x00120000);
  CHECK((c.env.ram[0x1035] & 1) == 1);  // the accessed bit was set in the GDT
  // POP SS: the stack holds 0x10; interrupts are held off for one instruction.
  c.s->set_reg(rs::ESP, 0x6000);
  const uint32_t ss = 0x10;
  std::memcpy(&c.env.ram[0x6000], &ss, 4);
  // The block ends there: the run loop runs the next instruction alone, in the shadow.
  CHECK(c.run({0x17}) == uint32_t(rs::Exit::Dispatch));  // pop ss
  CHECK(c.s->eip == 0x8001);
  CHECK(c.s->seg[rs::SS].sel == 0x10);
  CHECK(c.s->reg(rs::ESP) == 0x6004);
  CHECK(c.s->irq_inhibit == rs::kInhibitMovSs);
  // A selector beyond the GDT limit: #GP with the selector as the error code.
  c.s->set_reg(rs::EAX, 0x40);
  CHECK(c.run({0x8E, 0xC0}) == uint32_t(rs::Exit::Exception));  // mov es, ax
  REQUIRE(c.env.events.size() == 1);
  CHECK(c.env.events[0].vector == 13);
  CHECK(c.env.events[0].error == 0x40);
  // jmp 0x08:0x00401234 goes on at the new CS:EIP.
  CHECK(c.run({0xEA, 0x34, 0x12, 0x40, 0x00, 0x08, 0x00}) == uint32_t(rs::Exit::Dispatch));
  CHECK(c.s->eip == 0x00401234);
  CHECK(c.s->seg[rs::CS].sel == 0x08);
}

TEST_CASE("REP INSB and REP OUTSW move through ES:EDI and DS:ESI, one port access per element", "[cpu]") {
  Cpu c(0);
  c.env.next_in = 0x5A;
  c.s->set_reg(rs::EDX, 0x1F0);
  c.s->set_reg(rs::EDI, 0x9000);
  c.s->set_reg(rs::ECX, 3);
  CHECK(c.run({0xF3, 0x6C}) == 0);  // rep insb
  CHECK(c.env.ram[0x9000] == 0x5A);
  CHECK(c.env.ram[0x9002] == 0x5A);
  CHECK(c.env.ram[0x9003] == 0);
  CHECK(c.s->reg(rs::EDI) == 0x9003);
  CHECK(c.s->reg(rs::ECX) == 0);
  CHECK(c.env.ports.size() == 3);
  const uint16_t words[2] = {0x1234, 0xABCD};
  std::memcpy(&c.env.ram[0xA000], words, 4);
  c.s->set_reg(rs::ESI, 0xA000);
  c.s->set_reg(rs::ECX, 2);
  CHECK(c.run({0xF3, 0x66, 0x6F}) == 0);  // rep outsw
  REQUIRE(c.env.ports.size() == 5);
  CHECK(c.env.ports[3].out);
  CHECK(c.env.ports[3].size == 2);
  CHECK(c.env.ports[3].value == 0x1234);
  CHECK(c.env.ports[4].value == 0xABCD);
  CHECK(c.s->reg(rs::ESI) == 0xA004);
}
