// The command line: `ringshift run [options]`, QEMU-familiar flag names.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace rs {

struct RunOptions {
  uint64_t memory = 128ull << 20;
  std::string kernel, append, initrd;
  std::string bios;  // -bios: a firmware image instead of ringshift's BIOS (ends at 0xFFFFF)
  std::string log_level = "warn";
  bool stats = false;
  bool perf_map = false;
  std::string symbols;  // --symbols: names for the perf map
  std::string gdb_host;     // gdbstub address (with gdb_port != 0)
  uint16_t gdb_port = 0;
  bool wait_gdb = false;    // -S: stopped before the first instruction until gdb connects
  bool no_reboot = false;
  bool snapshot = false;  // -snapshot: disk writes to a temporary overlay (block/snapshot_overlay.cpp)
  uint64_t map_budget = 16384;  // host mappings for shadow page tables
  // Drives: raw image paths, empty when absent (-hda/-hdb are BIOS drives 0x80/0x81).
  std::string hda, hdb, cdrom, fda;
  bool hda_readonly = false, hdb_readonly = false;  // --disk FILE,readonly
  // -boot: BIOS boot order, each of c (hard disk), d (CD), a (floppy) at most once.
  std::string boot_order = "cad";
  std::string display = "serial";  // -display: "curses" (the VGA screen), "none"; default: COM1 on the terminal
};

enum class Command { Run, Help, Version };

struct ParsedArgs {
  Command cmd = Command::Help;
  RunOptions run;
  std::string help_text;
};

// Throws UsageError with a one-line message on any bad input.
ParsedArgs parse_args(int argc, const char* const* argv);
// "256M", "1G", "65536K", or a plain number of MiB (as QEMU's -m).
uint64_t parse_size(const std::string& s);
// QEMU's -boot value: "dc" or "order=dc" -> "dc". Throws UsageError on anything else.
std::string parse_boot_order(const std::string& s);
// Reads a whole file; throws UsageError naming what the file was for.
std::vector<uint8_t> read_file(const std::string& path, const std::string& what, uint64_t max_bytes);

}  // namespace rs
