// The directory: who is online, the who list, presence, bans, operator commands, and the routes
// between users (DM threads, webcam open, WebRTC signalling).
#include <algorithm>
#include <chrono>
#include <csignal>
#include <map>
#include <random>
#include <set>

#include "actors/actors.hpp"
#include "protocol/codec.hpp"
#include "protocol/command.hpp"
#include "protocol/markdown.hpp"
#include "protocol/metrics.hpp"
#include "settings/settings.hpp"

namespace barertc::actors {
namespace {

using clock = std::chrono::steady_clock;
using wall_clock = std::chrono::system_clock;
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
  std::map<std::string, wall_clock::time_point> bans;  // in memory, keyed by username
  bool flush_pending = false;
  clock::time_point first_change{};  ///< oldest change not yet in a sent who list
  clock::time_point last_change{};
  clock::time_point last_who_sent{};  ///< when the last who list went out
  std::mt19937_64 rng{std::random_device{}()};
  std::vector<frame> presence_batch;  ///< presence lines waiting for the next batch
  clock::time_point last_presence{};
  context_ptr ctx;  ///< Settings in force.
  static inline const char* name = "directory";
};

using self_ptr = caf::stateful_actor<directory_state>*;

struct directory_env {
  std::shared_ptr<config_cell> cell;
  std::vector<caf::actor> channels;
};

std::pair<std::string, std::string> thread_key(const std::string& a, const std::string& b) {
  return a < b ? std::pair{a, b} : std::pair{b, a};
}

void broadcast(self_ptr self, const frame& bytes, bool state = false) {
  for (auto& [name, u] : self->state.users) u.conn->send(bytes, state);
}

void send_who_now(self_ptr self) {
  auto& st = self->state;
  std::vector<std::reference_wrapper<const std::string>> entries;
  entries.reserve(st.users.size());
  for (auto& [name, u] : st.users)
    if (u.who.status != "hidden") entries.emplace_back(u.who_json);
  broadcast(self, protocol::encode_who_list(entries), true);
  st.last_who_sent = clock::now();
  protocol::metrics().who_lists_built.fetch_add(1, std::memory_order_relaxed);
}

/// Roster changed. The who list goes out once the roster has been quiet for a moment, or at the
/// latest when the oldest unsent change is max_wait old. A list to everyone costs O(N^2) bytes, so
/// both grow with the room: quiet = N^2/16000 ms (at most 1 s), max_wait = N^2/800 ms (at most
/// 2 min), neither below WhoListDelayMs. At 1000 users a change shows after 62 ms, at 2000 after
/// 250 ms; a join storm costs a handful of lists instead of one per join. Lists are also at least
/// min_gap = N^2/4000 ms apart (1 s at 2000 users, 25 s at 10000): sending one keeps the network
/// busy, which stalls the logins in flight, which looks like a quiet roster; without the gap a big
/// room's storm fed on itself (a 10000-user storm received 120 GB of lists, mostly the same list).
void who_changed(self_ptr self, const context& ctx) {
  auto& st = self->state;
  auto now = clock::now();
  st.last_change = now;
  if (ctx.cfg.server.who_list_delay_ms == 0) return send_who_now(self);
  if (st.flush_pending) return;
  st.flush_pending = true;
  st.first_change = now;
  self->delayed_send(self, std::chrono::milliseconds(ctx.cfg.server.who_list_delay_ms), flush_atom::value);
}

/// The flush timer: send now, or look again when the quiet period or the max wait ends.
void who_timer(self_ptr self, const context& ctx) {
  auto& st = self->state;
  int64_t base = ctx.cfg.server.who_list_delay_ms;
  auto n = static_cast<int64_t>(st.users.size());
  auto quiet = std::chrono::milliseconds(std::clamp<int64_t>(n * n / 16000, base, 1000));
  auto max_wait = std::chrono::milliseconds(std::clamp<int64_t>(n * n / 800, base, 120000));
  auto min_gap = std::chrono::milliseconds(std::min<int64_t>(n * n / 4000, 60000));
  auto now = clock::now();
  auto due = std::max(std::min(st.last_change + quiet, st.first_change + max_wait), st.last_who_sent + min_gap);
  if (now >= due) {
    st.flush_pending = false;
    return send_who_now(self);
  }
  self->delayed_send(self, due - now, flush_atom::value);
}

/// How long presence lines may be gathered: 10 ms, growing with the room to 100 ms at 2000 users.
std::chrono::milliseconds presence_batch_window(size_t users) {
  return std::chrono::milliseconds(std::clamp<int64_t>(static_cast<int64_t>(users) / 20, 10, 100));
}

/// Presence lines go out at once in a quiet room. When they come faster than one per batch window
/// (a join storm), they are gathered and sent together, so each connection gets one write per batch
/// instead of one per line.
void presence(self_ptr self, const std::string& username, const char* text) {
  auto& st = self->state;
  protocol::message m;
  m.action = "presence";
  m.username = username;
  m.message = text;
  auto bytes = protocol::encode_frame(m);
  auto now = clock::now();
  auto window = presence_batch_window(st.users.size());
  if (st.presence_batch.empty() && now - st.last_presence >= window) {
    broadcast(self, bytes);
    st.last_presence = now;
    return;
  }
  st.presence_batch.push_back(std::move(bytes));
  if (st.presence_batch.size() == 1) self->delayed_send(self, window, presence_atom::value);
}

void flush_presence(self_ptr self) {
  auto& st = self->state;
  for (auto& [name, u] : st.users)
    for (auto& f : st.presence_batch) u.conn->send(f);
  st.presence_batch.clear();
  st.last_presence = clock::now();
}

void send_to(const online& u, const protocol::message& m) { u.conn->send(protocol::encode_frame(m)); }

void notice(const online& u, std::string html) { send_to(u, protocol::chat_server(std::move(html))); }

std::string random_secret(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> letter(0, 25);
  std::string s(16, 'a');
  for (auto& c : s) c = static_cast<char>('a' + letter(rng));
  return s;
}

/// The sender's entry, only if the message really comes from the actor that holds that name
/// (a session signed out by a takeover or kick may still have messages in flight).
online* from_sender(self_ptr self, const std::string& name) {
  auto it = self->state.users.find(name);
  if (it == self->state.users.end()) return nullptr;
  if (self->current_sender() != caf::actor_cast<caf::strong_actor_ptr>(it->second.user)) return nullptr;
  return &it->second;
}

void remove_user(self_ptr self, const directory_env& env, const std::string& username) {
  auto& st = self->state;
  auto it = st.users.find(username);
  if (it == st.users.end()) return;
  for (auto& partner : it->second.dm_partners) {
    if (auto t = st.threads.find(thread_key(username, partner)); t != st.threads.end()) {
      self->send_exit(t->second, caf::exit_reason::normal);
      st.threads.erase(t);
    }
    if (auto p = st.users.find(partner); p != st.users.end()) p->second.dm_partners.erase(username);
  }
  st.users.erase(it);
  for (auto& ch : env.channels) self->send(ch, leave_atom::value, username);
}

/// Ends a session's login (kick, ban, takeover, kickall): it is told why, gets `disconnect`, and
/// leaves the room; its socket stays open for the client to close.
void sign_out(self_ptr self, const directory_env& env, const std::string& username, const std::string& why) {
  auto it = self->state.users.find(username);
  if (it == self->state.users.end()) return;
  if (!why.empty()) notice(it->second, why);
  it->second.conn->send(self->state.ctx->disconnect);
  self->send(it->second.user, signout_atom::value);
  remove_user(self, env, username);
}

std::string duration_text(wall_clock::duration d) {
  auto mins = std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::minutes>(d).count());
  auto h = mins / 60, m = mins % 60;
  if (h && m) return std::to_string(h) + " hours and " + std::to_string(m) + " minutes";
  if (h) return std::to_string(h) + (h == 1 ? " hour" : " hours");
  return std::to_string(m) + (m == 1 ? " minute" : " minutes");
}

