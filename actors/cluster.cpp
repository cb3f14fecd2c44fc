// The directory's side of a cluster (docs/architecture.md, "Clustering"): what it tells the other
// nodes (roster changes at who-list time, frames for their users, relations, bans) and what it
// does with what they tell it. Every frame crosses Redis once, already encoded; each node hands it
// to its own users through the same fan-out as its own broadcasts.
#include <spdlog/spdlog.h>

#include "actors/reports.hpp"
#include "actors/roster.hpp"
#include "protocol/codec.hpp"
#include "protocol/command.hpp"

namespace barertc::actors {
namespace {

using protocol::cluster_packet;

const std::string all_topic = "all";
std::string node_topic(const std::string& node) { return "node:" + node; }

void say(dir_ptr self, const std::string& topic, const char* kind, std::vector<std::string> fields = {}) {
  auto& link = self->state.ctx->cluster;
  link->publish(topic, protocol::encode_packet({kind, link->node(), std::move(fields)}));
}

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(wall_clock::now().time_since_epoch()).count();
}

void say_ban(dir_ptr self, const std::string& topic, const std::string& name, const ban_change& c) {
  say(self, topic, "ban", {name, std::to_string(c.until), c.on ? "1" : "0", std::to_string(c.at_ms)});
}

/// The ban log (bans set and lifted, not yet expired), for a node that has just come (up) or, on
/// `all`, for everyone when this node's link comes back: each node keeps the newest change of each
/// name, so bans set or lifted on either side while a node was cut off converge.
void publish_bans(dir_ptr self, const std::string& topic) {
  auto& log = self->state.cluster.ban_log;
  auto now = unix_now();
  for (auto it = log.begin(); it != log.end();) {
    if (it->second.until <= now) {
      it = log.erase(it);
      continue;
    }
    say_ban(self, topic, it->first, it->second);
    ++it;
  }
}

/// A ban change from another node, applied when it is newer than what this node knows of the name.
void apply_ban(dir_ptr self, const std::string& name, const ban_change& c) {
  auto& st = self->state;
  if (c.until <= unix_now()) return;  // expired: nothing to set or lift
  auto& known = st.cluster.ban_log[name];
  // Ours is newer, or the same change; two changes in the same millisecond: the ban wins everywhere.
  if (known.at_ms > c.at_ms || (known.at_ms == c.at_ms && (known.on || !c.on))) return;
  known = c;
  if (c.on) st.bans[name] = wall_clock::time_point(std::chrono::seconds(c.until));
  else st.bans.erase(name);
}

/// The relations this node's users set (mutes, blocks, boots, invitations), for a node that has
/// just come (up): without them its fan-out and who lists would not honour them.
void publish_relations(dir_ptr self, const std::string& node) {
  auto& st = self->state;
  std::vector<std::string> fields;
  for (auto& [name, u] : st.users)
    for (int k = 0; k < relation_kinds; ++k)
      for (auto& to : st.rel.targets(static_cast<relation>(k), name)) {
        fields.push_back(std::to_string(k));
        fields.push_back(name);
        fields.push_back(to);
        fields.push_back("1");
      }
  if (!fields.empty()) say(self, node_topic(node), "relate", std::move(fields));
}

/// This node's whole roster, which replaces what the others knew of it.
void publish_roster(dir_ptr self) {
  auto& st = self->state;
  auto& cv = st.cluster;
  cv.published.clear();
  std::vector<std::string> fields{std::to_string(++cv.seq)};
  fields.reserve(st.users.size() + 1);
  for (auto& [name, u] : st.users) {
    fields.push_back(u.for_vips);
    cv.published.emplace(name, u.for_vips);
  }
  say(self, all_topic, "roster", std::move(fields));
}

std::optional<protocol::who_entry> read_entry(const std::string& json) {
  auto decoded = protocol::decode(R"({"action":"who","whoList":[)" + json + "]}");
  auto* m = std::get_if<protocol::message>(&decoded);
  if (!m || m->who_list.size() != 1 || m->who_list[0].username.empty()) return std::nullopt;
  return std::move(m->who_list[0]);
}

void tell_channels(dir_ptr self, const directory_env& env, const std::vector<relation_change>& changes) {
  if (changes.empty()) return;
  for (auto& ch : env.channels) self->send(ch, relate_atom::value, changes);
}

/// A user of another node left: gone from the who list, and the relations they set with them.
void forget_remote(dir_ptr self, const directory_env& env, std::map<std::string, remote_user>::iterator it) {
  auto name = it->first;
  self->state.cluster.users.erase(it);
  if (self->state.users.count(name)) return;  // the name lives on here (a takeover)
  self->state.rel.forget(name);
  for (auto& ch : env.channels) self->send(ch, forget_atom::value, name);
}

/// Every user of `node` leaves the who lists (a node stopped, died or is out of reach).
void drop_node(dir_ptr self, const directory_env& env, const std::string& node) {
  auto& users = self->state.cluster.users;
  size_t n = 0;
  for (auto it = users.begin(); it != users.end();) {
    auto next = std::next(it);
    if (it->second.node == node) {
      forget_remote(self, env, it);
      ++n;
    }
    it = next;
  }
  self->state.cluster.peers.erase(node);
  if (n) spdlog::info("cluster: {} user(s) of node '{}' left the who list", n, node);
  who_changed(self);
}

void upsert(dir_ptr self, const std::string& node, const std::string& json) {
  auto who = read_entry(json);
  if (!who) return;
  auto& r = self->state.cluster.users[who->username];
  r.node = node;
  r.who = std::move(*who);
  r.encode(self->state.ctx->cfg.vip.mutually_secret);
}

/// Asks `node` for its whole roster (we missed some of its changes, or have never seen it).
void ask_roster(dir_ptr self, const std::string& node) { say(self, node_topic(node), "hello"); }

/// Roster packets carry a sequence number per node: a gap means a lost packet.
void check_seq(dir_ptr self, peer_node& peer, const std::string& node, const std::string& field) {
  uint64_t seq = 0;
  try {
    seq = std::stoull(field);
  } catch (...) {
    return;
  }
  if (seq != peer.seq + 1) ask_roster(self, node);
  peer.seq = seq;
}

/// The connection of an operator on another node, as a command run here for them sees it: what it
/// is sent goes back to them through Redis.
class relay_connection final : public protocol::connection {
 public:
  relay_connection(std::shared_ptr<protocol::cluster_link> link, std::string node, std::string username)
      : link_(std::move(link)), node_(std::move(node)), username_(std::move(username)) {}
  void send(protocol::frame bytes, bool) override {
    link_->publish(node_topic(node_), protocol::encode_packet({"to", link_->node(), {username_, *bytes}}));
  }
  void close(uint16_t, std::string) override {}
  std::string peer() const override { return "node " + node_; }

