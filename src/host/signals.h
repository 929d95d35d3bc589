// The process's signals, besides the fault path of translated code (translator/fault.cpp):
// SIGINT/SIGTERM/SIGHUP end the run, SIGALRM is the machine's timer (host/timer.h),
// SIGIO a gdb connection with something to say, SIGPROF a --stats sample. Each one that
// must stop translated code closes the poll page of the CPU it watches. Every handler
// runs on the alternate signal stack (SA_ONSTACK): guest ESP lives in host RSP.
#pragma once
#include <csignal>

#include "cpu/cpu_state.h"

namespace rs {

// Installs fn for sig with SA_SIGINFO | SA_ONSTACK | SA_RESTART, after making sure the
// alternate signal stack exists.
void install_signal_handler(int sig, void (*fn)(int, siginfo_t*, void*));

// Installs the handlers (again on every call: a test framework may have replaced them)
// and makes cpu the CPU whose translated code they interrupt; nullptr detaches.
void attach_host_signals(CpuState* cpu);

// Closes / opens the poll page so that the next block head leaves translated code.
void request_exit(CpuState& cpu);
void clear_exit_request(CpuState& cpu);

// Set by SIGINT/SIGTERM/SIGHUP: the user asked the run to end.
extern volatile sig_atomic_t g_interrupt_signal;
// Set by SIGIO: a socket the machine watches (the gdbstub's) has something to read.
extern volatile sig_atomic_t g_io_signal;

}  // namespace rs
