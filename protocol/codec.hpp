#pragma once
/// JSON encoding and decoding of BareRTC messages.
#include <string>
#include <string_view>
#include <variant>

#include "protocol/message.hpp"

namespace barertc::protocol {

/// Why a frame could not be read as a Message; `text` is fit to show the sender.
struct decode_error {
  std::string text;
};

/// Parses one text frame. Unknown fields are ignored, missing ones keep their defaults.
std::variant<message, decode_error> decode(std::string_view json);

/// Writes a Message as compact JSON, leaving out empty fields.
std::string encode(const message& msg);

/// Encodes once into bytes that can be handed to many connections.
frame encode_frame(const message& msg);

/// A ChatServer notice (`error` action) with optional channel.
message chat_server(std::string html, std::string channel = {});

}  // namespace barertc::protocol

namespace barertc::protocol {

/// One who-list entry as JSON, cached by the directory so a list is built by joining strings.
std::string encode_who_entry(const who_entry& entry);

/// `head` + the items joined by commas + "]}": a frame whose one array is built from pieces
/// already encoded (`get` turns an item into its JSON text).
template <class Range, class Get>
frame encode_array_frame(std::string_view head, const Range& items, Get get) {
  size_t size = head.size() + 2;
  for (const auto& item : items) size += std::string_view(get(item)).size() + 1;
  std::string out;
  out.reserve(size);
  out += head;
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += ',';
    first = false;
    out += get(item);
  }
  out += "]}";
  return shared_frame(std::move(out));
}

/// A `who` frame from entries already encoded by encode_who_entry.
template <class Range>
frame encode_who_list(const Range& encoded_entries) {
  return encode_array_frame(R"({"action":"who","whoList":[)", encoded_entries,
                            [](const std::string& e) -> const std::string& { return e; });
}

/// An `echo` frame (protocol.md B.2) from messages already encoded, each with its timestamp.
inline frame encode_echo(const std::vector<frame>& encoded_messages) {
  return encode_array_frame(R"({"action":"echo","messages":[)", encoded_messages,
                            [](const frame& m) -> const std::string& { return *m; });
}

/// RFC 3339 UTC time with seconds, e.g. "2026-12-02T19:04:05Z" (the `timestamp` of echoes).
std::string rfc3339(int64_t unix_seconds);

/// Body of GET /api/statistics.
std::string encode_statistics(const std::vector<std::string>& usernames, int blue_cameras,
                              int red_cameras);

}  // namespace barertc::protocol
