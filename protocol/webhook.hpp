#pragma once
/// The website's webhooks (server.md E): the bodies we POST and the replies we read. No sockets:
/// net/webhook_client.* sends them; the chat sees only `webhook_poster`.
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/admin_api.hpp"

namespace barertc::protocol {

/// One report for the `report` webhook (server.md E).
struct report {
  std::string from_username;
  std::string about_username;
  std::string channel;
  std::string timestamp;
  std::string reason;
  std::string message;
  std::string comment;
};

/// What became of one webhook call: ok only for a 200; `error` says why not, in plain words.
struct webhook_result {
  bool ok = false;
  std::string body;
  std::string error;
};

/// Posts a JSON body to a URL off the chat's threads; `done` runs later on another thread (or at
/// once, when the call is dropped because too many are waiting).
using webhook_poster =
    std::function<void(std::string url, std::string body, std::function<void(webhook_result)> done)>;

/// `{"Action":"report","APIKey":...,"Report":{FromUsername,...}}`
std::string report_body(std::string_view api_key, const report& r);

/// `{"Action":"profile","APIKey":...,"Username":...}`
std::string profile_body(std::string_view api_key, std::string_view username);

/// The `/api/profile` reply from the profile webhook's answer
/// `{"StatusCode":200,"Data":{"OK","Error","Headline","ProfileFields":[{"Name","Value"}]}}`:
/// its Data, indented; 500 with an Error when the answer is not that shape.
api_reply profile_reply(std::string_view webhook_answer);

}  // namespace barertc::protocol
