#pragma once
/// The website's JSON APIs (server.md D.3): request checks and reply bodies, no sockets, no actors.
#include <cstdint>
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
/// `{"OK": true, "JWT": token}` (/api/authenticate).
api_reply api_ok_jwt(std::string_view token);
/// `{"OK": true, "Removed": n}` (/api/disconnect/now).
api_reply api_ok_removed(int64_t removed);

/// One stored DM as /api/message/history lists it.
struct history_entry {
  std::string username;  ///< The sender.
  std::string message;   ///< HTML.
  int64_t msg_id = 0;
  std::string timestamp;  ///< RFC 3339.
};
/// `{"OK": true, "Messages": [{username, message, msgID, timestamp}...], "Remaining": n}`.
api_reply api_ok_history(const std::vector<history_entry>& messages, int64_t remaining);
/// `{"OK": true, "Usernames": [...], "Count": n, "Pages": n}` (/api/message/usernames).
api_reply api_ok_usernames(const std::vector<std::string>& usernames, int64_t count, int64_t pages);
/// `{"OK": true, "MessagesErased": n}` (/api/message/clear).
api_reply api_ok_erased(int64_t erased);

/// `POST /api/block/now`: the users who are to block each other.
struct block_now_request {
  std::vector<std::string> usernames;
};
/// `POST /api/authenticate`: the claims to sign, as a JSON object with a string `sub`.
struct authenticate_request {
  std::string claims_json;
};
/// `POST /api/amend-jwt`: a new token for an online user.
struct amend_request {
  std::string username;
  std::string token;
};
/// `POST /api/shutdown`.
struct shutdown_request {};
/// `POST /api/blocklist`: a user's blocklist, applied when they next sign in.
struct blocklist_request {
  std::string username;
  std::vector<std::string> blocklist;
};
/// `POST /api/disconnect/now`: users to sign out, with an optional notice.
struct disconnect_request {
  std::vector<std::string> usernames;
  std::string message;
  bool kick = false;
};
/// `POST /api/profile`: a user's profile card, asked for with the caller's chat token.
struct profile_request {
  std::string token;
  std::string username;
};

/// `POST /api/message/history`: a page of the caller's DMs with `username`, older than `before_id`
/// (0: the newest).
struct history_request {
  std::string token;
  std::string username;
  int64_t before_id = 0;
};
/// `POST /api/message/usernames`: whom the caller has DM history with. `sort` is one of newest,
/// oldest, a-z, z-a; `page` counts from 1.
struct usernames_request {
  std::string token;
  std::string sort = "newest";
  int64_t page = 1;
};
/// `POST /api/message/clear`: a user's DM history erased, asked by the user (`token`) or by the
/// website (APIKey checked, `username` set).
struct clear_request {
  std::string token;
  std::string username;
};

using api_request = std::variant<api_reply, block_now_request, authenticate_request, amend_request, shutdown_request,
                                 blocklist_request, disconnect_request, profile_request, history_request,
                                 usernames_request, clear_request>;

/// Checks method (POST), content type (exactly application/json), body and APIKey (compared in
/// constant time; an empty configured key never matches; /api/profile, /api/message/history and
/// /api/message/usernames take a chat token instead, /api/message/clear either)
/// of the API at `path`, then reads its request; or the error reply to send (404 for no such API).
api_request parse_api(std::string_view path, bool post, std::string_view content_type, std::string_view body,
                      const std::string& api_key);

/// The token /api/authenticate hands out: `claims_json` with iat = now and exp = now + lifetime.
std::string authenticate_payload(std::string_view claims_json, int64_t now_unix, int64_t lifetime_seconds);

}  // namespace barertc::protocol
