#pragma once
/// Typed messages exchanged by the chat actors (docs/architecture.md draws who sends what).
#include <caf/all.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "actors/message_filters.hpp"
#include "actors/relations.hpp"
#include "protocol/cluster_wire.hpp"
#include "protocol/codec.hpp"
#include "protocol/image.hpp"
#include "protocol/jwt.hpp"
#include "protocol/message.hpp"
#include "protocol/transport.hpp"
#include "protocol/webhook.hpp"
#include "settings/settings.hpp"
#include "storage/dm_history.hpp"

namespace barertc::actors {

// Atoms (CAF 0.17: at most 10 characters).
using text_atom = caf::atom_constant<caf::atom("text")>;          ///< net -> user: a frame
using closed_atom = caf::atom_constant<caf::atom("closed")>;      ///< net -> user: socket gone
using binary_atom = caf::atom_constant<caf::atom("binary")>;      ///< net -> user: a binary frame
using login_atom = caf::atom_constant<caf::atom("login")>;        ///< user -> directory
using logout_atom = caf::atom_constant<caf::atom("logout")>;      ///< user -> directory
using state_atom = caf::atom_constant<caf::atom("state")>;        ///< user -> directory (`me`)
using dm_atom = caf::atom_constant<caf::atom("dm")>;              ///< user -> directory -> thread
using relay_atom = caf::atom_constant<caf::atom("relay")>;        ///< user -> directory: signalling
using open_atom = caf::atom_constant<caf::atom("open")>;          ///< user -> directory: webcam open
using publish_atom = caf::atom_constant<caf::atom("publish")>;    ///< user -> channel
using join_atom = caf::atom_constant<caf::atom("join")>;          ///< directory -> channel
using leave_atom = caf::atom_constant<caf::atom("leave")>;        ///< directory -> channel
using flush_atom = caf::atom_constant<caf::atom("flush")>;        ///< directory -> self: who list
using presence_atom = caf::atom_constant<caf::atom("presence")>;  ///< directory -> self: batch
using ping_atom = caf::atom_constant<caf::atom("ping")>;          ///< user -> self: keep-alive
using deadline_atom = caf::atom_constant<caf::atom("deadline")>;  ///< user -> self: login timeout
using stats_atom = caf::atom_constant<caf::atom("stats")>;        ///< gateway -> directory
using command_atom = caf::atom_constant<caf::atom("command")>;    ///< user -> directory: /kick etc.
using signout_atom = caf::atom_constant<caf::atom("signout")>;    ///< directory -> user: logged out
using op_atom = caf::atom_constant<caf::atom("op")>;              ///< directory -> user: op changed
using count_atom = caf::atom_constant<caf::atom("count")>;        ///< with stats: just the number
using reconfig_atom = caf::atom_constant<caf::atom("reconfig")>;  ///< reload settings / new context
using relate_atom = caf::atom_constant<caf::atom("relate")>;      ///< user -> directory -> channels: mute etc.
using blocknow_atom = caf::atom_constant<caf::atom("blocknow")>;  ///< API -> directory: /api/block/now
using forget_atom = caf::atom_constant<caf::atom("forget")>;      ///< directory -> channels: a user's relations go
using takeback_atom = caf::atom_constant<caf::atom("takeback")>;  ///< user -> directory -> channels: a message goes
using react_atom = caf::atom_constant<caf::atom("react")>;        ///< user -> directory: a reaction
using echo_atom = caf::atom_constant<caf::atom("echo")>;          ///< directory -> channel: recent messages
using decode_atom = caf::atom_constant<caf::atom("decode")>;      ///< user -> media: parse a large frame
using image_atom = caf::atom_constant<caf::atom("image")>;        ///< user -> media: process a shared image
using report_atom = caf::atom_constant<caf::atom("report")>;      ///< user -> directory -> dm-thread: a report
using amend_atom = caf::atom_constant<caf::atom("amend")>;        ///< API -> directory -> user: new JWT claims
using blocklist_atom = caf::atom_constant<caf::atom("blocklist")>; ///< API -> directory: a stored blocklist
using discon_atom = caf::atom_constant<caf::atom("discon")>;      ///< API -> directory: /api/disconnect/now
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;  ///< API -> directory: /api/shutdown
using online_atom = caf::atom_constant<caf::atom("online")>;      ///< API -> directory: is this user in the room?
using owned_atom = caf::atom_constant<caf::atom("owned")>;        ///< DM history -> user: whose a msgID is
using cluster_atom = caf::atom_constant<caf::atom("cluster")>;    ///< link -> bridge -> directory/channel: from other nodes
using linkup_atom = caf::atom_constant<caf::atom("linkup")>;      ///< link -> bridge -> directory: Redis up or down
using beat_atom = caf::atom_constant<caf::atom("beat")>;          ///< directory -> self: heartbeat to the other nodes

/// Logs an exception that escaped a handler of `actor_name` (CAF then ends that actor); returns the
/// error it ends with. Handlers catch what they can; this makes the rest loud rather than silent.
caf::error log_actor_exception(const char* actor_name, std::exception_ptr& eptr);

/// Seconds since the epoch (JWT times, login times, echo timestamps).
inline int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Read-only facts every chat actor shares, fixed at start-up.
struct context {
  settings::settings cfg;
  std::vector<protocol::frame> welcome;  ///< Pre-rendered welcome notices, sent on every login.
  protocol::frame ping;                  ///< The keep-alive frame.
  protocol::frame disconnect;            ///< `{"action":"disconnect"}`.
  /// The msgID sequence (protocol.md B.5): the one counter the chat shares, atomic, lock-free,
  /// carried over when the settings are reloaded.
  std::shared_ptr<std::atomic<int64_t>> msg_ids;
  /// `[[MessageFilters]]`, compiled once per settings (RE2 matches are thread-safe).
  std::shared_ptr<const message_filters> filters;
  /// Posts to the website's webhooks off the chat's threads (net/webhook_client.*); may be empty.
  std::shared_ptr<const protocol::webhook_poster> webhooks;
  /// The DM history (storage/dm_history.*) when `[DirectMessageHistory]` was on at start-up, else
  /// empty. The same one for every context: it lives as long as the server.
  std::shared_ptr<storage::dm_history> history;
  /// The link to the other nodes ([Cluster] Enabled), or empty: then this process is the room.
  std::shared_ptr<protocol::cluster_link> cluster;
  /// msgIDs go up by this much: 1 alone, 2^msg_id_node_bits in a cluster, whose nodes start at
  /// different remainders so no two nodes hand out the same msgID.
  int64_t msg_id_step = 1;
};
using context_ptr = std::shared_ptr<const context>;

/// Builds the context for a settings value (renders the welcome messages once).
context_ptr make_context(const settings::settings& cfg, std::shared_ptr<std::atomic<int64_t>> msg_ids,
                         std::shared_ptr<const protocol::webhook_poster> webhooks,
                         std::shared_ptr<storage::dm_history> history,
                         std::shared_ptr<protocol::cluster_link> cluster = {}, int64_t msg_id_step = 1);

/// The next msgID (protocol.md B.5), unique across the nodes of a cluster.
inline int64_t next_msg_id(const context& c) { return c.msg_ids->fetch_add(c.msg_id_step) + c.msg_id_step; }

/// Where the current context is published after a reload, for connections not yet logged in and
/// for the page. Actors hold their own copy and are sent the new one.
struct config_cell {
  std::atomic<context_ptr> current;
  std::string path;  ///< settings.toml, re-read by /reconfigure and SIGHUP
};

/// A user asking the directory to enter the room.
struct login_request {
  protocol::who_entry who;
  caf::actor user;
  protocol::connection_ptr conn;
  bool jwt = false;  ///< Verified by token: takes the name over from an older session.
  std::vector<std::string> blocklist;  ///< Sent before login: muted and blocked once in the room.
};

/// The directory's answer: the name given, or why the login was refused.
struct login_reply {
  bool ok = false;
  std::string name;
  std::string refusal;  ///< HTML notice for the user when !ok
  context_ptr ctx;      ///< The settings in force, which may be newer than the user's.
};

/// A media worker's answer to `decode`: the frame's message, or the codec's error for the sender.
using decode_result = std::variant<protocol::message, protocol::decode_error>;
/// A media worker's answer to `image`: the processed image, or why it was refused.
using image_result = std::variant<protocol::image::processed, protocol::image::refusal>;

}  // namespace barertc::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(barertc::actors::decode_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(barertc::protocol::cluster_packet)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(barertc::protocol::report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(barertc::protocol::jwt_claims)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(barertc::actors::image_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(barertc::protocol::image::limits)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<barertc::protocol::frame>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(barertc::protocol::message)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(barertc::protocol::connection_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(barertc::actors::login_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(barertc::actors::login_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(barertc::actors::context_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<barertc::actors::relation_change>)