 private:
  std::shared_ptr<protocol::cluster_link> link_;
  std::string node_, username_;
};

/// An operator of another node runs a command about one of our users.
void remote_command(dir_ptr self, const directory_env& env, const cluster_packet& p) {
  auto& f = p.fields;
  auto* op = remote_of(self, f[0]);
  if (!op || op->node != p.node || !op->who.op) return;  // only an operator the roster knows
  online stand_in;
  stand_in.who = op->who;
  stand_in.conn = std::make_shared<relay_connection>(self->state.ctx->cluster, p.node, f[0]);
  std::vector<std::string> args(f.begin() + 1, f.end());
  run_command(self, env, stand_in, args);
}

void on_packet(dir_ptr self, const directory_env& env, cluster_packet& p) {
  auto& st = self->state;
  auto& cv = st.cluster;
  const auto& k = p.kind;
  auto& f = p.fields;
  spdlog::debug("cluster: '{}' from node '{}' ({} fields)", k, p.node, f.size());
  bool fresh = !cv.peers.count(p.node);
  auto& peer = cv.peers[p.node];
  peer.seen = steady::now();
  if (k == "beat" && !f.empty()) {
    if (fresh || f[0] != std::to_string(peer.seq)) ask_roster(self, p.node);
  } else if (k == "hello") {
    publish_roster(self);
    publish_bans(self, node_topic(p.node));
    publish_relations(self, p.node);
  } else if (k == "roster" && !f.empty()) {
    for (auto it = cv.users.begin(); it != cv.users.end();) {
      auto next = std::next(it);
      if (it->second.node == p.node) cv.users.erase(it);
      it = next;
    }
    for (size_t i = 1; i < f.size(); ++i) upsert(self, p.node, f[i]);
    try {
      peer.seq = std::stoull(f[0]);
    } catch (...) {
    }
    who_changed(self);
  } else if (k == "delta" && !f.empty() && f.size() % 2 == 1) {
    if (fresh) ask_roster(self, p.node);
    else check_seq(self, peer, p.node, f[0]);
    for (size_t i = 1; i + 1 < f.size(); i += 2) {
      if (f[i] == "+") {
        upsert(self, p.node, f[i + 1]);
      } else if (auto it = cv.users.find(f[i + 1]); it != cv.users.end() && it->second.node == p.node) {
        forget_remote(self, env, it);
      }
    }
    who_changed(self);
  } else if (k == "bye") {
    drop_node(self, env, p.node);
  } else if (k == "bcast" && f.size() == 2) {
    broadcast(self, protocol::shared_frame(std::move(f[1])), f[0]);
  } else if (k == "presence" && f.size() == 2) {
    local_presence(self, f[0], protocol::shared_frame(std::move(f[1])));
  } else if (k == "to" && f.size() == 2) {
    if (auto it = st.users.find(f[0]); it != st.users.end()) it->second.conn->send(protocol::shared_frame(std::move(f[1])));
  } else if (k == "dm" && f.size() == 4) {
    // A DM from a user of that node to one of ours: its context line, and our user's copy.
    auto it = st.users.find(f[0]);
    if (it == st.users.end()) return;
    it->second.dm_partners.insert(f[1]);
    keep_context_line(cv.dm_lines[thread_key(f[0], f[1])], std::move(f[2]));
    if (!f[3].empty()) it->second.conn->send(protocol::shared_frame(std::move(f[3])));
  } else if (k == "signout" && f.size() == 2) {
    if (!st.users.count(f[0])) return;
    sign_out(self, env, f[0], f[1]);
    who_changed(self);
  } else if (k == "relate" && f.size() % 4 == 0) {
    std::vector<relation_change> applied;
    for (size_t i = 0; i + 3 < f.size(); i += 4) {
      int kind = f[i].size() == 1 ? f[i][0] - '0' : -1;
      if (kind < 0 || kind >= relation_kinds) continue;
      relation_change c{static_cast<relation>(kind), f[i + 1], f[i + 2], f[i + 3] == "1"};
      if (st.rel.apply(c)) applied.push_back(std::move(c));
    }
    tell_channels(self, env, applied);
    if (!applied.empty()) who_changed(self);
  } else if (k == "takeback" && f.size() == 2) {
    int64_t id = 0;
    try {
      id = std::stoll(f[0]);
    } catch (...) {
      return;
    }
    broadcast(self, protocol::shared_frame(std::move(f[1])));
    for (auto& ch : env.channels) self->send(ch, takeback_atom::value, id);
  } else if (k == "amend" && f.size() == 2) {
    auto v = protocol::verify_jwt(f[1], st.ctx->cfg.jwt, unix_now());
    if (auto* claims = std::get_if<protocol::jwt_claims>(&v)) {
      auto outcome = amend(self, env, f[0], *claims);
      if (!outcome.empty()) spdlog::info("api: amend-jwt for '{}' from node '{}': {}", f[0], p.node, outcome);
    } else {
      spdlog::warn("api: amend-jwt for '{}' from node '{}' refused here: {}", f[0], p.node,
                   std::get<protocol::jwt_refusal>(v).reason);
    }
  } else if (k == "kickall" && f.size() == 1) {
    kick_everyone(self, env, f[0]);
  } else if (k == "cmd" && f.size() == 3) {
    remote_command(self, env, p);
  } else if (k == "blocklist" && !f.empty()) {
    auto& stored = st.stored_blocklists;
    if (f.size() == 1) stored.erase(f[0]);
    else stored[f[0]] = std::vector<std::string>(f.begin() + 1, f.end());
  } else if (k == "ban" && f.size() == 4) {
    ban_change c;
    try {
      c.until = std::stoll(f[1]);
      c.at_ms = std::stoll(f[3]);
    } catch (...) {
      return;
    }
    c.on = f[2] == "1";
    apply_ban(self, f[0], c);
  } else {
    spdlog::debug("cluster: ignored a '{}' packet from node '{}' ({} fields)", k, p.node, f.size());
  }
}

void heartbeat(dir_ptr self, const directory_env& env) {
  auto& st = self->state;
  auto& cv = st.cluster;
  namespace d = barertc::defaults;
  if (cv.up) {
    say(self, all_topic, "beat", {std::to_string(cv.seq), st.ctx->cluster->instance()});
    st.ctx->cluster->set_expiring("alive:" + st.ctx->cluster->node(), std::to_string(unix_now()), d::cluster_node_ttl_ms);
  }
  auto now = steady::now();
  std::vector<std::string> silent;
  for (auto& [node, peer] : cv.peers)
    if (now - peer.seen > std::chrono::milliseconds(d::cluster_node_ttl_ms)) silent.push_back(node);
  for (auto& node : silent) {
    spdlog::warn("cluster: node '{}' has not been heard for {} ms: its users leave the who list", node,
                 d::cluster_node_ttl_ms);
    drop_node(self, env, node);
  }
  self->delayed_send(self, std::chrono::milliseconds(d::cluster_heartbeat_ms), beat_atom::value);
}

void link_changed(dir_ptr self, const directory_env& env, bool up) {
  auto& cv = self->state.cluster;
  cv.up = up;
  if (up) {
    // Everyone sends us their roster, and we ours (the others may have dropped us meanwhile).
    say(self, all_topic, "hello");
    publish_roster(self);
    publish_bans(self, all_topic);  // set or lifted here while we were cut off
    return;
  }
  // Alone until Redis is back: this node's users carry on as a room of their own.
  std::vector<std::string> nodes;
  for (auto& [node, peer] : cv.peers) nodes.push_back(node);
  for (auto& node : nodes) drop_node(self, env, node);
  for (auto it = cv.users.begin(); it != cv.users.end();) {
    auto next = std::next(it);
    forget_remote(self, env, it);
    it = next;
  }
  who_changed(self);
}

}  // namespace

