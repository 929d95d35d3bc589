#include "cpu/interrupts.h"

#include <cstring>
#include <optional>

#include <spdlog/spdlog.h>

#include "cpu/segments.h"
#include "cpu/guest_env.h"

namespace rs {

namespace {

// A fault raised while delivering an event.
struct Nested {
  int vector;
  uint32_t error;
};

enum class Class { Benign, Contributory, PageFault, DoubleFault };

Class classify(int v) {
  switch (v) {
    case 0: case 10: case 11: case 12: case 13: return Class::Contributory;
    case 14: return Class::PageFault;
    case 8: return Class::DoubleFault;
    default: return Class::Benign;
  }
}

// Builds the frame in a buffer first and writes it in one go, so a frame that does not
// fit leaves memory and registers as they were.
struct Frame {
  uint32_t words[6];
  int n = 0;
  void push(uint32_t v) { words[n++] = v; }
};

bool write_frame(GuestEnv& env, const Segment& ss, uint32_t esp, int width, const Frame& f, uint32_t& new_esp,
                 bool supervisor) {
  uint32_t bytes = uint32_t(f.n * width);
  bool big = ss.attr & 0x4000;  // SS.B: 32-bit stack pointer
  uint32_t top = (big ? esp : (esp & 0xFFFF)) - bytes;
  if (!big) top &= 0xFFFF;
  uint8_t buf[24];
  for (int i = 0; i < f.n; ++i) {
    // The first value pushed ends up at the highest address.
    uint32_t v = f.words[i];
    std::memcpy(buf + (f.n - 1 - i) * width, &v, size_t(width));
  }
  if (!env.write_linear(ss.base + top, buf, bytes, supervisor)) return false;
  new_esp = big ? top : ((esp & 0xFFFF0000u) | top);
  return true;
}

// The stack of ring new_cpl from the 32-bit TSS, with the SDM's checks (#TS, #SS).
std::optional<Nested> inner_stack(GuestEnv& env, const CpuState& cpu, int new_cpl, uint32_t ext, Segment& nss,
                                  uint32_t& new_esp, bool& unsupported) {
  if (!(cpu.tr.attr & 0x80) || (cpu.tr.sel & ~3u) == 0) return Nested{10, ext};
  bool tss32 = (cpu.tr.attr & 0xF) == 0x9 || (cpu.tr.attr & 0xF) == 0xB;
  if (!tss32) {
    env.unsupported("a 16-bit TSS");
    unsupported = true;
    return std::nullopt;
  }
  uint32_t at = 4 + 8 * uint32_t(new_cpl);
  if (at + 5 > cpu.tr.limit) return Nested{10, (cpu.tr.sel & ~3u) + ext};
  uint16_t new_ss = 0;
  if (!env.read_linear(cpu.tr.base + at, &new_esp, 4, true) || !env.read_linear(cpu.tr.base + at + 4, &new_ss, 2, true))
    return Nested{10, (cpu.tr.sel & ~3u) + ext};
  if ((new_ss & ~3u) == 0) return Nested{10, ext};
  uint64_t ss_raw;
  if (!read_descriptor(env, cpu, new_ss, ss_raw)) return Nested{10, (new_ss & ~3u) + ext};
  nss = decode_descriptor(new_ss, ss_raw);
  bool writable_data = !seg_is_system(nss) && !seg_is_code(nss) && (nss.attr & 2);
  if ((new_ss & 3) != new_cpl || seg_dpl(nss) != new_cpl || !writable_data)
    return Nested{10, (new_ss & ~3u) + ext};
  if (!seg_present(nss)) return Nested{12, (new_ss & ~3u) + ext};
  return std::nullopt;
}

// Real mode: the vector's far pointer in the IVT (at IDTR.base, 4 bytes each); FLAGS,
// CS and IP pushed as words; IF, TF and AC cleared. No error code is pushed.
std::optional<Nested> deliver_real(GuestEnv& env, CpuState& cpu, int vector) {
  if (uint32_t(vector) * 4 + 3 > cpu.idtr.limit) return Nested{13, 0};
  uint32_t ptr = 0;
  if (!env.read_linear(cpu.idtr.base + uint32_t(vector) * 4, &ptr, 4, true)) return Nested{13, 0};
  Frame f;
  f.push(cpu.eflags() & 0xFFFF);
  f.push(cpu.seg[CS].sel);
  f.push(cpu.eip & 0xFFFF);
  uint32_t top;
  if (!write_frame(env, cpu.seg[SS], cpu.reg(ESP), 2, f, top, true)) return Nested{12, 0};
  cpu.set_reg(ESP, top);
  cpu.seg[CS].sel = uint16_t(ptr >> 16);
  cpu.seg[CS].base = (ptr >> 16) << 4;
  cpu.eip = ptr & 0xFFFF;
  cpu.set_eflags(cpu.eflags() & ~(FL_IF | FL_TF | FL_AC | FL_RF));
  env.segments_changed();
  return std::nullopt;
}

std::optional<Nested> deliver_once(GuestEnv& env, CpuState& cpu, int vector, EventKind kind, bool push_error,
                                   uint32_t error, bool& unsupported) {
  if (!(cpu.cr0 & 1)) return deliver_real(env, cpu, vector);
  const uint32_t ext = (kind == EventKind::Software) ? 0 : 1;
  const uint32_t idt_err = uint32_t(vector) * 8 + 2 + ext;
  if (uint32_t(vector) * 8 + 7 > cpu.idtr.limit) return Nested{13, idt_err};
  uint64_t gate = 0;
  if (!env.read_linear(cpu.idtr.base + uint32_t(vector) * 8, &gate, 8, true)) return Nested{13, idt_err};
  int type = int(gate >> 40) & 0x1F;
  int gate_dpl = int(gate >> 45) & 3;
  bool present = (gate >> 47) & 1;
  if (type == 0x05) {
    env.unsupported("a task gate in the IDT (vector " + std::to_string(vector) + ")");
    unsupported = true;
    return std::nullopt;
  }
  if (type != 0x0E && type != 0x0F && type != 0x06 && type != 0x07) return Nested{13, idt_err};
  if (kind == EventKind::Software && gate_dpl < cpu.cpl) return Nested{13, idt_err};
  if (!present) return Nested{11, idt_err};
  const bool trap_gate = type & 1;
  const int width = (type & 8) ? 4 : 2;
  uint16_t sel = uint16_t(gate >> 16);
  uint32_t offset = uint32_t(gate & 0xFFFF) | (width == 4 ? uint32_t(gate >> 32) & 0xFFFF0000u : 0);

  if ((sel & ~3u) == 0) return Nested{13, ext};
  uint64_t raw;
  if (!read_descriptor(env, cpu, sel, raw)) return Nested{13, (sel & ~3u) + ext};
  Segment cs = decode_descriptor(sel, raw);
  if (!seg_is_code(cs) || seg_dpl(cs) > cpu.cpl) return Nested{13, (sel & ~3u) + ext};
  if (!seg_present(cs)) return Nested{11, (sel & ~3u) + ext};
  bool conforming = cs.attr & 4;
  int new_cpl = conforming ? cpu.cpl : seg_dpl(cs);
  if (offset > cs.limit) return Nested{13, ext};

  // Faults push RF = 1, so that the restarted instruction does not hit an instruction
  // breakpoint again (SDM 17.3.1.1).
  const uint32_t eflags = cpu.eflags() | (kind == EventKind::Fault ? FL_RF : 0);
  Frame f;
  Segment ss = cpu.seg[SS];
  uint32_t esp = cpu.reg(ESP);
  if (new_cpl < cpu.cpl) {
    // Inner privilege: the stack for the new ring comes from the TSS.
    Segment nss;
    uint32_t new_esp = 0;
    if (auto bad = inner_stack(env, cpu, new_cpl, ext, nss, new_esp, unsupported); bad || unsupported) return bad;
    f.push(cpu.seg[SS].sel);
    f.push(esp);
    ss = nss;
    esp = new_esp;
  }
  f.push(eflags);
  f.push(cpu.seg[CS].sel);
  f.push(cpu.eip);
  if (push_error) f.push(error);
  uint32_t top;
  if (!write_frame(env, ss, esp, width, f, top, new_cpl < 3)) return Nested{12, (new_cpl < cpu.cpl ? (ss.sel & ~3u) : 0) + ext};

  // Commit.
  if (new_cpl < cpu.cpl) cpu.seg[SS] = ss;
  cpu.set_reg(ESP, top);
  cs.sel = uint16_t((sel & ~3u) | uint32_t(new_cpl));
  cpu.seg[CS] = cs;
  cpu.cpl = uint8_t(new_cpl);
  cpu.eip = offset;
  uint32_t fl = eflags & ~(FL_TF | FL_NT | FL_RF | FL_VM);
  if (!trap_gate) fl &= ~FL_IF;
  cpu.set_eflags(fl);
  env.segments_changed();
  return std::nullopt;
}

}  // namespace

bool vector_has_error_code(int v) { return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21; }

const char* vector_name(int v) {
  static const char* names[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS",
                                "#NP", "#SS", "#GP", "#PF", "reserved", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP"};
  return v >= 0 && v < 22 ? names[v] : "interrupt";
}

bool deliver_event(GuestEnv& env, CpuState& cpu, int vector, EventKind kind, uint32_t error_code, uint32_t insn_eip) {
  // A fault while delivering INT n (or INT3, INTO, INT1) restarts that instruction.
  const uint32_t return_eip = (kind == EventKind::Software || kind == EventKind::Trap) ? insn_eip : cpu.eip;
  bool push_error = kind != EventKind::Software && kind != EventKind::External && vector_has_error_code(vector);
  int first = kind == EventKind::Fault || kind == EventKind::Trap ? vector : -1;
  for (;;) {
    bool unsupported = false;
    env.clear_page_fault();
    auto nested = deliver_once(env, cpu, vector, kind, push_error, error_code, unsupported);
    if (unsupported) return false;
    // A table or stack access that missed in the page tables is a #PF, whatever else failed.
    if (uint32_t pf_error = 0; nested && env.take_page_fault(pf_error)) nested = Nested{14, pf_error};
    if (!nested) {
      SPDLOG_DEBUG("delivered {} (vector {:#x}, error {:#x}) -> {:#06x}:{:#010x}", vector_name(vector), vector,
                   error_code, cpu.seg[CS].sel, cpu.eip);
      return true;
    }
    cpu.eip = return_eip;
    Class a = first < 0 ? Class::Benign : classify(first), b = classify(nested->vector);
    if (a == Class::DoubleFault) {
      env.triple_fault("a fault while delivering a double fault");
      return false;
    }
    bool dbl = (a == Class::Contributory && b == Class::Contributory) ||
               (a == Class::PageFault && (b == Class::Contributory || b == Class::PageFault));
    if (dbl) {
      vector = 8;
      error_code = 0;
    } else {
      vector = nested->vector;
      error_code = nested->error;
    }
    // The nested event is an exception: hardware reports it with EXT set.
    kind = EventKind::Fault;
    push_error = vector_has_error_code(vector);
    first = vector;
  }
}

}  // namespace rs
