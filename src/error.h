// Errors that end a run with one clear message and a defined exit status.
#pragma once
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace rs {

// Exit statuses (the odd ones belong to the guest's debug-exit port).
inline constexpr int kExitHalted = 0;     // guest halted for good or powered off
inline constexpr int kExitUsage = 2;      // bad command line, missing or malformed image
inline constexpr int kExitGuestError = 4; // guest fault ringshift cannot continue from
inline constexpr int kExitInternal = 6;   // a ringshift bug
inline constexpr int kExitNoBoot = 8;     // the BIOS found no bootable device
inline constexpr int kExitInterrupted = 130;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Raised (only outside translated code) when the guest can no longer run.
struct GuestError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "0x0000abcd": a 32-bit value in messages.
inline std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%#010x", v);
  return buf;
}

// " at EIP 0x........", the end of every message about a guest instruction.
inline std::string at_eip(uint32_t eip) {
  return " at EIP " + hex32(eip);
}

}  // namespace rs
