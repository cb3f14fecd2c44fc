#pragma once
/// The HTTP and WebSocket front door. Knows sockets and routes, not chat rules.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/page.hpp"
#include "protocol/transport.hpp"
#include "settings/defaults.hpp"

namespace barertc::net {

/// Network settings, taken from settings.toml by main().
struct options {
  std::string address = ":9000";
  int io_threads = barertc::defaults::io_threads;
  int64_t max_message_bytes = barertc::defaults::max_message_bytes;
  int send_queue_limit = barertc::defaults::send_queue_limit;
  int64_t send_queue_bytes = barertc::defaults::send_queue_bytes;
  int send_timeout_seconds = barertc::defaults::send_timeout_seconds;
  bool use_x_forwarded_for = false;
  int max_connections_per_ip = 0;          ///< Open WebSockets per client address; 0 = unlimited.
  int idle_timeout_seconds = barertc::defaults::idle_timeout;          ///< Silence before a ping; as long again closes.
  int64_t max_header_bytes = barertc::defaults::max_header_bytes;    ///< HTTP request headers; larger gets 431.
  int64_t max_body_bytes = barertc::defaults::max_body_bytes;    ///< HTTP request body; larger gets 413.
  bool compression = barertc::defaults::compression;  ///< Accept permessage-deflate offers (net/deflate.hpp).
  int poll_timeout_seconds = barertc::defaults::poll_timeout;  ///< POST /poll sessions silent this long are removed.
  int poll_queue_limit = barertc::defaults::poll_queue_limit;  ///< Frames waiting for a poll; more removes the session.
  std::vector<std::string> cors_hosts;
  std::string web_root = "web/dist";  ///< The built page; a notice is served when missing.
  std::string title = "BareRTC";
  std::string website_url;
  /// Shutdown: how long clients get to answer their close frames (ShutdownTimeout's share).
  int drain_timeout_ms = static_cast<int>(barertc::defaults::shutdown_timeout_seconds *
                                          barertc::defaults::drain_share * 1000);
};

/// The settings the HTTP routes read per request, so a reload applies at once.
struct live_options {
  std::string title;
  std::vector<std::string> cors_hosts;
  std::string website_url;
};

/// What the network asks of the rest of the program.
struct hooks {
  /// A WebSocket opened at /ws, or a polling session started at /poll; returns who receives its frames.
  std::function<protocol::handler_ptr(protocol::connection_ptr, const std::string& client_ip)> connect;
  /// Body of GET /api/statistics, delivered through the callback from any thread.
  std::function<void(std::function<void(std::string)>)> statistics;
  /// GET/POST /: the page for a visitor with this token (may be empty), given the built index.html.
  std::function<protocol::page_response(std::string_view token, const std::string& index_html)> page;
  /// Body of GET /metrics (Prometheus text), delivered through the callback from any thread.
  std::function<void(std::function<void(std::string)>)> metrics;
  /// The website's JSON APIs (POST /api/..., except statistics): path, whether it was a POST, the
  /// Content-Type and the body; `done(status, json)` may be called from any thread.
  std::function<void(const std::string& path, bool post, std::string_view content_type, std::string body,
                     std::function<void(int, std::string)> done)>
      api;
  /// SIGHUP: reload the settings.
  std::function<void()> reload;
  /// GET /healthz: whether the chat answers; `done(ok)` from any thread, within a bound.
  std::function<void(std::function<void(bool)>)> health;
  /// GET /healthz when the chat answers: empty, or why this node is degraded (still 200: it serves
  /// its own users; a cluster node whose Redis is unreachable).
  std::function<std::string()> degraded;
  /// The reloadable settings in force now (title, CORS hosts); options' values when unset.
  std::function<live_options()> live;
};

/// Listens, serves, and shuts down gracefully.
class server {
 public:
  server(options opts, hooks h);
  ~server();
  /// Binds the listening socket; throws std::runtime_error with a readable message on failure.
  void start();
  /// The bound port (useful when the address asked for port 0).
  unsigned short port() const;
  /// Blocks until SIGINT/SIGTERM (or stop()), then closes every WebSocket with 1001.
  void run();
  /// Asks run() to return; safe from any thread.
  void stop();

  struct impl;  ///< Defined in server.cpp.

 private:
  std::shared_ptr<impl> impl_;
};

/// Splits ":9000", "127.0.0.1:9000" or "[::1]:9000" into host and port; empty host = all.
bool parse_address(const std::string& address, std::string& host, unsigned short& port);

}  // namespace barertc::net
