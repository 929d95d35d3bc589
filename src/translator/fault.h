// The fault path: host signals raised by translated code (SIGSEGV in a guest window or
// on the poll page, SIGFPE, SIGILL, SIGTRAP, SIGBUS). A shadow fill resumes the same
// instruction; anything else is rebuilt into the precise guest state of the faulting
// guest instruction and the block leaves for the run loop through the leave_async stub.
// The handler runs on the alternate stack (guest ESP is in RSP). Every other process
// signal is in host/signals.h.
#pragma once
#include "translator/translator.h"

namespace rs {

// Installs the handlers and makes `tr` the translator whose code
// they serve (its shadow page tables fill the windows). Pass nullptr to detach.
void attach_fault_handlers(Translator* tr);

}  // namespace rs
