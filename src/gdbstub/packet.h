// GDB remote serial protocol framing: `$payload#cs`, acks, the 0x03 interrupt byte, and
// the binary escapes of X packets. A byte-at-a-time parser with a size bound, so that a
// hostile or broken peer can only ever get an error reply or a dropped connection.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rs::gdb {

inline constexpr size_t kMaxPacket = 16384;  // what qSupported advertises (PacketSize)

class PacketParser {
 public:
  enum class Event { None, Packet, BadChecksum, Interrupt, Ack, Nak, Overflow };
  // Feeds one byte from the peer. On Packet the payload is in payload().
  Event feed(uint8_t b);
  const std::string& payload() const { return payload_; }

 private:
  enum class State { Idle, Body, Escape, Sum1, Sum2 } state_ = State::Idle;
  std::string body_, payload_;
  uint8_t sum_ = 0, want_ = 0;
};

// `$payload#xx` with '#', '$', '}' and '*' escaped.
std::string frame(const std::string& payload);
// Binary data for X packets arrives escaped; the parser already undid `}` escapes.
std::string to_hex(const uint8_t* p, size_t n);
// Parses hex into bytes; false on an odd length or a non-hex digit.
bool from_hex(const std::string& s, std::vector<uint8_t>& out);
// A hex number (no prefix, at most 16 digits); nullopt when malformed.
std::optional<uint64_t> parse_hex(const std::string& s);

}  // namespace rs::gdb
