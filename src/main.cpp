// The ringshift command: parses the command line, builds the machine, loads the kernel,
// runs it, and reports how it ended (and, with --stats, where the time went).
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "block/block_image.h"
#include "boot/linux_boot.h"
#include "boot/linux_boot16.h"
#include "boot/multiboot.h"
#include "cli.h"
#include "error.h"
#include "host/console.h"
#include "symbols.h"
#include "machine.h"

namespace {

// The --stats report, on stderr after the guest has stopped.
void print_stats(rs::Machine& m) {
  const auto& t = m.translator().stats;
  const auto& r = m.stats();
  std::fprintf(stderr,
               "ringshift stats: blocks=%llu guest_insns=%llu chains=%llu flushes=%llu pages_dropped=%llu "
               "smc_replays=%llu dispatches=%llu steps=%llu exceptions=%llu interrupts=%llu halts=%llu "
               "polls=%llu resets=%llu\n",
               (unsigned long long)t.blocks, (unsigned long long)t.guest_insns, (unsigned long long)t.chains,
               (unsigned long long)t.flushes, (unsigned long long)t.pages_dropped,
               (unsigned long long)r.smc_replays, (unsigned long long)r.dispatches, (unsigned long long)r.steps,
               (unsigned long long)r.exceptions, (unsigned long long)r.interrupts, (unsigned long long)r.halts,
               (unsigned long long)r.polls, (unsigned long long)r.resets);
  const auto& s = m.shadow().stats;
  std::fprintf(stderr,
               "ringshift paging: guest_page_faults=%llu shadow_fills=%llu prefills=%llu unparks=%llu chunk_fills=%llu write_upgrades=%llu table_writes=%llu "
               "resyncs=%llu resync_drops=%llu resync_updates=%llu as_switches=%llu slot_evictions=%llu slot_reuses=%llu revalidations=%llu "
               "budget_evictions=%llu invlpgs=%llu invlpg_drops=%llu dir_resyncs=%llu (groups checked %llu) window_clears=%llu full_flushes=%llu mmio_exits=%llu mapped=%zu "
               "vmas=%lld vmas_peak=%lld pressure_flushes=%llu\n",
               (unsigned long long)r.page_faults, (unsigned long long)s.fills, (unsigned long long)s.prefills, (unsigned long long)s.unparks,
               (unsigned long long)s.chunk_fills,
               (unsigned long long)s.write_upgrades,
               (unsigned long long)s.table_writes, (unsigned long long)s.resyncs,
               (unsigned long long)s.resync_drops, (unsigned long long)s.resync_updates,
               (unsigned long long)s.switches,
               (unsigned long long)s.slot_evictions, (unsigned long long)s.slot_reuses,
               (unsigned long long)s.revalidations, (unsigned long long)s.budget_evictions,
               (unsigned long long)s.invlpgs, (unsigned long long)s.invlpg_drops, (unsigned long long)s.dir_resyncs,
               (unsigned long long)s.dir_groups_checked, (unsigned long long)s.window_clears,
               (unsigned long long)s.full_flushes,
               (unsigned long long)r.mmio_exits, m.shadow().mapped(), (long long)rs::Shadow::vmas(),
               (long long)s.vmas_peak, (unsigned long long)s.pressure_flushes);
  // The host faults the shadow takes, by mechanism (docs/design.md, "Shadow faults at the floor").
  std::fprintf(stderr,
               "ringshift shadow faults: guest_pf=%llu fill=%llu write_upgrade=%llu table_write_active=%llu "
               "table_write_inactive=%llu table_write_idle=%llu; saved: prefill=%llu prefill_upgrade=%llu "
               "hot_table_fill=%llu hot_table_kept=%llu around=%llu\n",
               (unsigned long long)s.guest_faults, (unsigned long long)s.fills - s.prefills - s.chunk_fills,
               (unsigned long long)s.write_upgrades, (unsigned long long)s.tw_active, (unsigned long long)s.tw_inactive,
               (unsigned long long)s.tw_idle, (unsigned long long)s.prefills, (unsigned long long)s.prefill_upgrades,
               (unsigned long long)s.hot_fills, (unsigned long long)s.hot_unwatched, (unsigned long long)s.around);
  std::fprintf(stderr,
               "ringshift translation: guest_bytes=%llu host_bytes=%llu translate_ms=%.1f indirect_misses=%llu (kernel %llu) "
               "direct_lookups=%llu jtable_page_clears=%llu shared_hits=%llu smc_partial=%llu smc_blocks_dropped=%llu replaced=%llu cross_unlinks=%llu pc_thunk_sites=%llu gs_restores=%llu "
               "kernel_table_checks=%llu (stale pages %llu) kernel_xpage_chains=%llu unchains=%llu\n",
               (unsigned long long)t.guest_bytes, (unsigned long long)t.host_bytes, double(t.translate_ns) / 1e6,
               (unsigned long long)t.indirect_misses, (unsigned long long)t.indirect_misses_kernel,
               (unsigned long long)t.direct_lookups,
               (unsigned long long)t.jtable_page_clears, (unsigned long long)t.shared_hits, (unsigned long long)t.smc_partial, (unsigned long long)t.smc_blocks_dropped,
               (unsigned long long)t.replaced, (unsigned long long)t.cross_unlinks, (unsigned long long)t.pc_thunk_sites,
               (unsigned long long)t.gs_restores, (unsigned long long)t.kernel_jtable_checks,
               (unsigned long long)t.kernel_jtable_stale_pages, (unsigned long long)t.kernel_xpage_chains,
               (unsigned long long)t.kernel_xpage_unchains);
  std::fprintf(stderr, "ringshift self-checking code: pages=%llu blocks=%llu fails=%llu\n",
               (unsigned long long)t.self_check_pages, (unsigned long long)t.self_check_blocks,
               (unsigned long long)t.self_check_fails);
  std::fprintf(stderr, "ringshift inline caches: sites=%llu learns=%llu unlinks=%llu polymorphic=%llu\n",
               (unsigned long long)t.ic_sites, (unsigned long long)t.ic_learns, (unsigned long long)t.ic_unlinks,
               (unsigned long long)t.ic_megamorphic);
  std::fprintf(stderr,
               "ringshift drops (pages/blocks): cpp_write=%llu/%llu smc_mixed=%llu/%llu smc_second_page=%llu/%llu "
               "other=%llu/%llu; mode_variants=%llu\n",
               (unsigned long long)t.drop_pages[rs::kDropCppWrite], (unsigned long long)t.drop_blocks[rs::kDropCppWrite],
               (unsigned long long)t.drop_pages[rs::kDropSmcMixed], (unsigned long long)t.drop_blocks[rs::kDropSmcMixed],
               (unsigned long long)t.drop_pages[rs::kDropSmcSecond], (unsigned long long)t.drop_blocks[rs::kDropSmcSecond],
               (unsigned long long)t.drop_pages[rs::kDropOther], (unsigned long long)t.drop_blocks[rs::kDropOther],
               (unsigned long long)t.mode_variants);
  std::fputs(m.profile().report(m.translator(), s.fill_ticks, s.fills).c_str(), stderr);
}

// The kernel's format decides the boot path: Linux's boot protocol or multiboot.
void load_kernel(rs::Machine& m, const rs::RunOptions& o, bool linux, const std::vector<uint8_t>& kernel,
                 const std::vector<uint8_t>* initrd) {
  if (linux) {
    m.load_linux(kernel, o.kernel, o.append, initrd, o.initrd);
  } else {
    // As QEMU and GRUB do, a multiboot command line starts with the kernel's name.
    m.load_multiboot(kernel, o.kernel, o.kernel + (o.append.empty() ? "" : " " + o.append), initrd, o.initrd);
  }
}

// The drives, opened (and checked) before the guest starts, and closed (flushed to the
// host's disk) after the machine is gone: CDs in 2048-byte sectors, the rest in 512.
struct Drives {
  std::vector<std::unique_ptr<rs::BlockImage>> images;
  std::vector<rs::PcDrive> pc;  // the disk controllers' (floppies are the BIOS's only)
  rs::BiosConfig bios;          // its hard disks, CD and floppy
};

Drives open_drives(const std::vector<rs::DriveOptions>& list) {
  using rs::DriveOptions;
  rs::check_shared_images(list);
  Drives d;
  int hard_disks = 0;
  // The list is in machine order (IDE by index, virtio, the floppy), so the BIOS's disks
  // 0x80/0x81 are the first two hard disks, as SeaBIOS numbers them: a virtio disk alone boots.
  for (const DriveOptions& o : list) {
    const bool cd = o.media == DriveOptions::Media::Cdrom;
    const uint32_t granule = cd ? 2048 : 512;
    // snapshot: the file is only read; the guest writes into an overlay.
    auto image = o.snapshot ? rs::BlockImage::snapshot(rs::BlockImage::open(o.file, true, granule))
                            : rs::BlockImage::open(o.file, o.readonly, granule);
    rs::BlockImage* p = image.get();
    d.images.push_back(std::move(image));
    if (o.interface == DriveOptions::Interface::Floppy) {
      d.bios.fd = p;
      continue;
    }
    const bool virtio = o.interface == DriveOptions::Interface::Virtio;
    d.pc.push_back({p, virtio ? rs::PcDrive::Bus::Virtio : rs::PcDrive::Bus::Ide, o.index, cd});
    if (cd && !d.bios.cd) d.bios.cd = p;
    if (!cd && hard_disks < 2) d.bios.hd[hard_disks++] = p;
  }
  return d;
}

int run(const rs::RunOptions& o) {
  std::vector<uint8_t> kernel;
  if (!o.kernel.empty()) kernel = rs::read_file(o.kernel, "kernel image", o.memory);
  std::vector<uint8_t> initrd;
  if (!o.initrd.empty()) initrd = rs::read_file(o.initrd, "initrd", o.memory);
  bool linux = rs::is_bzimage(kernel);
  if (!o.kernel.empty() && !linux && !rs::has_multiboot_header(kernel))
    throw rs::UsageError("kernel image '" + o.kernel +
                         "': neither a Linux bzImage nor a multiboot v1 kernel (no setup header, no multiboot "
                         "header in the first 8 KiB)");
  rs::MachineConfig cfg;
  cfg.ram_bytes = o.memory;
  cfg.no_reboot = o.no_reboot;
  cfg.console_in_fd = o.display == "none" ? -1 : 0;
  cfg.text_display = o.display == "curses";
  if (cfg.text_display) cfg.uart_fd = -1;  // COM1's output would garble the screen: discarded, as QEMU's
  cfg.map_budget = o.map_budget ? o.map_budget : rs::Shadow::host_budget();
  if (cfg.map_budget > rs::Shadow::host_budget()) {
    // At the host's limit even malloc fails: keep the headroom the default keeps.
    spdlog::warn("--map-budget {} is more than vm.max_map_count leaves room for: {}", cfg.map_budget,
                 rs::Shadow::host_budget());
    cfg.map_budget = rs::Shadow::host_budget();
  }
  // Before the machine: its translator refers to the symbols until it is gone.
  std::unique_ptr<rs::SymbolTable> symbols;
  if (!o.symbols.empty()) {
    if (!o.perf_map && !o.jitdump)
      throw rs::UsageError("--symbols names code in the perf map or jitdump: use it with --perf-map or --jitdump");
    symbols = std::make_unique<rs::SymbolTable>(o.symbols);
  }
  Drives drives = open_drives(o.drives);
  cfg.drives = drives.pc;
  rs::Machine m(cfg);
  if (o.perf_map) m.translator().open_perf_map(symbols.get());
  if (o.jitdump) m.translator().open_jitdump(symbols.get());
  const std::vector<uint8_t>* rd = o.initrd.empty() ? nullptr : &initrd;
  // The 32-bit protocol needs 2.06 and a bzImage; anything else goes through its setup code.
  const bool zimage = linux && kernel.size() > 0x211 && !(kernel[0x211] & 1);
  if (linux && (o.boot16 || zimage || rs::linux_protocol(kernel) < 0x0206)) {
    rs::BiosConfig bc = drives.bios;
    bc.boot_order = o.boot_order;
    m.load_linux16(kernel, o.kernel, o.append, rd, o.initrd, std::move(bc));
  } else if (!o.kernel.empty()) {
    load_kernel(m, o, linux, kernel, rd);
  } else if (!o.bios.empty()) {
    m.load_firmware(rs::read_file(o.bios, "firmware image", o.memory), o.bios);
  } else {
    rs::BiosConfig bc = drives.bios;
    bc.boot_order = o.boot_order;
    m.load_bios(std::move(bc));
  }
  if (o.gdb_port) m.enable_gdb(o.gdb_host, o.gdb_port, o.wait_gdb);
  if (o.stats) m.profile().start_sampling();
  int status = m.run();
  if (o.stats) m.profile().stop_sampling();
  if (status == rs::kExitGuestError || status == rs::kExitInternal || status == rs::kExitInterrupted ||
      status == rs::kExitNoBoot)
    spdlog::error("{}", m.stop_reason());
  else
    spdlog::info("{} (exit status {})", m.stop_reason(), status);
  if (o.stats) print_stats(m);
  m.leave_translations_to_exit();
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  std::set_terminate([] {
    rs::restore_host_terminal();
    std::abort();
  });
  auto log = spdlog::stderr_color_st("ringshift");
  log->set_pattern("ringshift: %^%l%$: %v");
  spdlog::set_default_logger(log);
  spdlog::set_level(spdlog::level::warn);
  try {
    rs::ParsedArgs a = rs::parse_args(argc, argv);
    switch (a.cmd) {
      case rs::Command::Help:
        std::fputs(a.help_text.c_str(), stdout);
        return 0;
      case rs::Command::Version:
        std::printf("ringshift %s\n", RINGSHIFT_VERSION);
        return 0;
      case rs::Command::Run:
        spdlog::set_level(spdlog::level::from_str(a.run.log_level));
        return run(a.run);
    }
  } catch (const rs::UsageError& e) {
    std::fprintf(stderr, "ringshift: error: %s\n", e.what());
    return rs::kExitUsage;
  } catch (const rs::GuestError& e) {
    std::fprintf(stderr, "ringshift: error: %s\n", e.what());
    return rs::kExitGuestError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ringshift: internal error: %s\n", e.what());
    return rs::kExitInternal;
  }
  return 0;
}
