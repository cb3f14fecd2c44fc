#pragma once
/// The chat as main() sees it: start the actors, attach connections, query, stop.
/// This header keeps CAF out of the translation units that include it.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/cluster_wire.hpp"
#include "protocol/metrics.hpp"
#include "protocol/transport.hpp"
#include "protocol/webhook.hpp"
#include "settings/settings.hpp"

namespace barertc::actors {

/// Owns the CAF actor system, the directory and one actor per public channel.
class chat {
 public:
  /// `settings_path` is re-read by /reconfigure and reload().
  /// `webhooks` posts to the website's webhooks off the chat's threads (may be empty).
  /// `cluster` links this process to the other nodes ([Cluster] Enabled); empty: it is the room.
  chat(const settings::settings& cfg, const std::string& settings_path, protocol::webhook_poster webhooks = {},
       std::shared_ptr<protocol::cluster_link> cluster = {});
  ~chat();
  chat(const chat&) = delete;
  chat& operator=(const chat&) = delete;

  /// Spawns the user actor for a new connection; the returned handler feeds it.
  protocol::handler_ptr connect(protocol::connection_ptr conn);

  /// Answers the /api/statistics body asynchronously (from an actor thread).
  void statistics(std::function<void(std::string json)> done);

  /// One of the website's JSON APIs (server.md D.3); `done(status, json)` from any thread.
  void api(const std::string& path, bool post, std::string_view content_type, const std::string& body,
           std::function<void(int status, std::string json)> done);

  /// Answers the logged-in user count and the mailbox backlogs asynchronously (for /metrics).
  void gauges(std::function<void(protocol::chat_gauges)> done);

  /// Whether the directory answers within `bound`: `done(ok)` from an actor thread (/healthz).
  void alive(std::chrono::milliseconds bound, std::function<void(bool ok)> done);

  /// Empty while this process is the room or its cluster link is up; else why it is degraded
  /// (/healthz still answers 200: the node serves its own users).
  std::string cluster_trouble() const;

  /// The settings in force (they change when reloaded).
  settings::settings current_settings() const;

  /// Re-reads the settings file (SIGHUP); `done` gets a report.
  void reload(std::function<void(std::string report)> done);

  /// Whether /shutdown or /api/shutdown stopped the server (main then exits non-zero, so a
  /// supervisor restarts it).
  static bool restart_requested();

  /// Stops the directory and the channels; user actors end as their sockets close.
  void shutdown();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace barertc::actors
