#include "gdbstub/debug_session.h"
#include "gdbstub/registers.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "error.h"
#include "host/signals.h"
#include "translator/translator.h"

namespace rs {

void DebugSession::enable(const std::string& host, uint16_t port, bool wait) {
  stub_ = std::make_unique<gdb::GdbStub>(*this, host, port);
  if (!wait) return;
  std::fprintf(stderr, "ringshift: waiting for gdb on %s:%u\n", host.c_str(), unsigned(port));
  if (!stub_->wait_for_connection()) throw UsageError("interrupted while waiting for gdb");
  stop(gdb::StopReason{gdb::StopReason::Signal, 5});
}

void DebugSession::poll(uint64_t now) {
  if (!stub_ || stop_) return;
  // A connection or Ctrl-C is looked for at most every 5 ms (a system call each time).
  if (now < next_poll_ && !g_io_signal) return;
  next_poll_ = now + 5000000;
  g_io_signal = 0;
  gdb::StopReason why;
  if (stub_->poll(why)) {
    stop(why);
    request_exit(cpu_);  // leave translated code at the next block boundary
  }
}

bool DebugSession::take_stop() {
  stop_ = false;
  return stub_ && stub_->connected();
}

bool DebugSession::serve() {
  switch (stub_->stopped(why_)) {
    case gdb::Resume::Continue:
    case gdb::Resume::Detach:
      resume_ = true;
      return true;
    case gdb::Resume::Step:
      resume_ = true;
      step_ = true;
      return true;
    case gdb::Resume::Kill:
      break;
  }
  return false;
}

void DebugSession::before_insn(const Insn* in) {
  if (watch_.empty()) return;
  watched_ = watch_snapshot();
  accesses_ = memory_operands(in);
}

void DebugSession::after_insn() {
  resume_ = false;
  gdb::StopReason why;
  if (!watch_.empty() && watch_hit(why)) stop(why);
  else if (step_) stop(gdb::StopReason{gdb::StopReason::Step, 5});
  if (stop_) step_ = false;
}

void DebugSession::step_into_interrupt() {
  step_ = false;
  stop(gdb::StopReason{gdb::StopReason::Step, 5});
}

void DebugSession::breakpoint_hit() {
  const bool hw = stub_ && stub_->in_hw_set(gdb::gdb_pc(cpu_));
  stop(gdb::StopReason{hw ? gdb::StopReason::HwBreak : gdb::StopReason::SwBreak, 5});
}

void DebugSession::exited(int status) {
  if (stub_) stub_->exited(status);
}

void DebugSession::debug_breakpoints(const std::set<uint32_t>& addrs) { tr_.set_breakpoints(addrs); }

std::vector<uint8_t> DebugSession::watch_snapshot() {
  std::vector<uint8_t> out;
  for (const auto& w : watch_) {
    if (w.type != gdb::Watchpoint::Write) continue;
    std::vector<uint8_t> v(w.len, 0);
    mem_.debug_read(w.addr, v.data(), w.len);
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

std::vector<DebugSession::MemAccess> DebugSession::memory_operands(const Insn* in) const {
  std::vector<MemAccess> out;
  if (!in || !in->z.length) return out;
  ZydisRegisterContext ctx{};
  static const ZydisRegister gpr[8] = {ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_EDX, ZYDIS_REGISTER_EBX,
                                       ZYDIS_REGISTER_ESP, ZYDIS_REGISTER_EBP, ZYDIS_REGISTER_ESI, ZYDIS_REGISTER_EDI};
  for (int i = 0; i < 8; ++i) ctx.values[gpr[i]] = cpu_.reg(i);
  for (int i = 0; i < in->z.operand_count; ++i) {
    const ZydisDecodedOperand& op = in->ops[i];
    if (op.type != ZYDIS_OPERAND_TYPE_MEMORY || op.mem.type != ZYDIS_MEMOP_TYPE_MEM) continue;
    ZyanU64 a = 0;
    if (!ZYAN_SUCCESS(ZydisCalcAbsoluteAddressEx(&in->z, &op, in->eip, &ctx, &a))) continue;
    const int s = seg_index(op.mem.segment);
    out.push_back(MemAccess{uint32_t(a) + (s >= 0 ? cpu_.seg[s].base : 0), std::max<uint32_t>(op.size / 8, 1),
                            (op.actions & ZYDIS_OPERAND_ACTION_MASK_READ) != 0,
                            (op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) != 0});
  }
  return out;
}

bool DebugSession::watch_hit(gdb::StopReason& why) {
  size_t off = 0;
  for (const auto& w : watch_) {
    bool hit = false;
    if (w.type == gdb::Watchpoint::Write) {
      // As gdb's `watch`: the watched bytes changed.
      std::vector<uint8_t> now(w.len, 0);
      mem_.debug_read(w.addr, now.data(), w.len);
      hit = off + w.len <= watched_.size() && std::memcmp(now.data(), watched_.data() + off, w.len) != 0;
      off += w.len;
    } else {
      for (const auto& m : accesses_) {
        const bool overlap = uint64_t(m.linear) < uint64_t(w.addr) + w.len && uint64_t(w.addr) < uint64_t(m.linear) + m.size;
        if (overlap && (m.read || (w.type == gdb::Watchpoint::Access && m.write))) hit = true;
      }
    }
    if (hit) {
      why = gdb::StopReason{gdb::StopReason::Watch, 5, w.type, w.addr};
      return true;
    }
  }
  return false;
}

}  // namespace rs
