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

inline const char* nothing_left =
    "Your message had nothing left to show once unsafe HTML was taken out, so it was not sent.";

// Message life (protocol.md B.2): takeback, reactions, shared images.
inline const char* not_your_message = "That is not your message to take back";
inline const char* reaction_invalid = "A reaction must be one emoji (a few characters, no markup).";
inline const char* reaction_no_id = "Which message is that reaction for? It needs a msgID.";
inline const char* image_type = "Unsupported image type";
inline const char* image_empty = "That image is empty.";
inline std::string image_too_large(int64_t limit) {
  return "That image is too large: the limit is " + std::to_string(limit >> 20) + " MiB.";
}
inline const char* image_channel = "Images are not permitted in that channel.";
inline const char* image_dm = "Images can only be shared in a DM when one of you is a chat operator.";
inline const char* image_yours_busy = "Your earlier images are still being processed: please wait for them first.";
inline const char* image_busy = "The server is busy with other images right now: please try again in a moment.";
/// `why` is a sentence of protocol/image's (or the worker's) own.
inline std::string image_refused(const std::string& why) { return "Your image could not be shared. " + esc(why); }
inline const char* filter_would_report =
    "Your message matched a message filter and would have been reported, but you are a chat operator.";

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
