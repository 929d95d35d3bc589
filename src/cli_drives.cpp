// The drive flags of `ringshift run` turned into one list of drives: QEMU's -hda to -hdd,
// -cdrom, -fda, -drive with its keys and -device virtio-blk-pci, and ringshift's --disk.
#include <sys/stat.h>

#include <algorithm>
#include <optional>
#include <set>

#include "cli.h"
#include "error.h"

namespace rs {

namespace {

using Interface = DriveOptions::Interface;
using Media = DriveOptions::Media;

constexpr int kIdeSlots = 4;   // two channels, master and slave
constexpr int kFloppies = 1;   // the BIOS has drive A: only (and there is no floppy controller)
// Bus 0 has 32 PCI slots and the PC keeps a few; 16 disks leaves room for other devices.
constexpr size_t kMaxVirtio = 16;
const char* const kIdeNames[kIdeSlots] = {"primary master", "primary slave", "secondary master", "secondary slave"};

// A drive as asked for, before the slots are handed out.
struct Request {
  DriveOptions d;
  int index = -1;                // -1: the first free slot
  std::optional<bool> snapshot;  // unset: follows -snapshot
  bool none = false;             // if=none: waits for a -device
  std::string id;
  size_t pos = 0;                // command-line position (for if=none, its -device's)
};

// QEMU's option string: items split at single commas, ",," being a comma in a value.
std::vector<std::string> split_items(const std::string& s) {
  std::vector<std::string> items(1);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != ',') items.back() += s[i];
    else if (i + 1 < s.size() && s[i + 1] == ',') items.back() += ',', ++i;
    else items.emplace_back();
  }
  return items;
}

bool parse_bool(const std::string& key, const std::string& v, const std::string& where) {
  if (v == "on" || v == "yes" || v == "true") return true;
  if (v == "off" || v == "no" || v == "false") return false;
  throw UsageError(where + ": bad " + key + "=" + v + " (on or off)");
}

