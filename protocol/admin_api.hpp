#pragma once
/// The website's JSON APIs (server.md D.3): request checks and reply bodies, no sockets, no actors.
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace barertc::protocol {

/// An HTTP status and an indented JSON body `{"OK": ..., "Error": ...}`.
struct api_reply {
  int status = 200;
  std::string body;
};

api_reply api_ok();
api_reply api_error(int status, std::string_view error);

/// `POST /api/block/now`: the users who are to block each other.
struct block_now_request {
  std::vector<std::string> usernames;
};

/// Checks method (POST), content type (exactly application/json), body and APIKey (compared in
/// constant time; an empty configured key never matches), then reads the request; or the error
/// reply to send.
std::variant<block_now_request, api_reply> parse_block_now(bool post, std::string_view content_type,
                                                           std::string_view body, const std::string& api_key);

}  // namespace barertc::protocol
