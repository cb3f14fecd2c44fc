// The directory: who is online (unique names), the per-recipient who lists, presence, the
// relations between users (mute, block, boot, invite) and the routes of DMs. Operator commands
// are in moderation.cpp, webcam access and signalling in camera.cpp, reloads in lifecycle.cpp.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "actors/fan_out.hpp"
#include "actors/roster.hpp"
#include "actors/refusals.hpp"
#include "actors/reports.hpp"
#include "actors/who_timing.hpp"
#include "protocol/codec.hpp"
#include "protocol/metrics.hpp"
#include "protocol/texts.hpp"

namespace barertc::actors {

using protocol::frame;

namespace {

const protocol::connection_ptr& conn_of(const online& u) { return u.conn; }

/// Tells `u`'s page that `other` is blocked (it closes video with them and caches the name).
protocol::frame block_frame(const std::string& other) {
  protocol::message m;
  m.action = "block";
  m.username = other;
  return protocol::encode_frame(m);
}

void send_block(const online& u, const std::string& other) { u.conn->send(block_frame(other)); }

/// Whether `name` is an operator online here or on another node.
bool operator_online(dir_ptr self, const std::string& name) {
  auto it = self->state.users.find(name);
  if (it != self->state.users.end()) return it->second.who.op;
  auto* far = remote_of(self, name);
  return far && far->who.op;
}

void send_who_now(dir_ptr self) {
  auto& st = self->state;
  cluster_sync(self);  // the other nodes hear of this node's changes at the same pace
  std::vector<online*> by_index;
  auto roster = room_roster(self, &by_index);
  std::vector<char> receives;
  if (clustered(self))
    for (auto* u : by_index) receives.push_back(u != nullptr);
  for (auto& audience : build_who_lists(roster, st.rel, st.ctx->cfg.vip.mutually_secret, receives)) {
    for (auto i : audience.recipients) by_index[i]->conn->send(audience.bytes, true);
    protocol::metrics().who_lists_built.fetch_add(1, std::memory_order_relaxed);
  }
  st.last_who_sent = steady::now();
}

/// The flush timer: send now, or look again when the list is due.
void who_timer(dir_ptr self) {
  auto& st = self->state;
  auto due = who_list_due({room_size(self), st.ctx->cfg.server.who_list_delay_ms, st.first_change,
                           st.last_change, st.last_who_sent});
  auto now = steady::now();
  if (now >= due) {
    st.flush_pending = false;
    return send_who_now(self);
  }
  self->delayed_send(self, due - now, flush_atom::value);
}

/// How long presence lines may be gathered: 10 ms, growing with the room to 100 ms at 2000 users.
std::chrono::milliseconds presence_batch_window(size_t users) {
  namespace d = barertc::defaults;
  return std::chrono::milliseconds(std::clamp<int64_t>(static_cast<int64_t>(users) / d::presence_users_per_ms,
                                                       d::presence_window_min_ms, d::presence_window_max_ms));
}

void flush_presence(dir_ptr self) {
  auto& st = self->state;
  if (st.presence_batch.size() == 1)
    fan_out(st.presence_batch[0].second, st.presence_batch[0].first, st.users, st.rel, conn_of);
  else {
    fan_out(st.presence_batch, st.users, st.rel, conn_of);
    protocol::metrics().presence_batches.fetch_add(1, std::memory_order_relaxed);
  }
  st.presence_batch.clear();
  st.last_presence = steady::now();
}

/// The sender's entry, only if the message really comes from the actor that holds that name
/// (a session signed out by a takeover or kick may still have messages in flight).
online* from_sender(dir_ptr self, const std::string& name) {
  auto it = self->state.users.find(name);
  if (it == self->state.users.end()) return nullptr;
  if (self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(it->second.user)) return nullptr;
  return &it->second;
}

void tell_channels(dir_ptr self, const directory_env& env, const std::vector<relation_change>& changes) {
  if (changes.empty()) return;
  for (auto& ch : env.channels) self->send(ch, relate_atom::value, changes);
}

void remove_user(dir_ptr self, const directory_env& env, const std::string& username) {
  auto& st = self->state;
  auto it = st.users.find(username);
  if (it == st.users.end()) return;
  for (auto& partner : it->second.dm_partners) {
    if (auto t = st.threads.find(thread_key(username, partner)); t != st.threads.end()) {
      self->send_exit(t->second, caf::exit_reason::normal);
      st.threads.erase(t);
    }
    if (auto p = st.users.find(partner); p != st.users.end()) p->second.dm_partners.erase(username);
    st.cluster.dm_lines.erase(thread_key(username, partner));  // a partner on another node
  }
  st.users.erase(it);
  st.rel.forget(username);
  for (auto& ch : env.channels) {
    self->send(ch, leave_atom::value, username);
    self->send(ch, forget_atom::value, username);
  }
}

/// A user's first who list, sent at once at login (the lists for everyone else are batched):
/// exactly theirs when relations shape what they see, else the cached shared list, which in a join
/// storm may lack the last few moments' joins until the batched list follows.
void send_first_who(dir_ptr self, const online& u) {
  auto& st = self->state;
  auto roster = [&] { return room_roster(self); };
  const auto& name = u.who.username;
  if (st.rel.shapes_view_of(name)) {
    auto r = roster();
    auto at = std::lower_bound(r.begin(), r.end(), name,
                               [](const listed* l, const std::string& n) { return l->who.username < n; });
    size_t me = static_cast<size_t>(at - r.begin());
    u.conn->send(who_list_for(r, me, st.rel, st.ctx->cfg.vip.mutually_secret), true);
  } else {
    namespace d = barertc::defaults;
    auto n = static_cast<int64_t>(room_size(self));
    auto window = std::chrono::milliseconds(std::min<int64_t>(n * n / d::who_quiet_divisor, d::who_quiet_max_ms));
    auto now = steady::now();
    if (!st.first_who[0] || (st.first_who_stale && now - st.first_who_built >= window)) {
      auto r = roster();
      auto lists = shared_who_lists(r);
      st.first_who[0] = std::move(lists[0]);
      st.first_who[1] = std::move(lists[1]);
      st.first_who_built = now;
      st.first_who_stale = false;
    }
    u.conn->send(st.first_who[u.who.vip ? 1 : 0], true);
  }
  protocol::metrics().who_lists_built.fetch_add(1, std::memory_order_relaxed);
}

/// The end of a login: the echo (when channels keep recent messages), the presence line and the
/// welcome notices, unless the session left or was replaced meanwhile.
void finish_login(dir_ptr self, const std::string& name, const protocol::connection_ptr& conn,
                  const std::vector<std::vector<frame>>* echoes) {
  auto& st = self->state;
  auto it = st.users.find(name);
  if (it == st.users.end() || it->second.conn != conn) return;
  if (echoes) {
    std::vector<frame> all;
    for (auto& part : *echoes) all.insert(all.end(), part.begin(), part.end());
    conn->send(protocol::encode_echo(all));
  }
  if (!it->second.hidden()) presence(self, name, protocol::texts::presence_joined);
  for (auto& w : st.ctx->welcome) conn->send(w);
}

login_reply login(dir_ptr self, const directory_env& env, login_request& req) {
  auto& st = self->state;
  auto& ctx = *st.ctx;
  if (auto left = ban_left(self, req.who.username))
    return {false, {}, refusal::banned_until(duration_text(*left))};
  std::string name = req.who.username;
  auto taken = [&](const std::string& n) { return st.users.count(n) || remote_of(self, n); };
  if (taken(name)) {
    if (req.jwt) {
      // The token proves the name: the older session is signed out, on whichever node it is.
      if (auto* r = remote_of(self, name)) cluster_sign_out(self, *r, refusal::signed_in_elsewhere);
      sign_out(self, env, name, refusal::signed_in_elsewhere);
    } else {
      // Guests who pick a name in use become "name 2", "name 3", ...
      for (int n = 2; taken(name); ++n) name = req.who.username + " " + std::to_string(n);
    }
  }
  req.who.username = name;
  auto& u = st.users[name];
  u.user = req.user;
  u.conn = req.conn;
  u.who = std::move(req.who);
  u.jwt = req.jwt;
  u.encode(ctx.cfg.vip.mutually_secret);
  join_channels(self, env, u);
  // The blocklist sent before login: each name muted and blocked (protocol.md B.2).
  std::vector<relation_change> pre;
  // The website's list (/api/blocklist) too; the page is sent a `block` for each name, so it keeps
  // them in its cached blocklist as the reference's page does with the list embedded in it.
  auto stored = st.stored_blocklists.find(name);
  if (stored != st.stored_blocklists.end())
    req.blocklist.insert(req.blocklist.end(), stored->second.begin(), stored->second.end());
  for (auto& b : req.blocklist) {
    pre.push_back({relation::mute, name, b, true});
    pre.push_back({relation::block, name, b, true});
  }
  relate(self, env, pre);
  if (u.who.op) lift_operator_blocks(self, env, name);
  // Login sequence (protocol.md B.4): me, who (theirs at once; everyone else's batched), echo,
  // presence, welcome messages. The echo is gathered from the channels that keep recent messages;
  // the rest follows once they answered.
  send_me(u);
  if (stored != st.stored_blocklists.end())
    for (auto& b : stored->second) send_block(u, b);
  who_changed(self);
  if (ctx.cfg.server.who_list_delay_ms > 0) send_first_who(self, u);  // (with 0 it went out just now)
  std::vector<caf::actor> echoing;
  for (size_t i = 0; i < env.channels.size(); ++i) {
    const auto& cfg = ctx.cfg.public_channels[i];
    if (cfg.echo_messages_on_join > 0 && (!cfg.vip || u.who.vip || u.who.op)) echoing.push_back(env.channels[i]);
  }
  if (echoing.empty()) {
    finish_login(self, name, u.conn, nullptr);
  } else {
    auto got = std::make_shared<std::vector<std::vector<frame>>>(echoing.size());
    auto left = std::make_shared<size_t>(echoing.size());
    auto conn = u.conn;
    auto one_done = [=] {
      if (--*left == 0) finish_login(self, name, conn, got.get());
    };
    for (size_t i = 0; i < echoing.size(); ++i)
      self->request(echoing[i], std::chrono::seconds(barertc::defaults::ask_timeout_seconds), echo_atom::value, name)
          .then(
              [=](std::vector<frame>& msgs) {
                (*got)[i] = std::move(msgs);
                one_done();
              },
              [=](const caf::error&) { one_done(); });
  }
  return {true, name, {}, st.ctx};
}

/// A DM to a user of another node: the same rules as direct_message below; the sender's copy goes
/// out here, the recipient's crosses Redis once to their node. (No DM thread: a report about it
/// goes without the recent lines.)
void remote_message(dir_ptr self, online& from, const remote_user& to, protocol::message& msg, bool image) {
  auto& st = self->state;
  const auto& name = to.who.username;
  if (image && !from.who.op && !to.who.op) return notice(from, refusal::image_dm);
  const auto& sender = msg.username;
  bool op = from.who.op;
  bool deliver = !st.rel.blocked(sender, name) && (op || !st.rel.has(relation::mute, name, sender));
  const settings::message_filter* filtered = nullptr;
  if (!image && !op && !to.who.op) filtered = st.ctx->filters->apply(msg.message, true);
  if (filtered && !filtered->forward_message) deliver = false;
  bool sender_muted = !op && st.rel.has(relation::mute, sender, name);
  if (sender_muted) deliver = false;
  msg.channel = "@" + name;
  send_to(from, msg);
  protocol::frame theirs;
  if (deliver) {
    msg.channel = "@" + sender;
    theirs = protocol::encode_frame(msg);
  }
  // The line is kept on both nodes (for a report from either side), like a DM thread keeps it.
  const auto& lines = cluster_dm(self, from, to, context_line(msg), theirs);
  if (filtered && filtered->report_message) {
    if (!report_webhook_on(*st.ctx)) {
      filter_report(*st.ctx, sender, "@" + name, msg);
    } else {
      auto r = filter_report_of(sender, "@" + name, msg);
      add_context(r, lines);
      send_report(*st.ctx, r, {});
    }
  }
  if (sender_muted) notice(from, refusal::you_muted(name));
  if (filtered && !filtered->chat_server_response.empty()) notice(from, filtered->chat_server_response);
}

/// A DM (protocol.md B.5): the sender always gets their copy; the recipient's is held back when
/// the recipient muted the sender (operators bypass), the sender muted the recipient (told), or
/// a block stands between them.
void direct_message(dir_ptr self, online& from, const std::string& to, protocol::message& msg, bool image) {
  auto& st = self->state;
  auto rcpt = st.users.find(to);
  if (rcpt == st.users.end())
    if (auto* r = remote_of(self, to)) return remote_message(self, from, *r, msg, image);
  if (image && rcpt != st.users.end() && !from.who.op && !rcpt->second.who.op)
    return notice(from, refusal::image_dm);  // server.md: DM images only with operators
  if (rcpt == st.users.end()) {
    msg.channel = "@" + to;
    send_to(from, msg);
    return notice(from, refusal::dm_offline(to));
  }
  const auto& sender = msg.username;
  bool op = from.who.op;
  bool deliver = !st.rel.blocked(sender, to) && (op || !st.rel.has(relation::mute, to, sender));
  // Message filters (server.md G.6), waived when either party is an operator.
  const settings::message_filter* filtered = nullptr;
  if (!image && !op && !rcpt->second.who.op) filtered = st.ctx->filters->apply(msg.message, true);
  if (filtered && !filtered->forward_message) deliver = false;
  bool sender_muted = !op && st.rel.has(relation::mute, sender, to);
  if (sender_muted) deliver = false;
  auto key = thread_key(sender, to);
  auto t = st.threads.find(key);
  if (t == st.threads.end()) {
    auto& a = st.users[key.first];
    auto& b = st.users[key.second];
    t = st.threads.emplace(key, spawn_dm_thread(self->system(), key.first, a.conn, key.second, b.conn, st.ctx->history)).first;
    a.dm_partners.insert(key.second);
    b.dm_partners.insert(key.first);
  }
  bool report = filtered && filtered->report_message;
  auto reported = report ? msg : protocol::message{};
  self->send(t->second, dm_atom::value, std::move(msg), deliver, !image);
  // After the message itself, so the thread's context for the report includes it.
  // (`sender` went with msg; `reported` is its copy.)
  if (report && report_webhook_on(*st.ctx))
    self->send(t->second, report_atom::value, filter_report_of(reported.username, "@" + to, reported),
               protocol::connection_ptr{}, st.ctx);
  else if (report)
    filter_report(*st.ctx, reported.username, "@" + to, reported);
  if (sender_muted) notice(from, refusal::you_muted(to));
  if (filtered && !filtered->chat_server_response.empty()) notice(from, filtered->chat_server_response);
}

}  // namespace

void join_channels(dir_ptr self, const directory_env& env, const online& u) {
  const auto& name = u.who.username;
  for (size_t i = 0; i < env.channels.size(); ++i) {
    const auto& cfg = self->state.ctx->cfg.public_channels[i];
    if (!cfg.vip || u.who.vip || u.who.op) self->send(env.channels[i], join_atom::value, name, u.conn);
    else self->send(env.channels[i], leave_atom::value, name);
  }
}

void rename_user(dir_ptr self, const directory_env& env, const std::string& from, const std::string& to) {
  auto& st = self->state;
  // The token proves the name: whoever holds it, here or on another node, is signed out.
  if (auto* far = remote_of(self, to)) cluster_sign_out(self, *far, refusal::signed_in_elsewhere);
  if (st.users.count(to)) sign_out(self, env, to, refusal::signed_in_elsewhere);
  auto it = st.users.find(from);
  if (it == st.users.end()) return;
  online moved;
  moved.user = it->second.user;
  moved.conn = it->second.conn;
  moved.who = it->second.who;
  moved.jwt = it->second.jwt;
  remove_user(self, env, from);  // DM threads close; the relations of the old name go
  moved.who.username = to;
  st.users[to] = std::move(moved);
}

const caf::actor* dm_thread_of(dir_ptr self, const std::string& a, const std::string& b) {
  auto t = self->state.threads.find(thread_key(a, b));
  return t == self->state.threads.end() ? nullptr : &t->second;
}

void send_to(const online& u, const protocol::message& m) { u.conn->send(protocol::encode_frame(m)); }

void notice(const online& u, std::string html) { send_to(u, protocol::chat_server(std::move(html))); }

void send_me(const online& u) {
  protocol::message me;
  me.action = "me";
  me.username = u.who.username;
  me.video = u.who.video;
  send_to(u, me);
}

void broadcast(dir_ptr self, const frame& bytes, const std::string& sender) {
  fan_out(bytes, sender, self->state.users, self->state.rel, conn_of);
}

void who_changed(dir_ptr self) {
  auto& st = self->state;
  st.first_who_stale = true;
  auto now = steady::now();
  st.last_change = now;
  if (st.ctx->cfg.server.who_list_delay_ms == 0) return send_who_now(self);
  if (st.flush_pending) return;
  st.flush_pending = true;
  st.first_change = now;
  self->delayed_send(self, std::chrono::milliseconds(st.ctx->cfg.server.who_list_delay_ms), flush_atom::value);
}

/// Presence lines go out at once in a quiet room. When they come faster than one per batch window
/// (a join storm), they are gathered and sent together, so each connection gets one write per batch
/// instead of one per line.
void presence(dir_ptr self, const std::string& username, const char* text) {
  auto& st = self->state;
  protocol::message m;
  m.action = "presence";
  m.username = username;
  m.message = text;
  auto bytes = protocol::encode_frame(m);
  cluster_presence(self, username, bytes);  // the other nodes batch it for their users alike
  local_presence(self, username, std::move(bytes));
}

void local_presence(dir_ptr self, const std::string& username, protocol::frame bytes) {
  auto& st = self->state;
  auto now = steady::now();
  auto window = presence_batch_window(room_size(self));
  if (st.presence_batch.empty() && now - st.last_presence >= window) {
    broadcast(self, bytes, username);
    st.last_presence = now;
    return;
  }
  st.presence_batch.emplace_back(username, std::move(bytes));
  if (st.presence_batch.size() == 1) self->delayed_send(self, window, presence_atom::value);
}

void sign_out(dir_ptr self, const directory_env& env, const std::string& username, const std::string& why) {
  auto it = self->state.users.find(username);
  if (it == self->state.users.end()) return;
  if (!why.empty()) notice(it->second, why);
  it->second.conn->send(self->state.ctx->disconnect);
  self->send(it->second.user, signout_atom::value);
  remove_user(self, env, username);
}

void relate(dir_ptr self, const directory_env& env, const std::vector<relation_change>& changes) {
  auto& st = self->state;
  bool blockable = st.ctx->cfg.blockable_admins;
  std::vector<relation_change> applied;
  for (auto& c : changes) {
    if (c.kind == relation::block && c.on && !blockable &&
        (operator_online(self, c.from) || operator_online(self, c.to)))
      continue;
    if (st.rel.apply(c)) applied.push_back(c);
  }
  if (applied.empty()) return;
  tell_channels(self, env, applied);
  cluster_relate(self, applied);
  who_changed(self);
}

void lift_operator_blocks(dir_ptr self, const directory_env& env, const std::string& op_name) {
  if (self->state.ctx->cfg.blockable_admins) return;
  auto gone = self->state.rel.unblock_all(op_name);
  tell_channels(self, env, gone);
  cluster_relate(self, gone);
}

namespace {

/// One relation action of a logged-in user (mute/unmute, block, boot/unboot, video-invite),
/// checked here where the roster is known.
void on_relate(dir_ptr self, const directory_env& env, online& from, const std::string& action,
               std::vector<relation_change> changes) {
  auto& st = self->state;
  const auto& me = from.who.username;
  for (auto& c : changes) c.from = me;
  if (action == "blocklist") {
    std::vector<relation_change> both;
    for (auto& c : changes) {
      both.push_back({relation::mute, me, c.to, true});
      both.push_back({relation::block, me, c.to, true});
    }
    return relate(self, env, both);
  }
  if (action == "video-invite") return relate(self, env, changes);
  // One name: mute, unmute, block, boot, unboot.
  if (changes.size() != 1) return;
  auto& c = changes[0];
  if (c.to == me) return notice(from, refusal::not_yourself(action));
  auto target = st.users.find(c.to);
  bool target_op = target != st.users.end() && target->second.who.op;
  if (c.kind == relation::block && (target_op || from.who.op) && !st.ctx->cfg.blockable_admins)
    return notice(from, target_op ? refusal::block_operator : refusal::operator_blocks);
  relate(self, env, changes);
  if (target_op && target != st.users.end()) {
    if (c.kind == relation::boot && c.on) notice(target->second, refusal::booted_operator(me));
    if (c.kind == relation::mute) notice(target->second, refusal::muted_operator(me, c.on));
  }
  spdlog::debug("{} {} {}", me, action, c.to);
}

/// `/api/block/now` (server.md D.3): every online listed user mutes and blocks every other one,
/// and is sent a `block` for each (operators are not blocked unless BlockableAdmins).
void block_now(dir_ptr self, const directory_env& env, const std::vector<std::string>& usernames) {
  auto& st = self->state;
  std::set<std::string> present;  // in a cluster, on any node
  for (auto& n : usernames)
    if (st.users.count(n) || remote_of(self, n)) present.insert(n);
  std::vector<relation_change> changes;
  for (auto& a : present)
    for (auto& b : present)
      if (a != b) {
        changes.push_back({relation::mute, a, b, true});
        changes.push_back({relation::block, a, b, true});
      }
  relate(self, env, changes);
  for (auto& a : present) {
    auto here = st.users.find(a);
    auto* far = here == st.users.end() ? remote_of(self, a) : nullptr;
    for (auto& b : present) {
      if (a == b) continue;
      if (far) cluster_deliver(self, *far, block_frame(b));
      else if (here != st.users.end()) send_block(here->second, b);
    }
  }
  if (!present.empty()) spdlog::info("api: block/now among {} online user(s)", present.size());
}

/// A user's connection is gone: the others see `presence_text` (unless the user was hidden).
void logout(dir_ptr self, const directory_env& env, const std::string& username, const char* presence_text) {
  auto* u = from_sender(self, username);
  if (!u) return;
  bool hidden = u->hidden();
  remove_user(self, env, username);
  if (!hidden) presence(self, username, presence_text);
  who_changed(self);
}

caf::behavior directory_behavior(dir_ptr self, directory_env env) {
  self->state.ctx = env.cell->current.load();
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& e) { return log_actor_exception("directory", e); });
  if (clustered(self)) self->send(self, beat_atom::value);
  return caf::message_handler{
      [=](reconfig_atom) -> std::string { return reconfigure(self, env); },
      [=](login_atom, login_request& req) -> login_reply { return login(self, env, req); },
      [=](logout_atom, const std::string& username) { logout(self, env, username, protocol::texts::presence_exited); },
      [=](logout_atom, const std::string& username, bool timed_out) {
        logout(self, env, username, timed_out ? protocol::texts::presence_timed_out : protocol::texts::presence_exited);
      },
      [=](state_atom, const std::string& username, int video, std::string status, bool dnd) {
        auto* u = from_sender(self, username);
        if (!u) return;
        auto& who = u->who;
        if (!who.vip) video &= ~protocol::video::vip_only;  // VIP-only cameras are for VIPs
        video &= ~protocol::video::invited;                // set per recipient by the server
        if (who.video == video && who.status == status && who.dnd == dnd) return;
        // Operators going hidden look like they left; coming back looks like a join.
        if (who.status != "hidden" && status == "hidden") presence(self, username, protocol::texts::presence_exited);
        if (who.status == "hidden" && status != "hidden") presence(self, username, protocol::texts::presence_joined);
        who.video = video;
        who.status = std::move(status);
        who.dnd = dnd;
        u->encode(self->state.ctx->cfg.vip.mutually_secret);
        who_changed(self);
      },
      [=](relate_atom, const std::string& username, const std::string& action,
          std::vector<relation_change>& changes) {
        auto* u = from_sender(self, username);
        if (!u) return;
        on_relate(self, env, *u, action, std::move(changes));
      },
      [=](blocknow_atom, const std::vector<std::string>& usernames) { block_now(self, env, usernames); },
      // The Report button (protocol.md B.2): a DM report goes through the conversation's thread,
      // which adds the recent lines; the reporting user is told the outcome.
      [=](report_atom, const std::string& username, protocol::report& r) {
        auto* u = from_sender(self, username);
        if (!u) return;
        const caf::actor* thread = nullptr;
        if (r.channel.rfind('@', 0) == 0) thread = dm_thread_of(self, username, r.channel.substr(1));
        if (thread) return self->send(*thread, report_atom::value, std::move(r), u->conn, self->state.ctx);
        // A conversation with a user of another node: the lines this node kept.
        if (r.channel.rfind('@', 0) == 0)
          if (auto* lines = cluster_dm_lines(self, username, r.channel.substr(1))) add_context(r, *lines);
        send_report(*self->state.ctx, r, tell_by_notice(u->conn));
      },
      [=](flush_atom) { who_timer(self); },
      [=](presence_atom) { flush_presence(self); },
      [=](command_atom, const std::string& username, const std::vector<std::string>& args) -> bool {
        auto* u = from_sender(self, username);
        if (!u || !u->who.op || args.empty()) return false;
        return run_command(self, env, *u, args);
      },
      [=](dm_atom, const std::string& to, protocol::message& msg, bool image) {
        auto* from = from_sender(self, msg.username);
        if (!from) return;
        direct_message(self, *from, to, msg, image);
      },
      [=](takeback_atom, const std::string& username, int64_t msg_id) {
        if (!from_sender(self, username)) return;
        // To everyone (the user actor checked ownership), and out of every echo buffer.
        protocol::message m;
        m.action = "takeback";
        m.msg_id = msg_id;
        auto bytes = protocol::encode_frame(m);
        broadcast(self, bytes);
        cluster_takeback(self, msg_id, bytes);
        for (auto& ch : env.channels) self->send(ch, takeback_atom::value, msg_id);
        if (auto& history = self->state.ctx->history) history->erase(msg_id);
      },
      [=](react_atom, const std::string& username, int64_t msg_id, const std::string& emoji) {
        if (!from_sender(self, username)) return;
        protocol::message m;
        m.action = "react";
        m.username = username;
        m.message = emoji;
        m.msg_id = msg_id;
        auto bytes = protocol::encode_frame(m);
        broadcast(self, bytes, username);  // mute and block apply
        cluster_broadcast(self, username, bytes);
      },
      [=](open_atom, const std::string& viewer, const std::string& target) {
        if (auto* v = from_sender(self, viewer)) open_camera(self, *v, target);
      },
      [=](relay_atom, const std::string& target, const protocol::message& msg) {
        if (auto* from = from_sender(self, msg.username)) relay_signal(self, *from, target, msg);
      },
      [=](stats_atom, count_atom) {
        return std::make_tuple(static_cast<int64_t>(self->state.users.size()),
                               static_cast<int64_t>(self->mailbox().size()));
      },
      [=](stats_atom) -> std::string {
        std::vector<std::string> names;
        int blue = 0, red = 0;
        for (auto* l : room_roster(self)) {
          auto& u = *l;
          if (u.hidden()) continue;
          names.push_back(u.who.username);
          if (u.who.video & protocol::video::active) ++((u.who.video & protocol::video::nsfw) ? red : blue);
        }
        return protocol::encode_statistics(names, blue, red);
      },
  }.or_else(website_handlers(self, env)).or_else(cluster_handlers(self, env));
}

}  // namespace

caf::actor spawn_directory(caf::actor_system& sys, std::shared_ptr<config_cell> cell, std::vector<caf::actor> channels) {
  return sys.spawn(directory_behavior, directory_env{std::move(cell), std::move(channels)});
}

}  // namespace barertc::actors
