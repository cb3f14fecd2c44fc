// Operator commands (server.md C): one function per command, found in a table by name.
#include <spdlog/spdlog.h>

#include <functional>
#include <map>

#include "actors/roster.hpp"
#include "actors/reports.hpp"
#include "actors/refusals.hpp"
#include "protocol/codec.hpp"
#include "protocol/command.hpp"
#include "protocol/markdown.hpp"
#include "protocol/plain_text.hpp"
#include "protocol/texts.hpp"

namespace barertc::actors {

std::string duration_text(wall_clock::duration d) {
  auto mins = std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::minutes>(d).count());
  auto h = mins / 60, m = mins % 60;
  if (h && m) return std::to_string(h) + " hours and " + std::to_string(m) + " minutes";
  if (h) return std::to_string(h) + (h == 1 ? " hour" : " hours");
  return std::to_string(m) + (m == 1 ? " minute" : " minutes");
}

std::optional<wall_clock::duration> ban_left(dir_ptr self, const std::string& name) {
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

namespace {

std::string rfc3339(wall_clock::time_point t) {
  auto secs = wall_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
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

/// What one command sees: the directory, the operator who typed it and its words.
struct call {
  dir_ptr self;
  const directory_env& env;
  online& op;
  const std::vector<std::string>& args;
  mutable std::string outcome;  ///< the last answer to the operator, for the log line

  const std::string& op_name() const { return op.who.username; }
  void reply(const std::string& html) const {
    outcome = html;
    notice(op, html);
  }
  void md(const std::string& text) const {
    outcome = text;
    notice(op, protocol::render_markdown(text));
  }
  /// The one username argument, or the usage shown and nothing.
  std::optional<std::string> one_user(const char* usage) const {
    if (args.size() != 2 || protocol::strip_at(args[1]).empty()) {
      md(usage);
      return std::nullopt;
    }
    return protocol::strip_at(args[1]);
  }
  online* online_target(const std::string& name) const {
    auto it = self->state.users.find(name);
    if (it == self->state.users.end()) {
      reply("User " + refusal::esc(name) + " is not online.");
      return nullptr;
    }
    return &it->second;
  }
  /// The one online user named, whose camera is on; or a reply and nothing.
  online* camera_on(const char* usage) const {
    auto name = one_user(usage);
    if (!name) return nullptr;
    auto* t = online_target(*name);
    if (t && !(t->who.video & protocol::video::active)) {
      reply(refusal::esc(*name) + "'s camera is not on.");
      return nullptr;
    }
    return t;
  }
  bool no_args(const char* usage) const {
    if (args.size() == 1) return true;
    md(usage);
    return false;
  }
};

using refusal::esc;

void kick(const call& c) {
  auto name = c.one_user("Usage: `/kick <username>` to remove the user from the chat room.");
  if (!name) return;
  if (*name == c.op_name()) return c.reply("You can not kick yourself.");
  auto why = "You have been kicked from the chat room by " + esc(c.op_name()) + ".";
  if (auto* far = remote_of(c.self, *name)) cluster_sign_out(c.self, *far, why);  // on another node
  else if (!c.online_target(*name)) return;
  else sign_out(c.self, c.env, *name, why);
  presence(c.self, *name, protocol::texts::presence_kicked);
  who_changed(c.self);
  c.reply(esc(*name) + " has been kicked from the room.");
}

void ban(const call& c) {
  auto& args = c.args;
  if (args.size() < 2 || args.size() > 3 || protocol::strip_at(args[1]).empty())
    return c.md("Usage: `/ban <username> [hours]` to ban a user (default 24 hours).");
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
      return c.md("Usage: `/ban <username> [hours]`: hours is a whole number from 1 to 8760.");
  }
  if (name == c.op_name()) return c.reply("You can not ban yourself.");
  auto until = wall_clock::now() + std::chrono::hours(hours);
  c.self->state.bans[name] = until;
  cluster_ban(c.self, name, std::chrono::duration_cast<std::chrono::seconds>(until.time_since_epoch()).count(), true);
  auto* far = remote_of(c.self, name);
  if (c.self->state.users.count(name) || far) {
    auto why = "You have been banned from the chat room by " + esc(c.op_name()) + ". Your ban expires in " +
               duration_text(std::chrono::hours(hours)) + ".";
    if (far) cluster_sign_out(c.self, *far, why);
    else sign_out(c.self, c.env, name, why);
    presence(c.self, name, protocol::texts::presence_banned);
    who_changed(c.self);
  }
  c.reply(esc(name) + " has been banned from the room for " + std::to_string(hours) + " hours.");
}

void unban(const call& c) {
  auto name = c.one_user("Usage: `/unban <username>` to lift a ban.");
  if (!name) return;
  if (!ban_left(c.self, *name))
    return c.md("I could not find that user on the banned list. Try `/bans` to see the current banned list.");
  auto& bans = c.self->state.bans;
  auto until = std::chrono::duration_cast<std::chrono::seconds>(bans[*name].time_since_epoch()).count();
  bans.erase(*name);
  cluster_ban(c.self, *name, until, false);
  c.reply("The ban on " + esc(*name) + " has been lifted.");
}

void bans(const call& c) {
  std::string list;
  auto& all = c.self->state.bans;
  for (auto it = all.begin(); it != all.end();) {
    if (it->second <= wall_clock::now()) {
      it = all.erase(it);
      continue;
    }
    list += "* `" + it->first + "` banned until " + rfc3339(it->second) + "\n";
    ++it;
  }
  c.md(list.empty() ? "There are no active bans." : "The listing of current bans:\n\n" + list);
}

void nsfw(const call& c) {
  auto* t = c.camera_on("Usage: `/nsfw <username>` to mark their camera Explicit.");
  if (!t) return;
  const auto name = t->who.username;
  if (t->who.video & protocol::video::nsfw) return c.reply(esc(name) + "'s camera is already marked as Explicit.");
  t->who.video |= protocol::video::nsfw;
  t->encode(c.self->state.ctx->cfg.vip.mutually_secret);
  send_me(*t);
  notice(*t, "Just a friendly reminder to mark your camera as 'Explicit' by using the red button at the top "
             "of the page if you are going to be sexual on webcam. Your camera has been marked as Explicit "
             "for you by @" + esc(c.op_name()) + ".");
  who_changed(c.self);
  c.reply(esc(name) + "'s camera has been marked as Explicit.");
  // The website hears of it when its report webhook is on (server.md E, source 4).
  if (report_webhook_on(*c.self->state.ctx)) {
    protocol::report r;
    r.from_username = c.op_name();
    r.about_username = name;
    r.channel = "n/a";
    r.timestamp = protocol::rfc3339(unix_now());
    r.reason = "NSFW command issued";
    r.message = "The operator marked " + name + "'s camera as Explicit with /nsfw.";
    send_report(*c.self->state.ctx, r, {});
  }
}

void cut(const call& c) {
  auto* t = c.camera_on("Usage: `/cut <username>` to make them turn off their camera.");
  if (!t) return;
  protocol::message m;
  m.action = "cut";
  send_to(*t, m);
  c.reply("Told " + esc(t->who.username) + " to turn off their camera.");
}

void set_op(const call& c, bool grant) {
  auto name = c.one_user(grant ? "Usage: `/op <username>` to grant operator rights."
                               : "Usage: `/deop <username>` to remove operator rights.");
  if (!name) return;
  if (!grant && *name == c.op_name()) return c.reply("You can not remove your own operator rights.");
  auto* t = c.online_target(*name);
  if (!t) return;
  t->who.op = grant;
  t->encode(c.self->state.ctx->cfg.vip.mutually_secret);
  c.self->send(t->user, op_atom::value, grant);
  if (grant) lift_operator_blocks(c.self, c.env, *name);
  notice(*t, grant ? "You have been granted operator rights by " + esc(c.op_name()) + ". Type /help for the commands."
                   : "Your operator rights have been removed by " + esc(c.op_name()) + ".");
  who_changed(c.self);
  c.reply(grant ? "Operator rights granted to " + esc(*name) + "." : "Operator rights removed from " + esc(*name) + ".");
}

void kickall(const call& c) {
  if (!c.no_args("Usage: `/kickall` (no arguments).")) return;
  std::string text = "This chat server is about to go down for maintenance. Please reload the page";
  const auto& landing = c.self->state.ctx->cfg.jwt.landing_page_url;
  if (!landing.empty()) text += " or <a href=\"" + esc(landing) + "\">sign in again</a>";
  text += ".";
  kick_everyone(c.self, c.env, text);
  cluster_kickall(c.self, text);  // the other nodes sign out theirs
}

void reconfigure_cmd(const call& c) {
  if (c.no_args("Usage: `/reconfigure` (no arguments).")) c.reply(reconfigure(c.self, c.env));
}

void shutdown_cmd(const call& c) {
  if (!c.no_args("Usage: `/shutdown` (no arguments).")) return;
  reboot_notice(c.self);
  request_shutdown();
}

using handler = std::function<void(const call&)>;

const std::map<std::string, handler, std::less<>>& commands() {
  static const std::map<std::string, handler, std::less<>> table{
      {"/help", [](const call& c) { c.md(help_text); }},
      {"/help-advanced", [](const call& c) { c.md(help_advanced_text); }},
      {"/kick", kick},
      {"/ban", ban},
      {"/unban", unban},
      {"/bans", bans},
      {"/nsfw", nsfw},
      {"/cut", cut},
      {"/op", [](const call& c) { set_op(c, true); }},
      {"/deop", [](const call& c) { set_op(c, false); }},
      {"/kickall", kickall},
      {"/reconfigure", reconfigure_cmd},
      {"/shutdown", shutdown_cmd},
  };
  return table;
}

}  // namespace

void kick_everyone(dir_ptr self, const directory_env& env, const std::string& why) {
  std::vector<std::string> names;
  for (auto& [name, u] : self->state.users) names.push_back(name);
  for (auto& name : names) sign_out(self, env, name, why);
  who_changed(self);
}

bool run_command(dir_ptr self, const directory_env& env, online& op, const std::vector<std::string>& args) {
  auto it = commands().find(args[0]);
  if (it == commands().end()) return false;
  if (cluster_command(self, op, args)) {
    spdlog::info("moderation: {} ran {} {} (sent to the user's node)", op.who.username, args[0], args[1]);
    return true;
  }
  std::string words;
  for (size_t i = 1; i < args.size(); ++i) words += " " + args[i];
  // Who did what to whom, from where, and what came of it (the answer the operator saw), as one
  // plain line. Logged before the command runs: /shutdown does not come back.
  auto who = op.who.username;
  auto from = op.conn ? op.conn->peer() : std::string();
  if (args[0] == "/shutdown" || args[0] == "/reconfigure")
    spdlog::warn("moderation: {} (from {}) ran {}{}", who, from, args[0], protocol::plain_text(words));
  call c{self, env, op, args};
  it->second(c);
  if (args[0] != "/shutdown" && args[0] != "/reconfigure" && args[0].rfind("/help", 0) != 0 && args[0] != "/bans")
    spdlog::info("moderation: {} (from {}) ran {}{}: {}", who, from, args[0], protocol::plain_text(words),
                 protocol::plain_text(c.outcome.empty() ? std::string("done") : c.outcome));
  return true;
}

}  // namespace barertc::actors
