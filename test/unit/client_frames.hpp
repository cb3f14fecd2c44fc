#pragma once
/// Masked client frames as a browser would send them, for the WebSocket parser's tests.
#include <cstdint>
#include <string>
#include <string_view>

namespace barertc::test {

/// A masked frame whose first byte (FIN, RSV bits, opcode) is `first_byte`.
inline std::string masked_frame(uint8_t first_byte, std::string_view payload) {
  std::string out(1, static_cast<char>(first_byte));
  const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
  if (payload.size() < 126) {
    out += static_cast<char>(0x80 | payload.size());
  } else if (payload.size() < 65536) {
    out += static_cast<char>(0x80 | 126);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size() & 0xFF);
  } else {
    out += static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i) out += static_cast<char>((uint64_t(payload.size()) >> (8 * i)) & 0xFF);
  }
  out.append(reinterpret_cast<const char*>(mask), 4);
  for (size_t i = 0; i < payload.size(); ++i) out += static_cast<char>(payload[i] ^ mask[i & 3]);
  return out;
}

}  // namespace barertc::test
