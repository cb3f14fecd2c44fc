/// Fuzzes the message codec: any bytes as a client text frame; whatever decodes must re-encode to
/// JSON that decodes again to the same encoding (the server relays and echoes decoded messages).
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/codec.hpp"

using namespace barertc::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decoded = decode(input);
  if (auto* err = std::get_if<decode_error>(&decoded)) {
    if (err->text.empty()) std::abort();  // every refusal is shown to the sender
    return 0;
  }
  const std::string once = encode(std::get<message>(decoded));
  auto again = decode(once);
  if (auto* err = std::get_if<decode_error>(&again)) {
    std::fprintf(stderr, "re-encoded message does not decode: %s\n%s\n", err->text.c_str(), once.c_str());
    std::abort();
  }
  const std::string twice = encode(std::get<message>(again));
  if (once != twice) {
    std::fprintf(stderr, "encoding is not stable:\n%s\n%s\n", once.c_str(), twice.c_str());
    std::abort();
  }
  // The shared-frame path must agree with encode().
  if (*encode_frame(std::get<message>(again)) != once) std::abort();
  return 0;
}
