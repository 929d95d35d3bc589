#include "gdbstub/registers.h"

#include <cstring>

namespace rs::gdb {

namespace {

// gdb numbering of the i386 target: 8 GPRs, EIP, EFLAGS, CS SS DS ES FS GS, ST0-7,
// the 8 x87 control registers, XMM0-7, MXCSR.
enum : int {
  kEip = 8, kEflags = 9, kSeg0 = 10, kSt0 = 16, kFctrl = 24, kFstat, kFtag, kFiseg, kFioff, kFoseg, kFooff, kFopReg,
  kXmm0 = 32, kMxcsr = 40, kCount = 41
};
// CpuState segment index for gdb's CS SS DS ES FS GS.
constexpr int kSegOrder[6] = {CS, SS, DS, ES, FS, GS};
// FXSAVE image offsets (Intel SDM vol. 1, 10.5.1).
constexpr size_t kFcw = 0, kFsw = 2, kFtw = 4, kFop = 6, kFip = 8, kFcs = 12, kFdp = 16, kFds = 20, kMxcsrOff = 24,
                 kSt = 32, kXmm = 160;

uint32_t rd(const uint8_t* p, size_t n) {
  uint32_t v = 0;
  std::memcpy(&v, p, n);
  return v;
}

// FXSAVE keeps an abridged tag (1 bit per physical register: not empty); gdb wants
// the full x87 tag word, classified from each register's contents.
uint16_t full_tag(const uint8_t* fx) {
  const int top = (rd(fx + kFsw, 2) >> 11) & 7;
  uint16_t tag = 0;
  for (int phys = 0; phys < 8; ++phys) {
    int t = 3;  // empty
    if (fx[kFtw] & (1 << phys)) {
      const uint8_t* r = fx + kSt + 16 * ((phys - top) & 7);
      uint64_t mant;
      std::memcpy(&mant, r, 8);
      const uint16_t exp = uint16_t(rd(r + 8, 2) & 0x7FFF);
      if (exp == 0x7FFF) t = 2;
      else if (exp == 0) t = mant ? 2 : 1;
      else t = (mant >> 63) ? 0 : 2;
    }
    tag = uint16_t(tag | t << (2 * phys));
  }
  return tag;
}

int reg_size(int n) {
  if (n >= kSt0 && n < kSt0 + 8) return 10;
  if (n >= kXmm0 && n < kXmm0 + 8) return 16;
  return 4;
}

}  // namespace

int register_count() { return kCount; }

const std::string& target_xml(bool real_mode) {
  static const auto build = [](const char* arch) {
    std::string s =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n"
        "<architecture>" + std::string(arch) + "</architecture>\n<feature name=\"org.gnu.gdb.i386.core\">\n";
    static const char* gpr[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    for (int i = 0; i < 8; ++i) {
      const char* type = i == 4 || i == 5 ? "data_ptr" : "int32";
      s += "<reg name=\"" + std::string(gpr[i]) + "\" bitsize=\"32\" type=\"" + type + "\" regnum=\"" +
           std::to_string(i) + "\"/>\n";
    }
    s += "<reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\"/>\n<reg name=\"eflags\" bitsize=\"32\" type=\"int32\"/>\n";
    for (const char* sr : {"cs", "ss", "ds", "es", "fs", "gs"})
      s += "<reg name=\"" + std::string(sr) + "\" bitsize=\"32\" type=\"int32\"/>\n";
    for (int i = 0; i < 8; ++i) s += "<reg name=\"st" + std::to_string(i) + "\" bitsize=\"80\" type=\"i387_ext\"/>\n";
    for (const char* fr : {"fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"})
      s += "<reg name=\"" + std::string(fr) + "\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n";
    s += "</feature>\n<feature name=\"org.gnu.gdb.i386.sse\">\n"
         "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
         "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
         "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
         "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
         "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
         "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
         "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/><field name=\"v2_double\" type=\"v2d\"/>"
         "<field name=\"v16_int8\" type=\"v16i8\"/><field name=\"v8_int16\" type=\"v8i16\"/>"
         "<field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" type=\"v2i64\"/>"
         "<field name=\"uint128\" type=\"uint128\"/></union>\n";
    for (int i = 0; i < 8; ++i)
      s += "<reg name=\"xmm" + std::to_string(i) + "\" bitsize=\"128\" type=\"vec128\" regnum=\"" +
           std::to_string(kXmm0 + i) + "\"/>\n";
    s += "<reg name=\"mxcsr\" bitsize=\"32\" type=\"int\" group=\"vector\"/>\n</feature>\n</target>\n";
    return s;
  };
  static const std::string i386 = build("i386"), i8086 = build("i8086");
  return real_mode ? i8086 : i386;
}

uint32_t gdb_pc(const CpuState& cpu) { return (cpu.cr0 & 1) ? cpu.eip : cpu.seg[CS].base + cpu.eip; }

void set_gdb_pc(CpuState& cpu, uint32_t pc) { cpu.eip = (cpu.cr0 & 1) ? pc : (pc - cpu.seg[CS].base) & 0xFFFF; }

std::vector<uint8_t> read_register(const CpuState& cpu, int n) {
  if (n < 0 || n >= kCount) return {};
  const uint8_t* fx = cpu.fpu;
  uint32_t v = 0;
  if (n < 8) v = cpu.reg(n);
  else if (n == kEip) v = gdb_pc(cpu);
  else if (n == kEflags) v = cpu.eflags();
  else if (n < kSt0) v = cpu.seg[kSegOrder[n - kSeg0]].sel;
  else if (n < kFctrl) return std::vector<uint8_t>(fx + kSt + 16 * (n - kSt0), fx + kSt + 16 * (n - kSt0) + 10);
  else if (n == kFctrl) v = rd(fx + kFcw, 2);
  else if (n == kFstat) v = rd(fx + kFsw, 2);
  else if (n == kFtag) v = full_tag(fx);
  else if (n == kFiseg) v = rd(fx + kFcs, 2);
  else if (n == kFioff) v = rd(fx + kFip, 4);
  else if (n == kFoseg) v = rd(fx + kFds, 2);
  else if (n == kFooff) v = rd(fx + kFdp, 4);
  else if (n == kFopReg) v = rd(fx + kFop, 2) & 0x7FF;
  else if (n < kMxcsr) return std::vector<uint8_t>(fx + kXmm + 16 * (n - kXmm0), fx + kXmm + 16 * (n - kXmm0) + 16);
  else v = rd(fx + kMxcsrOff, 4);
  std::vector<uint8_t> out(4);
  std::memcpy(out.data(), &v, 4);
  return out;
}

bool write_register(CpuState& cpu, int n, const std::vector<uint8_t>& bytes) {
  if (n < 0 || n >= kCount || int(bytes.size()) != reg_size(n)) return false;
  uint8_t* fx = cpu.fpu;
  if (n >= kSt0 && n < kFctrl) {
    std::memcpy(fx + kSt + 16 * (n - kSt0), bytes.data(), 10);
    return true;
  }
  if (n >= kXmm0 && n < kMxcsr) {
    std::memcpy(fx + kXmm + 16 * (n - kXmm0), bytes.data(), 16);
    return true;
  }
  uint32_t v;
  std::memcpy(&v, bytes.data(), 4);
  auto put16 = [&](size_t off) { std::memcpy(fx + off, &v, 2); };
  if (n < 8) cpu.set_reg(n, v);
  else if (n == kEip) set_gdb_pc(cpu, v);
  else if (n == kEflags) cpu.set_eflags(v);
  else if (n < kSt0) return cpu.seg[kSegOrder[n - kSeg0]].sel == (v & 0xFFFF);  // no reloads from here
  else if (n == kFctrl) put16(kFcw);
  else if (n == kFstat) put16(kFsw);
  else if (n == kFtag) {
    uint8_t abridged = 0;
    for (int p = 0; p < 8; ++p)
      if (((v >> (2 * p)) & 3) != 3) abridged = uint8_t(abridged | 1 << p);
    fx[kFtw] = abridged;
  } else if (n == kFiseg) put16(kFcs);
  else if (n == kFioff) std::memcpy(fx + kFip, &v, 4);
  else if (n == kFoseg) put16(kFds);
  else if (n == kFooff) std::memcpy(fx + kFdp, &v, 4);
  else if (n == kFopReg) {
    v &= 0x7FF;
    put16(kFop);
  } else {
    if (v & ~0xFFFFu) return false;  // reserved MXCSR bits would #GP at FXRSTOR
    std::memcpy(fx + kMxcsrOff, &v, 4);
  }
  return true;
}

}  // namespace rs::gdb
