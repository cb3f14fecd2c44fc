/// Fuzzes the WebSocket frame parser (net/ws_frame) with arbitrary client bytes. The first byte
/// picks where the stream is split; the events must not depend on how the bytes arrive, no data
/// message may exceed the limit, errors carry 1002, 1007 (text that is not UTF-8) or 1009, and a
/// close event only ever carries a code allowed on the wire and a UTF-8 reason. Bit 7 of the first
/// byte turns permessage-deflate on: a compressed message is then inflated (net/deflate) with the
/// same limit, which must hold however much the payload claims to expand to, and a message only
/// passes as uncompressed text when it is UTF-8.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "net/deflate.hpp"
#include "net/ws_frame.hpp"

using namespace barertc::net;

namespace {

constexpr size_t max_message = 4096;

struct seen {
  int type;
  std::string payload;
  uint16_t code;
  bool operator==(const seen&) const = default;
};

std::vector<seen> run(const uint8_t* data, size_t size, size_t chunk, bool deflate) {
  ws_parser parser(max_message);
  if (deflate) parser.accept_deflate();
  std::vector<seen> out;
  auto on_event = [&](ws_event&& ev) {
    if (ev.compressed) {
      if (!deflate) std::abort();
      std::string plain;
      auto status = inflate_message(ev.payload, max_message, plain);
      if (plain.size() > max_message) std::abort();
      if (status == inflate_status::ok) ev.payload = std::move(plain);
      else ev.code = status == inflate_status::too_big ? 1009 : 1007;
    } else if (ev.type == ws_event::kind::text && !valid_utf8(ev.payload)) {
      std::abort();
    }
    if ((ev.type == ws_event::kind::text || ev.type == ws_event::kind::binary) && ev.payload.size() > max_message)
      std::abort();
    if (ev.type == ws_event::kind::error && ev.code != 1002 && ev.code != 1007 && ev.code != 1009)
      std::abort();
    // A close event carries a code a client may send (or none: 1005) and a UTF-8 reason; anything
    // else must have become a 1002/1007 error rather than be echoed.
    if (ev.type == ws_event::kind::close && ((ev.code != 1005 && !valid_close_code(ev.code)) || !valid_utf8(ev.payload)))
      std::abort();
    out.push_back({static_cast<int>(ev.type), std::move(ev.payload), ev.code});
  };
  for (size_t i = 0; i < size; i += chunk)
    parser.feed(reinterpret_cast<const char*>(data) + i, std::min(chunk, size - i), on_event);
  if (!out.empty() && (out.back().type == static_cast<int>(ws_event::kind::close) ||
                       out.back().type == static_cast<int>(ws_event::kind::error)) != parser.done())
    std::abort();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t chunk = data[0] % 17 + 1;
  bool deflate = data[0] & 0x80;
  ++data, --size;
  auto whole = run(data, size, size ? size : 1, deflate);
  auto pieces = run(data, size, chunk, deflate);
  if (whole != pieces) std::abort();
  return 0;
}
