// Building the machine, wiring its rooms, resetting it, and the GuestEnv and
// BoardControl requests that need more than one room. The run loop is run_loop.cpp.
#include "machine.h"

#include <sys/mman.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <system_error>

#include <spdlog/spdlog.h>

#include "bios/rom.h"
#include "boot/linux_boot.h"
#include "boot/linux_boot16.h"
#include "boot/multiboot.h"
#include "cpu/reset.h"
#include "devices/pic8259.h"
#include "devices/uart16550.h"
#include "host/serial_console.h"
#include "host/signals.h"
#include "host/text_display.h"
#include "translator/fault.h"

namespace rs {

Machine::Machine(const MachineConfig& cfg) : cfg_(cfg), mem_(cfg.ram_bytes) {
  void* p = mmap(nullptr, sizeof(CpuPage), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap CPU state");
  page_ = new (p) CpuPage();
  CpuState& c = cpu();
  c.env = this;
  PcConfig pc{cfg.ram_bytes, cfg.uart_fd, cfg.drives, &dma_, {}};
  // A disk request finished on an I/O thread: the machine thread's timer signal makes
  // translated code leave at the next block head and ends a HLT's sleep.
  pc.io_wake = [this] {
    if (running_.load()) pthread_kill(run_thread_.load(), SIGALRM);
  };
  pc_ = build_pc(board_, *this, pc);
  shadow_ = std::make_unique<Shadow>(mem_, c, cfg.map_budget);
  linear_ = std::make_unique<LinearMemory>(mem_, board_.mmio(), *shadow_, c);
  tr_ = std::make_unique<Translator>(mem_, *shadow_, c);
  debug_ = std::make_unique<DebugSession>(c, *linear_, *tr_, *this);
  if (cfg.text_display)
    console_ = std::make_unique<TextDisplay>(*pc_.vga, mem_, *pc_.kbd, cfg.console_in_fd, 1);
  else
    console_ = std::make_unique<SerialConsole>(*pc_.com1, cfg.console_in_fd, cfg.uart_fd);

  // The memory events that cross rooms, all wired here:
  // C++ wrote a guest page-table page: the shadow entries built from it are stale.
  mem_.on_table_write = [this](uint32_t page) { shadow_->table_written(page); };
  // C++ wrote a page holding translated code: its blocks go.
  mem_.on_code_write = [this](uint32_t page, uint32_t lo, uint32_t hi) { tr_->drop_range(page, lo, hi); };
  // A mapping code was fetched through went away: its indirect-branch entries go.
  shadow_->on_exec_drop = [this](int slot, uint32_t lpage) { tr_->clear_jtable(slot, lpage); };
  // An address-space slot was handed to another address space: its whole table goes.
  shadow_->on_slot_flush = [this](int slot) { tr_->clear_jtables(slot); };

  cpu_reset(c);
  segments_changed();
}

Machine::~Machine() {
  attach_fault_handlers(nullptr);
  attach_host_signals(nullptr);
  mem_.on_table_write = nullptr;
  mem_.on_code_write = nullptr;
  shadow_->on_exec_drop = nullptr;
  shadow_->on_slot_flush = nullptr;
  console_.reset();
  debug_.reset();
  tr_.reset();
  page_->~CpuPage();
  munmap(page_, sizeof(CpuPage));
}

void Machine::leave_translations_to_exit() {
  mem_.on_code_write = nullptr;
  shadow_->on_exec_drop = nullptr;
  shadow_->on_slot_flush = nullptr;
  (void)tr_.release();
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

void Machine::load_bios(BiosConfig cfg) {
  if (mem_.size() < (1u << 20)) throw UsageError("booting through the BIOS needs at least 1 MiB of guest RAM");
  cfg.ram_bytes = mem_.size();
  // The BIOS's screen output shows on the serial console too, until the guest sets up
  // COM1 itself (a boot loader's `serial` command, the kernel's console).
  // With -display curses the screen itself is on the terminal: no copy.
  Uart16550* com1 = pc_.com1;
  if (!cfg_.text_display)
    cfg.console_copy = [com1](uint8_t ch) {
      if (!com1->programmed()) com1->host_copy(ch);
    };
  bios_ = std::make_unique<Bios>(std::move(cfg), mem_, *this);
  boot_ = [this] { bios_->install(); };
  boot_();
}

void Machine::load_linux16(const std::vector<uint8_t>& kernel, const std::string& kernel_name,
                           const std::string& cmdline, const std::vector<uint8_t>* initrd,
                           const std::string& initrd_name, BiosConfig cfg) {
  if (mem_.size() < (2u << 20)) throw UsageError("booting Linux through its setup code needs at least 2 MiB of guest RAM");
  place_linux16(kernel, kernel_name, cmdline, initrd, initrd_name, mem_);  // the checks, before the guest starts
  auto rd = std::make_shared<std::vector<uint8_t>>(initrd ? *initrd : std::vector<uint8_t>{});
  const bool has_rd = initrd != nullptr;
  cfg.boot_loader = [=](PhysMem& mem) {
    const Linux16Entry e = place_linux16(kernel, kernel_name, cmdline, has_rd ? rd.get() : nullptr, initrd_name, mem);
    return RealModeEntry{uint16_t(e.seg + 0x20), 0, e.seg, e.sp};
  };
  load_bios(std::move(cfg));
}

// OUT to the BIOS's trap port from its ROM in real mode is a BIOS service call; from
// anywhere else the port is as empty as on any PC.
void Machine::port_out(uint16_t port, int size, uint32_t value) {
  const CpuState& c = cpu();
  if (port == kBiosTrapPort && bios_ && !(c.cr0 & 1) && c.seg[CS].base == bios::kRomBase) {
    bios_->trap(cpu());
    return;
  }
  board_.io().out(port, size, value);
}

void Machine::load_firmware(const std::vector<uint8_t>& rom, const std::string& name) {
  if (rom.empty() || rom.size() % 0x10000 || rom.size() > 0x40000)
    throw UsageError("firmware image '" + name + "': " + std::to_string(rom.size()) +
                     " bytes (expected a multiple of 64 KiB, up to 256 KiB)");
  if (mem_.size() < (1u << 20)) throw UsageError("firmware boot needs at least 1 MiB of guest RAM");
  auto image = std::make_shared<std::vector<uint8_t>>(rom);
  boot_ = [this, image] { mem_.write(0x100000 - image->size(), image->data(), image->size()); };
  boot_();
}

void Machine::load_linux(const std::vector<uint8_t>& kernel, const std::string& kernel_name, const std::string& cmdline,
                         const std::vector<uint8_t>* initrd, const std::string& initrd_name) {
  std::vector<uint8_t> initrd_copy = initrd ? *initrd : std::vector<uint8_t>{};
  set_boot([=, this] { rs::load_bzimage(kernel, kernel_name, cmdline, &initrd_copy, initrd_name, mem_, cpu()); });
}

void Machine::set_boot(std::function<void()> load) {
  // Kept so that a reset can boot the same image again.
  boot_ = [this, load] {
    pci_setup_for_direct_boot(mem_, *this, cpu());
    load();
    segments_changed();
  };
  boot_();
}

// Power-on again: RAM cleared, every device and the CPU reset, the image loaded again.
void Machine::reset() {
  reset_pending_ = false;
  io_touched_ = true;
  stats_.resets++;
  tr_->flush();
  shadow_->reset();
  // The devices before RAM: a disk controller's reset waits for its I/O thread, whose
  // reads in flight would otherwise land in cleared RAM and whose writes would take
  // cleared RAM to the image.
  board_.reset();
  mem_.clear();
  cpu_reset(cpu());
  segments_changed();
  halted_ = false;
  pending_ = PendingEvent{};
  if (boot_) boot_();
}

void Machine::request_stop(int exit_status, const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  exit_status_ = exit_status;
  stop_reason_ = why;
}

void Machine::set_a20(bool on) {
  if (on == shadow_->a20()) return;
  shadow_->set_a20(on);
  cpu().clear_seg_cache();  // its GDT entries were found under the old gate
  // Chained exits into the two megabytes' first 64 KiB were bound under the old gate.
  for (uint32_t p = 0; p < Shadow::kHmaPages; ++p) {
    tr_->drop_page(p);
    tr_->drop_page(Shadow::kHmaPage + p);
  }
}

void Machine::request_reset(const std::string& how) {
  if (cfg_.no_reboot) {
    request_stop(kExitHalted, "the guest reset the machine (" + how + "); exiting (--no-reboot)");
    return;
  }
  spdlog::info("the guest reset the machine ({})", how);
  reset_pending_ = true;
}

uint32_t Machine::raise_event(int vector, EventKind kind, uint32_t error_code, uint32_t insn_eip,
                              const std::string& detail) {
  pending_ = PendingEvent{true, vector, kind, error_code, insn_eip, detail};
  return uint32_t(Exit::Exception);
}

void Machine::unsupported(const std::string& what) {
  request_stop(kExitGuestError, "the guest uses " + what + ", which ringshift does not support yet" + at_eip(cpu().eip));
}

void Machine::triple_fault(const std::string& why) {
  std::string msg = "triple fault (" + why + ")" + at_eip(cpu().eip);
  if (cfg_.no_reboot) {
    request_stop(kExitGuestError, msg + ": the machine shut down (--no-reboot)");
    return;
  }
  spdlog::warn("{}: resetting the machine", msg);
  reset_pending_ = true;
}

bool Machine::take_page_fault(uint32_t& error) {
  if (!linear_->take_page_fault(error)) return false;
  stats_.page_faults++;
  return true;
}

void Machine::paging_changed(uint32_t old_cr0, uint32_t old_cr4) {
  // A CR3 load drops the kernel's indirect-branch entries of non-global pages, a flush
  // of global entries checks the others against the page tables, new rules of the walk
  // empty the table (Translator::kernel_table).
  switch (shadow_->paging_changed(old_cr0, old_cr4)) {
    case Shadow::Flush::NonGlobal:
      tr_->kernel_jtable_cr3_load();
      recheck_seg_cache();
      break;
    case Shadow::Flush::Global:
      tr_->kernel_jtable_global_flush();
      recheck_seg_cache();
      break;
    case Shadow::Flush::All:
      tr_->kernel_jtable_flush();
      cpu().clear_seg_cache();  // GDT entries are found through the page tables
      break;
  }
  tr_->select_jtable();
  segments_changed();
}

// The descriptor cache's entries point at GDT entries in guest RAM, found through the
// page tables (SegLoadEntry::desc). Emptying it at every CR3 load cost each context
// switch a C++ segment load per selector afterwards (~4 at ~80 ns); Linux's GDT is in
// the kernel's part of every address space, so the entries whose GDT entry is still
// where they point stay (one walk per GDT page).
void Machine::recheck_seg_cache() {
  CpuState& c = cpu();
  uint32_t page = ~0u;             // no linear page number: nothing walked yet
  const uint8_t* host = nullptr;  // the host address of `page`, nullptr: not RAM
  for (SegLoadEntry& e : c.seg_cache) {
    if (!e.key || e.desc == &c.zero_desc) continue;
    const uint32_t lin = c.gdtr.base + ((e.key & 0xFFFF) & ~7u);
    if ((lin >> kPageShift) != page) {
      page = lin >> kPageShift;
      const auto* p = static_cast<const uint8_t*>(ram_pointer(lin, 8));
      host = p ? p - (lin & (kPageSize - 1)) : nullptr;
    }
    if (!host || reinterpret_cast<const uint8_t*>(e.desc) != host + (lin & (kPageSize - 1))) e = SegLoadEntry{};
  }
}

void Machine::invlpg(uint32_t linear) {
  shadow_->invlpg(linear);
  tr_->kernel_jtable_invlpg(linear >> kPageShift);
  // Only the GDT's pages matter to the descriptor cache (recheck_seg_cache).
  const uint32_t first = cpu().gdtr.base >> kPageShift, last = (cpu().gdtr.base + cpu().gdtr.limit) >> kPageShift;
  const uint32_t p = linear >> kPageShift;
  if (first <= last ? (p >= first && p <= last) : (p >= first || p <= last)) recheck_seg_cache();
}

// The GS windows: the current view (CPL) of the address space, and per segment register
// window + base for segment-relative accesses.
void Machine::segments_changed() {
  CpuState& c = cpu();
  c.views[0] = shadow_->view_base(0);
  c.views[1] = shadow_->view_base(3);
  c.window = c.views[c.cpl == 3 ? 1 : 0];
  for (int s = 0; s < 6; ++s) {
    c.seg_window[s] = c.window + c.seg[s].base;
    c.neg_seg_window[s] = uint64_t(0) - c.seg_window[s];
  }
}

bool Machine::ports_settled() {
  io_touched_ = true;  // a timer may have been reprogrammed: the next poll looks at all of them
  return poll_devices();
}

void Machine::ferr_irq() { pc_.pic->pulse_irq(13); }

// An IRET completed: if it returns to an instruction whose shadow fault became a guest
// #PF, map the page the handler has (probably) provided (Shadow::prefill).
void Machine::after_iret() {
  if (!faulted_.valid) return;
  faulted_.valid = false;
  const CpuState& c = cpu();
  if (c.eip == faulted_.eip && c.cr3 == faulted_.cr3 && (c.cpl == 3) == faulted_.user)
    shadow_->prefill(faulted_.linear, faulted_.write, faulted_.user);
}

}  // namespace rs
