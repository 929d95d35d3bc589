#include "cli.h"

#include <boost/program_options.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>
#include <utility>

#include "error.h"

namespace po = boost::program_options;

namespace rs {

namespace {

constexpr uint64_t kMinMemory = 2ull << 20, kMaxMemory = 3584ull << 20;
const char* const kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};

std::string usage(const po::options_description& run_opts) {
  std::ostringstream o;
  o << "Usage: ringshift run --kernel FILE [options]\n"
       "       ringshift run -hda FILE | -cdrom FILE | -fda FILE [-boot ORDER] [options]\n"
       "       ringshift --help | --version\n\n"
       "Runs an unmodified 32-bit x86 guest by dynamic binary translation.\n\n"
    << run_opts
    << "\nDrives (raw images, spelled as in QEMU):\n"
       "  -hda FILE .. -hdd FILE     IDE hard disks, index 0 to 3 (primary master, slave, secondary\n"
       "                             master, slave); BIOS disks 0x80 and 0x81 are the first two disks\n"
       "  -cdrom FILE                IDE CD-ROM at index 2 (secondary master), 2048-byte sectors\n"
       "  -fda FILE                  floppy drive A:\n"
       "  --disk FILE[,readonly]     an IDE hard disk in the first free index (may be repeated)\n"
       "  -drive KEY=VALUE,...       as QEMU's: file=FILE, if=ide|virtio|floppy|none (default ide),\n"
       "                             index=N (or bus=B,unit=U), media=disk|cdrom, format=raw,\n"
       "                             readonly[=on|off], snapshot=on|off, id=NAME; ',,' is a comma\n"
       "                             in FILE. Accepted and ignored, as they leave the data as it is:\n"
       "                             cache=writeback|none|unsafe, aio=, discard=, detect-zeroes=\n"
       "  -device virtio-blk-pci,drive=NAME   a virtio disk for -drive id=NAME,if=none,file=FILE\n"
       "  -boot ORDER                boot order: c hard disk, d CD, a floppy, e.g. -boot d or\n"
       "                             -boot order=dc (default cad); --kernel boots instead of it\n"
       "  An image may back two drives only if neither writes to it (readonly=on or -snapshot).\n"
    << "\nExit status: the guest's debug-exit value V as (V << 1) | 1 (I/O port 0xF4, as QEMU's\n"
       "isa-debug-exit); 0 when the guest halts or powers off, or on Ctrl-A x; 2 for a bad command\n"
       "line or image; 4 when the guest hits something ringshift cannot run; 6 for an internal\n"
       "error; 130 when interrupted.\n\n"
       "The serial console (COM1) is on stdin/stdout; a terminal is put in raw mode while the\n"
       "guest runs. Ctrl-A x quits, Ctrl-A h lists the escapes. -display curses shows the VGA text\n"
       "screen in the terminal instead and types on the PS/2 keyboard; -display none reads no keys.\n";
  return o.str();
}

// QEMU's single-dash long flags: Boost's default style would read "-hda" as the short
// options -h -d -a, so these exact tokens are taken as the long options first.
const char* const kQemuFlags[] = {"hda",  "hdb",   "hdc",    "hdd",     "cdrom",     "fda",     "fdb", "drive",
                                  "device", "boot", "bios", "display", "nographic", "snapshot"};

std::pair<std::string, std::string> qemu_flag(const std::string& token) {
  for (const char* f : kQemuFlags)
    if (token.size() > 1 && token[0] == '-' && token.compare(1, std::string::npos, f) == 0) return {f, ""};
  return {};
}

// The drive flags (described by hand in the usage text, in their single-dash spelling).
const char* const kDriveFlags[] = {"hda", "hdb", "hdc", "hdd", "cdrom", "fda", "fdb", "disk", "drive", "device"};

struct DriveArgs {
  std::string boot;

  po::options_description options() {
    po::options_description d;
    for (const char* f : kDriveFlags) {
      // The repeatable ones collect every value; their order is read from the parse.
      const bool many = std::string_view(f) == "disk" || std::string_view(f) == "drive" || std::string_view(f) == "device";
      if (many) d.add_options()(f, po::value<std::vector<std::string>>());
      else d.add_options()(f, po::value<std::string>());
    }
    d.add_options()("boot", po::value<std::string>(&boot));
    return d;
  }

