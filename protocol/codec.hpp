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

/// A `who` frame from entries already encoded by encode_who_entry.
template <class Range>
frame encode_who_list(const Range& encoded_entries) {
  size_t size = 32;
  for (const std::string& e : encoded_entries) size += e.size() + 1;
  std::string out;
  out.reserve(size);
  out += R"({"action":"who","whoList":[)";
  bool first = true;
  for (const std::string& e : encoded_entries) {
    if (!first) out += ',';
    first = false;
    out += e;
  }
  out += "]}";
  return std::make_shared<const std::string>(std::move(out));
}

/// Body of GET /api/statistics.
std::string encode_statistics(const std::vector<std::string>& usernames, int blue_cameras,
                              int red_cameras);

}  // namespace barertc::protocol