int parse_number(const std::string& key, const std::string& v, const std::string& where) {
  if (v.empty() || v.size() > 3 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw UsageError(where + ": bad " + key + "=" + v + " (a number)");
  return std::stoi(v);
}

// Host-side tuning that leaves what the guest reads and the file's data as they are:
// accepted and ignored. ringshift writes through the host's page cache and honours the
// guest's flushes (QEMU's cache=writeback): cache=none only bypasses the host's cache and
// cache=unsafe only drops flushes, but writethrough/directsync promise every write on
// the disk at once, which ringshift does not do, so they are refused.
bool ignored_key(const std::string& key, const std::string& v, const std::string& where) {
  static const struct { const char* key; std::vector<std::string> values; } kIgnored[] = {
      {"cache", {"writeback", "none", "unsafe"}},
      {"aio", {"threads", "native", "io_uring"}},
      {"discard", {"ignore", "off", "unmap", "on"}},
      {"detect-zeroes", {"off", "on", "unmap"}},
  };
  for (const auto& k : kIgnored) {
    if (key != k.key) continue;
    if (std::find(k.values.begin(), k.values.end(), v) != k.values.end()) return true;
    if (key == "cache" && (v == "writethrough" || v == "directsync"))
      throw UsageError(where + ": cache=" + v + " is not supported (ringshift's disks have a write cache the guest flushes: cache=writeback)");
    std::string list;
    for (const std::string& s : k.values) list += (list.empty() ? "" : ", ") + s;
    throw UsageError(where + ": bad " + key + "=" + v + " (" + list + ")");
  }
  return false;
}

// What -drive's if= and index/bus/unit said, resolved once every key is read.
struct DriveKeys {
  std::string interface = "ide";
  std::optional<int> index, bus, unit;
  bool readonly = false;
};

void apply_drive_key(Request& r, DriveKeys& k, const std::string& key, const std::string& v, const std::string& where) {
  if (key == "file") r.d.file = v;
  else if (key == "if") k.interface = v;
  else if (key == "index") k.index = parse_number(key, v, where);
  else if (key == "bus") k.bus = parse_number(key, v, where);
  else if (key == "unit") k.unit = parse_number(key, v, where);
  else if (key == "readonly") k.readonly = parse_bool(key, v, where);
  else if (key == "snapshot") r.snapshot = parse_bool(key, v, where);
  else if (key == "id") r.id = v;
  else if (key == "media" && (v == "disk" || v == "cdrom")) r.d.media = v == "disk" ? Media::Disk : Media::Cdrom;
  else if (key == "media") throw UsageError(where + ": bad media=" + v + " (disk or cdrom)");
  else if (key == "format" && v != "raw")
    throw UsageError(where + ": format=" + v + " is not supported (raw images only: format=raw)");
  else if (key == "format" || ignored_key(key, v, where)) return;
  else
    throw UsageError(where + ": unknown key '" + key + "' (file, if, index, bus, unit, media, format, readonly, "
                     "snapshot, id; cache, aio, discard, detect-zeroes ignored)");
}

// if= and the slot keys, checked against each other.
void resolve_drive_keys(Request& r, const DriveKeys& k, const std::string& where) {
  if (k.interface == "ide") r.d.interface = Interface::Ide;
  else if (k.interface == "virtio") r.d.interface = Interface::Virtio;
  else if (k.interface == "floppy") r.d.interface = Interface::Floppy;
  else if (k.interface == "none") r.none = true, r.d.interface = Interface::Virtio;
  else throw UsageError(where + ": if=" + k.interface + " is not supported (ide, virtio, floppy, or none with -device virtio-blk-pci)");
  if (r.none && r.id.empty()) throw UsageError(where + ": if=none needs id=NAME for -device virtio-blk-pci,drive=NAME");
  r.d.readonly = k.readonly;
  if (k.index) r.index = *k.index;
  if (!k.bus && !k.unit) return;
  if (k.index) throw UsageError(where + ": give index= or bus=/unit=, not both");
  if (k.interface != "ide" || !k.bus || !k.unit)
    throw UsageError(where + ": bus= and unit= go together, with if=ide (or use index=)");
  if (*k.bus > 1 || *k.unit > 1) throw UsageError(where + ": the IDE controller has bus 0-1, unit 0-1");
  r.index = *k.bus * 2 + *k.unit;
}

Request parse_drive(const std::string& spec, size_t pos) {
  const std::string where = "-drive '" + spec + "'";
  Request r;
  r.pos = pos;
  r.d.flag = where;
  DriveKeys k;
  std::set<std::string> seen;
  for (const std::string& item : split_items(spec)) {
    if (item.empty()) throw UsageError(where + ": empty option (a stray comma?)");
    const size_t eq = item.find('=');
    const std::string key = item.substr(0, eq);
    std::string value = eq == std::string::npos ? "on" : item.substr(eq + 1);
    // QEMU's bare boolean: "readonly" is readonly=on.
    if (eq == std::string::npos && key != "readonly" && key != "snapshot")
      throw UsageError(where + ": '" + key + "' is not KEY=VALUE (file=" + key + "?)");
    if (!seen.insert(key).second) throw UsageError(where + ": " + key + "= given twice");
    apply_drive_key(r, k, key, value, where);
  }
  if (r.d.file.empty()) throw UsageError(where + ": no file= (an empty drive is not supported)");
  resolve_drive_keys(r, k, where);
  return r;
}

// -hda FILE and friends: the file name is taken whole, commas and all (as in QEMU).
Request parse_short(const std::string& flag, const std::string& value, size_t pos) {
  Request r;
  r.pos = pos;
  r.d.file = value;
  r.d.flag = "-" + flag;
  if (flag == "disk") {
    // --disk FILE[,readonly]: ringshift's own, an IDE disk in the first free slot.
    static const std::string kRo = ",readonly";
    r.d.flag = "--disk '" + value + "'";
    r.d.readonly = value.ends_with(kRo);
    if (r.d.readonly) r.d.file.resize(value.size() - kRo.size());
  } else if (flag == "cdrom") {
    r.index = 2, r.d.media = Media::Cdrom;
  } else if (flag == "fda" || flag == "fdb") {
    r.index = flag == "fda" ? 0 : 1, r.d.interface = Interface::Floppy;
  } else {
    r.index = flag[2] - 'a';  // -hda..-hdd
  }
  if (r.d.file.empty()) throw UsageError(r.d.flag + ": empty file name");
  return r;
}

// A -device turns the if=none drive it names into a virtio disk at the -device's place.
void attach_device(std::vector<Request>& reqs, const std::string& spec, size_t pos) {
  const std::string where = "-device '" + spec + "'";
  const std::vector<std::string> items = split_items(spec);
  if (items[0] != "virtio-blk-pci" && items[0] != "virtio-blk")
    throw UsageError(where + ": only -device virtio-blk-pci,drive=ID is supported (or give -drive file=F,if=virtio)");
  std::string drive;
  for (size_t i = 1; i < items.size(); ++i) {
    const size_t eq = items[i].find('=');
    const std::string key = items[i].substr(0, eq);
    if (eq != std::string::npos && key == "drive") drive = items[i].substr(eq + 1);
    else if (eq == std::string::npos || key != "id")
      throw UsageError(where + ": unknown property '" + key + "' (drive=ID, id=NAME)");
  }
  if (drive.empty()) throw UsageError(where + ": needs drive=ID (a -drive id=ID,if=none,file=F)");
  auto r = std::find_if(reqs.begin(), reqs.end(), [&](const Request& q) { return q.id == drive; });
  if (r == reqs.end()) throw UsageError(where + ": no -drive has id=" + drive);
  if (!r->none)
    throw UsageError(where + ": " + r->d.flag + " is already attached (give it if=none to attach it with -device)");
  r->none = false;
  r->pos = pos;
}

// Hands out the slots: a drive that names its index keeps it wherever it stands (so
// "--disk x -hda y" puts y at index 0), the others take the first free one in order.
class Slots {
 public:
  void place(Request& r, bool named) {
    if (r.d.interface == Interface::Ide) place_in(r, named, true);
    else if (r.d.interface == Interface::Floppy) place_in(r, named, false);
    else if (named && !virtio_.insert(r.index).second)
      throw UsageError(r.d.flag + ": virtio index " + std::to_string(r.index) + " is given twice");
  }

 private:
  void place_in(Request& r, bool named, bool ide) {
    const Request** slot = ide ? ide_ : floppy_;
    const int n = ide ? kIdeSlots : kFloppies;
    const std::string what = ide ? "IDE" : "floppy";
    const std::string range = ide ? "index 0 to 3" : "ringshift has drive A: only, index 0";
    if (named && r.index >= n)
      throw UsageError(r.d.flag + ": " + what + " index " + std::to_string(r.index) + " is out of range (" + range + ")");
    if (!named) {
      r.index = 0;
      while (r.index < n && slot[r.index]) ++r.index;
      if (r.index == n) throw UsageError(r.d.flag + ": no free " + what + " slot (" + range + ")");
    }
    if (const Request* other = slot[r.index])
      throw UsageError(what + " index " + std::to_string(r.index) +
                       (ide ? std::string(" (") + kIdeNames[r.index] + ")" : "") + " is given twice: " +
                       other->d.flag + " and " + r.d.flag);
    slot[r.index] = &r;
  }

  const Request* ide_[kIdeSlots] = {};
  const Request* floppy_[kFloppies] = {};
  std::set<int> virtio_;
};

// Checks what -drive's keys cannot check alone, and puts the drives in machine order.
std::vector<DriveOptions> assign(std::vector<Request>& reqs, bool snapshot) {
  size_t virtio = 0;
  for (Request& r : reqs) {
    if (r.none) throw UsageError(r.d.flag + ": if=none, but no -device virtio-blk-pci,drive=" + r.id + " uses it");
    if (r.d.media == Media::Cdrom && r.d.interface != Interface::Ide)
      throw UsageError(r.d.flag + ": media=cdrom needs if=ide (an ATAPI CD on the IDE controller)");
    virtio += r.d.interface == Interface::Virtio;
  }
  if (virtio > kMaxVirtio) throw UsageError("more than " + std::to_string(kMaxVirtio) + " virtio disks");
  Slots slots;
  for (bool named : {true, false})
    for (Request& r : reqs)
      if ((r.index >= 0) == named) slots.place(r, named);
  auto rank = [](const Request& r) {
    const int group = r.d.interface == Interface::Ide ? 0 : r.d.interface == Interface::Virtio ? 1 : 2;
    return std::pair(group, group == 1 ? int(r.pos) : r.index);
  };
  std::sort(reqs.begin(), reqs.end(), [&](const Request& a, const Request& b) { return rank(a) < rank(b); });
  std::vector<DriveOptions> out;
  int virtio_order = 0;
  for (Request& r : reqs) {
    DriveOptions d = r.d;
    if (d.interface == Interface::Virtio) d.index = virtio_order++;
    else d.index = r.index;
    if (d.media == Media::Cdrom) d.readonly = true;  // a CD is read-only media
    d.snapshot = !d.readonly && r.snapshot.value_or(snapshot);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

std::vector<DriveOptions> parse_drives(const std::vector<std::pair<std::string, std::string>>& flags, bool snapshot) {
  std::vector<Request> reqs;
  for (size_t i = 0; i < flags.size(); ++i)
    if (flags[i].first == "drive") reqs.push_back(parse_drive(flags[i].second, i));
    else if (flags[i].first != "device") reqs.push_back(parse_short(flags[i].first, flags[i].second, i));
  std::set<std::string> ids;
  for (const Request& r : reqs)
    if (!r.id.empty() && !ids.insert(r.id).second) throw UsageError(r.d.flag + ": id=" + r.id + " is given twice");
  // After every -drive: a -device may name a drive given after it, as in QEMU.
  for (size_t i = 0; i < flags.size(); ++i)
    if (flags[i].first == "device") attach_device(reqs, flags[i].second, i);
  return assign(reqs, snapshot);
}

void check_shared_images(const std::vector<DriveOptions>& drives) {
  struct FileId { bool ok; dev_t dev; ino_t ino; };
  std::vector<FileId> ids;
  for (const DriveOptions& d : drives) {
    struct stat st {};
    // A file that cannot be looked at is reported by its open, with the reason.
    const bool ok = ::stat(d.file.c_str(), &st) == 0 && S_ISREG(st.st_mode);
    ids.push_back({ok, st.st_dev, st.st_ino});
  }
  auto writes = [](const DriveOptions& d) { return !d.readonly && !d.snapshot; };
  for (size_t i = 0; i < drives.size(); ++i)
    for (size_t j = i + 1; j < drives.size(); ++j) {
      if (!ids[i].ok || !ids[j].ok || ids[i].dev != ids[j].dev || ids[i].ino != ids[j].ino) continue;
      if (!writes(drives[i]) && !writes(drives[j])) continue;  // shared readers, as QEMU's shared locks
      const std::string& a = drives[i].file;
      const std::string& b = drives[j].file;
      throw UsageError("disk image '" + a + "'" + (a == b ? "" : " (also given as '" + b + "')") +
                       " backs two drives (" + drives[i].flag + " and " + drives[j].flag +
                       ") and one of them writes to it: give it once, or read-only to both (readonly=on or -snapshot)");
    }
}

}  // namespace rs