  // The drives in command-line order (QEMU gives a virtio disk its place by it, and a
  // drive without an index the first free one), then the boot order, and something to boot.
  void finish(RunOptions& o, const po::parsed_options& parsed, const po::variables_map& vm) const {
    std::vector<std::pair<std::string, std::string>> flags;
    for (const po::option& opt : parsed.options)
      if (std::find(std::begin(kDriveFlags), std::end(kDriveFlags), opt.string_key) != std::end(kDriveFlags))
        flags.emplace_back(opt.string_key, opt.value.empty() ? "" : opt.value[0]);
    o.drives = parse_drives(flags, o.snapshot);
    if (vm.count("boot")) o.boot_order = parse_boot_order(boot);
    if (o.kernel.empty() && o.bios.empty() && o.drives.empty())
      throw UsageError("nothing to boot: give --kernel FILE or a drive (-hda, -cdrom, -fda)");
  }
};

// Boost's message for a bad command line, naming QEMU's flags as the user typed them
// (Boost says "--hda").
UsageError bad_command_line(const po::error& e) {
  std::string msg = e.what();
  for (const char* f : kQemuFlags)
    if (const size_t at = msg.find(std::string("'--") + f + "'"); at != std::string::npos) msg.erase(at + 1, 1);
  return UsageError(msg + " (try 'ringshift --help')");
}

// -display's value, as QEMU spells it.
std::string check_display(const std::string& display, bool nographic) {
  if (display != "curses" && display != "none") throw UsageError("bad -display '" + display + "' (curses or none)");
  if (nographic) throw UsageError("-nographic cannot be used with -display");
  return display;
}

// --log-level and --map-budget.
void check_limits(const RunOptions& o, bool budget_given) {
  bool level_ok = false;
  for (const char* l : kLevels) level_ok |= o.log_level == l;
  if (!level_ok) throw UsageError("bad --log-level '" + o.log_level + "' (trace, debug, info, warn, error, off)");
  // Host VMAs of the shadow's windows (not given: 0, the host's default). Above what
  // vm.max_map_count allows, a failed mapping empties the windows (shadow.h).
  if (budget_given && (o.map_budget < 64 || o.map_budget > 1000000))
    throw UsageError("--map-budget " + std::to_string(o.map_budget) + " out of range (64 to 1000000)");
}

// --gdb [HOST:]PORT (or -s's default): the gdbstub's address.
void set_gdb(RunOptions& o, const std::string& gdb) {
  if (gdb.empty()) return;
  const size_t colon = gdb.rfind(':');
  const std::string port = colon == std::string::npos ? gdb : gdb.substr(colon + 1);
  o.gdb_host = colon == std::string::npos || colon == 0 ? "127.0.0.1" : gdb.substr(0, colon);
  char* end = nullptr;
  const unsigned long p = port.empty() ? 0 : std::strtoul(port.c_str(), &end, 10);
  if (port.empty() || *end || p == 0 || p > 65535) throw UsageError("bad --gdb '" + gdb + "' (expected [HOST:]PORT)");
  o.gdb_port = uint16_t(p);
}

}  // namespace

std::string parse_boot_order(const std::string& s) {
  const std::string order = s.starts_with("order=") ? s.substr(6) : s;
  const std::string bad = "bad -boot '" + s + "' (expected letters c = hard disk, d = CD, a = floppy, each at most once, e.g. -boot d or -boot order=dc)";
  if (order.empty()) throw UsageError(bad);
  for (size_t i = 0; i < order.size(); ++i)
    if (std::string_view("cda").find(order[i]) == std::string_view::npos || order.find(order[i]) != i)
      throw UsageError(bad);
  return order;
}

uint64_t parse_size(const std::string& s) {
  if (s.empty()) throw UsageError("memory size is empty");
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == 0 || i > 12) throw UsageError("bad memory size '" + s + "' (expected e.g. 256M or 1G)");
  uint64_t n = std::stoull(s.substr(0, i));
  std::string suf = s.substr(i);
  uint64_t mul;
  if (suf.empty() || suf == "M" || suf == "m" || suf == "MiB" || suf == "MB") mul = 1ull << 20;
  else if (suf == "K" || suf == "k" || suf == "KiB" || suf == "KB") mul = 1ull << 10;
  else if (suf == "G" || suf == "g" || suf == "GiB" || suf == "GB") mul = 1ull << 30;
  else throw UsageError("bad memory size '" + s + "' (expected e.g. 256M or 1G)");
  uint64_t v = n * mul;
  if (v < kMinMemory || v > kMaxMemory || v % 4096)
    throw UsageError("memory size '" + s + "' out of range (2M to 3584M, a multiple of 4K)");
  return v;
}

