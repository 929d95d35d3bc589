// C++ emulation of the instructions the translator does not run natively.
// Entry point: helper_emulate (cpu/helpers.h, called from translated code through the helper
// stub, with the guest state in CpuState). Each family returns 0 to continue
// the block or an Exit code, with cpu.eip set to where execution goes on.
#pragma once
#include <cstdint>

#include "cpu/cpu_state.h"
#include "cpu/guest_env.h"
#include "decoder/decoder.h"

namespace rs {

struct Ctx {
  GuestEnv& env;
  CpuState& cpu;
  const Insn& in;
  uint32_t ea;  // effective address (offset) of the memory operand, if any
};

// Operand access (registers, memory through the operand's segment, immediates).
uint32_t read_op(Ctx& c, int i, bool& ok);
bool write_op(Ctx& c, int i, uint32_t value);
uint32_t read_gpr(const CpuState& cpu, ZydisRegister r);
void write_gpr(CpuState& cpu, ZydisRegister r, uint32_t v);
uint32_t linear(const CpuState& cpu, ZydisRegister seg, uint32_t offset);
// The stack: SS:[ESP + disp] (SP + disp, wrapped, on a 16-bit stack); a new stack
// pointer (only SP changes on a 16-bit stack).
uint32_t stack_linear(const CpuState& cpu, int32_t disp);
void set_stack_pointer(CpuState& cpu, uint32_t value);

uint32_t emulate_cpuid(Ctx& c);
// Whether PUSH Sreg with a 32-bit operand writes a zero-extended dword (AMD) rather than
// only the 16-bit selector (Intel), following the CPU vendor the guest is shown.
bool sreg_push_zero_extends();
// The guest sees the host's vendor (CPUID leaf 0); AMD has a few more MSRs.
bool host_is_amd();
// LAHF/SAHF in 64-bit mode (CPUID.80000001H:ECX[0]; missing only on the first x86-64 CPUs).
bool host_has_lahf64();
// The CPUID leaf the guest sees (cpuid.cpp): EAX, EBX, ECX, EDX.
void cpuid_leaf(uint32_t leaf, uint32_t out[4]);
// The host's speculative-execution verdicts, told to the guest (vulnerabilities.cpp).
inline constexpr uint32_t kTsaSqNo = 1u << 1, kTsaL1No = 1u << 2;  // CPUID 80000021h ECX
uint32_t host_amd_tsa_no();
uint64_t arch_capabilities();  // IA32_ARCH_CAPABILITIES (MSR 10Ah)
uint32_t emulate_port_io(Ctx& c);
// VMware's backdoor port (backdoor.cpp): true when this IN was a backdoor call, answered.
bool vmware_backdoor(Ctx& c, uint16_t port, int size);
uint32_t emulate_bcd(Ctx& c);
uint32_t emulate_segments(Ctx& c);      // segment loads, descriptor queries (segments.cpp)
uint32_t emulate_far_transfer(Ctx& c);  // far JMP/CALL/RET, IRET (far_transfer.cpp)
// Shared by the segment helpers (segments.cpp).
bool fetch_descriptor(Ctx& c, uint16_t sel, uint64_t& raw);
uint32_t load_data_segment(Ctx& c, int s, uint16_t sel);
// The 16:32 (or 16:16) far pointer at a memory operand.
bool far_pointer(Ctx& c, const ZydisDecodedOperand& op, uint16_t& sel, uint32_t& off);
uint32_t emulate_system(Ctx& c);    // control registers, descriptor tables, MSRs, HLT...
// MOVS/STOS/LODS/CMPS/SCAS (strings.cpp): what the translator runs in C++ (16-bit addressing).
bool is_string_insn(const Insn& in);
uint32_t emulate_string(Ctx& c);

// Raises a guest fault at the instruction: records it for the run loop, which delivers
// it through the IDT after the helper has put the pre-instruction state back.
uint32_t raise(Ctx& c, int vector, uint32_t error_code = 0, const std::string& detail = "");
// A software interrupt or trap-class exception reported after the instruction.
uint32_t raise_after(Ctx& c, int vector, bool software);
// A helper access to physical memory outside RAM: the machine stops with a message.
uint32_t outside_ram(Ctx& c);
// The instruction needs something ringshift does not implement: the machine stops with
// a message naming it (cpu.eip is left at the instruction).
uint32_t unsupported_insn(Ctx& c, const Insn& in, const std::string& what);
inline constexpr int kDE = 0, kDB = 1, kBP = 3, kOF = 4, kBR = 5, kUD = 6, kNM = 7, kDF = 8, kTS = 10, kNP = 11,
                     kSS = 12, kGP = 13, kPF = 14, kMF = 16, kXM = 19;

}  // namespace rs
