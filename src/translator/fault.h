// Host signals raised by translated code: faults in the guest window, the poll
// page, arithmetic traps. The handler (on the alternate stack: guest ESP is in RSP)
// rebuilds the precise guest state of the faulting guest instruction into CpuState
// and sends the block out to the run loop through the leave_async stub.
#pragma once
#include <csignal>

#include "translator/translator.h"

namespace rs {

// Installs the handlers (once per process) and makes `tr` the translator whose code
// they serve (its shadow page tables fill the windows). Pass nullptr to detach.
void attach_fault_handlers(Translator* tr);

// Closes / opens the poll page so that the next block head leaves translated code.
void request_exit(CpuState& cpu);
void clear_exit_request(CpuState& cpu);

// Set by SIGINT/SIGTERM/SIGHUP: the user asked the run to end.
extern volatile sig_atomic_t g_interrupt_signal;
// Set by SIGIO: a socket the machine watches (the gdbstub's) has something to read.
extern volatile sig_atomic_t g_io_signal;

}  // namespace rs
