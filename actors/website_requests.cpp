// The website's requests that change the room (server.md D.3), as handlers of the directory:
// /api/amend-jwt, /api/blocklist, /api/disconnect/now and /api/shutdown.
#include <spdlog/spdlog.h>

#include "actors/roster.hpp"
#include "protocol/names.hpp"
#include "protocol/texts.hpp"

namespace barertc::actors {

std::string amend(dir_ptr self, const directory_env& env, const std::string& username,
                  const protocol::jwt_claims& claims) {
  auto& st = self->state;
  auto it = st.users.find(username);
  if (it == st.users.end()) return "offline";
  if (!it->second.jwt) return {};  // a guest: nothing to amend (as the reference does)
  const auto& name = claims.subject;
  if (name != username) {
    // Discouraged, but allowed (server.md D.3): the page hears of it from the `me` below.
    if (auto why = protocol::check_username(name, static_cast<size_t>(st.ctx->cfg.server.max_username_length));
        why.index() == 1 || std::get<0>(why) != name)
      return "badname";
    rename_user(self, env, username, name);
    spdlog::info("api: amend-jwt renamed '{}' to '{}'", username, name);
  }
  auto& u = st.users.at(name);
  bool was_op = u.who.op;
  apply_claims(u.who, claims, st.ctx->cfg);
  u.encode(st.ctx->cfg.vip.mutually_secret);
  join_channels(self, env, u);  // a VIP channel may open or close with the new claims
  self->send(u.user, amend_atom::value, claims);
  if (u.who.op != was_op || name != username) self->send(u.user, op_atom::value, u.who.op);
  send_me(u);
  who_changed(self);
  spdlog::info("api: amend-jwt for '{}' (operator: {})", name, u.who.op);
  return {};
}

namespace {

/// Signs out the listed users who are online; returns how many there were.
int64_t disconnect(dir_ptr self, const directory_env& env, const std::vector<std::string>& usernames,
                   const std::string& message, bool kick) {
  int64_t removed = 0;
  for (auto& name : usernames) {
    auto it = self->state.users.find(name);
    auto* far = it == self->state.users.end() ? remote_of(self, name) : nullptr;
    if (it == self->state.users.end() && !far) continue;
    bool hidden = far ? far->hidden() : it->second.hidden();
    if (far) cluster_sign_out(self, *far, message);  // on another node of the cluster
    else sign_out(self, env, name, message);
    if (!hidden) presence(self, name, kick ? protocol::texts::presence_kicked : protocol::texts::presence_exited);
    ++removed;
  }
  if (removed) who_changed(self);
  spdlog::info("api: disconnect/now signed out {} of {} user(s)", removed, usernames.size());
  return removed;
}

}  // namespace

caf::message_handler website_handlers(dir_ptr self, const directory_env& env) {
  return {
      [=](amend_atom, const std::string& username, const protocol::jwt_claims& claims,
          const std::string& token) -> std::string {
        // A user of another node: the token goes there, which checks it again and applies it.
        if (auto* far = self->state.users.count(username) ? nullptr : remote_of(self, username)) {
          cluster_amend(self, *far, token);
          return {};
        }
        return amend(self, env, username, claims);
      },
      [=](blocklist_atom, const std::string& username, std::vector<std::string>& names) {
        auto limit = static_cast<size_t>(self->state.ctx->cfg.server.max_blocklist);
        if (names.size() > limit) names.resize(limit);
        cluster_blocklist(self, username, names);  // the user may sign in on any node
        auto& stored = self->state.stored_blocklists;
        if (names.empty()) stored.erase(username);
        else stored[username] = std::move(names);
      },
      [=](discon_atom, const std::vector<std::string>& usernames, const std::string& message, bool kick) -> int64_t {
        return disconnect(self, env, usernames, message, kick);
      },
      [=](shutdown_atom) {
        // From /api/shutdown: the notice now, the exit about 2 s later.
        spdlog::warn("api: shutdown requested by the website; exiting in {} ms for a restart",
                     barertc::defaults::shutdown_grace_ms);
        reboot_notice(self);
        self->delayed_send(self, std::chrono::milliseconds(barertc::defaults::shutdown_grace_ms), shutdown_atom::value,
                           true);
      },
      [=](shutdown_atom, bool) { request_shutdown(); },
      // The DM history APIs answer only users in the room.
      [=](online_atom, const std::string& username) -> int32_t {
        return self->state.users.count(username) ? 1 : 0;
      },
  };
}

}  // namespace barertc::actors
