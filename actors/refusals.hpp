#pragma once
/// The ChatServer texts the chat rules answer with (protocol.md B.2-B.7; the reference's wording
/// where clients or people know it). Names are escaped here, so every text is safe HTML.
#include <string>

#include "protocol/markdown.hpp"

namespace barertc::actors::refusal {

inline std::string esc(const std::string& s) { return protocol::escape_html(s); }

inline const char* signed_in_elsewhere = "You have been signed out of chat because you logged in from another location.";
inline std::string banned_until(const std::string& left) {
  return "You are currently banned from entering the chat room. Chat room bans are temporary; yours expires in " +
         left + ". Please try coming back later.";
}
inline std::string dm_offline(const std::string& to) {
  return "Could not deliver your message: @" + esc(to) + " appears not to be online.";
}
inline std::string you_muted(const std::string& to) {
  return "You have muted " + esc(to) + " and so your message has not been sent.";
}
inline const char* block_operator = "You are not allowed to block a chat operator.";
inline const char* operator_blocks = "Chat operators can not block users (they would stop seeing them).";
inline std::string not_yourself(const std::string& action) { return "You can not " + esc(action) + " yourself."; }
inline std::string booted_operator(const std::string& by) { return esc(by) + " has booted you off of their camera!"; }
inline std::string muted_operator(const std::string& by, bool on) {
  return esc(by) + " has muted you! Your new mute status is: " + (on ? "true" : "false");
}
inline std::string list_too_long(const std::string& action, int limit) {
  return "Your " + esc(action) + " has too many names: at most " + std::to_string(limit) + " are allowed. Nothing was changed.";
}
inline const char* vip_channel = "That channel is for VIP members only.";

// Opening a camera (B.7): each is shown after "Could not open that video: ".
inline const char* open_prefix = "Could not open that video: ";
inline std::string open_offline(const std::string& who) { return esc(who) + " appears to be offline."; }
inline const char* open_not_enabled = "Their video is not currently enabled.";
inline std::string open_mutual(const std::string& who) {
  return esc(who) + " has requested that you should share your own camera too before opening theirs.";
}
inline const char* open_no_permission = "You do not have permission to view that camera.";
inline std::string open_note_booted(const std::string& who) {
  return "Note: " + esc(who) + " had booted you off their camera before, and won't be notified of your watch.";
}
inline std::string open_note_muted(const std::string& who) {
  return "Note: " + esc(who) + " had muted you before, and won't be notified of your watch.";
}

}  // namespace barertc::actors::refusal
