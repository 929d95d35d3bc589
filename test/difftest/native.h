// Runs a test case natively: the host CPU executes the sequence in a 32-bit code
// segment (CS 0x23) of this 64-bit process, at the same addresses the guest uses, or,
// for a 16-bit case, in a 16-bit code segment (D = 0) this process makes in its LDT
// with modify_ldt, based at kCodeAddr.
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
  // Whether 16-bit cases can run here (modify_ldt worked).
  bool code16_ok() const { return have_code16_; }

 private:
  void (*enter_)() = nullptr;
  bool have_code16_ = false;  // the LDT code segment exists
};

}  // namespace difftest