std::string rfc3339(wall_clock::time_point t) {
  auto secs = wall_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

/// Is `name` banned right now? Lapsed bans are forgotten when read.
std::optional<wall_clock::duration> ban_left(self_ptr self, const std::string& name) {
  auto& bans = self->state.bans;
  auto b = bans.find(name);
  if (b == bans.end()) return std::nullopt;
  auto now = wall_clock::now();
  if (b->second <= now) {
    bans.erase(b);
    return std::nullopt;
  }
  return b->second - now;
}

login_reply login(self_ptr self, const directory_env& env, login_request& req) {
  auto& st = self->state;
  auto& ctx = *self->state.ctx;
  if (auto left = ban_left(self, req.who.username))
    return {false, {}, 
            "You are currently banned from entering the chat room. Chat room bans are temporary; yours "
            "expires in " +
                duration_text(*left) + ". Please try coming back later."};
  std::string name = req.who.username;
  if (st.users.count(name)) {
    if (req.jwt) {
      // The token proves the name: the older session is signed out.
      sign_out(self, env, name,
               "You have been signed out of chat because you logged in from another location.");
    } else {
      // Guests who pick a name in use become "name 2", "name 3", ...
      for (int n = 2; st.users.count(name); ++n) name = req.who.username + " " + std::to_string(n);
    }
  }
  req.who.username = name;
  auto& u = st.users[name];
  u.user = req.user;
  u.conn = req.conn;
  u.who = std::move(req.who);
  u.who_json = protocol::encode_who_entry(u.who);
  for (size_t i = 0; i < env.channels.size(); ++i) {
    const auto& cfg = ctx.cfg.public_channels[i];
    if (!cfg.vip || u.who.vip || u.who.op) self->send(env.channels[i], join_atom::value, name, u.conn);
  }
  // Login sequence (protocol.md B.4): me, who, presence, welcome messages.
  protocol::message me;
  me.action = "me";
  me.username = name;
  me.video = u.who.video;
  send_to(u, me);
  who_changed(self, ctx);
  presence(self, name, "has joined the room!");
  for (auto& w : ctx.welcome) u.conn->send(w);
  return {true, name, {}, self->state.ctx};
}

/// Re-reads settings.toml. A bad file, or a changed channel list, changes nothing; otherwise every
/// actor gets the new settings. Returns a report (HTML).
std::string reconfigure(self_ptr self, const directory_env& env) {
  auto esc = [](const std::string& s) { return protocol::escape_html(s); };
  const auto& path = env.cell->path;
  auto loaded = settings::load(path);
  if (auto* errs = std::get_if<settings::errors>(&loaded)) {
    std::string out = "Could not reload the settings; nothing was changed:";
    for (auto& p : errs->problems) out += "<br>" + esc(p);
    return out;
  }
  auto next = std::get<settings::settings>(std::move(loaded));
  auto ids = [](const settings::settings& s) {
    std::vector<std::string> v;
    for (auto& c : s.public_channels) v.push_back(c.id + (c.vip ? "/vip" : ""));
    return v;
  };
  if (ids(next) != ids(self->state.ctx->cfg))
    return "The list of public channels in " + esc(path) +
           " has changed: restart the server to apply it. Nothing was changed.";
  auto ctx = make_context(next, self->state.ctx->msg_ids);
  self->state.ctx = ctx;
  env.cell->current.store(ctx);
  for (auto& [name, u] : self->state.users) self->send(u.user, reconfig_atom::value, ctx);
  return "The settings were reloaded from " + esc(path) +
         ". ([Server] Address, thread counts and connection limits apply at the next restart.)";
}

const char* help_text =
    "Moderator commands are:\n\n"
    "* `/kick <username>` to kick from chat\n"
    "* `/ban <username> <hours>` to ban from chat (default 24 hours)\n"
    "* `/unban <username>` to lift the ban on a user\n"
    "* `/bans` to list current banned users and their expiration date\n"
    "* `/nsfw <username>` to mark their camera Explicit\n"
    "* `/cut <username>` to make them turn off their camera\n"
    "* `/help` to show this message\n"
    "* `/help-advanced` to show the dangerous commands\n\n"
    "Note: shell-style quoting is supported, e.g. `/kick \"username 2\"`.";

const char* help_advanced_text =
    "Advanced moderator commands:\n\n"
    "* `/op <username>` to grant operator rights to a user\n"
    "* `/deop <username>` to remove operator rights\n"
    "* `/kickall` to sign out everybody (they are asked to reload)\n"
    "* `/reconfigure` to reload settings.toml\n"
    "* `/shutdown` to restart the chat server\n";

/// Runs one operator command. `args[0]` is the command; returns false when it is not one we know.
bool command(self_ptr self, const directory_env& env, online& op, const std::vector<std::string>& args) {
  auto& st = self->state;
  const auto& cmd = args[0];
  const std::string op_name = op.who.username;
  auto reply = [&](const std::string& html) { notice(op, html); };
  auto md = [&](const std::string& text) { notice(op, protocol::render_markdown(text)); };
  auto esc = [](const std::string& s) { return protocol::escape_html(s); };
  auto one_user = [&](const char* usage) -> std::optional<std::string> {
    if (args.size() != 2 || protocol::strip_at(args[1]).empty()) {
      md(usage);
      return std::nullopt;
    }
    return protocol::strip_at(args[1]);
  };
  auto online_target = [&](const std::string& name) -> online* {
    auto it = st.users.find(name);
    if (it == st.users.end()) {
      reply("User " + esc(name) + " is not online.");
      return nullptr;
    }
    return &it->second;
  };

  if (cmd == "/help") return md(help_text), true;
  if (cmd == "/help-advanced") return md(help_advanced_text), true;
  if (cmd == "/kick") {
    auto name = one_user("Usage: `/kick <username>` to remove the user from the chat room.");
    if (!name) return true;
    if (*name == op_name) return reply("You can not kick yourself."), true;
    if (!online_target(*name)) return true;
    sign_out(self, env, *name, "You have been kicked from the chat room by " + esc(op_name) + ".");
    presence(self, *name, "has been kicked from the room!");
    who_changed(self, *self->state.ctx);
    reply(esc(*name) + " has been kicked from the room.");
    return true;
  }
  if (cmd == "/ban") {
    if (args.size() < 2 || args.size() > 3 || protocol::strip_at(args[1]).empty())
      return md("Usage: `/ban <username> [hours]` to ban a user (default 24 hours)."), true;
    auto name = protocol::strip_at(args[1]);
    long hours = 24;
    if (args.size() == 3) {
      size_t used = 0;
      try {
        hours = std::stol(args[2], &used);
      } catch (...) {
        used = 0;
      }
      if (used != args[2].size() || hours < 1 || hours > 24 * 365)
        return md("Usage: `/ban <username> [hours]`: hours is a whole number from 1 to 8760."), true;
    }
    if (name == op_name) return reply("You can not ban yourself."), true;
    st.bans[name] = wall_clock::now() + std::chrono::hours(hours);
    if (st.users.count(name)) {
      sign_out(self, env, name,
               "You have been banned from the chat room by " + esc(op_name) + ". Your ban expires in " +
                   duration_text(std::chrono::hours(hours)) + ".");
      presence(self, name, "has been banned!");
      who_changed(self, *self->state.ctx);
    }
    reply(esc(name) + " has been banned from the room for " + std::to_string(hours) + " hours.");
    return true;
  }
  if (cmd == "/unban") {
    auto name = one_user("Usage: `/unban <username>` to lift a ban.");
    if (!name) return true;
    if (ban_left(self, *name)) {
      st.bans.erase(*name);
      reply("The ban on " + esc(*name) + " has been lifted.");
    } else {
      md("I could not find that user on the banned list. Try `/bans` to see the current banned list.");
    }
    return true;
  }
  if (cmd == "/bans") {
    std::string list;
    for (auto it = st.bans.begin(); it != st.bans.end();) {
      if (it->second <= wall_clock::now()) {
        it = st.bans.erase(it);
        continue;
      }
      list += "* `" + it->first + "` banned until " + rfc3339(it->second) + "\n";
      ++it;
    }
    md(list.empty() ? "There are no active bans." : "The listing of current bans:\n\n" + list);
    return true;
  }
  if (cmd == "/nsfw") {
    auto name = one_user("Usage: `/nsfw <username>` to mark their camera Explicit.");
    if (!name) return true;
    auto* t = online_target(*name);
    if (!t) return true;
    if (!(t->who.video & protocol::video::active)) return reply(esc(*name) + "'s camera is not on."), true;
    if (t->who.video & protocol::video::nsfw)
      return reply(esc(*name) + "'s camera is already marked as Explicit."), true;
    t->who.video |= protocol::video::nsfw;
    t->who_json = protocol::encode_who_entry(t->who);
    protocol::message me;
    me.action = "me";
    me.username = *name;
    me.video = t->who.video;
    send_to(*t, me);
    notice(*t, "Just a friendly reminder to mark your camera as 'Explicit' by using the red button at the top "
               "of the page if you are going to be sexual on webcam. Your camera has been marked as Explicit "
               "for you by @" + esc(op_name) + ".");
    who_changed(self, *self->state.ctx);
    reply(esc(*name) + "'s camera has been marked as Explicit.");
    return true;
  }
  if (cmd == "/cut") {
    auto name = one_user("Usage: `/cut <username>` to make them turn off their camera.");
    if (!name) return true;
    auto* t = online_target(*name);
    if (!t) return true;
    if (!(t->who.video & protocol::video::active)) return reply(esc(*name) + "'s camera is not on."), true;
    protocol::message cut;
    cut.action = "cut";
    send_to(*t, cut);
    reply("Told " + esc(*name) + " to turn off their camera.");
    return true;
  }
  if (cmd == "/op" || cmd == "/deop") {
    bool grant = cmd == "/op";
    auto name = one_user(grant ? "Usage: `/op <username>` to grant operator rights."
                               : "Usage: `/deop <username>` to remove operator rights.");
    if (!name) return true;
    if (!grant && *name == op_name) return reply("You can not remove your own operator rights."), true;
    auto* t = online_target(*name);
    if (!t) return true;
    t->who.op = grant;
    t->who_json = protocol::encode_who_entry(t->who);
    self->send(t->user, op_atom::value, grant);
    notice(*t, grant ? "You have been granted operator rights by " + esc(op_name) + ". Type /help for the commands."
                     : "Your operator rights have been removed by " + esc(op_name) + ".");
    who_changed(self, *self->state.ctx);
    reply(grant ? "Operator rights granted to " + esc(*name) + "." : "Operator rights removed from " + esc(*name) + ".");
    return true;
  }
  if (cmd == "/kickall") {
    if (args.size() != 1) return md("Usage: `/kickall` (no arguments)."), true;
    std::string text = "This chat server is about to go down for maintenance. Please reload the page";
    const auto& landing = self->state.ctx->cfg.jwt.landing_page_url;
    if (!landing.empty()) text += " or <a href=\"" + esc(landing) + "\">sign in again</a>";
    text += ".";
    std::vector<std::string> names;
    for (auto& [name, u] : st.users) names.push_back(name);
    for (auto& name : names) sign_out(self, env, name, text);
    who_changed(self, *self->state.ctx);
    return true;
  }
  if (cmd == "/reconfigure") {
    if (args.size() != 1) return md("Usage: `/reconfigure` (no arguments)."), true;
    reply(reconfigure(self, env));
    return true;
  }
  if (cmd == "/shutdown") {
    if (args.size() != 1) return md("Usage: `/shutdown` (no arguments)."), true;
    broadcast(self, protocol::encode_frame(protocol::chat_server(
                        "The chat server is going down for a reboot NOW! Please reload in a moment.")));
    std::raise(SIGTERM);  // the network closes every socket with 1001 and the process exits 0
    return true;
  }
  return false;
}

caf::behavior directory_behavior(self_ptr self, directory_env env) {
  self->state.ctx = env.cell->current.load();
  self->set_exception_handler([](caf::scheduled_actor*, std::exception_ptr& e) { return log_actor_exception("directory", e); });
  return {
      [=](reconfig_atom) -> std::string { return reconfigure(self, env); },
      [=](login_atom, login_request& req) -> login_reply { return login(self, env, req); },
      [=](logout_atom, const std::string& username) {
        auto* u = from_sender(self, username);
        if (!u) return;
        bool hidden = u->who.status == "hidden";
        remove_user(self, env, username);
        if (!hidden) presence(self, username, "has exited the room!");
        who_changed(self, *self->state.ctx);
      },
      [=](state_atom, const std::string& username, int video, std::string status, bool dnd) {
        auto* u = from_sender(self, username);
        if (!u) return;
        auto& who = u->who;
        if (who.video == video && who.status == status && who.dnd == dnd) return;
        // Operators going hidden look like they left; coming back looks like a join.
        if (who.status != "hidden" && status == "hidden") presence(self, username, "has exited the room!");
        if (who.status == "hidden" && status != "hidden") presence(self, username, "has joined the room!");
        who.video = video;
        who.status = std::move(status);
        who.dnd = dnd;
        u->who_json = protocol::encode_who_entry(who);
        who_changed(self, *self->state.ctx);
      },
      [=](flush_atom) { who_timer(self, *self->state.ctx); },
      [=](presence_atom) { flush_presence(self); },
      [=](command_atom, const std::string& username, const std::vector<std::string>& args) -> bool {
        auto* u = from_sender(self, username);
        if (!u || !u->who.op || args.empty()) return false;
        return command(self, env, *u, args);
      },
      [=](dm_atom, const std::string& to, protocol::message& msg) {
        auto& st = self->state;
        auto* from = from_sender(self, msg.username);
        if (!from) return;
        auto rcpt = st.users.find(to);
        if (rcpt == st.users.end()) {
          msg.channel = "@" + to;
          send_to(*from, msg);
          notice(*from, "Could not deliver your message: @" + protocol::escape_html(to) + " appears not to be online.");
          return;
        }
        auto key = thread_key(msg.username, to);
        auto t = st.threads.find(key);
        if (t == st.threads.end()) {
          auto& a = st.users[key.first];
          auto& b = st.users[key.second];
          t = st.threads.emplace(key, spawn_dm_thread(self->system(), key.first, a.conn, key.second, b.conn)).first;
          a.dm_partners.insert(key.second);
          b.dm_partners.insert(key.first);
        }
        self->send(t->second, dm_atom::value, std::move(msg));
      },
      [=](open_atom, const std::string& viewer, const std::string& target) {
        auto& st = self->state;
        auto* v = from_sender(self, viewer);
        if (!v) return;
        auto t = st.users.find(target);
        auto refuse = [&](const std::string& why) { notice(*v, "Could not open that video: " + why); };
        if (t == st.users.end() || t->second.who.status == "hidden")
          return refuse(protocol::escape_html(target) + " appears to be offline.");
        const auto& tw = t->second.who;
        if (!(tw.video & protocol::video::active)) return refuse("Their video is not currently enabled.");
        if ((tw.video & protocol::video::mutual_required) && !(v->who.video & protocol::video::active))
          return refuse(protocol::escape_html(target) +
                        " has requested that you should share your own camera too before opening theirs.");
        if ((tw.video & protocol::video::vip_only) && !v->who.vip && !v->who.op)
          return refuse("You do not have permission to view that camera.");
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
        send_to(*v, open);
      },
      // candidate, sdp, watch, unwatch: forwarded with the sender's name. An `sdp` for someone
      // offline is answered with a notice; the others (trickled candidates, watch/unwatch after
      // the peer left) are dropped quietly.
      [=](relay_atom, const std::string& target, const protocol::message& msg) {
        auto* from = from_sender(self, msg.username);
        if (!from) return;
        auto t = self->state.users.find(target);
        if (t != self->state.users.end())
          send_to(t->second, msg);
        else if (msg.action == "sdp")
          notice(*from, "Could not reach " + protocol::escape_html(target) + ": they appear to be offline.");
      },
      [=](stats_atom, count_atom) {
        return std::make_tuple(static_cast<int64_t>(self->state.users.size()),
                               static_cast<int64_t>(self->mailbox().size()));
      },
      [=](stats_atom) -> std::string {
        std::vector<std::string> names;
        int blue = 0, red = 0;
        for (auto& [name, u] : self->state.users) {
          if (u.who.status == "hidden") continue;
          names.push_back(name);
          if (u.who.video & protocol::video::active) ++((u.who.video & protocol::video::nsfw) ? red : blue);
        }
        return protocol::encode_statistics(names, blue, red);
      },
  };
}

}  // namespace

caf::actor spawn_directory(caf::actor_system& sys, std::shared_ptr<config_cell> cell, std::vector<caf::actor> channels) {
  return sys.spawn(directory_behavior, directory_env{std::move(cell), std::move(channels)});
}

}  // namespace barertc::actors
