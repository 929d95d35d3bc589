// Segment descriptors: decoding GDT/LDT entries into the hidden segment cache.
#pragma once
#include <cstdint>

#include "cpu/cpu_state.h"

namespace rs {

Segment flat_segment(uint16_t sel, bool code);
// The CS and SS that SYSENTER (to_user false) or SYSEXIT (true) load (cpu/system.cpp).
void fast_call_segments(uint32_t sysenter_cs, bool to_user, Segment& cs, Segment& ss);
// Descriptor fields.
inline bool seg_present(const Segment& s) { return s.attr & 0x80; }
inline bool seg_is_system(const Segment& s) { return !(s.attr & 0x10); }
inline bool seg_is_code(const Segment& s) { return (s.attr & 0x18) == 0x18; }
inline int seg_dpl(const Segment& s) { return (s.attr >> 5) & 3; }
Segment decode_descriptor(uint16_t sel, uint64_t raw);

class GuestEnv;
// Reads the GDT/LDT entry for sel. False when sel lies outside the table.
bool read_descriptor(GuestEnv& env, const CpuState& cpu, uint16_t sel, uint64_t& raw);
// Writes it back (to set the accessed or busy bit).
void write_descriptor(GuestEnv& env, const CpuState& cpu, uint16_t sel, uint64_t raw);

}  // namespace rs
