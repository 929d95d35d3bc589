// A guest write into a page that holds translated code (self-modifying code, Linux
// patching its own text, a recycled page). The page stays write-protected while it has
// translations, so the write faults (Exit::Smc) and the run loop replays the writing
// instruction alone. Dropping every block of the page before the replay, as it once did,
// made a Debian boot retranslate about 500 000 kernel blocks: Linux patches a few bytes
// at a time (static keys, alternatives) in pages full of code. So the page is copied,
// unprotected for the replay, and compared afterwards: only blocks overlapping the bytes
// that changed go, and the page is protected again if any remain. A page that also holds
// data written often (a stack or variables next to code: the kernel's decompressor) would
// then fault on every write, so after kDataWrites writes that changed no translated byte
// the page is dropped whole, as before, and left writable until code is translated there.
#include <algorithm>
#include <cstring>

#include "translator/translator.h"

namespace rs {

namespace {
constexpr uint8_t kDataWrites = 4;

// [lo, hi): the bytes where the page now differs from before (lo = page size: none), in
// 8-byte words from each end. A byte loop over the page cost ~4 us a replay, and a Debian
// boot replays ~90,000 writes (GRUB's and the BIOS's data beside their code).
void changed_range(const uint8_t* now, const uint8_t* before, uint32_t& lo, uint32_t& hi) {
  auto word = [](const uint8_t* p, uint32_t at) {
    uint64_t w;
    std::memcpy(&w, p + at, 8);
    return w;
  };
  uint32_t i = 0;
  while (i < kPageSize && word(now, i) == word(before, i)) i += 8;
  if (i == kPageSize) return;
  while (now[i] == before[i]) ++i;
  lo = i;
  uint32_t j = kPageSize;
  while (word(now, j - 8) == word(before, j - 8)) j -= 8;
  while (now[j - 1] == before[j - 1]) --j;
  hi = j;
}
}  // namespace

void Translator::begin_code_write(uint32_t page) {
  auto it = by_page_.find(page);
  const bool has_blocks = it != by_page_.end() && !it->second.empty();
  auto data = data_writes_.find(page);
  const bool mixed = data != data_writes_.end() && data->second >= kDataWrites;
  if (write_pending_ || !has_blocks || mixed || !mem_.contains(uint64_t(page) << kPageShift, kPageSize)) {
    drop_page(page, write_pending_ ? kDropSmcSecond : kDropSmcMixed);  // a second page during a replay, nothing to keep, or code among busy data
    if (mixed) {
      data_writes_.erase(data);
      // A page dropped so again and again runs its code between the data writes
      // (GRUB's real-mode trampoline beside its stack, a BIOS call per disk read: ~11,000
      // drops and 270,000 blocks translated again in a Debian boot): from now on its
      // blocks check their own bytes and the page stays writable. A few times is a
      // recycled page (code, then data) or Linux patching its text at boot (up to ~10
      // drops of a page): those stay protected whenever they hold code, as self-checking
      // blocks are shorter and slower (hot kernel pages made so: pipe ~25% slower).
      if (++mixed_drops_[page] == kSelfCheckAfter) stats.self_check_pages++;
    }
    return;
  }
  mem_.read(uint64_t(page) << kPageShift, write_before_.data(), kPageSize);
  write_page_ = page;
  write_pending_ = true;
  shadow_.unprotect_code(page);
}

void Translator::end_code_write() {
  if (!write_pending_) return;
  write_pending_ = false;
  const uint32_t page = write_page_;
  uint32_t lo = kPageSize, hi = 0;  // the changed bytes: [lo, hi)
  changed_range(mem_.ptr(uint64_t(page) << kPageShift, kPageSize), write_before_.data(), lo, hi);
  auto it = by_page_.find(page);
  if (it == by_page_.end()) return;  // flushed meanwhile: nothing to protect
  if (lo < hi) {
    const std::vector<Block*> victims = blocks_touching(page, lo, hi);
    for (Block* b : victims) unlink(b);
    stats.smc_blocks_dropped += victims.size();
    if (victims.empty())
      data_writes_[page]++;
    else
      data_writes_.erase(page);
  } else {
    data_writes_[page]++;
  }
  stats.smc_partial++;
  if (!by_page_[page].empty())
    shadow_.protect_code(page);
  else
    by_page_.erase(page);
}

}  // namespace rs

namespace rs {

// The blocks of the page whose guest bytes overlap [lo, hi): from their start, or the
// tail of one that began on the page before.
std::vector<Block*> Translator::blocks_touching(uint32_t page, uint32_t lo, uint32_t hi) const {
  std::vector<Block*> out;
  auto it = by_page_.find(page);
  if (it == by_page_.end()) return out;
  for (Block* b : it->second) {
    const uint32_t start = b->phys_start & (kPageSize - 1);
    const uint32_t end = start + b->guest_len;
    const bool head = b->phys_first() == page && start < hi && end > lo;
    const bool tail = b->phys_last == page && b->phys_first() != page && end > kPageSize && end - kPageSize > lo;
    if (head || tail) out.push_back(b);
  }
  return out;
}

// C++ is about to write [lo, hi) of a code page (a device's DMA, a helper's store, the
// BIOS): the blocks there go, the others stay, and so does the page's protection. GRUB
// keeps its real-mode call frames next to its code: dropping the whole page at every
// BIOS call made a Debian boot translate GRUB's two pages 17,000 times (200,000 blocks).
void Translator::drop_range(uint32_t page, uint32_t lo, uint32_t hi) {
  const std::vector<Block*> victims = blocks_touching(page, lo, hi);
  for (Block* b : victims) unlink(b);
  stats.drop_pages[kDropCppWrite]++;
  stats.drop_blocks[kDropCppWrite] += victims.size();
  auto it = by_page_.find(page);
  if (it == by_page_.end() || it->second.empty()) {
    if (it != by_page_.end()) by_page_.erase(it);
    shadow_.unprotect_code(page);
  }
}

}  // namespace rs
