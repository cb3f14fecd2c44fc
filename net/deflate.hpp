#pragma once
/// permessage-deflate (RFC 7692) for the server side, with no sockets: the handshake's answer,
/// and one message compressed or inflated at a time. The server always asks for
/// no_context_takeover both ways, so a message compresses the same whoever it goes to (one
/// compressed copy serves every recipient) and inflating keeps no window between messages.
#include <cstddef>
#include <string>
#include <string_view>

namespace barertc::net {

/// The Sec-WebSocket-Extensions answer to a client's offers: "permessage-deflate;
/// server_no_context_takeover; client_no_context_takeover" for the first acceptable
/// permessage-deflate offer, or empty (no compression) when there is none. An offer that asks the
/// server for a window under 15 bits, or has an unknown or malformed parameter, is declined.
std::string negotiate_deflate(std::string_view offers);

/// One message as a raw DEFLATE stream ended by a sync flush, without the final 00 00 ff ff
/// (RFC 7692 7.2.1). Thread-safe (each thread keeps its own compressor).
std::string deflate_message(std::string_view payload, int level);

enum class inflate_status { ok, too_big, corrupt };

/// Inflates one compressed message into `out`; stops at `max_bytes` of output (a deflate bomb
/// costs at most that much memory). Thread-safe.
inflate_status inflate_message(std::string_view compressed, size_t max_bytes, std::string& out);

}  // namespace barertc::net
