#pragma once
/// The BareRTC wire message (../shared/spec/protocol.md, B.1) as plain structs.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace barertc::protocol {

/// Video flag bits of `me` and who-list entries (protocol.md B.3).
namespace video {
inline constexpr int active = 1;
inline constexpr int nsfw = 2;
inline constexpr int muted = 4;
inline constexpr int non_explicit = 8;
inline constexpr int mutual_required = 16;
inline constexpr int mutual_open = 32;
inline constexpr int vip_only = 64;
inline constexpr int invited = 128;
inline constexpr int no_watermark = 256;
}  // namespace video

/// One row of the Who Is Online list.
struct who_entry {
  std::string username;
  std::string nickname;
  std::string status = "online";
  int video = 0;
  bool dnd = false;
  int64_t login_at = 0;
  bool op = false;
  bool vip = false;
  std::string avatar;
  std::string profile_url;
  std::string emoji;
  std::string gender;
};

/// Every field a Message may carry; empty fields are left out on output.
struct message {
  std::string action;
  std::string channel;
  std::string username;
  std::string message;
  std::string jwt;
  std::vector<who_entry> who_list;
  int video = 0;
  std::string status;
  bool dnd = false;
  int64_t msg_id = 0;
  std::string open_secret;
  std::string bytes;
  std::vector<std::string> usernames;
  std::string timestamp;
  std::string reason;
  std::string comment;
  std::vector<struct message> messages;
  std::map<std::string, bool> jwt_rules;
  std::string candidate;
  std::string description;
  // Fields of the first BareRTC releases, still sent by old clients and bots.
  bool video_active = false;
  bool nsfw = false;
  /// True when the client sent the old `videoActive`/`nsfw` booleans (not on the wire).
  bool legacy_video = false;
};

/// Serialised bytes of one outgoing message, shared by every recipient. The network may also
/// compress it, once, for the clients that negotiated permessage-deflate (RFC 7692): `deflated`
/// is that slot, filled under `deflate_once` by the first I/O thread that needs it, so every such
/// recipient shares the compressed bytes as the others share these.
struct frame_bytes : std::string {
  explicit frame_bytes(std::string s) : std::string(std::move(s)) {}
  mutable std::once_flag deflate_once;
  mutable std::string deflated;  ///< empty: not worth compressing (or not asked for yet)
};
using frame = std::shared_ptr<const frame_bytes>;

/// A frame holding `json`.
inline frame shared_frame(std::string json) { return std::make_shared<const frame_bytes>(std::move(json)); }

/// Several messages that go out together (a batch of presence lines in a join storm). Each stays
/// a message of its own on the wire, but a recipient gets the batch in one hand-over, and the
/// network builds its wire form once: `wire[0]` plain, `wire[1]` for permessage-deflate clients,
/// each filled under its `wire_once` by the first I/O thread that needs it.
struct frame_batch {
  explicit frame_batch(std::vector<frame> p) : parts(std::move(p)) {}
  std::vector<frame> parts;
  mutable std::once_flag wire_once[2];
  mutable frame wire[2];
};
using batch = std::shared_ptr<const frame_batch>;

inline batch shared_batch(std::vector<frame> parts) { return std::make_shared<const frame_batch>(std::move(parts)); }

}  // namespace barertc::protocol
