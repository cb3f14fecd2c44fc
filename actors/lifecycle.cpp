// Reloading settings.toml (/reconfigure, SIGHUP) and the /shutdown command.
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>

#include "actors/roster.hpp"
#include "protocol/codec.hpp"
#include "protocol/markdown.hpp"

namespace barertc::actors {

std::string reconfigure(dir_ptr self, const directory_env& env) {
  auto esc = [](const std::string& s) { return protocol::escape_html(s); };
  const auto& path = env.cell->path;
  auto loaded = settings::load(path);
  if (auto* errs = std::get_if<settings::errors>(&loaded)) {
    std::string out = "Could not reload the settings; nothing was changed:", plain;
    for (auto& p : errs->problems) {
      out += "<br>" + esc(p);
      plain += "; " + p;
    }
    spdlog::warn("settings reload failed, nothing was changed{}", plain);
    return out;
  }
  auto next = std::get<settings::settings>(std::move(loaded));
  for (auto& w : next.warnings) spdlog::warn("settings: {}", w);
  auto ids = [](const settings::settings& s) {
    std::vector<std::string> v;
    for (auto& c : s.public_channels) v.push_back(c.id + (c.vip ? "/vip" : ""));
    return v;
  };
  if (ids(next) != ids(self->state.ctx->cfg)) {
    spdlog::warn("settings reload refused: the list of public channels in {} has changed; restart the server to "
                 "apply it. Nothing was changed.", path);
    return "The list of public channels in " + esc(path) +
           " has changed: restart the server to apply it. Nothing was changed.";
  }
  // DM history opens its database at start-up: turning it on or off, or moving the file, waits
  // for a restart; RetentionDays and the disclaimer apply now.
  auto& dmh = next.direct_message_history;
  const auto& was = self->state.ctx->cfg.direct_message_history;
  if (dmh.enabled != was.enabled || dmh.sqlite_database != was.sqlite_database)
    spdlog::warn("settings: [DirectMessageHistory] Enabled and SQLiteDatabase apply at the next restart");
  dmh.enabled = was.enabled;
  dmh.sqlite_database = was.sqlite_database;
  if (auto& history = self->state.ctx->history) history->set_retention(dmh.retention_days);
  auto& old = *self->state.ctx;  // [Cluster] itself applies at the next restart
  auto ctx = make_context(next, old.msg_ids, old.webhooks, old.history, old.cluster, old.msg_id_step);
  self->state.ctx = ctx;
  env.cell->current.store(ctx);
  for (auto& [name, u] : self->state.users) {
    u.encode(ctx->cfg.vip.mutually_secret);  // [VIP] MutuallySecret may have changed
    self->send(u.user, reconfig_atom::value, ctx);
  }
  for (auto& ch : env.channels) self->send(ch, reconfig_atom::value, ctx);  // EchoMessagesOnJoin
  who_changed(self);
  spdlog::info("settings reloaded from {}", path);
  return "The settings were reloaded from " + esc(path) +
         ". ([Server] Address, thread counts and connection limits apply at the next restart.)";
}

namespace {
std::atomic<bool> restart_asked{false};
}

void request_shutdown() {
  if (restart_asked.exchange(true)) return;  // asked twice (/shutdown and /api/shutdown): one stop
  std::raise(SIGTERM);  // the network closes every socket with 1001; main exits restart_exit_status
}

void reboot_notice(dir_ptr self) {
  broadcast(self, protocol::encode_frame(protocol::chat_server(
                      "The chat server is going down for a reboot NOW! Please reload in a moment.")));
}

bool restart_requested() { return restart_asked.load(); }

}  // namespace barertc::actors
