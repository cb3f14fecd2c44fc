// One actor per connected client: it reads the client's frames and applies the chat rules.
#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <unordered_set>

#include "actors/actors.hpp"
#include "actors/media.hpp"
#include "actors/refusals.hpp"
#include "actors/reports.hpp"
#include "protocol/plain_text.hpp"
#include "protocol/codec.hpp"
#include "protocol/command.hpp"
#include "protocol/jwt.hpp"
#include "protocol/markdown.hpp"
#include "protocol/metrics.hpp"
#include "protocol/names.hpp"

namespace barertc::actors {
namespace {

using clock = std::chrono::steady_clock;

struct user_state {
  std::string username;  ///< Empty until the directory accepted the login.
  bool logging_in = false;
  bool op = false;
  std::optional<protocol::jwt_claims> claims;  ///< Set for users signed in by token.
  std::vector<std::string> blocklist;          ///< A `blocklist` sent before login, for the login.
  context_ptr ctx;                             ///< Settings in force (replaced on reload).
  // Token bucket for chat messages (RateLimit / RateBurst).
  double tokens = 0;
  clock::time_point refilled = clock::now();
  int strikes = 0;
  // The msgIDs of this session's messages (takeback), the newest `owned_msg_ids` of them.
  std::deque<int64_t> owned_order;
  std::unordered_set<int64_t> owned;
  int media_jobs = 0;  ///< This session's frames and images at the media workers.
  static inline const char* name = "user";
};

using self_ptr = caf::stateful_actor<user_state>*;

struct user_env {
  context_ptr ctx;
  protocol::connection_ptr conn;
  caf::actor directory;
  std::shared_ptr<const std::map<std::string, caf::actor>> channels;  ///< shared by all users
  std::shared_ptr<media_pool> media;                                  ///< image workers, shared
};

void notice(const user_env& env, std::string html, std::string channel = {}) {
  env.conn->send(protocol::encode_frame(protocol::chat_server(std::move(html), std::move(channel))));
}

void post_message(self_ptr self, const user_env& env, const protocol::message& msg);

/// Takes a token for a chat message; false when the sender is over the limit.
bool take_token(self_ptr self, const user_env& env) {
  auto& s = self->state;
  auto& cfg = self->state.ctx->cfg.server;
  if (cfg.rate_limit <= 0) return true;
  auto now = clock::now();
  std::chrono::duration<double> dt = now - s.refilled;
  s.refilled = now;
  s.tokens = std::min<double>(cfg.rate_burst, s.tokens + dt.count() * cfg.rate_limit);
  if (s.tokens >= 1) {
    s.tokens -= 1;
    s.strikes = 0;
    return true;
  }
  if (++s.strikes > cfg.rate_burst) {
    env.conn->close(protocol::close_code::policy_violation, "rate limit exceeded");
  } else {
    notice(env, "You are sending messages too quickly. Please slow down.");
  }
  return false;
}


}  // namespace

void apply_claims(protocol::who_entry& who, const protocol::jwt_claims& c, const settings::settings& cfg) {
  who.op = c.op;
  who.vip = c.vip;
  who.nickname = protocol::display_text(c.nick, 64);
  who.avatar = protocol::resolve_claim_url(c.img, cfg.website_url);
  who.profile_url = protocol::resolve_claim_url(c.url, cfg.website_url);
  who.emoji = protocol::display_text(c.emoji.substr(0, c.emoji.find(' ')), 16);
  who.gender = protocol::display_text(c.gender, 16);
}

namespace {

void on_login(self_ptr self, const user_env& env, protocol::message& msg) {
  auto& s = self->state;
  if (!s.username.empty() || s.logging_in) return notice(env, "You are already logged in.");
  const auto& jwt = self->state.ctx->cfg.jwt;
  std::optional<protocol::jwt_claims> claims;
  if (jwt.enabled && (!msg.jwt.empty() || jwt.strict)) {
    auto verified = protocol::verify_jwt(msg.jwt, jwt, unix_now());
    if (auto* no = std::get_if<protocol::jwt_refusal>(&verified)) {
      spdlog::info("sign-in refused from {}: {}", env.conn->peer(), no->reason);
      if (no->reason == "the token has expired")
        return notice(env, "Your authentication has expired. Please go back and launch the chat room again.");
      return notice(env, "Server side authentication is required. Please go back and launch the chat room from "
                         "your logged-in account. (Your sign-in was refused: " +
                             protocol::escape_html(no->reason) + ".)");
    }
    claims = std::get<protocol::jwt_claims>(std::move(verified));
    spdlog::info("token sign-in for '{}' from {} (issuer '{}', operator: {})", claims->subject, env.conn->peer(),
                 claims->issuer, claims->op);
    msg.username = claims->subject;
  }
  auto checked = protocol::check_username(msg.username, self->state.ctx->cfg.server.max_username_length);
  if (checked.index() == 1) {
    spdlog::info("sign-in refused from {}: {}", env.conn->peer(), protocol::plain_text(std::get<1>(checked)));
    return notice(env, std::string(std::get<1>(checked)));
  }
  login_request req;
  req.who.username = std::get<0>(std::move(checked));
  req.who.dnd = msg.dnd;
  req.who.login_at = unix_now();
  if (claims) apply_claims(req.who, *claims, self->state.ctx->cfg);
  req.user = caf::actor_cast<caf::actor>(self);
  req.conn = env.conn;
  req.jwt = claims.has_value();
  req.blocklist = std::move(s.blocklist);
  s.blocklist.clear();
  s.logging_in = true;
  auto wanted = req.who.username;  // for the log line of a refusal
  // await: frames that arrive meanwhile wait until the directory has answered.
  self->request(env.directory, caf::infinite, login_atom::value, std::move(req))
      .await([=](const login_reply& reply) {
        auto& st = self->state;
        st.logging_in = false;
        if (!reply.ok) {
          spdlog::info("sign-in refused for '{}' from {}: {}", wanted, env.conn->peer(), protocol::plain_text(reply.refusal));
          notice(env, reply.refusal);
          env.conn->send(self->state.ctx->disconnect);
          return;
        }
        st.username = reply.name;
        if (reply.ctx) st.ctx = reply.ctx;
        st.claims = claims;
        st.op = claims && claims->op;
      });
}

/// An operator's slash line: the directory runs it, or it was no command and is posted as text.
bool try_command(self_ptr self, const user_env& env, const protocol::message& msg) {
  auto args = protocol::split_command(protocol::trim(msg.message));
  if (!args) {
    notice(env, "That command has an unclosed quote.");
    return true;
  }
  if (args->empty()) return false;
  auto original = msg;
  self->request(env.directory, caf::infinite, command_atom::value, self->state.username, std::move(*args))
      .then([=](bool handled) mutable {
        if (!handled && !self->state.username.empty()) post_message(self, env, original);
      });
  return true;
}

void on_me(self_ptr self, const user_env& env, protocol::message& msg) {
  int video = msg.video;
  if (msg.legacy_video)
    video = (msg.video_active ? protocol::video::active : 0) |
            (msg.video_active && msg.nsfw ? protocol::video::nsfw : 0);
  std::string status = msg.status.empty() ? "online" : std::move(msg.status);
  if (status == "hidden" && !self->state.op) status = "away";
  if (protocol::utf8_length(status) > 32 || protocol::display_text(status, 32) != status ||
      status.find_first_of(protocol::html_special) != std::string::npos)
    status = "online";
  self->send(env.directory, state_atom::value, self->state.username, video, std::move(status), msg.dnd);
}

void on_message(self_ptr self, const user_env& env, protocol::message& msg) {
  auto text = protocol::trim(msg.message);
  if (text.empty()) return notice(env, "Your message is empty.");
  if (msg.channel.empty())
    return notice(env, "Where should that message go? It needs a channel (or @username).");
  if (text[0] == '/' && self->state.op && try_command(self, env, msg)) return;
  post_message(self, env, msg);
}

/// Counts a media job in for this session and the server; false (and the sender told) when
/// either has too many in hand.
bool take_media_job(self_ptr self, const user_env& env) {
  if (self->state.media_jobs >= barertc::defaults::max_image_jobs_per_user) {
    notice(env, refusal::image_yours_busy);
    return false;
  }
  if (!env.media->take(self->state.ctx->cfg.server.max_image_jobs)) {
    notice(env, refusal::image_busy);
    return false;
  }
  ++self->state.media_jobs;
  return true;
}

void media_job_done(self_ptr self, const user_env& env) {
  --self->state.media_jobs;
  env.media->done();
}

/// Remembers a msgID as this session's (takeback); the oldest is forgotten past the limit.
void own(self_ptr self, int64_t id) {
  auto& s = self->state;
  s.owned.insert(id);
  s.owned_order.push_back(id);
  if (s.owned_order.size() > static_cast<size_t>(barertc::defaults::owned_msg_ids)) {
    s.owned.erase(s.owned_order.front());
    s.owned_order.pop_front();
  }
}

/// Where a message goes: a DM's recipient (`dm`) or a public channel, checked. Empty `to` and a
/// notice sent when it can go nowhere.
struct destination {
  bool dm = false;
  std::string to;  ///< the recipient's name, or the channel ID
  const settings::channel* channel = nullptr;
};

std::optional<destination> destination_of(self_ptr self, const user_env& env, const std::string& channel) {
  const auto& cfg = self->state.ctx->cfg;
  if (!channel.empty() && channel[0] == '@') {
    auto to = std::string(protocol::trim(std::string_view(channel).substr(1)));
    if (to.empty()) {
      notice(env, "Who is that message for? Name a user after the @.");
      return std::nullopt;
    }
    if (protocol::check_username(to, cfg.server.max_username_length).index() != 0) {
      notice(env, "Could not deliver your message: there is no user called " + protocol::escape_html(to) + ".");
      return std::nullopt;
    }
    return destination{true, std::move(to), nullptr};
  }
  const settings::channel* found = nullptr;
  for (auto& c : cfg.public_channels)
    if (c.id == channel) found = &c;
  if (!found || !env.channels->count(channel)) {
    notice(env, "Could not send your message: there is no channel called \"" + protocol::escape_html(channel) + "\".");
    return std::nullopt;
  }
  if (found->vip && !self->state.op && !(self->state.claims && self->state.claims->vip)) {
    notice(env, refusal::vip_channel);
    return std::nullopt;
  }
  return destination{false, channel, found};
}

/// A message filter matched (server.md G.6): the ChatServer response, and the report (to the
/// report webhook when it is on, else logged; operators are only told).
void filter_matched(self_ptr self, const user_env& env, const settings::message_filter& f,
                    const protocol::message& out, const std::string& where) {
  if (f.report_message) {
    if (self->state.op)
      notice(env, refusal::filter_would_report, out.channel);
    else
      filter_report(*self->state.ctx, out.username, where, out);
  }
  if (!f.chat_server_response.empty()) notice(env, f.chat_server_response, out.channel);
}

/// Hands a finished message (text or image) on: to its channel, or to the directory for a DM.
/// It gets its msgID here, and this session owns it.
void deliver(self_ptr self, const user_env& env, protocol::message out, const destination& dest, bool image) {
  out.action = "message";
  out.username = self->state.username;
  out.msg_id = next_msg_id(*self->state.ctx);
  own(self, out.msg_id);
  if (dest.dm) {
    self->send(env.directory, dm_atom::value, dest.to, std::move(out), image);
    return;
  }
  out.channel = dest.to;
  if (!image)
    if (auto* f = self->state.ctx->filters->apply(out.message, false)) {
      if (!f->forward_message) {
        env.conn->send(protocol::encode_frame(out));  // only the sender sees it
        return filter_matched(self, env, *f, out, "#" + dest.to);
      }
      filter_matched(self, env, *f, out, "#" + dest.to);
    }
  self->send(env.channels->at(dest.to), publish_atom::value, std::move(out));
}

void post_message(self_ptr self, const user_env& env, const protocol::message& msg) {
  auto text = protocol::trim(msg.message);
  if (protocol::utf8_length(text) > static_cast<size_t>(self->state.ctx->cfg.server.max_text_length))
    return notice(env, "Your message is too long: the limit is " +
                           std::to_string(self->state.ctx->cfg.server.max_text_length) + " characters.");
  auto dest = destination_of(self, env, msg.channel);
  if (!dest) return;
  if (!take_token(self, env)) return;
  protocol::metrics().chat_messages.fetch_add(1, std::memory_order_relaxed);
  protocol::message out;
  out.message = protocol::render_markdown(text);
  if (out.message.empty()) return notice(env, refusal::nothing_left);
  deliver(self, env, std::move(out), *dest, false);
}

/// `file` (protocol.md B.2, "Image sharing"): checked here, processed by a media worker, then
/// delivered as a message with the picture inline.
void on_file(self_ptr self, const user_env& env, protocol::message& msg) {
  auto& s = self->state;
  const auto& cfg = s.ctx->cfg;
  if (s.claims && std::count(s.claims->rules.begin(), s.claims->rules.end(), "noimage"))
    return notice(env, protocol::escape_html(cfg.strings.mod_rule_error_no_image));
  auto type = protocol::image::type_of(msg.message);
  if (!type) return notice(env, refusal::image_type);
  if (msg.bytes.empty()) return notice(env, refusal::image_empty);
  if (static_cast<int64_t>(msg.bytes.size()) > cfg.server.max_image_bytes)
    return notice(env, refusal::image_too_large(cfg.server.max_image_bytes));
  auto dest = destination_of(self, env, msg.channel);
  if (!dest) return;
  if (!dest->dm && !dest->channel->permit_photos) return notice(env, refusal::image_channel);
  if (!take_token(self, env)) return;
  if (!take_media_job(self, env)) return;
  protocol::image::limits lim;
  lim.max_width = cfg.max_image_width;
  lim.preview_width = cfg.preview_image_width;
  lim.max_bytes = static_cast<size_t>(cfg.server.max_image_bytes);
  lim.max_pixels = static_cast<uint64_t>(cfg.server.max_image_pixels);
  self->request(env.media->pick(), caf::infinite, image_atom::value, static_cast<int>(*type), std::move(msg.bytes), lim)
      .then(
          [=](image_result& result) {
            media_job_done(self, env);
            if (self->state.username.empty()) return;  // signed out meanwhile
            if (auto* no = std::get_if<protocol::image::refusal>(&result))
              return notice(env, refusal::image_refused(no->reason));
            protocol::metrics().chat_messages.fetch_add(1, std::memory_order_relaxed);
            protocol::message out;
            out.message = protocol::image::html(std::get<protocol::image::processed>(result));
            deliver(self, env, std::move(out), *dest, true);
          },
          [=](const caf::error&) {
            media_job_done(self, env);
            notice(env, refusal::image_refused("The server could not process it."));
          });
}

/// `takeback`: the sender's own message (this session's msgIDs, or a DM the DM history has them
/// sending), or any for an operator.
void on_takeback(self_ptr self, const user_env& env, const protocol::message& msg) {
  if (self->state.op || self->state.owned.count(msg.msg_id))
    return self->send(env.directory, takeback_atom::value, self->state.username, msg.msg_id);
  const auto& history = self->state.ctx->history;
  if (!history) return notice(env, refusal::not_your_message);
  // Asked off this thread; the answer comes back as `owned`.
  auto me = caf::actor_cast<caf::actor>(self);
  history->sender_of(msg.msg_id, [me, id = msg.msg_id](storage::result<std::optional<std::string>> r) {
    auto* sender = std::get_if<0>(&r);
    caf::anon_send(me, owned_atom::value, id, sender && *sender ? **sender : std::string());
  });
}

/// `react`: one emoji on a message, passed to everyone (the server keeps nothing).
void on_react(self_ptr self, const user_env& env, const protocol::message& msg) {
  if (msg.msg_id == 0) return notice(env, refusal::reaction_no_id);
  const auto& emoji = msg.message;
  if (emoji.empty() || protocol::utf8_length(emoji) > static_cast<size_t>(barertc::defaults::max_reaction_length) ||
      protocol::display_text(emoji, barertc::defaults::max_reaction_length) != emoji ||
      emoji.find_first_of(protocol::html_special) != std::string::npos)
    return notice(env, refusal::reaction_invalid);
  if (!take_token(self, env)) return;
  self->send(env.directory, react_atom::value, self->state.username, msg.msg_id, emoji);
}

/// The names of a `blocklist` or `video-invite`, checked: none over MaxBlocklist, and names that
/// could not be usernames (empty, too long, bad characters) left out silently.
std::optional<std::vector<std::string>> listed_names(self_ptr self, const user_env& env, const protocol::message& msg) {
  const auto& cfg = self->state.ctx->cfg.server;
  if (msg.usernames.size() > static_cast<size_t>(cfg.max_blocklist)) {
    notice(env, refusal::list_too_long(msg.action, cfg.max_blocklist));
    return std::nullopt;
  }
  std::vector<std::string> names;
  for (auto& n : msg.usernames) {
    auto name = protocol::strip_at(std::string(protocol::trim(n)));
    if (protocol::check_username(name, cfg.max_username_length).index() == 0) names.push_back(std::move(name));
  }
  return names;
}

/// mute, unmute, block, blocklist, boot, unboot, video-invite: checked and applied by the
/// directory, which knows who is online and who is an operator.
void on_relation(self_ptr self, const user_env& env, protocol::message& msg) {
  const auto& action = msg.action;
  std::vector<relation_change> changes;
  if (action == "blocklist" || action == "video-invite") {
    auto names = listed_names(self, env, msg);
    if (!names) return;
    auto kind = action == "blocklist" ? relation::block : relation::invite;
    for (auto& n : *names) changes.push_back({kind, {}, std::move(n), true});
    if (self->state.username.empty()) {
      if (action == "video-invite") return notice(env, "You must log in first.");
      // Before login (protocol.md B.4): kept for the login request.
      auto& pending = self->state.blocklist;
      for (auto& c : changes)
        if (pending.size() < static_cast<size_t>(self->state.ctx->cfg.server.max_blocklist)) pending.push_back(c.to);
      return;
    }
  } else {
    if (self->state.username.empty()) return notice(env, "You must log in first.");
    auto target = protocol::strip_at(std::string(protocol::trim(msg.username)));
    if (target.empty())
      return notice(env, "The " + protocol::escape_html(action) + " message needs a username: whom is it for?");
    static const std::map<std::string, std::pair<relation, bool>> kinds{
        {"mute", {relation::mute, true}},  {"unmute", {relation::mute, false}}, {"block", {relation::block, true}},
        {"boot", {relation::boot, true}},  {"unboot", {relation::boot, false}},
    };
    auto [kind, on] = kinds.at(action);
    changes.push_back({kind, {}, std::move(target), on});
  }
  self->send(env.directory, relate_atom::value, self->state.username, action, std::move(changes));
}

/// The Report button (protocol.md B.2): to the report webhook; a DM report goes through the
/// directory to the conversation's thread, which adds the recent lines. The user is told the outcome.
void on_report(self_ptr self, const user_env& env, protocol::message& msg) {
  if (!take_token(self, env)) return;
  auto& ctx = *self->state.ctx;
  auto limit = static_cast<size_t>(ctx.cfg.server.max_text_length);
  for (auto* field : {&msg.username, &msg.channel, &msg.timestamp, &msg.reason, &msg.message, &msg.comment})
    if (protocol::utf8_length(*field) > limit)
      return notice(env, "Your report is too long: each field may have " + std::to_string(limit) + " characters.");
  protocol::report r;
  r.from_username = self->state.username;
  r.about_username = std::move(msg.username);
  r.channel = std::move(msg.channel);
  r.timestamp = msg.timestamp.empty() ? protocol::rfc3339(unix_now()) : std::move(msg.timestamp);
  r.reason = std::move(msg.reason);
  r.message = std::move(msg.message);
  r.comment = std::move(msg.comment);
  spdlog::info("report from '{}' about '{}' in {}: {}", r.from_username, r.about_username, r.channel, r.reason);
  if (r.channel.rfind('@', 0) == 0) return self->send(env.directory, report_atom::value, self->state.username, std::move(r));
  send_report(ctx, r, tell_by_notice(env.conn));
}

void on_decoded(self_ptr self, const user_env& env, decode_result& decoded) {
  if (auto* err = std::get_if<protocol::decode_error>(&decoded))
    return notice(env, protocol::escape_html(err->text));
  auto& msg = std::get<protocol::message>(decoded);
  const auto& action = msg.action;
  if (action == "login") return on_login(self, env, msg);
  if (action == "ping" || action == "typing") return;
  if (action == "mute" || action == "unmute" || action == "block" || action == "blocklist" || action == "boot" ||
      action == "unboot" || action == "video-invite")
    return on_relation(self, env, msg);
  bool known = action == "me" || action == "message" || action == "open" || action == "candidate" ||
               action == "sdp" || action == "watch" || action == "unwatch" || action == "file" ||
               action == "takeback" || action == "react" || action == "report";
  if (!known)
    return notice(env, "Unsupported message type: " + protocol::escape_html(action));
  if (self->state.username.empty()) return notice(env, "You must log in first.");
  if (action == "me") return on_me(self, env, msg);
  if (action == "message") return on_message(self, env, msg);
  if (action == "file") return on_file(self, env, msg);
  if (action == "takeback") return on_takeback(self, env, msg);
  if (action == "react") return on_react(self, env, msg);
  if (action == "report") return on_report(self, env, msg);
  auto target = std::string(protocol::trim(msg.username));
  if (target.empty())
    return notice(env, "The " + protocol::escape_html(action) + " message needs a username: whom is it for?");
  if (action == "open") return self->send(env.directory, open_atom::value, self->state.username, std::move(target));
  // candidate / sdp / watch / unwatch: relayed to the named peer with our name in `username`;
  // the candidate and description strings pass through untouched.
  protocol::message relay;
  relay.action = action;
  relay.username = self->state.username;
  relay.candidate = std::move(msg.candidate);
  relay.description = std::move(msg.description);
  self->send(env.directory, relay_atom::value, std::move(target), std::move(relay));
}

/// A frame from the client. Photo-sized frames are parsed by a media worker, so a CAF worker
/// is not held for the whole parse of a 40 MiB JSON array.
void on_text(self_ptr self, const user_env& env, std::string& text) {
  if (static_cast<int64_t>(text.size()) <= barertc::defaults::inline_decode_bytes) {
    decode_result decoded = protocol::decode(text);
    return on_decoded(self, env, decoded);
  }
  if (self->state.username.empty()) return notice(env, "You must log in first.");
  if (!take_media_job(self, env)) return;
  self->request(env.media->pick(), caf::infinite, decode_atom::value, std::move(text))
      .then(
          [=](decode_result& decoded) {
            media_job_done(self, env);
            on_decoded(self, env, decoded);
          },
          [=](const caf::error&) {
            media_job_done(self, env);
            notice(env, "The server could not handle that message.");
          });
}

/// The keep-alive. JWT users get a fresh token (same claims, 5 minutes) so reconnects still sign
/// in, and the rules of their claims.
void send_ping(self_ptr self, const user_env& env) {
  if (auto& c = self->state.claims) {
    protocol::message ping;
    ping.action = "ping";
    ping.jwt = protocol::resign_jwt(*c, self->state.ctx->cfg.jwt.secret_key, unix_now(), 300);
    ping.jwt_rules = protocol::jwt_rules(c->rules);
    env.conn->send(protocol::encode_frame(ping));
  } else {
    env.conn->send(self->state.ctx->ping);
  }
}

caf::behavior user_behavior(self_ptr self, user_env env) {
  self->state.ctx = env.ctx;
  // What no handler caught: the user is logged out and the connection closed with 1011, so
  // neither side is left talking to a dead actor.
  self->set_exception_handler([=](caf::scheduled_actor*, std::exception_ptr& e) {
    if (!self->state.username.empty()) self->send(env.directory, logout_atom::value, self->state.username);
    env.conn->close(protocol::close_code::internal_error, "internal error");
    return log_actor_exception("user", e);
  });
  self->state.tokens = self->state.ctx->cfg.server.rate_burst;
  self->delayed_send(self, std::chrono::seconds(self->state.ctx->cfg.server.login_timeout), deadline_atom::value);
  self->delayed_send(self, std::chrono::seconds(self->state.ctx->cfg.server.ping_interval), ping_atom::value);
  return {
      [=](text_atom, std::string& text) {
        try {
          on_text(self, env, text);
        } catch (const std::exception& e) {
          spdlog::error("user '{}': a message raised an exception: {}", self->state.username, e.what());
          notice(env, "The server could not handle that message.");
        }
      },
      [=](binary_atom, uint64_t bytes) {
        notice(env, "Binary frames are not supported: send each message as a JSON text frame (got " +
                        std::to_string(bytes) + " bytes).");
      },
      [=](ping_atom) {
        send_ping(self, env);
        self->delayed_send(self, std::chrono::seconds(self->state.ctx->cfg.server.ping_interval), ping_atom::value);
      },
      [=](deadline_atom) {
        if (!self->state.username.empty() || self->state.logging_in) return;
        notice(env, "You did not log in in time.");
        env.conn->close(protocol::close_code::policy_violation, "login timeout");
      },
      [=](signout_atom) {
        // Kicked, banned or signed in elsewhere: the socket stays open for the client to close.
        self->state.username.clear();
        self->state.claims.reset();
        self->state.op = false;
      },
      [=](op_atom, bool op) { self->state.op = op; },
      // The DM history's answer to a takeback of a message from an earlier session.
      [=](owned_atom, int64_t msg_id, const std::string& sender) {
        if (self->state.username.empty()) return;
        if (sender != self->state.username) return notice(env, refusal::not_your_message);
        self->send(env.directory, takeback_atom::value, self->state.username, msg_id);
      },
      // /api/amend-jwt: the new claims, and at once a ping with the token and rules they give.
      [=](amend_atom, const protocol::jwt_claims& claims) {
        if (!self->state.claims || self->state.username.empty()) return;
        self->state.claims = claims;
        self->state.username = claims.subject;  // the directory may have renamed us
        send_ping(self, env);
      },
      [=](reconfig_atom, const context_ptr& ctx) { self->state.ctx = ctx; },
      [=](closed_atom) {
        if (!self->state.username.empty()) self->send(env.directory, logout_atom::value, self->state.username);
        self->quit();
      },
      // A polling client that stopped polling (protocol.md B.8): its presence says so.
      [=](closed_atom, bool timed_out) {
        if (!self->state.username.empty())
          self->send(env.directory, logout_atom::value, self->state.username, timed_out);
        self->quit();
      },
  };
}

}  // namespace

caf::actor spawn_user(caf::actor_system& sys, context_ptr ctx, protocol::connection_ptr conn,
                      caf::actor directory, std::shared_ptr<const std::map<std::string, caf::actor>> channels,
                      std::shared_ptr<media_pool> media) {
  return sys.spawn(user_behavior, user_env{std::move(ctx), std::move(conn), std::move(directory),
                                           std::move(channels), std::move(media)});
}

}  // namespace barertc::actors
