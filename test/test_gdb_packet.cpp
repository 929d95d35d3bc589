// The gdbstub's framing and register file, without a socket.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "gdbstub/packet.h"
#include "gdbstub/registers.h"

using rs::gdb::PacketParser;

namespace {

std::vector<PacketParser::Event> feed(PacketParser& p, const std::string& bytes) {
  std::vector<PacketParser::Event> ev;
  for (char c : bytes) {
    auto e = p.feed(uint8_t(c));
    if (e != PacketParser::Event::None) ev.push_back(e);
  }
  return ev;
}

}  // namespace

TEST_CASE("gdb packets: checksums, escapes, interrupts, overflow", "[gdb]") {
  PacketParser p;
  CHECK(feed(p, "$g#67") == std::vector{PacketParser::Event::Packet});
  CHECK(p.payload() == "g");
  CHECK(feed(p, "$g#68") == std::vector{PacketParser::Event::BadChecksum});
  CHECK(feed(p, "$g#zz") == std::vector{PacketParser::Event::BadChecksum});
  CHECK(feed(p, "+-\x03") ==
        (std::vector{PacketParser::Event::Ack, PacketParser::Event::Nak, PacketParser::Event::Interrupt}));
  // A frame the stub builds parses back to the same payload, escapes included.
  const std::string tricky = std::string("X1,4:") + "#$}*" + std::string(1, '\0');
  CHECK(feed(p, rs::gdb::frame(tricky)) == std::vector{PacketParser::Event::Packet});
  CHECK(p.payload() == tricky);
  CHECK(rs::gdb::frame("#").find('#') == 3);  // escaped as "}\x03" before the real '#'
  // A lost '#': the next '$' starts a new packet.
  CHECK(feed(p, "$mjunk$?#3f") == std::vector{PacketParser::Event::Packet});
  CHECK(p.payload() == "?");
  // Bigger than the advertised size: overflow, and the parser is usable afterwards.
  auto ev = feed(p, "$" + std::string(rs::gdb::kMaxPacket + 10, 'm') + "#00");
  CHECK(ev.front() == PacketParser::Event::Overflow);
  CHECK(feed(p, "$?#3f") == std::vector{PacketParser::Event::Packet});

  std::vector<uint8_t> bytes;
  CHECK(rs::gdb::from_hex("00ff7A", bytes));
  CHECK(bytes == std::vector<uint8_t>{0x00, 0xFF, 0x7A});
  CHECK_FALSE(rs::gdb::from_hex("abc", bytes));
  CHECK_FALSE(rs::gdb::from_hex("zz", bytes));
  CHECK(rs::gdb::parse_hex("ffffffff") == 0xFFFFFFFFu);
  CHECK_FALSE(rs::gdb::parse_hex(""));
  CHECK_FALSE(rs::gdb::parse_hex("12345678901234567"));
  CHECK_FALSE(rs::gdb::parse_hex("1g"));
}

TEST_CASE("gdb register file: numbering, x87 tag word, refusals", "[gdb]") {
  rs::CpuState cpu{};
  cpu.set_reg(rs::EAX, 0x11223344);
  cpu.set_reg(rs::EDI, 0x55667788);
  cpu.eip = 0x00100010;
  cpu.seg[rs::SS].sel = 0x10;
  std::memset(cpu.fpu, 0, sizeof cpu.fpu);
  cpu.fpu[0] = 0x7F;
  cpu.fpu[1] = 0x03;
  // TOP = 6; ST(0) = physical 6 holds 1.0 (valid), ST(1) = physical 7 holds +0 (zero).
  cpu.fpu[3] = 6 << 3;
  cpu.fpu[4] = 0xC0;
  const uint8_t one[10] = {0, 0, 0, 0, 0, 0, 0, 0x80, 0xFF, 0x3F};
  std::memcpy(cpu.fpu + 32, one, 10);
  auto u32 = [](const std::vector<uint8_t>& v) {
    uint32_t x = 0;
    std::memcpy(&x, v.data(), 4);
    return x;
  };
  CHECK(rs::gdb::register_count() == 41);
  CHECK(u32(rs::gdb::read_register(cpu, 0)) == 0x11223344);
  CHECK(u32(rs::gdb::read_register(cpu, 7)) == 0x55667788);
  CHECK(u32(rs::gdb::read_register(cpu, 8)) == 0x00100010);
  CHECK(u32(rs::gdb::read_register(cpu, 11)) == 0x10);  // SS is gdb's 11
  CHECK(u32(rs::gdb::read_register(cpu, 24)) == 0x037F);
  // Physical 6 valid (00), physical 7 zero (01), the rest empty (11).
  CHECK(u32(rs::gdb::read_register(cpu, 26)) == 0x4FFF);
  CHECK(rs::gdb::read_register(cpu, 16) == std::vector<uint8_t>(one, one + 10));
  CHECK(rs::gdb::read_register(cpu, 41).empty());

  CHECK(rs::gdb::write_register(cpu, 8, {0x34, 0x12, 0, 0}));
  CHECK(cpu.eip == 0x1234);
  CHECK_FALSE(rs::gdb::write_register(cpu, 8, {0x34, 0x12}));           // wrong size
  CHECK_FALSE(rs::gdb::write_register(cpu, 11, {0x18, 0, 0, 0}));       // a segment reload
  CHECK(rs::gdb::write_register(cpu, 11, {0x10, 0, 0, 0}));             // unchanged is fine
  CHECK_FALSE(rs::gdb::write_register(cpu, 40, {0, 0, 1, 0}));           // reserved MXCSR bits
  CHECK(rs::gdb::write_register(cpu, 26, {0xFF, 0x3F, 0, 0}));           // only physical 7 in use
  CHECK(cpu.fpu[4] == 0x80);
  CHECK(rs::gdb::target_xml(false).find("org.gnu.gdb.i386.sse") != std::string::npos);
  CHECK(rs::gdb::target_xml(false).find("<architecture>i386</architecture>") != std::string::npos);
  CHECK(rs::gdb::target_xml(true).find("<architecture>i8086</architecture>") != std::string::npos);
}