std::vector<uint8_t> read_file(const std::string& path, const std::string& what, uint64_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw UsageError(what + " '" + path + "': " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw UsageError(what + " '" + path + "': not a regular file");
  if (uint64_t(st.st_size) > max_bytes) throw UsageError(what + " '" + path + "': larger than guest RAM");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UsageError(what + " '" + path + "': cannot be opened for reading");
  std::vector<uint8_t> data(size_t(st.st_size));
  if (!data.empty() && !f.read(reinterpret_cast<char*>(data.data()), std::streamsize(data.size())))
    throw UsageError(what + " '" + path + "': read error");
  return data;
}

ParsedArgs parse_args(int argc, const char* const* argv) {
  ParsedArgs out;
  std::string memory = "128M";
  std::string gdb;
  bool gdb_default = false;
  std::string display;
  bool nographic = false;
  po::options_description run_opts("Options for run");
  run_opts.add_options()
      ("memory,m", po::value<std::string>(&memory), "guest RAM size, e.g. 256M or 1G (default 128M)")
      ("kernel", po::value<std::string>(&out.run.kernel), "kernel image: a Linux bzImage or a multiboot v1 ELF32 file")
      ("append", po::value<std::string>(&out.run.append), "kernel command line")
      ("boot16", po::bool_switch(&out.run.boot16),
       "boot a Linux kernel through its own real-mode setup code on the BIOS (the 16-bit boot protocol, as QEMU's "
       "-kernel and GRUB's linux16 do); kernels older than boot protocol 2.06 always boot so")
      ("bios", po::value<std::string>(&out.run.bios), "firmware image (a multiple of 64 KiB, up to 256 KiB) run from the reset vector instead of ringshift's BIOS")
      ("initrd", po::value<std::string>(&out.run.initrd), "initial ramdisk (Linux initrd, or multiboot module 0)")
      ("log-level", po::value<std::string>(&out.run.log_level), "trace, debug, info, warn (default), error or off")
      ("stats", po::bool_switch(&out.run.stats), "print translation statistics at exit")
      ("perf-map", po::bool_switch(&out.run.perf_map), "write /tmp/perf-<pid>.map naming translated code by guest EIP")
      ("jitdump", po::bool_switch(&out.run.jitdump), "write /tmp/jit-<pid>.dump, translated code with those names, for perf inject --jit (record with perf record -k mono)")
      ("symbols", po::value<std::string>(&out.run.symbols), "System.map, kallsyms or ELF file naming guest code in the perf map or jitdump")
      ("snapshot", po::bool_switch(&out.run.snapshot), "the guest's disk writes go to a temporary overlay; the image files are never written")
      ("no-reboot", po::bool_switch(&out.run.no_reboot), "exit instead of restarting when the guest resets (status 0) or triple-faults (status 4)")
      ("gdb", po::value<std::string>(&gdb), "gdbstub on [HOST:]PORT (host 127.0.0.1 unless given)")
      (",s", po::bool_switch(&gdb_default), "shorthand for --gdb 127.0.0.1:1234")
      ("wait-gdb,S", po::bool_switch(&out.run.wait_gdb), "stop before the first instruction until gdb connects")
      ("map-budget", po::value<uint64_t>(&out.run.map_budget),
       "host VMAs the shadow page tables' windows may hold (64 up to the default: half of vm.max_map_count less 1024, 32253 at Linux's default)")
      ("display", po::value<std::string>(&display), "-display curses: the VGA text screen and keyboard in the terminal; none: no keys")
      ("nographic", po::bool_switch(&nographic), "-nographic: the serial console on the terminal (the default)");
  out.help_text = usage(run_opts);
  DriveArgs drives;
  const po::options_description drive_opts = drives.options();

  if (argc < 2) throw UsageError("no command given (try 'ringshift --help')");
  std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") return out.cmd = Command::Help, out;
  if (cmd == "--version" || cmd == "-V") return out.cmd = Command::Version, out;
  if (cmd != "run") throw UsageError("unknown command '" + cmd + "' (try 'ringshift --help')");

  po::options_description all;
  all.add(run_opts).add(drive_opts).add_options()("help,h", "show this help");
  po::variables_map vm;
  po::parsed_options parsed(&all);
  try {
    parsed = po::command_line_parser(argc - 1, argv + 1).options(all).extra_parser(qemu_flag).run();
    po::store(parsed, vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw bad_command_line(e);
  }
  if (vm.count("help")) return out.cmd = Command::Help, out;
  out.cmd = Command::Run;
  out.run.memory = parse_size(memory);
  drives.finish(out.run, parsed, vm);
  check_limits(out.run, vm.count("map-budget") != 0);
  set_gdb(out.run, gdb_default && gdb.empty() ? "127.0.0.1:1234" : gdb);
  if (out.run.wait_gdb && !out.run.gdb_port) out.run.gdb_host = "127.0.0.1", out.run.gdb_port = 1234;
  if (!display.empty()) out.run.display = check_display(display, nographic);
  return out;
}

}  // namespace rs