std::vector<const listed*> room_roster(dir_ptr self, std::vector<online*>* local) {
  auto& users = self->state.users;
  auto& remote = self->state.cluster.users;
  std::vector<const listed*> out;
  out.reserve(users.size() + remote.size());
  if (local) local->reserve(users.size() + remote.size());
  auto l = users.begin();
  auto r = remote.begin();
  while (l != users.end() || r != remote.end()) {
    if (r == remote.end() || (l != users.end() && l->first <= r->first)) {
      if (r != remote.end() && r->first == l->first) ++r;  // the name is ours now (a takeover in flight)
      out.push_back(&l->second);
      if (local) local->push_back(&l->second);
      ++l;
    } else {
      out.push_back(&r->second);
      if (local) local->push_back(nullptr);
      ++r;
    }
  }
  return out;
}

const remote_user* remote_of(dir_ptr self, const std::string& name) {
  auto& remote = self->state.cluster.users;
  auto it = remote.find(name);
  return it == remote.end() || self->state.users.count(name) ? nullptr : &it->second;
}

void cluster_sync(dir_ptr self) {
  if (!clustered(self)) return;
  auto& st = self->state;
  auto& cv = st.cluster;
  std::vector<std::string> fields{std::string()};
  for (auto& [name, u] : st.users) {
    auto it = cv.published.find(name);
    if (it != cv.published.end() && it->second == u.for_vips) continue;
    fields.push_back("+");
    fields.push_back(u.for_vips);
    cv.published[name] = u.for_vips;
  }
  for (auto it = cv.published.begin(); it != cv.published.end();) {
    if (st.users.count(it->first)) {
      ++it;
      continue;
    }
    fields.push_back("-");
    fields.push_back(it->first);
    it = cv.published.erase(it);
  }
  if (fields.size() == 1) return;
  fields[0] = std::to_string(++cv.seq);
  say(self, all_topic, "delta", std::move(fields));
}

