#include "gdbstub/packet.h"

namespace rs::gdb {

namespace {
int hexval(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

PacketParser::Event PacketParser::feed(uint8_t b) {
  switch (state_) {
    case State::Idle:
      if (b == '$') {
        body_.clear();
        sum_ = 0;
        state_ = State::Body;
        return Event::None;
      }
      if (b == 0x03) return Event::Interrupt;
      if (b == '+') return Event::Ack;
      if (b == '-') return Event::Nak;
      return Event::None;  // noise between packets is ignored, as gdb does
    case State::Body:
    case State::Escape:
      if (b == '$') {  // never part of a body (it is escaped): a new packet after a lost one
        body_.clear();
        sum_ = 0;
        state_ = State::Body;
        return Event::None;
      }
      if (body_.size() >= kMaxPacket) {
        state_ = State::Idle;
        return Event::Overflow;
      }
      if (state_ == State::Body && b == '#') {
        state_ = State::Sum1;
        return Event::None;
      }
      sum_ = uint8_t(sum_ + b);
      if (state_ == State::Escape) {
        body_.push_back(char(b ^ 0x20));
        state_ = State::Body;
      } else if (b == '}') {
        state_ = State::Escape;
      } else {
        body_.push_back(char(b));
      }
      return Event::None;
    case State::Sum1: {
      int v = hexval(b);
      if (v < 0) {
        state_ = State::Idle;
        return Event::BadChecksum;
      }
      want_ = uint8_t(v << 4);
      state_ = State::Sum2;
      return Event::None;
    }
    case State::Sum2: {
      state_ = State::Idle;
      int v = hexval(b);
      if (v < 0 || uint8_t(want_ | v) != sum_) return Event::BadChecksum;
      payload_.swap(body_);
      return Event::Packet;
    }
  }
  return Event::None;
}

std::string frame(const std::string& payload) {
  std::string out = "$";
  uint8_t sum = 0;
  for (char ch : payload) {
    uint8_t c = uint8_t(ch);
    if (c == '#' || c == '$' || c == '}' || c == '*') {
      out.push_back('}');
      sum = uint8_t(sum + '}');
      c ^= 0x20;
    }
    out.push_back(char(c));
    sum = uint8_t(sum + c);
  }
  static const char* hex = "0123456789abcdef";
  out.push_back('#');
  out.push_back(hex[sum >> 4]);
  out.push_back(hex[sum & 15]);
  return out;
}

std::string to_hex(const uint8_t* p, size_t n) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  s.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(hex[p[i] >> 4]);
    s.push_back(hex[p[i] & 15]);
  }
  return s;
}

bool from_hex(const std::string& s, std::vector<uint8_t>& out) {
  if (s.size() % 2) return false;
  out.clear();
  for (size_t i = 0; i < s.size(); i += 2) {
    int hi = hexval(uint8_t(s[i])), lo = hexval(uint8_t(s[i + 1]));
    if (hi < 0 || lo < 0) return false;
    out.push_back(uint8_t(hi << 4 | lo));
  }
  return true;
}

std::optional<uint64_t> parse_hex(const std::string& s) {
  if (s.empty() || s.size() > 16) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    int d = hexval(uint8_t(c));
    if (d < 0) return std::nullopt;
    v = v << 4 | uint64_t(d);
  }
  return v;
}

}  // namespace rs::gdb
