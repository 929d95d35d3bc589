// The stub's commands, once a packet has arrived: registers (g/G/p/P), memory (m/M/X),
// breakpoints and watchpoints (Z/z), resuming (c/s/C/S/vCont, k, D), queries (q/Q:
// features, the target description through qXfer, thread info). GdbStub::handle
// dispatches on the packet's first letter. The connection is gdbstub.cpp.
#include <cstring>

#include "error.h"
#include "gdbstub/gdbstub.h"
#include "gdbstub/registers.h"

namespace rs::gdb {

namespace {

constexpr uint32_t kMaxMemChunk = 4096;  // per m/M packet; gdb asks again for the rest

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// "a,b" -> two hex numbers.
bool two_hex(const std::string& s, uint64_t& a, uint64_t& b) {
  size_t comma = s.find(',');
  if (comma == std::string::npos) return false;
  auto x = parse_hex(s.substr(0, comma)), y = parse_hex(s.substr(comma + 1));
  if (!x || !y) return false;
  a = *x;
  b = *y;
  return true;
}

}  // namespace

std::string GdbStub::read_memory(const std::string& args) {
  uint64_t addr, len;
  if (!two_hex(args, addr, len) || addr > 0xFFFFFFFFull) return "E01";
  len = std::min<uint64_t>(len, kMaxMemChunk);
  if (len == 0) return "";
  if (addr + len > 0x100000000ull) len = 0x100000000ull - addr;
  std::vector<uint8_t> buf(len);
  // As much as is readable from the start, as gdb expects; nothing readable is an error.
  uint64_t got = 0;
  while (got < len) {
    uint32_t chunk = uint32_t(std::min<uint64_t>(len - got, 4096 - ((addr + got) & 4095)));
    if (!t_.debug_read(uint32_t(addr + got), buf.data() + got, chunk)) break;
    got += chunk;
  }
  if (got == 0) return "E14";
  return to_hex(buf.data(), got);
}

std::string GdbStub::write_memory(const std::string& args, bool binary) {
  size_t colon = args.find(':');
  uint64_t addr, len;
  if (colon == std::string::npos || !two_hex(args.substr(0, colon), addr, len) || addr > 0xFFFFFFFFull ||
      addr + len > 0x100000000ull)
    return "E01";
  std::vector<uint8_t> data;
  const std::string body = args.substr(colon + 1);
  if (binary) data.assign(body.begin(), body.end());
  else if (!from_hex(body, data)) return "E01";
  if (data.size() != len) return "E01";
  if (len && !t_.debug_write(uint32_t(addr), data.data(), uint32_t(len))) return "E14";
  return "OK";
}

std::string GdbStub::breakpoint(const std::string& p) {
  const bool insert = p[0] == 'Z';
  if (p.size() < 4 || p[2] != ',') return "E01";
  const char type = p[1];
  uint64_t addr, kind;
  if (!two_hex(p.substr(3, p.find(';') == std::string::npos ? std::string::npos : p.find(';') - 3), addr, kind) ||
      addr > 0xFFFFFFFFull)
    return "E01";
  if (type == '0' || type == '1') {
    auto& set = type == '0' ? sw_ : hw_;
    if (insert) set.insert(uint32_t(addr));
    else set.erase(uint32_t(addr));
    std::set<uint32_t> all = sw_;
    all.insert(hw_.begin(), hw_.end());
    t_.debug_breakpoints(all);
    return "OK";
  }
  if (type >= '2' && type <= '4') {
    if (kind == 0 || kind > 4096 || addr + kind > 0x100000000ull) return "E01";
    Watchpoint w{Watchpoint::Type(type - '0'), uint32_t(addr), uint32_t(kind)};
    if (insert) watch_.insert(w);
    else watch_.erase(w);
    t_.debug_watchpoints(watch_);
    return "OK";
  }
  return "";  // not supported
}

std::string GdbStub::xfer(const std::string& p) {
  // qXfer:features:read:target.xml:OFFSET,LENGTH
  const std::string prefix = "qXfer:features:read:";
  std::string rest = p.substr(prefix.size());
  size_t colon = rest.find(':');
  if (colon == std::string::npos) return "E01";
  if (rest.substr(0, colon) != "target.xml") return "E00";
  uint64_t off, len;
  if (!two_hex(rest.substr(colon + 1), off, len)) return "E01";
  const std::string& xml = target_xml(!(t_.debug_cpu().cr0 & 1));
  if (off >= xml.size()) return "l";
  len = std::min<uint64_t>(len, kMaxPacket - 16);
  std::string chunk = xml.substr(off, len);
  return (off + chunk.size() >= xml.size() ? "l" : "m") + chunk;
}

GdbStub::Reply GdbStub::reply(const std::string& r) {
  send_packet(r);
  return Reply::Stay;
}

// The 'g' packet: every register, in target.xml's order.
std::string GdbStub::read_registers() {
  CpuState& cpu = t_.debug_cpu();
  std::string s;
  for (int n = 0; n < register_count(); ++n) {
    auto v = read_register(cpu, n);
    s += to_hex(v.data(), v.size());
  }
  return s;
}

// The 'G' packet: registers in order, as many as the data covers; all or none.
std::string GdbStub::write_registers(const std::string& p) {
  CpuState& cpu = t_.debug_cpu();
  std::vector<uint8_t> all;
  if (!from_hex(p.substr(1), all)) return "E01";
  size_t off = 0;
  CpuState saved = cpu;
  for (int n = 0; n < register_count() && off < all.size(); ++n) {
    size_t sz = read_register(cpu, n).size();
    if (off + sz > all.size()) break;
    if (!write_register(cpu, n, std::vector<uint8_t>(all.begin() + off, all.begin() + off + sz))) {
      cpu = saved;
      return "E01";
    }
    off += sz;
  }
  t_.debug_registers_changed();
  return "OK";
}

// 'pN': one register.
std::string GdbStub::read_one_register(const std::string& p) {
  auto n = parse_hex(p.substr(1));
  if (!n || *n >= uint64_t(register_count())) return "E01";
  auto v = read_register(t_.debug_cpu(), int(*n));
  return to_hex(v.data(), v.size());
}

// 'PN=value': one register.
std::string GdbStub::write_one_register(const std::string& p) {
  size_t eq = p.find('=');
  std::vector<uint8_t> v;
  auto n = eq == std::string::npos ? std::nullopt : parse_hex(p.substr(1, eq - 1));
  if (!n || *n >= uint64_t(register_count()) || !from_hex(p.substr(eq + 1), v) ||
      !write_register(t_.debug_cpu(), int(*n), v))
    return "E01";
  t_.debug_registers_changed();
  return "OK";
}

// The optional address of c/s/C/S: execution resumes there.
void GdbStub::resume_at(const std::string& addr) {
  if (addr.empty()) return;
  auto a = parse_hex(addr);
  if (a && *a <= 0xFFFFFFFFull) {
    set_gdb_pc(t_.debug_cpu(), uint32_t(*a));
    t_.debug_registers_changed();
  }
}

// gdb forgets its breakpoints and watchpoints when it detaches: so does the machine.
void GdbStub::detach() {
  send_packet("OK");
  sw_.clear();
  hw_.clear();
  watch_.clear();
  t_.debug_breakpoints({});
  t_.debug_watchpoints({});
}

// c, s, C, S, k and D: the packets that end the stop.
GdbStub::Reply GdbStub::resume(const std::string& p, Resume& how) {
  switch (p[0]) {
    case 'c':
    case 's':
      resume_at(p.substr(1));
      how = p[0] == 'c' ? Resume::Continue : Resume::Step;
      break;
    case 'C':
    case 'S': {  // the signal is not passed on: the guest has no signals to receive
      size_t semi = p.find(';');
      resume_at(semi == std::string::npos ? "" : p.substr(semi + 1));
      how = p[0] == 'C' ? Resume::Continue : Resume::Step;
      break;
    }
    case 'k': how = Resume::Kill; break;
    default:  // 'D'
      detach();
      how = Resume::Detach;
      break;
  }
  return Reply::Resume;
}

// vCont? and vCont;ACTION; any other v packet is unknown.
GdbStub::Reply GdbStub::v_packet(const std::string& p, Resume& how) {
  if (p == "vCont?") return reply("vCont;c;C;s;S");
  if (!starts_with(p, "vCont;")) return reply("");
  // The first action decides (one thread): c/C run, s/S step.
  char a = p.size() > 6 ? p[6] : 0;
  if (a == 'c' || a == 'C') how = Resume::Continue;
  else if (a == 's' || a == 'S') how = Resume::Step;
  else return reply("E01");
  return Reply::Resume;
}

// The general queries (q...) and settings (Q...) gdb uses; unknown ones get "".
GdbStub::Reply GdbStub::query(const std::string& p) {
  if (starts_with(p, "qSupported"))
    return reply("PacketSize=" + std::to_string(kMaxPacket) +
                 ";qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+");
  if (p == "QStartNoAckMode") {
    send_packet("OK");
    no_ack_ = true;
    return Reply::Stay;
  }
  if (starts_with(p, "qXfer:features:read:")) return reply(xfer(p));
  if (p == "qC") return reply("QC01");
  if (starts_with(p, "qAttached")) return reply("1");
  if (p == "qfThreadInfo") return reply("m01");
  if (p == "qsThreadInfo") return reply("l");
  if (p == "qSymbol::") return reply("OK");
  return reply("");  // unknown: the empty reply tells gdb so
}

GdbStub::Reply GdbStub::handle(const std::string& p, Resume& how) {
  if (p.empty()) return reply("");
  switch (p[0]) {
    case '?': return reply(stop_reply(last_stop_));
    case 'g': return reply(read_registers());
    case 'G': return reply(write_registers(p));
    case 'p': return reply(read_one_register(p));
    case 'P': return reply(write_one_register(p));
    case 'm': return reply(read_memory(p.substr(1)));
    case 'M': return reply(write_memory(p.substr(1), false));
    case 'X': return reply(write_memory(p.substr(1), true));
    case 'Z':
    case 'z': return reply(breakpoint(p));
    case 'c':
    case 's':
    case 'C':
    case 'S':
    case 'k':
    case 'D': return resume(p, how);
    case 'H':
    case 'T': return reply("OK");  // one CPU: thread 1
    case 'v': return v_packet(p, how);
    default: return query(p);
  }
}

}  // namespace rs::gdb