void cluster_broadcast(dir_ptr self, const std::string& sender, const protocol::frame& bytes) {
  if (clustered(self)) say(self, all_topic, "bcast", {sender, *bytes});
}

void cluster_presence(dir_ptr self, const std::string& about, const protocol::frame& bytes) {
  if (clustered(self)) say(self, all_topic, "presence", {about, *bytes});
}

void cluster_deliver(dir_ptr self, const remote_user& to, const protocol::frame& bytes) {
  say(self, node_topic(to.node), "to", {to.who.username, *bytes});
}

const std::deque<std::string>& cluster_dm(dir_ptr self, online& from, const remote_user& to, std::string line,
                                          const protocol::frame& bytes) {
  const auto& name = to.who.username;
  from.dm_partners.insert(name);
  say(self, node_topic(to.node), "dm", {name, from.who.username, line, bytes ? std::string(*bytes) : std::string()});
  auto& lines = self->state.cluster.dm_lines[thread_key(from.who.username, name)];
  keep_context_line(lines, std::move(line));
  return lines;
}

const std::deque<std::string>* cluster_dm_lines(dir_ptr self, const std::string& a, const std::string& b) {
  auto& all = self->state.cluster.dm_lines;
  auto it = all.find(thread_key(a, b));
  return it == all.end() ? nullptr : &it->second;
}

