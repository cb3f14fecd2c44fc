// The directory: who is online, the who list, presence, and routes between users.
#include <chrono>
#include <map>
#include <random>
#include <set>

#include "actors/actors.hpp"
#include "protocol/codec.hpp"
#include "protocol/markdown.hpp"

namespace barertc::actors {
namespace {

using clock = std::chrono::steady_clock;
using protocol::frame;

struct online {
  caf::actor user;
  protocol::connection_ptr conn;
  protocol::who_entry who;
  std::string who_json;               ///< `who` encoded once per change.
  std::set<std::string> dm_partners;  ///< Open DM threads, closed when either side leaves.
};

struct directory_state {
  std::map<std::string, online> users;  // sorted by name, like the who list
  std::map<std::pair<std::string, std::string>, caf::actor> threads;
  bool flush_pending = false;
  clock::time_point last_flush{};
  std::mt19937_64 rng{std::random_device{}()};
  static inline const char* name = "directory";
};

using self_ptr = caf::stateful_actor<directory_state>*;

std::pair<std::string, std::string> thread_key(const std::string& a, const std::string& b) {
  return a < b ? std::pair{a, b} : std::pair{b, a};
}

void broadcast(self_ptr self, const frame& bytes) {
  for (auto& [name, u] : self->state.users) u.conn->send(bytes);
}

void send_who_now(self_ptr self) {
  auto& st = self->state;
  std::vector<std::reference_wrapper<const std::string>> entries;
  entries.reserve(st.users.size());
  for (auto& [name, u] : st.users)
    if (u.who.status != "hidden") entries.emplace_back(u.who_json);
  broadcast(self, protocol::encode_who_list(entries));
  st.last_flush = clock::now();
}

/// Roster changed: push the who list now if the room was quiet, else once the delay has passed.
/// Bursts of joins thus cost one list per delay, not one per join.
void who_changed(self_ptr self, const context& ctx) {
  auto& st = self->state;
  if (st.flush_pending) return;
  auto delay = std::chrono::milliseconds(ctx.cfg.server.who_list_delay_ms);
  auto since = clock::now() - st.last_flush;
  if (since >= delay) return send_who_now(self);
  st.flush_pending = true;
  self->delayed_send(self, delay - since, flush_atom::value);
}

void presence(self_ptr self, const std::string& username, const char* text) {
  protocol::message m;
  m.action = "presence";
  m.username = username;
  m.message = text;
  broadcast(self, protocol::encode_frame(m));
}

void send_to(const online& u, const protocol::message& m) { u.conn->send(protocol::encode_frame(m)); }

std::string random_secret(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> letter(0, 25);
  std::string s(16, 'a');
  for (auto& c : s) c = static_cast<char>('a' + letter(rng));
  return s;
}

void remove_user(self_ptr self, const std::vector<caf::actor>& channels, const std::string& username) {
  auto& st = self->state;
  auto it = st.users.find(username);
  if (it == st.users.end()) return;
  for (auto& partner : it->second.dm_partners) {
    auto key = thread_key(username, partner);
    if (auto t = st.threads.find(key); t != st.threads.end()) {
      self->send_exit(t->second, caf::exit_reason::normal);
      st.threads.erase(t);
    }
    if (auto p = st.users.find(partner); p != st.users.end()) p->second.dm_partners.erase(username);
  }
  st.users.erase(it);
  for (auto& ch : channels) self->send(ch, leave_atom::value, username);
}

caf::behavior directory_behavior(self_ptr self, context_ptr ctx, std::vector<caf::actor> channels) {
  return {
      [=](login_atom, login_request& req) -> std::string {
        auto& st = self->state;
        // Guests who pick a name in use become "name 2", "name 3", ...
        std::string name = req.who.username;
        for (int n = 2; st.users.count(name); ++n) name = req.who.username + " " + std::to_string(n);
        req.who.username = name;
        auto& u = st.users[name];
        u.user = req.user;
        u.conn = req.conn;
        u.who = std::move(req.who);
        u.who_json = protocol::encode_who_entry(u.who);
        for (size_t i = 0; i < channels.size(); ++i) {
          const auto& cfg = ctx->cfg.public_channels[i];
          if (!cfg.vip || u.who.vip || u.who.op) self->send(channels[i], join_atom::value, name, u.conn);
        }
        // Login sequence (protocol.md B.4): me, who, presence, welcome messages.
        protocol::message me;
        me.action = "me";
        me.username = name;
        me.video = u.who.video;
        send_to(u, me);
        who_changed(self, *ctx);
        presence(self, name, "has joined the room!");
        for (auto& w : ctx->welcome) u.conn->send(w);
        return name;
      },
      [=](logout_atom, const std::string& username) {
        auto it = self->state.users.find(username);
        if (it == self->state.users.end()) return;
        bool hidden = it->second.who.status == "hidden";
        remove_user(self, channels, username);
        if (!hidden) presence(self, username, "has exited the room!");
        who_changed(self, *ctx);
      },
      [=](state_atom, const std::string& username, int video, std::string status, bool dnd) {
        auto it = self->state.users.find(username);
        if (it == self->state.users.end()) return;
        auto& who = it->second.who;
        if (who.video == video && who.status == status && who.dnd == dnd) return;
        who.video = video;
        who.status = std::move(status);
        who.dnd = dnd;
        it->second.who_json = protocol::encode_who_entry(who);
        who_changed(self, *ctx);
      },
      [=](flush_atom) {
        self->state.flush_pending = false;
        send_who_now(self);
      },
      [=](dm_atom, const std::string& to, protocol::message& msg) {
        auto& st = self->state;
        auto from = st.users.find(msg.username);
        if (from == st.users.end()) return;
        auto rcpt = st.users.find(to);
        if (rcpt == st.users.end()) {
          msg.channel = "@" + to;
          send_to(from->second, msg);
          send_to(from->second, protocol::chat_server("Could not deliver your message: @" +
                                                      protocol::escape_html(to) +
                                                      " appears not to be online."));
          return;
        }
        auto key = thread_key(msg.username, to);
        auto t = st.threads.find(key);
        if (t == st.threads.end()) {
          auto& a = st.users[key.first];
          auto& b = st.users[key.second];
          t = st.threads
                  .emplace(key, spawn_dm_thread(self->system(), key.first, a.conn, key.second, b.conn))
                  .first;
          a.dm_partners.insert(key.second);
          b.dm_partners.insert(key.first);
        }
        self->send(t->second, dm_atom::value, std::move(msg));
      },
      [=](open_atom, const std::string& viewer, const std::string& target) {
        auto& st = self->state;
        auto v = st.users.find(viewer);
        if (v == st.users.end()) return;
        auto t = st.users.find(target);
        if (t == st.users.end() || t->second.who.status == "hidden") {
          send_to(v->second, protocol::chat_server("Could not open that video: " +
                                                   protocol::escape_html(target) +
                                                   " appears to be offline."));
          return;
        }
        if (!(t->second.who.video & protocol::video::active)) {
          send_to(v->second,
                  protocol::chat_server("Could not open that video: Their video is not currently enabled."));
          return;
        }
        if ((t->second.who.video & protocol::video::mutual_required) &&
            !(v->second.who.video & protocol::video::active)) {
          send_to(v->second, protocol::chat_server(
                                 "Could not open that video: " + protocol::escape_html(target) +
                                 " has requested that you should share your own camera too before "
                                 "opening theirs."));
          return;
        }
        if ((t->second.who.video & protocol::video::vip_only) && !v->second.who.vip && !v->second.who.op) {
          send_to(v->second,
                  protocol::chat_server("Could not open that video: You do not have permission to view that camera."));
          return;
        }
        auto secret = random_secret(st.rng);
        protocol::message ring;
        ring.action = "ring";
        ring.username = viewer;
        ring.open_secret = secret;
        send_to(t->second, ring);
        protocol::message open;
        open.action = "open";
        open.username = target;
        open.open_secret = secret;
        send_to(v->second, open);
      },
      // candidate, sdp, watch, unwatch: forwarded with the sender's name; unknown targets dropped.
      [=](relay_atom, const std::string& target, const protocol::message& msg) {
        auto t = self->state.users.find(target);
        if (t != self->state.users.end()) send_to(t->second, msg);
      },
      [=](stats_atom) -> std::string {
        std::vector<std::string> names;
        int blue = 0, red = 0;
        for (auto& [name, u] : self->state.users) {
          if (u.who.status == "hidden") continue;
          names.push_back(name);
          if (u.who.video & protocol::video::active)
            ++((u.who.video & protocol::video::nsfw) ? red : blue);
        }
        return protocol::encode_statistics(names, blue, red);
      },
  };
}

}  // namespace

caf::actor spawn_directory(caf::actor_system& sys, context_ptr ctx, std::vector<caf::actor> channels) {
  return sys.spawn(directory_behavior, std::move(ctx), std::move(channels));
}

}  // namespace barertc::actors
