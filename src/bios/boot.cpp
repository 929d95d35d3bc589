// int 19h (bootstrap) and int 18h (boot the next device): the devices of the boot
// order in turn, QEMU's letters: c the first hard disk, a the floppy, d the CD. A disk
// or floppy boots from its sector 0 when that ends with 55h AAh, loaded at 0000:7C00
// and entered with DL = its drive; a CD by El Torito 1.0's no-emulation initial entry.
// The jump is the stub's IRET, its frame rewritten. A device that cannot boot says why
// on the screen (SeaBIOS's wording) and the next is tried; after the last one the
// machine stops with kExitNoBoot.
#include <algorithm>
#include <cstring>
#include <vector>

#include "bios/call.h"
#include "bios/drives.h"
#include "boot/memory_map.h"
#include "cpu/guest_env.h"
#include "error.h"

namespace rs::bios {
namespace {

uint16_t le16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }
uint32_t le32(const uint8_t* p) { return le16(p) | uint32_t(le16(p + 2)) << 16; }

void enter(Call& c, uint16_t cs, uint16_t ip, uint8_t drive) {
  c.set_lo(EDX, drive);
  c.set_return(cs, ip);
}

void failed(Call& c, const std::string& device, const std::string& why) {
  c.print("Boot failed: " + why + "\n\n");
  if (!c.st.boot_tried.empty()) c.st.boot_tried += "; ";
  c.st.boot_tried += device + ": " + why;
}

bool boot_sector(Call& c, BlockImage* img, uint8_t drive, const std::string& name) {
  if (!img) return false;
  c.print("Booting from " + name + "...\n");
  uint8_t sec[512];
  if (!img->read(0, sec, sizeof sec)) {
    failed(c, name, "could not read the boot sector");
    return false;
  }
  if (sec[510] != 0x55 || sec[511] != 0xAA) {
    failed(c, name, "not a bootable disk");
    return false;
  }
  c.write(0x7C00, sec, sizeof sec);
  enter(c, 0x0000, 0x7C00, drive);
  return true;
}

struct BootEntry {
  uint8_t media;  // 0 no emulation, 1-3 floppy, 4 hard disk
  uint16_t load_seg, sectors;
  uint32_t rba;
};

// El Torito 1.0: sector 17 is the Boot Record Volume Descriptor (00h, "CD001", 01h,
// "EL TORITO SPECIFICATION"), its dword at 47h the boot catalog's sector. The catalog
// opens with the validation entry (header 01h, 55h AAh at 1Eh, its 16 words summing to
// 0), then the initial/default entry: 88h bootable, media, load segment, sector count
// (512-byte virtual sectors), the image's sector. Returns why not, or "".
std::string find_boot_entry(BlockImage& cd, BootEntry& e) {
  static const char kSystemId[] = "EL TORITO SPECIFICATION";
  uint8_t s[2048];
  if (!cd.read(17 * 2048, s, sizeof s)) return "could not read from the CD";
  if (s[0] != 0 || std::memcmp(s + 1, "CD001", 5) != 0 || s[6] != 1 ||
      std::memcmp(s + 7, kSystemId, sizeof kSystemId - 1) != 0)
    return "no El Torito boot record on the CD";
  if (!cd.read(uint64_t(le32(s + 0x47)) * 2048, s, sizeof s)) return "could not read the boot catalog";
  uint16_t sum = 0;
  for (int i = 0; i < 32; i += 2) sum = uint16_t(sum + le16(s + i));
  if (s[0] != 0x01 || s[0x1E] != 0x55 || s[0x1F] != 0xAA || sum != 0) return "the boot catalog is not valid";
  const uint8_t* d = s + 32;
  if (d[0] != 0x88) return "the CD's default boot entry is not bootable";
  e = {uint8_t(d[1] & 0x0F), le16(d + 2), le16(d + 6), le32(d + 8)};
  return "";
}

// Loads the no-emulation image below the EBDA and enters it at load_seg:0000 with DL =
// the CD's drive number; 4B01h reports what was loaded.
bool boot_cd(Call& c) {
  BlockImage* cd = c.cfg.cd;
  if (!cd) return false;
  c.print("Booting from DVD/CD...\n");
  BootEntry e{};
  std::string why = find_boot_entry(*cd, e);
  const uint16_t seg = e.load_seg ? e.load_seg : 0x07C0;
  const uint32_t bytes = std::max<uint32_t>(e.sectors, 1) * 512;
  std::vector<uint8_t> image(bytes);
  if (why.empty() && e.media != 0) why = "floppy and hard disk emulation CDs are not supported";
  if (why.empty() && Call::lin(seg, 0) + bytes > kConventionalEnd) why = "the CD's boot image does not fit below 640 KiB";
  if (why.empty() && !cd->read(uint64_t(e.rba) * 2048, image.data(), bytes)) why = "could not read the CD's boot image";
  if (!why.empty()) {
    failed(c, "DVD/CD", why);
    return false;
  }
  c.write(Call::lin(seg, 0), image.data(), bytes);
  c.st.cd_booted = true;
  c.st.cd_image_lba = e.rba;
  c.st.cd_load_seg = seg;
  c.st.cd_sectors = e.sectors;
  enter(c, seg, 0x0000, kCdDrive);
  return true;
}

bool try_device(Call& c, char device) {
  switch (device) {
    case 'c': return boot_sector(c, hard_disk(c.cfg, 0), 0x80, "Hard Disk");
    case 'a': return boot_sector(c, c.cfg.fd, 0x00, "Floppy");
    case 'd': return boot_cd(c);
    default: return false;  // a device this machine does not have
  }
}

void no_boot(Call& c) {
  c.st.boot_stopped = true;
  c.print("No bootable device.\n");
  const std::string why = c.st.boot_tried.empty()
                              ? "no drive of the boot order '" + c.cfg.boot_order + "' is attached (use -hda, -cdrom or -fda)"
                              : c.st.boot_tried;
  c.env.request_stop(kExitNoBoot, "no bootable device: " + why);
}

// The firmware's own boot loader (a kernel given with --kernel): real mode at its entry
// with its segments and stack, through the stub's IRET, whose frame is built on the new
// stack (IF clear, as the Linux boot protocol asks).
void boot_loader(Call& c) {
  c.print("Booting the kernel...\n");
  const RealModeEntry e = c.cfg.boot_loader(c.mem);
  for (SegReg s : {DS, ES, FS, GS, SS}) c.set_sreg(s, e.seg);
  c.set_r32(ESP, uint16_t(e.sp - 6));
  c.set_return(e.cs, e.ip);
  c.wr16(c.stack_addr(4), 0x0002);  // FLAGS: IF = 0
}

void boot_next(Call& c) {
  if (c.st.boot_stopped) return;
  const std::string& order = c.cfg.boot_order;
  while (c.st.boot_next < order.size()) {
    if (try_device(c, order[c.st.boot_next++])) return;
  }
  no_boot(c);
}

}  // namespace

void int19_boot(Call& c) {
  if (c.cfg.boot_loader) return boot_loader(c);
  c.st.boot_next = 0;
  c.st.boot_stopped = false;
  c.st.boot_tried.clear();
  c.st.cd_booted = false;
  boot_next(c);
}

// What a boot sector calls when it cannot boot (an MBR without an active partition).
void int18_next_boot(Call& c) { boot_next(c); }

}  // namespace rs::bios
