// Runs a test case natively: the host CPU executes the sequence in a 32-bit code
// segment (CS 0x23) of this 64-bit process, at the same addresses the guest uses.
// The closing INT3, or any fault, arrives as a signal whose handler records the state
// and returns to 64-bit code. The host is the oracle.
#pragma once
#include "difftest/common.h"

namespace difftest {

class NativeRunner {
 public:
  NativeRunner();   // maps the low regions and builds the mode-switch trampolines
  ~NativeRunner();
  NativeRunner(const NativeRunner&) = delete;
  NativeRunner& operator=(const NativeRunner&) = delete;

  // Installs the recording signal handlers for a batch of runs (and puts the old back).
  void begin_batch();
  void end_batch();
  Outcome run(const Case& c);

 private:
  void (*enter_)() = nullptr;
};

}  // namespace difftest
