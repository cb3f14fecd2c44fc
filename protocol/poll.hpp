#pragma once
/// The bodies of POST /poll, the polling transport (protocol.md B.8): the request read, the
/// response written. No sockets, no sessions.
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/message.hpp"

namespace barertc::protocol {

/// `{"username": "...", "session_id": "...", "msg": {Message}}`.
struct poll_request {
  std::string username;
  std::string session_id;
  std::string msg;     ///< The Message as compact JSON (fed to the chat like a text frame); empty if absent.
  std::string action;  ///< Its `action`, for the first-request check.
};

/// Why a /poll body was refused (a 400), fit to show the client.
struct poll_refusal {
  std::string text;
};

/// Reads a /poll body: a JSON object whose `username` and `session_id` are strings (or absent)
/// and whose `msg` is an object (or absent, which counts as a ping).
std::variant<poll_request, poll_refusal> parse_poll_request(std::string_view body);

/// `{"username": ..., "session_id": ..., "messages": [...]}` with the frames (already JSON) in order.
std::string encode_poll_response(std::string_view username, std::string_view session_id,
                                 const std::vector<frame>& messages);

/// The `username` of a `me` frame (the name the chat gave the session), or nullopt for any other frame.
std::optional<std::string> me_username(std::string_view frame_json);

}  // namespace barertc::protocol
