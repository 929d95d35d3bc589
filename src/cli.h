// The command line: `ringshift run [options]`, QEMU-familiar flag names.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rs {

// One drive as QEMU's -drive describes it (cli_drives.cpp turns every drive flag into these).
struct DriveOptions {
  enum class Interface { Ide, Virtio, Floppy };
  enum class Media { Disk, Cdrom };
  std::string file;
  Interface interface = Interface::Ide;
  int index = 0;  // IDE: 0..3 (channel * 2 + unit); floppy: 0; virtio: order among the virtio drives
  Media media = Media::Disk;
  bool readonly = false;  // always for a CD
  bool snapshot = false;  // writes to a temporary overlay: snapshot=on, or -snapshot unless snapshot=off
  std::string flag;       // how the command line gave it ("-hda", "-drive file=x,if=virtio"), for messages
};

struct RunOptions {
  uint64_t memory = 128ull << 20;
  std::string kernel, append, initrd;
  // --boot16: a Linux kernel boots through its real-mode setup code on the BIOS (the
  // 16-bit protocol, as QEMU's -kernel does); kernels older than 2.06 always do.
  bool boot16 = false;
  std::string bios;  // -bios: a firmware image instead of ringshift's BIOS (ends at 0xFFFFF)
  std::string log_level = "warn";
  bool stats = false;
  bool perf_map = false;
  bool jitdump = false;  // --jitdump: /tmp/jit-<pid>.dump for perf inject --jit
  std::string symbols;  // --symbols: names for the perf map
  std::string gdb_host;     // gdbstub address (with gdb_port != 0)
  uint16_t gdb_port = 0;
  bool wait_gdb = false;    // -S: stopped before the first instruction until gdb connects
  bool no_reboot = false;
  bool snapshot = false;  // -snapshot: disk writes to a temporary overlay (block/snapshot_overlay.cpp)
  uint64_t map_budget = 0;  // host mappings for shadow page tables; 0: Shadow::host_budget()
  // The drives in machine order: IDE by index, then virtio in command-line order, then
  // the floppy. Filled from -hda..-hdd, -cdrom, -fda, --disk, -drive and -device.
  std::vector<DriveOptions> drives;
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
// The drive flags in command-line order ({"hda", "a.img"}, {"drive", "file=b.img,if=virtio"},
// {"device", "virtio-blk-pci,drive=d0"}...) -> the drives in machine order, indices
// assigned and conflicts refused (UsageError). `snapshot` is the global -snapshot.
std::vector<DriveOptions> parse_drives(const std::vector<std::pair<std::string, std::string>>& flags, bool snapshot);
// Refuses one image file (the same inode, whatever the path) behind two drives when one of
// them writes to it, as QEMU's image locking does; read-only uses may share it.
void check_shared_images(const std::vector<DriveOptions>& drives);
// Reads a whole file; throws UsageError naming what the file was for.
std::vector<uint8_t> read_file(const std::string& path, const std::string& what, uint64_t max_bytes);

}  // namespace rs
