#include "host/terminal_keys.h"

#include <cstdlib>

namespace rs {

namespace {

// A key: its set-2 code (kExt: after an E0 prefix) and the modifiers held with it.
constexpr uint16_t kExt = 0x100;
constexpr uint8_t kShift = 1, kAlt = 2, kCtrl = 4;  // xterm's modifier parameter minus one
struct Key {
  uint16_t code = 0;
  uint8_t mods = 0;
};

constexpr uint16_t kLShift = 0x12, kLCtrl = 0x14, kLAlt = 0x11;
constexpr uint16_t kEsc = 0x76, kEnter = 0x5A, kTab = 0x0D, kBackspace = 0x66, kSpace = 0x29;
constexpr uint16_t kUp = kExt | 0x75, kDown = kExt | 0x72, kLeft = kExt | 0x6B, kRight = kExt | 0x74;
constexpr uint16_t kHome = kExt | 0x6C, kEnd = kExt | 0x69, kPgUp = kExt | 0x7D, kPgDn = kExt | 0x7A;
constexpr uint16_t kInsert = kExt | 0x70, kDelete = kExt | 0x71, kKpEnter = kExt | 0x5A;
constexpr uint16_t kF[13] = {0, 0x05, 0x06, 0x04, 0x0C, 0x03, 0x0B, 0x83, 0x0A, 0x01, 0x09, 0x78, 0x07};

// The US layout: the characters of each key unshifted and shifted, with its set-2 code.
struct UsKey {
  char plain, shifted;
  uint8_t code;
};
constexpr UsKey kUsLayout[] = {
    {'`', '~', 0x0E}, {'1', '!', 0x16}, {'2', '@', 0x1E}, {'3', '#', 0x26}, {'4', '$', 0x25},
    {'5', '%', 0x2E}, {'6', '^', 0x36}, {'7', '&', 0x3D}, {'8', '*', 0x3E}, {'9', '(', 0x46},
    {'0', ')', 0x45}, {'-', '_', 0x4E}, {'=', '+', 0x55}, {'q', 'Q', 0x15}, {'w', 'W', 0x1D},
    {'e', 'E', 0x24}, {'r', 'R', 0x2D}, {'t', 'T', 0x2C}, {'y', 'Y', 0x35}, {'u', 'U', 0x3C},
    {'i', 'I', 0x43}, {'o', 'O', 0x44}, {'p', 'P', 0x4D}, {'[', '{', 0x54}, {']', '}', 0x5B},
    {'\\', '|', 0x5D}, {'a', 'A', 0x1C}, {'s', 'S', 0x1B}, {'d', 'D', 0x23}, {'f', 'F', 0x2B},
    {'g', 'G', 0x34}, {'h', 'H', 0x33}, {'j', 'J', 0x3B}, {'k', 'K', 0x42}, {'l', 'L', 0x4B},
    {';', ':', 0x4C}, {'\'', '"', 0x52}, {'z', 'Z', 0x1A}, {'x', 'X', 0x22}, {'c', 'C', 0x21},
    {'v', 'V', 0x2A}, {'b', 'B', 0x32}, {'n', 'N', 0x31}, {'m', 'M', 0x3A}, {',', '<', 0x41},
    {'.', '>', 0x49}, {'/', '?', 0x4A},
};

bool us_key(char c, Key& k) {
  if (c == ' ') return k = Key{kSpace, 0}, true;
  for (const UsKey& u : kUsLayout) {
    if (c == u.plain) return k = Key{u.code, 0}, true;
    if (c == u.shifted) return k = Key{u.code, kShift}, true;
  }
  return false;
}

// One byte that is a key by itself.
bool byte_key(uint8_t b, Key& k) {
  switch (b) {
    case '\r':
    case '\n':
      return k = Key{kEnter, 0}, true;
    case '\t':
      return k = Key{kTab, 0}, true;
    case 0x7F:
    case 0x08:
      return k = Key{kBackspace, 0}, true;
    case 0x1B:
      return k = Key{kEsc, 0}, true;
    case 0x00:
      return k = Key{kSpace, kCtrl}, true;
    case 0x1C:  // Ctrl-\, Ctrl-], Ctrl-^, Ctrl-_
    case 0x1D:
    case 0x1E:
    case 0x1F: {
      static constexpr char kKey[4] = {'\\', ']', '6', '-'};
      us_key(kKey[b - 0x1C], k);
      k.mods = kCtrl;
      return true;
    }
    default:
      break;
  }
  if (b >= 0x01 && b <= 0x1A) {  // Ctrl-A .. Ctrl-Z
    us_key(char('a' + b - 1), k);
    k.mods = kCtrl;
    return true;
  }
  return b < 0x80 && us_key(char(b), k);  // other bytes: UTF-8, not on a US keyboard
}

void make(uint16_t code, std::vector<uint8_t>& out) {
  if (code & kExt) out.push_back(0xE0);
  out.push_back(uint8_t(code));
}

void brk(uint16_t code, std::vector<uint8_t>& out) {
  if (code & kExt) out.push_back(0xE0);
  out.push_back(0xF0);
  out.push_back(uint8_t(code));
}

// Modifiers down, the key down and up, modifiers up in reverse order.
void press(const Key& k, std::vector<uint8_t>& out) {
  if (k.mods & kCtrl) make(kLCtrl, out);
  if (k.mods & kShift) make(kLShift, out);
  if (k.mods & kAlt) make(kLAlt, out);
  make(k.code, out);
  brk(k.code, out);
  if (k.mods & kAlt) brk(kLAlt, out);
  if (k.mods & kShift) brk(kLShift, out);
  if (k.mods & kCtrl) brk(kLCtrl, out);
}

// The key of CSI <params> <final> (xterm, VT220, the Linux console, rxvt), or none.
bool csi_key(const std::string& params, char final, Key& k) {
  int p[2] = {0, 0};
  const char* s = params.c_str();
  for (int i = 0; i < 2 && *s; ++i) {
    char* end = nullptr;
    p[i] = int(std::strtol(s, &end, 10));
    s = end;
    if (*s != ';') break;
    ++s;
  }
  const uint8_t mods = p[1] > 1 ? uint8_t((p[1] - 1) & 7) : 0;
  switch (final) {
    case 'A': return k = Key{kUp, mods}, true;
    case 'B': return k = Key{kDown, mods}, true;
    case 'C': return k = Key{kRight, mods}, true;
    case 'D': return k = Key{kLeft, mods}, true;
    case 'H': return k = Key{kHome, mods}, true;
    case 'F': return k = Key{kEnd, mods}, true;
    case 'P': return k = Key{kF[1], mods}, true;
    case 'Q': return k = Key{kF[2], mods}, true;
    case 'R': return k = Key{kF[3], mods}, true;
    case 'S': return k = Key{kF[4], mods}, true;
    case 'Z': return k = Key{kTab, kShift}, true;
    case '~': break;
    default: return false;
  }
  static constexpr struct {
    int n;
    uint16_t code;
  } kTilde[] = {{1, kHome},    {2, kInsert}, {3, kDelete},  {4, kEnd},     {5, kPgUp},    {6, kPgDn},
                {7, kHome},    {8, kEnd},    {11, kF[1]},   {12, kF[2]},   {13, kF[3]},   {14, kF[4]},
                {15, kF[5]},   {17, kF[6]},  {18, kF[7]},   {19, kF[8]},   {20, kF[9]},   {21, kF[10]},
                {23, kF[11]},  {24, kF[12]}};
  for (const auto& t : kTilde)
    if (t.n == p[0]) return k = Key{t.code, mods}, true;
  return false;
}

// What ESC O <c> means (xterm's application cursor mode and its F1-F4).
bool ss3_key(char c, Key& k) {
  switch (c) {
    case 'A': return k = Key{kUp, 0}, true;
    case 'B': return k = Key{kDown, 0}, true;
    case 'C': return k = Key{kRight, 0}, true;
    case 'D': return k = Key{kLeft, 0}, true;
    case 'H': return k = Key{kHome, 0}, true;
    case 'F': return k = Key{kEnd, 0}, true;
    case 'M': return k = Key{kKpEnter, 0}, true;
    case 'P': return k = Key{kF[1], 0}, true;
    case 'Q': return k = Key{kF[2], 0}, true;
    case 'R': return k = Key{kF[3], 0}, true;
    case 'S': return k = Key{kF[4], 0}, true;
    default: return false;
  }
}

}  // namespace

void TerminalKeys::feed(const uint8_t* data, size_t n, uint64_t now, std::vector<uint8_t>& out) {
  if (!n) return;
  if (pending_.empty()) since_ = now;
  pending_.append(reinterpret_cast<const char*>(data), n);
  decode(false, out);
  if (!pending_.empty() && pending_.size() <= n) since_ = now;  // what is left came with these bytes
}

void TerminalKeys::expire(uint64_t now, std::vector<uint8_t>& out) {
  if (!pending_.empty() && now >= since_ + kEscTimeoutNs) decode(true, out);
}

// Takes whole keys off the front of pending_; an incomplete escape sequence stays for
// more bytes, unless timed_out.
void TerminalKeys::decode(bool timed_out, std::vector<uint8_t>& out) {
  const std::string& p = pending_;
  size_t i = 0;
  while (i < p.size()) {
    const uint8_t b = uint8_t(p[i]);
    Key k;
    if (b != 0x1B) {
      if (byte_key(b, k)) press(k, out);
      ++i;
      continue;
    }
    const size_t rest = p.size() - i;
    if (rest == 1) {
      if (!timed_out) break;
      press(Key{kEsc, 0}, out);
      ++i;
      continue;
    }
    const char c = p[i + 1];
    if (c == '[' || c == 'O') {
      size_t used = 0;
      bool known = false;
      if (c == 'O') {
        if (rest >= 3) used = 3, known = ss3_key(p[i + 2], k);
      } else if (rest >= 3 && p[i + 2] == '[') {
        // The Linux console's F1-F5: ESC [ [ A .. E.
        if (rest >= 4) {
          used = 4;
          const char f = p[i + 3];
          if (f >= 'A' && f <= 'E') known = true, k = Key{kF[f - 'A' + 1], 0};
        }
      } else {
        size_t j = i + 2;
        while (j < p.size() && uint8_t(p[j]) >= 0x20 && uint8_t(p[j]) <= 0x3F) ++j;  // parameters
        if (j < p.size()) used = j + 1 - i, known = csi_key(p.substr(i + 2, j - i - 2), p[j], k);
      }
      if (used) {
        if (known) press(k, out);  // an unknown sequence is dropped whole
        i += used;
        continue;
      }
      if (!timed_out) break;
      // Nothing completed it in time: Alt-[ or Alt-O typed by hand.
    } else if (c == 0x1B) {
      press(Key{kEsc, 0}, out);  // ESC ESC: the first is the Esc key
      ++i;
      continue;
    }
    // ESC and a key: the key with Alt (the terminal's "meta sends escape").
    if (byte_key(uint8_t(c), k)) {
      k.mods |= kAlt;
      press(k, out);
    }
    i += 2;
  }
  pending_.erase(0, i);
}

}  // namespace rs
