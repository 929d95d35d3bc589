#include "shadow_pt/linear_memory.h"

#include <algorithm>
#include <cstring>

namespace rs {

bool LinearMemory::access(uint32_t addr, void* buf, uint32_t len, bool write, bool supervisor) {
  struct Piece {
    uint32_t phys, len;
  };
  Piece pieces[8];
  int n = 0;
  const bool user = !supervisor && cpu_.cpl == 3;
  for (uint32_t done = 0; done < len;) {
    const uint32_t lin = addr + done;
    const uint32_t chunk = std::min(len - done, kPageSize - (lin & (kPageSize - 1)));
    WalkResult r = shadow_.translate(lin, write, user);
    if (!r.ok) {
      fault_ = Fault{true, lin, r.error};
      return false;
    }
    if (n == 8) return false;
    // A page past 4 GiB (PAE) has nothing behind it: all ones, writes ignored, as the
    // bus answers an unclaimed address (0xFFFFF000 is never RAM below 4 GiB either).
    pieces[n++] = Piece{r.phys >> 32 ? uint32_t(0xFFFFF000u | (lin & 0xFFFu)) : uint32_t(r.phys), chunk};
    done += chunk;
  }
  auto* p = static_cast<uint8_t*>(buf);
  for (int i = 0; i < n; ++i) {
    const Piece& pc = pieces[i];
    if (mem_.contains(pc.phys, pc.len)) {
      if (write) mem_.write(pc.phys, p, pc.len);
      else mem_.read(pc.phys, p, pc.len);
    } else {
      // Device registers, or nothing (all ones, writes ignored, as on a PC), a byte at a time.
      for (uint32_t k = 0; k < pc.len; ++k) {
        const uint32_t at = pc.phys + k;
        if (mem_.contains(at, 1)) {
          if (write) mem_.write(at, p + k, 1);
          else mem_.read(at, p + k, 1);
        } else if (write) {
          mmio_.write(at, 1, p[k]);
        } else {
          p[k] = uint8_t(mmio_.read(at, 1));
        }
      }
    }
    p += pc.len;
  }
  return true;
}

bool LinearMemory::read(uint32_t addr, void* dst, uint32_t len, bool supervisor) {
  return access(addr, dst, len, false, supervisor);
}

bool LinearMemory::write(uint32_t addr, const void* src, uint32_t len, bool supervisor) {
  return access(addr, const_cast<void*>(src), len, true, supervisor);
}

bool LinearMemory::take_page_fault(uint32_t& error) {
  if (!fault_.valid) return false;
  fault_.valid = false;
  cpu_.cr2 = fault_.addr;
  error = fault_.error;
  return true;
}

bool LinearMemory::translate(uint32_t linear, bool write, bool user, uint32_t& phys, uint32_t& error) {
  WalkResult r = shadow_.translate(linear, write, user);
  phys = r.phys;
  error = r.error;
  return r.ok;
}

void LinearMemory::phys_access(uint32_t phys, void* buf, uint32_t len, bool write) {
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

bool LinearMemory::probe(uint32_t linear, uint32_t& phys) {
  WalkResult r = shadow_.translate(linear, false, false, false);  // no A/D bits
  phys = r.phys;
  return r.ok;
}

const void* LinearMemory::ram_pointer(uint32_t linear, uint32_t len) {
  uint32_t phys = linear & shadow_.a20_mask();
  if ((cpu_.cr0 & 0x80000000u) && !probe(linear, phys)) return nullptr;
  return mem_.ptr(phys, len);
}

bool LinearMemory::debug_read(uint32_t addr, uint8_t* buf, uint32_t len) {
  for (uint32_t done = 0; done < len;) {
    const uint32_t lin = addr + done, chunk = std::min(len - done, kPageSize - (lin & (kPageSize - 1)));
    uint32_t phys;
    if (!probe(lin, phys) || !mem_.contains(phys, chunk) || !mem_.read(phys, buf + done, chunk)) return false;
    done += chunk;
  }
  return true;
}

bool LinearMemory::debug_write(uint32_t addr, const uint8_t* buf, uint32_t len) {
  for (uint32_t done = 0; done < len;) {
    const uint32_t lin = addr + done, chunk = std::min(len - done, kPageSize - (lin & (kPageSize - 1)));
    uint32_t phys;
    if (!probe(lin, phys) || !mem_.contains(phys, chunk)) return false;
    done += chunk;
  }
  for (uint32_t done = 0; done < len;) {
    const uint32_t lin = addr + done, chunk = std::min(len - done, kPageSize - (lin & (kPageSize - 1)));
    uint32_t phys;
    probe(lin, phys);
    mem_.write(phys, buf + done, chunk);  // drops translations of code pages, tracks page tables
    done += chunk;
  }
  return true;
}

}  // namespace rs
