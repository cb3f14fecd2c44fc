#pragma once
/// The directory actor's state and the helpers its parts share (directory.cpp: roster, names,
/// who lists and presence; moderation.cpp: operator commands; camera.cpp: webcam access and
/// signalling; relations between users). Internal to actors/.
#include <chrono>
#include <deque>
#include <map>
#include <random>
#include <set>

#include "actors/actors.hpp"
#include "actors/relations.hpp"
#include "actors/who_list.hpp"

namespace barertc::actors {

using steady = std::chrono::steady_clock;
using wall_clock = std::chrono::system_clock;

/// One logged-in user as the directory knows them.
struct online : listed {
  caf::actor user;
  protocol::connection_ptr conn;
  /// Open DM threads (and kept lines of DMs with users of other nodes), closed when either side leaves.
  std::set<std::string> dm_partners;
  bool jwt = false;                   ///< Signed in by token: /api/amend-jwt may change the claims.
};

/// A user logged in on another node of the cluster, as the who list shows them.
struct remote_user : listed {
  std::string node;
};

/// Another node, as its heartbeats and roster packets tell of it.
struct peer_node {
  steady::time_point seen{};  ///< its last packet
  uint64_t seq = 0;           ///< the sequence number of its last roster packet
};

/// The key of a DM conversation: the two names in order.
inline std::pair<std::string, std::string> thread_key(const std::string& a, const std::string& b) {
  return a < b ? std::pair{a, b} : std::pair{b, a};
}

/// The last change of one name's ban as this node knows it: the bans converge on the newest change
/// (last writer wins), exchanged in full when a node (re)joins (docs/architecture.md).
struct ban_change {
  int64_t until = 0;  ///< when the ban (set or lifted) expires, Unix seconds: forgotten after that
  int64_t at_ms = 0;  ///< when it was set or lifted, Unix milliseconds
  bool on = false;    ///< set (true) or lifted (false)
};

/// The directory's view of the rest of the cluster (empty when [Cluster] is off).
struct cluster_view {
  std::map<std::string, remote_user> users;  ///< other nodes' users, by name
  std::map<std::string, peer_node> peers;
  std::map<std::string, std::string> published;  ///< our users as last told to the others (entry JSON)
  uint64_t seq = 0;  ///< roster packets this node published
  bool up = false;   ///< whether the Redis link is up
  /// The recent lines of DMs between one of our users and a user of another node (no DM thread
  /// here: each node keeps the lines that pass through it, for a report from its side), keyed
  /// like the threads; gone when our user leaves.
  std::map<std::pair<std::string, std::string>, std::deque<std::string>> dm_lines;
  std::map<std::string, ban_change> ban_log;  ///< by name, lifted bans too
};

struct directory_state {
  std::map<std::string, online> users;  // sorted by name, like the who list
  std::map<std::pair<std::string, std::string>, caf::actor> threads;
  std::map<std::string, wall_clock::time_point> bans;  // in memory, keyed by username
  /// Blocklists the website pushed (/api/blocklist), applied when that user next signs in.
  std::map<std::string, std::vector<std::string>> stored_blocklists;
  relations rel;                                       ///< mutes, blocks, boots, invites
  bool flush_pending = false;
  steady::time_point first_change{};  ///< oldest change not yet in a sent who list
  steady::time_point last_change{};
  steady::time_point last_who_sent{};  ///< when the last who list went out
  /// The shared lists (everyone else's view, VIPs' view) handed to users as they log in, so their
  /// first list goes out at once without one O(N) list per login in a join storm: rebuilt when the
  /// roster changed, at most once per quiet interval (who_timing.hpp) while logins pour in.
  protocol::frame first_who[2];
  bool first_who_stale = true;
  steady::time_point first_who_built{};
  std::mt19937_64 rng{std::random_device{}()};
  std::vector<std::pair<std::string, protocol::frame>> presence_batch;  ///< (about whom, line)
  steady::time_point last_presence{};
  context_ptr ctx;  ///< Settings in force.
  cluster_view cluster;
  static inline const char* name = "directory";
};

using dir_ptr = caf::stateful_actor<directory_state>*;

struct directory_env {
  std::shared_ptr<config_cell> cell;
  std::vector<caf::actor> channels;
};

// directory.cpp
void send_to(const online& u, const protocol::message& m);
void notice(const online& u, std::string html);
/// The roster changed: a who list goes out soon (who_timing.hpp says when).
void who_changed(dir_ptr self);
/// A presence line about `username`, through the filtered fan-out.
void presence(dir_ptr self, const std::string& username, const char* text);
/// A presence line to this node's users: at once in a quiet room, gathered into a batch in a storm.
void local_presence(dir_ptr self, const std::string& username, protocol::frame bytes);
/// A frame for everyone in the room, through the filtered fan-out (`sender` may be empty).
void broadcast(dir_ptr self, const protocol::frame& bytes, const std::string& sender = {});
/// Ends a session's login (kick, ban, takeover, kickall): told why, `disconnect`, out of the room.
void sign_out(dir_ptr self, const directory_env& env, const std::string& username, const std::string& why);
/// Applies relation changes set by online users, checked, and passes them to the channels.
void relate(dir_ptr self, const directory_env& env, const std::vector<relation_change>& changes);
/// Operators cannot be blocked (nor block) unless BlockableAdmins: their blocks are lifted.
void lift_operator_blocks(dir_ptr self, const directory_env& env, const std::string& op_name);
void send_me(const online& u);

// moderation.cpp
/// Signs out every user of this node, telling them `why` (/kickall).
void kick_everyone(dir_ptr self, const directory_env& env, const std::string& why);
/// Runs one operator command; false when `args[0]` is no command we know.
bool run_command(dir_ptr self, const directory_env& env, online& op, const std::vector<std::string>& args);
std::string duration_text(wall_clock::duration d);
std::optional<wall_clock::duration> ban_left(dir_ptr self, const std::string& name);

// camera.cpp
/// A viewer asks to open a broadcaster's camera (protocol.md B.7).
void open_camera(dir_ptr self, online& viewer, const std::string& target);
/// candidate / sdp / watch / unwatch forwarded to the named peer.
void relay_signal(dir_ptr self, online& from, const std::string& target, const protocol::message& msg);

// website_requests.cpp
/// The website's requests to the directory (/api/amend-jwt, /api/blocklist, /api/disconnect/now,
/// /api/shutdown) and reports about DMs, as message handlers.
caf::message_handler website_handlers(dir_ptr self, const directory_env& env);
/// New claims for an online user signed in by token (/api/amend-jwt): the who entry and operator
/// status follow them; the user actor sends its `ping` with the new token. "" when done, else why
/// not ("offline", "badname").
std::string amend(dir_ptr self, const directory_env& env, const std::string& username,
                  const protocol::jwt_claims& claims);
/// (Re)joins the public channels `u` may read (VIP channels: VIPs and operators), leaving the others.
void join_channels(dir_ptr self, const directory_env& env, const online& u);
/// A user signed in by token takes a new name (/api/amend-jwt): an online holder of that name is
/// signed out, the old name's DM threads and relations go; the caller rejoins the channels.
void rename_user(dir_ptr self, const directory_env& env, const std::string& from, const std::string& to);
/// The DM thread of two users, or nullptr.
const caf::actor* dm_thread_of(dir_ptr self, const std::string& a, const std::string& b);

// cluster.cpp (all of it does nothing when [Cluster] is off)
/// Whether this node is one of a cluster.
inline bool clustered(dir_ptr self) { return self->state.ctx->cluster != nullptr; }
/// The whole room for the who list: this node's users and the other nodes', sorted by name;
/// `local` (when given) gets each entry's local user, or nullptr for another node's.
std::vector<const listed*> room_roster(dir_ptr self, std::vector<online*>* local = nullptr);
/// How many users the who list shows (every node's): who-list timing and batching scale with it.
inline size_t room_size(dir_ptr self) { return self->state.users.size() + self->state.cluster.users.size(); }
/// A user of another node, or nullptr.
const remote_user* remote_of(dir_ptr self, const std::string& name);
/// Tells the other nodes what changed in this node's roster since the last time (who-list time).
void cluster_sync(dir_ptr self);
/// A frame for every user of the other nodes (presence, reactions), about or from `sender`.
void cluster_broadcast(dir_ptr self, const std::string& sender, const protocol::frame& bytes);
/// A presence line to the other nodes, which send it through their presence batching.
void cluster_presence(dir_ptr self, const std::string& about, const protocol::frame& bytes);
/// A frame for one user of another node (a DM, a ring, a signalling message).
void cluster_deliver(dir_ptr self, const remote_user& to, const protocol::frame& bytes);
/// A DM from our user `from` to a user of another node: its context line is kept on both nodes
/// and `bytes` (the recipient's copy; empty when it is held back) delivered there. Returns this
/// node's lines of the conversation (newest last).
const std::deque<std::string>& cluster_dm(dir_ptr self, online& from, const remote_user& to, std::string line,
                                          const protocol::frame& bytes);
/// This node's lines of a DM conversation with a user of another node, if any.
const std::deque<std::string>* cluster_dm_lines(dir_ptr self, const std::string& a, const std::string& b);
/// Asks the node of `to` to sign them out, telling them `why` (takeover, kick, ban).
void cluster_sign_out(dir_ptr self, const remote_user& to, const std::string& why);
/// Relation changes made on this node, for the other nodes' copies.
void cluster_relate(dir_ptr self, const std::vector<relation_change>& changes);
/// A takeback (its frame) for the other nodes' users and echo buffers.
void cluster_takeback(dir_ptr self, int64_t msg_id, const protocol::frame& bytes);
/// A ban set (`on`) or lifted on this node, for the other nodes: `until` (Unix seconds) is when
/// that ban expires. Kept in the ban log, so a node cut off meanwhile catches up when it rejoins.
void cluster_ban(dir_ptr self, const std::string& name, int64_t until, bool on);
/// A blocklist the website stored (/api/blocklist), for the other nodes.
void cluster_blocklist(dir_ptr self, const std::string& username, const std::vector<std::string>& names);
/// An operator command about a user of another node (/nsfw, /cut, /op, /deop), run there with the
/// answers coming back to `op`; false when the command is not one of those or the user is here.
bool cluster_command(dir_ptr self, const online& op, const std::vector<std::string>& args);
/// /kickall on the other nodes: each signs out its own users, telling them `why`.
void cluster_kickall(dir_ptr self, const std::string& why);
/// /api/amend-jwt for a user of another node: the token goes to that node, which verifies it.
void cluster_amend(dir_ptr self, const remote_user& to, const std::string& token);
/// The handlers of packets from other nodes, the link's state and the heartbeat.
caf::message_handler cluster_handlers(dir_ptr self, const directory_env& env);

// lifecycle.cpp
/// Re-reads settings.toml and hands the new settings to every actor; returns a report (HTML).
std::string reconfigure(dir_ptr self, const directory_env& env);
/// Stops the process as SIGTERM does (the network closes every socket with 1001), with the exit
/// status that asks a supervisor to start it again (restart_exit_status).
void request_shutdown();
/// Tells everyone the server is going down for a reboot (/shutdown, /api/shutdown).
void reboot_notice(dir_ptr self);

}  // namespace barertc::actors