void cluster_sign_out(dir_ptr self, const remote_user& to, const std::string& why) {
  say(self, node_topic(to.node), "signout", {to.who.username, why});
}

void cluster_relate(dir_ptr self, const std::vector<relation_change>& changes) {
  if (!clustered(self) || changes.empty()) return;
  std::vector<std::string> fields;
  fields.reserve(changes.size() * 4);
  for (auto& c : changes) {
    fields.push_back(std::to_string(static_cast<int>(c.kind)));
    fields.push_back(c.from);
    fields.push_back(c.to);
    fields.push_back(c.on ? "1" : "0");
  }
  say(self, all_topic, "relate", std::move(fields));
}

void cluster_takeback(dir_ptr self, int64_t msg_id, const protocol::frame& bytes) {
  if (clustered(self)) say(self, all_topic, "takeback", {std::to_string(msg_id), *bytes});
}

void cluster_ban(dir_ptr self, const std::string& name, int64_t until, bool on) {
  if (!clustered(self)) return;
  auto& c = self->state.cluster.ban_log[name];
  c = {until, std::max(unix_now_ms(), c.at_ms + 1), on};  // newer than any change known here
  say_ban(self, all_topic, name, c);
}

void cluster_blocklist(dir_ptr self, const std::string& username, const std::vector<std::string>& names) {
  if (!clustered(self)) return;
  std::vector<std::string> fields{username};
  fields.insert(fields.end(), names.begin(), names.end());
  say(self, all_topic, "blocklist", std::move(fields));
}

void cluster_amend(dir_ptr self, const remote_user& to, const std::string& token) {
  say(self, node_topic(to.node), "amend", {to.who.username, token});
}

void cluster_kickall(dir_ptr self, const std::string& why) {
  if (clustered(self)) say(self, all_topic, "kickall", {why});
}

bool cluster_command(dir_ptr self, const online& op, const std::vector<std::string>& args) {
  if (!clustered(self) || args.size() != 2) return false;
  const auto& cmd = args[0];
  if (cmd != "/nsfw" && cmd != "/cut" && cmd != "/op" && cmd != "/deop") return false;
  auto* far = remote_of(self, protocol::strip_at(args[1]));
  if (!far) return false;
  say(self, node_topic(far->node), "cmd", {op.who.username, cmd, args[1]});
  return true;
}

caf::message_handler cluster_handlers(dir_ptr self, const directory_env& env) {
  return {
      [=](cluster_atom, protocol::cluster_packet& p) { on_packet(self, env, p); },
      [=](linkup_atom, bool up) { link_changed(self, env, up); },
      [=](beat_atom) { heartbeat(self, env); },
  };
}

}  // namespace barertc::actors
