#include "machine.h"

#include <poll.h>
#include <sys/mman.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <system_error>

#include <spdlog/spdlog.h>

#include "boot/linux_boot.h"
#include "boot/multiboot.h"
#include "decoder/decoder.h"
#include "devices/clock.h"
#include "error.h"
#include "translator/fault.h"

namespace rs {

namespace {

constexpr uint32_t kDr6SingleStep = 1u << 14;

std::string at_eip(uint32_t eip) {
  char buf[32];
  std::snprintf(buf, sizeof buf, " at EIP %#010x", eip);
  return buf;
}

}  // namespace

Machine::Machine(const MachineConfig& cfg) : cfg_(cfg), mem_(cfg.ram_bytes) {
  void* p = mmap(nullptr, sizeof(CpuPage), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap CPU state");
  page_ = new (p) CpuPage();
  CpuState& c = cpu();
  c.env = this;
  shadow_ = std::make_unique<Shadow>(mem_, c, cfg.map_budget);
  mem_.on_table_write = [this](uint32_t page) { shadow_->table_written(page); };
  reset_cpu();

  debug_exit_ = std::make_unique<DebugExit>(*this);
  uart_ = std::make_unique<Uart16550>(cfg.uart_fd, [this](bool level) { pic_->set_irq(Uart16550::kIrq, level); });
  if (cfg.console_in_fd >= 0) console_ = std::make_unique<HostConsole>(cfg.console_in_fd, cfg.uart_fd);
  pic_ = std::make_unique<Pic8259>();
  pit_ = std::make_unique<Pit8254>(*pic_, &monotonic_ns);
  port61_ = std::make_unique<Port61>(*pit_, &monotonic_ns);
  io_.attach(DebugExit::kPort, 4, debug_exit_.get());
  io_.attach(Uart16550::kCom1, 8, uart_.get());
  io_.attach(0x20, 2, pic_.get());
  io_.attach(0xA0, 2, pic_.get());
  io_.attach(0x4D0, 2, pic_.get());
  io_.attach(0x40, 4, pit_.get());
  io_.attach(0x61, 1, port61_.get());
  auto irq = [this](int line, bool level) { pic_->set_irq(line, level); };
  rtc_ = std::make_unique<RtcCmos>(cfg.ram_bytes, irq);
  io_.attach(0x70, 2, rtc_.get());
  i8042_ = std::make_unique<I8042>(irq, [this] { guest_reset("keyboard controller reset line"); });
  io_.attach(0x60, 1, i8042_.get());
  io_.attach(0x64, 1, i8042_.get());
  port92_ = std::make_unique<Port92>([this] { guest_reset("port 0x92 fast reset"); });
  io_.attach(0x92, 1, port92_.get());
  pci_ = std::make_unique<PciHost>();
  io_.attach(0xCF8, 8, pci_.get());
  mmio_.attach(MmioTestDev::kBase, MmioTestDev::kSize, &mmio_testdev_);
  tr_ = std::make_unique<Translator>(*this, mem_, *shadow_, c);

  // The PIT's next event closes the poll page through SIGALRM (see fault.cpp).
  sigevent sev{};
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGALRM;
  timer_ok_ = timer_create(CLOCK_MONOTONIC, &sev, &timer_) == 0;
  if (!timer_ok_) spdlog::warn("timer_create failed ({}): timer interrupts arrive only at block exits", strerror(errno));
}

Machine::~Machine() {
  if (timer_ok_) timer_delete(timer_);
  attach_fault_handlers(nullptr);
  mem_.on_table_write = nullptr;
  tr_.reset();
  page_->~CpuPage();
  munmap(page_, sizeof(CpuPage));
}

void Machine::reset_cpu() {
  CpuState& c = cpu();
  for (auto& r : c.regs) r = 0;
  c.set_eflags(2);
  c.eip = 0xFFF0;
  for (auto& s : c.seg) s = Segment{};
  c.gdtr = c.idtr = DescTable{};
  c.idtr.limit = 0x3FF;
  c.clear_seg_cache();
  c.ldtr = c.tr = Segment{};
  c.cr0 = 0x60000010;
  c.cr2 = c.cr3 = c.cr4 = 0;
  c.cpl = 0;
  c.irq_inhibit = 0;
  c.irq_waiting = 0;
  c.sysenter_cs = c.sysenter_esp = c.sysenter_eip = 0;
  c.tsc_offset = 0;
  c.amd_nb_cfg = 0;
  static const CpuState fresh{};
  std::memcpy(c.dr, fresh.dr, sizeof c.dr);
  // An FXSAVE image of the reset x87/SSE state: FCW 0x037F, MXCSR 0x1F80, all registers empty.
  std::memset(c.fpu, 0, sizeof c.fpu);
  c.fpu[0] = 0x7F;
  c.fpu[1] = 0x03;
  uint32_t mxcsr = 0x1F80;
  std::memcpy(c.fpu + 24, &mxcsr, 4);
  update_segment_windows();
}

void Machine::load_multiboot(const std::vector<uint8_t>& kernel, const std::string& kernel_name,
                             const std::string& cmdline, const std::vector<uint8_t>* initrd,
                             const std::string& initrd_name) {
  std::vector<uint8_t> initrd_copy = initrd ? *initrd : std::vector<uint8_t>{};
  bool has_initrd = initrd != nullptr;
  set_boot([=, this] {
    rs::load_multiboot(kernel, kernel_name, cmdline, has_initrd ? &initrd_copy : nullptr, initrd_name, mem_, cpu());
  });
}

void Machine::load_linux(const std::vector<uint8_t>& kernel, const std::string& kernel_name, const std::string& cmdline,
                         const std::vector<uint8_t>* initrd, const std::string& initrd_name) {
  std::vector<uint8_t> initrd_copy = initrd ? *initrd : std::vector<uint8_t>{};
  set_boot([=, this] { rs::load_bzimage(kernel, kernel_name, cmdline, &initrd_copy, initrd_name, mem_, cpu()); });
}

void Machine::set_boot(std::function<void()> load) {
  // Kept so that a reset can boot the same image again.
  boot_ = [this, load] {
    load();
    update_segment_windows();
  };
  boot_();
}

void Machine::update_segment_windows() {
  CpuState& c = cpu();
  c.window = shadow_->view_base(c.cpl);
  for (int s = 0; s < 6; ++s) {
    c.seg_window[s] = c.window + c.seg[s].base;
    c.neg_seg_window[s] = uint64_t(0) - c.seg_window[s];
  }
}

void Machine::request_stop(int exit_status, const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  exit_status_ = exit_status;
  stop_reason_ = why;
}

uint32_t Machine::raise_event(int vector, EventKind kind, uint32_t error_code, uint32_t insn_eip,
                              const std::string& detail) {
  pending_ = PendingEvent{true, vector, kind, error_code, insn_eip, detail};
  return uint32_t(Exit::Exception);
}

void Machine::unsupported(const std::string& what) {
  request_stop(kExitGuestError, "the guest uses " + what + ", which ringshift does not support yet" + at_eip(cpu().eip));
}

bool Machine::translate(uint32_t linear, bool write, bool user, uint32_t& phys, uint32_t& error) {
  WalkResult r = shadow_->translate(linear, write, user);
  phys = r.phys;
  error = r.error;
  return r.ok;
}

// Device registers are read and written in naturally sized pieces of up to 8 bytes.
void Machine::phys_access(uint32_t phys, void* buf, uint32_t len, bool write) {
  if (mem_.contains(phys, len)) {
    if (write) mem_.write(phys, buf, len);
    else mem_.read(phys, buf, len);
    return;
  }
  auto* p = static_cast<uint8_t*>(buf);
  for (uint32_t done = 0; done < len;) {
    const uint32_t n = len - done >= 8 ? 8 : len - done >= 4 ? 4 : len - done >= 2 ? 2 : 1;
    uint64_t v = 0;
    if (write) {
      std::memcpy(&v, p + done, n);
      mmio_.write(phys + done, int(n), v);
    } else {
      v = mmio_.read(phys + done, int(n));
      std::memcpy(p + done, &v, n);
    }
    done += n;
  }
}

const void* Machine::ram_pointer(uint32_t linear, uint32_t len) {
  uint32_t phys = linear;
  if (cpu().cr0 & 0x80000000u) {
    WalkResult r = shadow_->translate(linear, false, false, false);  // a probe: no A/D bits
    if (!r.ok) return nullptr;
    phys = r.phys;
  }
  return mem_.ptr(phys, len);
}

uint32_t Machine::mode() const { return tr_->mode(); }

void Machine::triple_fault(const std::string& why) {
  std::string msg = "triple fault (" + why + ")" + at_eip(cpu().eip);
  if (cfg_.no_reboot) {
    request_stop(kExitGuestError, msg + ": the machine shut down (--no-reboot)");
    return;
  }
  spdlog::warn("{}: resetting the machine", msg);
  reset_pending_ = true;
}

void Machine::guest_reset(const std::string& how) {
  if (cfg_.no_reboot) {
    request_stop(kExitHalted, "the guest reset the machine (" + how + "); exiting (--no-reboot)");
    return;
  }
  spdlog::info("the guest reset the machine ({})", how);
  reset_pending_ = true;
}

bool Machine::poll_devices() {
  const uint64_t now = monotonic_ns();
  // The timers need a look only when one is due or the guest has just programmed a
  // device (port I/O): this runs at every exit, and each look reads the clock again.
  if (io_touched_ || now >= next_event_ || pit_->backlog()) {
    io_touched_ = false;
    service_timers();
    next_event_ = next_deadline();
    arm_timer(next_event_);
  }
  service_console(now);
  service_gdb(now);
  return interrupt_ready();
}

bool Machine::interrupt_ready() {
  const CpuState& c = cpu();
  return c.vif && !c.irq_inhibit && pic_->pending();
}

bool Machine::access_linear(uint32_t addr, void* buf, uint32_t len, bool write, bool supervisor) {
  struct Piece {
    uint32_t phys, len;
  };
  Piece pieces[8];
  int n = 0;
  const bool user = !supervisor && cpu().cpl == 3;
  for (uint32_t done = 0; done < len;) {
    const uint32_t lin = addr + done;
    const uint32_t chunk = std::min(len - done, kPageSize - (lin & (kPageSize - 1)));
    WalkResult r = shadow_->translate(lin, write, user);
    if (!r.ok) {
      mem_fault_ = MemFault{true, lin, r.error};
      return false;
    }
    if (!mem_.contains(r.phys, chunk) && !mmio_.claimed(r.phys)) return false;
    if (n == 8) return false;
    pieces[n++] = Piece{r.phys, chunk};
    done += chunk;
  }
  auto* p = static_cast<uint8_t*>(buf);
  for (int i = 0; i < n; ++i) {
    const Piece& pc = pieces[i];
    if (mem_.contains(pc.phys, pc.len)) {
      if (write) mem_.write(pc.phys, p, pc.len);
      else mem_.read(pc.phys, p, pc.len);
    } else {
      for (uint32_t k = 0; k < pc.len; ++k) {  // device registers, a byte at a time
        if (write) mmio_.write(pc.phys + k, 1, p[k]);
        else p[k] = uint8_t(mmio_.read(pc.phys + k, 1));
      }
    }
    p += pc.len;
  }
  return true;
}

bool Machine::read_linear(uint32_t addr, void* dst, uint32_t len, bool supervisor) {
  return access_linear(addr, dst, len, false, supervisor);
}

bool Machine::write_linear(uint32_t addr, const void* src, uint32_t len, bool supervisor) {
  return access_linear(addr, const_cast<void*>(src), len, true, supervisor);
}

bool Machine::take_page_fault(uint32_t& error) {
  if (!mem_fault_.valid) return false;
  mem_fault_.valid = false;
  cpu().cr2 = mem_fault_.addr;
  error = mem_fault_.error;
  stats_.page_faults++;
  return true;
}

void Machine::paging_changed(uint32_t old_cr0, uint32_t old_cr4) {
  shadow_->paging_changed(old_cr0, old_cr4);
  cpu().clear_seg_cache();  // GDT entries are found through the page tables
  tr_->select_jtable();
  update_segment_windows();
}

// What the run loop would do before entering the next block, minus its cost (an exit
// to C++ and back is an FXSAVE, an FXRSTOR and a lookup): only when no stop, debugger
// step, trap flag, interrupt shadow or deliverable interrupt needs the loop.
uint32_t Machine::continue_after_helper() {
  CpuState& c = cpu();
  if (c.exit_request || stopping_ || reset_pending_ || dbg_stop_ || dbg_step_ || dbg_resume_ || !watch_.empty() ||
      (c.vflags & FL_TF) || c.irq_inhibit)
    return uint32_t(Exit::Dispatch);
  const bool pending = pic_->pending();
  if (pending && c.vif) return uint32_t(Exit::Dispatch);
  c.irq_waiting = pending;
  try {
    Block* b = tr_->lookup_or_translate(c.eip);
    if (!b) return uint32_t(Exit::Dispatch);
    c.ret_addr = uint64_t(b->code);
    return kResumeNewView;
  } catch (...) {
    return uint32_t(Exit::Dispatch);  // the loop translates again and delivers the fault
  }
}

void Machine::after_iret() {
  if (!faulted_.valid) return;
  faulted_.valid = false;
  const CpuState& c = cpu();
  if (c.eip == faulted_.eip && c.cr3 == faulted_.cr3 && (c.cpl == 3) == faulted_.user)
    shadow_->prefill(faulted_.linear, faulted_.write, faulted_.user);
}

void Machine::invlpg(uint32_t linear) {
  shadow_->invlpg(linear);
  cpu().clear_seg_cache();
}

// The first access of an instruction to device memory: from now on that instruction
// is translated with a direct call to the device (emit_mmio.cpp).
void Machine::mmio_exit() {
  CpuState& c = cpu();
  stats_.mmio_exits++;
  if (!mmio_.claimed(c.fault_phys)) {
    request_stop(kExitGuestError, describe_fault());
    return;
  }
  uint32_t phys = 0, error = 0;
  if (!shadow_->fetch(c.eip, c.cpl == 3, phys, error)) {
    request_stop(kExitInternal, "internal error: the instruction that touched device memory cannot be fetched");
    return;
  }
  if (tr_->is_mmio(phys)) {
    request_stop(kExitInternal, "internal error: a device-memory instruction faulted again" + at_eip(c.eip));
    return;
  }
  tr_->mark_mmio(phys);
}

std::string Machine::describe_fault() const {
  const CpuState& c = page_->cpu;
  char buf[200];
  if (c.fault_signo == SIGSEGV && shadow_->owns(c.fault_host_addr)) {
    std::snprintf(buf, sizeof buf, "guest access to physical address %#010x outside RAM at EIP %#010x",
                  c.fault_phys, c.eip);
    return buf;
  }
  if (c.fault_signo == SIGSEGV) {
    std::snprintf(buf, sizeof buf, "guest memory access outside its address space at EIP %#010x", c.eip);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "guest instruction at EIP %#010x raised host signal %u (trap %u)", c.eip,
                c.fault_signo, c.fault_trapno);
  return buf;
}

// A host exception in translated code that is the guest's own: reflect it into the guest.
void Machine::host_fault() {
  CpuState& c = cpu();
  switch (c.fault_signo) {
    case SIGFPE:
      if (c.fault_trapno == 0) return deliver(0, EventKind::Fault, 0, "divide error", c.eip);
      if (c.fault_trapno == 16) {
        if (c.cr0 & 0x20) return deliver(16, EventKind::Fault, 0, "x87 floating-point error", c.eip);
        pic_->pulse_irq(13);  // CR0.NE = 0: the PC's FERR# line raises IRQ 13
        return;
      }
      if (c.fault_trapno == 19) {
        if (c.cr4 & 0x400) return deliver(19, EventKind::Fault, 0, "SIMD floating-point exception", c.eip);
        return deliver(6, EventKind::Fault, 0, "SIMD exception without CR4.OSXMMEXCPT", c.eip);
      }
      break;
    case SIGILL:
      return deliver(6, EventKind::Fault, 0, "invalid opcode", c.eip);
    default:
      break;
  }
  request_stop(kExitGuestError, describe_fault());
}

void Machine::deliver(int vector, EventKind kind, uint32_t error, const std::string& detail, uint32_t insn_eip) {
  ++events_;
  if (kind == EventKind::External) stats_.interrupts++;
  else stats_.exceptions++;
  if (!detail.empty())
    spdlog::debug("{} (vector {}, error {:#x}){}: {}", vector_name(vector), vector, error, at_eip(cpu().eip), detail);
  halted_ = false;
  deliver_event(*this, cpu(), vector, kind, error, insn_eip);
}

void Machine::deliver_pending() {
  if (!pending_.valid) return;
  PendingEvent e = std::move(pending_);
  pending_ = PendingEvent{};
  deliver(e.vector, e.kind, e.error, e.detail, e.insn_eip);
}

void Machine::reset() {
  reset_pending_ = false;
  io_touched_ = true;
  stats_.resets++;
  tr_->flush();
  shadow_->reset();
  mem_.clear();
  pic_->reset();
  pit_->reset();
  port61_->reset();
  uart_->reset();
  rtc_->reset();
  i8042_->reset();
  port92_->reset();
  pci_->reset();
  reset_cpu();
  halted_ = false;
  pending_ = PendingEvent{};
  if (boot_) boot_();
}

void Machine::service_timers() {
  pit_->update();
  rtc_->update();
}

uint64_t Machine::next_deadline() const { return std::min(pit_->next_deadline(), rtc_->next_deadline()); }

void Machine::service_gdb(uint64_t now) {
  if (!gdb_ || dbg_stop_) return;
  // A connection or Ctrl-C is looked for at most every 5 ms (a system call each time).
  if (now < next_gdb_poll_ && !g_io_signal) return;
  next_gdb_poll_ = now + 5000000;
  g_io_signal = 0;
  gdb::StopReason why;
  if (gdb_->poll(why)) {
    dbg_stop_ = true;
    dbg_why_ = why;
    request_exit(cpu());  // leave translated code at the next block boundary
  }
}

void Machine::enable_gdb(const std::string& host, uint16_t port, bool wait) {
  gdb_ = std::make_unique<gdb::GdbStub>(*this, host, port);
  if (!wait) return;
  std::fprintf(stderr, "ringshift: waiting for gdb on %s:%u\n", host.c_str(), unsigned(port));
  if (!gdb_->wait_for_connection()) throw UsageError("interrupted while waiting for gdb");
  dbg_stop_ = true;
  dbg_why_ = gdb::StopReason{gdb::StopReason::Signal, 5};
}

void Machine::debug_stop() {
  dbg_stop_ = false;
  if (!gdb_ || !gdb_->connected()) return;
  arm_timer(UINT64_MAX);  // no timer signals while gdb holds the machine
  io_touched_ = true;     // and the next poll arms the timer again
  uart_->flush();
  switch (gdb_->stopped(dbg_why_)) {
    case gdb::Resume::Continue:
    case gdb::Resume::Detach:
      dbg_resume_ = true;
      break;
    case gdb::Resume::Step:
      dbg_resume_ = true;
      dbg_step_ = true;
      break;
    case gdb::Resume::Kill:
      request_stop(kExitHalted, "killed by gdb");
      break;
  }
}

bool Machine::debug_translate(uint32_t addr, uint32_t& phys) {
  WalkResult r = shadow_->translate(addr, false, false, false);  // a probe: no A/D bits
  phys = r.phys;
  return r.ok;
}

bool Machine::debug_read(uint32_t addr, uint8_t* buf, uint32_t len) {
  for (uint32_t done = 0; done < len;) {
    const uint32_t lin = addr + done, chunk = std::min(len - done, kPageSize - (lin & (kPageSize - 1)));
    uint32_t phys;
    if (!debug_translate(lin, phys) || !mem_.contains(phys, chunk) || !mem_.read(phys, buf + done, chunk)) return false;
    done += chunk;
  }
  return true;
}

bool Machine::debug_write(uint32_t addr, const uint8_t* buf, uint32_t len) {
  // Every page is checked first, so that a failing write changes nothing.
  for (uint32_t done = 0; done < len;) {
    const uint32_t lin = addr + done, chunk = std::min(len - done, kPageSize - (lin & (kPageSize - 1)));
    uint32_t phys;
    if (!debug_translate(lin, phys) || !mem_.contains(phys, chunk)) return false;
    done += chunk;
  }
  for (uint32_t done = 0; done < len;) {
    const uint32_t lin = addr + done, chunk = std::min(len - done, kPageSize - (lin & (kPageSize - 1)));
    uint32_t phys;
    debug_translate(lin, phys);
    mem_.write(phys, buf + done, chunk);  // drops translations of code pages, tracks page tables
    done += chunk;
  }
  return true;
}

void Machine::debug_breakpoints(const std::set<uint32_t>& addrs) { tr_->set_breakpoints(addrs); }

void Machine::debug_watchpoints(const std::set<gdb::Watchpoint>& w) { watch_ = w; }

void Machine::debug_registers_changed() { update_segment_windows(); }

std::vector<uint8_t> Machine::watch_snapshot() {
  std::vector<uint8_t> out;
  for (const auto& w : watch_) {
    if (w.type != gdb::Watchpoint::Write) continue;
    std::vector<uint8_t> v(w.len, 0);
    debug_read(w.addr, v.data(), w.len);
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

std::vector<Machine::MemAccess> Machine::memory_operands(const Insn* in) {
  std::vector<MemAccess> out;
  if (!in || !in->z.length) return out;
  const CpuState& c = cpu();
  ZydisRegisterContext ctx{};
  static const ZydisRegister gpr[8] = {ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_EDX, ZYDIS_REGISTER_EBX,
                                       ZYDIS_REGISTER_ESP, ZYDIS_REGISTER_EBP, ZYDIS_REGISTER_ESI, ZYDIS_REGISTER_EDI};
  for (int i = 0; i < 8; ++i) ctx.values[gpr[i]] = c.reg(i);
  for (int i = 0; i < in->z.operand_count; ++i) {
    const ZydisDecodedOperand& op = in->ops[i];
    if (op.type != ZYDIS_OPERAND_TYPE_MEMORY || op.mem.type != ZYDIS_MEMOP_TYPE_MEM) continue;
    ZyanU64 a = 0;
    if (!ZYAN_SUCCESS(ZydisCalcAbsoluteAddressEx(&in->z, &op, in->eip, &ctx, &a))) continue;
    const int s = seg_index(op.mem.segment);
    out.push_back(MemAccess{uint32_t(a) + (s >= 0 ? c.seg[s].base : 0), std::max<uint32_t>(op.size / 8, 1),
                            (op.actions & ZYDIS_OPERAND_ACTION_MASK_READ) != 0,
                            (op.actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) != 0});
  }
  return out;
}

bool Machine::watch_hit(const std::vector<MemAccess>& accesses, const std::vector<uint8_t>& before,
                        gdb::StopReason& why) {
  size_t off = 0;
  for (const auto& w : watch_) {
    bool hit = false;
    if (w.type == gdb::Watchpoint::Write) {
      // As gdb's `watch`: the watched bytes changed.
      std::vector<uint8_t> now(w.len, 0);
      debug_read(w.addr, now.data(), w.len);
      hit = std::memcmp(now.data(), before.data() + off, w.len) != 0;
      off += w.len;
    } else {
      for (const auto& m : accesses) {
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

void Machine::service_console(uint64_t now) {
  // A prompt has no newline to flush it: partial lines go out after 5 ms, or when the
  // guest idles (a write per byte cost ~10 us each, ~0.15 s of a boot).
  if (!uart_->output_pending()) {
    partial_since_ = 0;
  } else if (!partial_since_) {
    partial_since_ = now;
  } else if (now - partial_since_ >= 5000000u) {
    uart_->flush();
    partial_since_ = 0;
  }
  if (!console_) return;
  // Reading the host side costs a system call: at most once a millisecond, and not
  // while the guest has not taken what it was given.
  if (now < next_input_check_ || uart_->backlog() >= 4096) return;
  next_input_check_ = now + 1000000;
  uint8_t buf[256];
  HostConsole::Action act;
  size_t n = console_->read(buf, sizeof buf, act);
  if (n) uart_->receive(buf, n);
  if (act == HostConsole::Action::Quit) request_stop(kExitHalted, "quit from the console (Ctrl-A x)");
}

void Machine::arm_timer(uint64_t deadline) {
  if (deadline == 0) deadline = 1;  // already due: fire at once
  if (!timer_ok_ || deadline == timer_armed_) return;
  itimerspec its{};
  if (deadline != UINT64_MAX) {
    its.it_value.tv_sec = time_t(deadline / 1000000000u);
    its.it_value.tv_nsec = long(deadline % 1000000000u);
  }
  timer_settime(timer_, TIMER_ABSTIME, &its, nullptr);
  timer_armed_ = deadline;
}

void Machine::wait_for_interrupt() {
  stats_.halts++;
  uart_->flush();
  uint64_t deadline = next_deadline();
  uint64_t now = monotonic_ns();
  if (deadline <= now) return;
  // At most 100 ms at a time: a signal that lands just before ppoll is seen soon.
  uint64_t wait = std::min<uint64_t>(deadline - now, 100000000u);
  timespec ts{time_t(wait / 1000000000u), long(wait % 1000000000u)};
  pollfd p{console_ ? console_->wait_fd() : -1, POLLIN, 0};
  if (ppoll(&p, p.fd >= 0 ? 1 : 0, &ts, nullptr) > 0) next_input_check_ = 0;  // a key: read it now
}

int Machine::run() {
  CpuState& c = cpu();
  attach_fault_handlers(tr_.get());
  bool replay_one = false;
  while (!stopping_) {
    if (g_interrupt_signal) {
      request_stop(kExitInterrupted, std::string("interrupted by signal ") + std::to_string(g_interrupt_signal));
      break;
    }
    if (reset_pending_) {
      reset();
      replay_one = false;
      continue;
    }
    if (dbg_stop_) {
      debug_stop();
      continue;
    }
    if (c.exit_request) clear_exit_request(c);
    // A debugger's single step keeps interrupts out (as QEMU's gdbstub does), unless
    // the CPU is halted: then the interrupt is what the step runs into.
    if (poll_devices() && !replay_one && (!dbg_step_ || halted_)) {
      deliver(pic_->acknowledge(), EventKind::External, 0, "", c.eip);
      if (dbg_step_) {
        dbg_step_ = false;
        dbg_stop_ = true;
        dbg_why_ = gdb::StopReason{gdb::StopReason::Step, 5};
      }
      continue;
    }
    c.irq_waiting = !c.vif && pic_->pending();
    if (halted_) {
      if (!c.vif) {
        request_stop(kExitHalted, "guest halted with interrupts disabled");
        break;
      }
      wait_for_interrupt();
      continue;
    }

    // One instruction at a time while TF is set, in an interrupt shadow, or to replay a
    // write into a code page.
    const bool tf = c.vflags & FL_TF;
    // Under a debugger: the instruction gdb resumes at may sit on a breakpoint, so it runs
    // alone and past it; watchpoints are checked after every instruction.
    const bool dbg_single = dbg_step_ || dbg_resume_ || !watch_.empty();
    const bool step = tf || c.irq_inhibit || replay_one || dbg_single;
    tr_->skip_breakpoint_ = dbg_resume_;
    const uint8_t inhibit_in = c.irq_inhibit;
    c.irq_inhibit = 0;
    Block* b = nullptr;
    try {
      if (step) {
        b = tr_->translate(c.eip, true);
        if (!b) {
          tr_->flush();
          b = tr_->translate(c.eip, true);
        }
        stats_.steps++;
      } else {
        b = tr_->lookup_or_translate(c.eip);
      }
    } catch (const GuestError& e) {
      request_stop(kExitGuestError, e.what() + at_eip(c.eip));
      break;
    } catch (const FetchFault& f) {
      c.cr2 = f.linear;
      stats_.page_faults++;
      replay_one = false;
      deliver(14, EventKind::Fault, f.error, "page fault on instruction fetch", c.eip);
      continue;
    }
    replay_one = false;
    stats_.dispatches++;
    const uint64_t events_before = events_;
    std::vector<uint8_t> watched;
    std::vector<MemAccess> accesses;  // the instruction's memory operands, for read/access watchpoints
    if (!watch_.empty()) {
      watched = watch_snapshot();
      accesses = memory_operands(b->kept.empty() ? nullptr : b->kept.front().get());
    }
    auto why = Exit(tr_->runtime().enter(&c, b->code));
    Timed exit_timer(prof_.exits[size_t(why) & 15]);
    bool completed = false;
    switch (why) {
      case Exit::None:
      case Exit::Dispatch:
        completed = true;
        break;
      case Exit::Halt:
        halted_ = true;
        completed = true;
        break;
      case Exit::Stop:
        break;
      case Exit::Smc:
        // The write hit a page with translations: drop them, then run the writing
        // instruction alone from an uncached block, so that it completes unprotected.
        tr_->drop_page(c.fault_phys >> kPageShift);
        replay_one = true;
        stats_.smc_replays++;
        break;
      case Exit::Poll:
        stats_.polls++;
        break;
      case Exit::Fault:
        host_fault();
        break;
      case Exit::Exception:
        deliver_pending();
        break;
      case Exit::PageFault:
        c.cr2 = c.fault_guest_addr;
        stats_.page_faults++;
        faulted_ = FaultedAccess{true, c.fault_guest_addr, c.eip, c.cr3, (c.fault_err & 2) != 0, (c.fault_err & 4) != 0};
        deliver(14, EventKind::Fault, c.fault_err, "page fault", c.eip);
        break;
      case Exit::Mmio:
        mmio_exit();
        break;
      case Exit::Debug:
        dbg_stop_ = true;
        dbg_why_ = gdb::StopReason{gdb_ && gdb_->in_hw_set(c.eip) ? gdb::StopReason::HwBreak : gdb::StopReason::SwBreak, 5};
        break;
    }
    if (dbg_single && (completed || events_ != events_before)) {
      // The instruction ran (or raised an exception, now delivered: a step stops at the
      // handler's first instruction).
      dbg_resume_ = false;
      gdb::StopReason why;
      if (!watch_.empty() && watch_hit(accesses, watched, why)) {
        dbg_stop_ = true;
        dbg_why_ = why;
      } else if (dbg_step_) {
        dbg_stop_ = true;
        dbg_why_ = gdb::StopReason{gdb::StopReason::Step, 5};
      }
      if (dbg_stop_) dbg_step_ = false;
    }
    // A shadow lasts until the instruction after it has completed (a poll exit or a
    // code-page replay did not run it).
    if (!completed && !c.irq_inhibit && events_ == events_before) c.irq_inhibit = inhibit_in;
    // The single-step trap comes after an instruction that started with TF set and
    // completed without an exception (and not after MOV SS / POP SS).
    if (step && tf && completed && events_ == events_before && !(c.irq_inhibit & kInhibitMovSs) && !stopping_) {
      c.dr[6] |= kDr6SingleStep;
      deliver(1, EventKind::Trap, 0, "single step", c.eip);
    }
  }
  arm_timer(UINT64_MAX);
  uart_->flush();
  if (gdb_) gdb_->exited(exit_status_);
  return exit_status_;
}

}  // namespace rs
