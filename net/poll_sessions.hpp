#pragma once
/// POST /poll, the polling transport (protocol.md B.8), for clients behind proxies that break
/// WebSockets. Each polling session is a protocol::connection to the chat, exactly like a
/// WebSocket, so every chat rule applies unchanged; its frames wait in a bounded queue until the
/// client's next poll takes them. Sessions not polled for PollTimeout seconds are removed.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "protocol/transport.hpp"

namespace boost::asio {
class io_context;
}

namespace barertc::net {

/// The polling settings (from [Server] and settings/defaults.hpp).
struct poll_options {
  int timeout_seconds;  ///< PollTimeout: a session not polled this long is removed ("has timed out!").
  int queue_limit;      ///< PollQueueLimit: frames waiting for the next poll; more removes the session.
  int64_t queue_bytes;  ///< SendQueueBytes: the same bound in bytes.
  int hold_ms;          ///< A poll with nothing to take waits this long for something.
  int settle_ms;        ///< After the first frame, this long for the frames that follow it.
};

/// What the polling sessions need from the server.
struct poll_hooks {
  /// A new session; returns who receives its messages (the chat's handler, as for /ws).
  std::function<protocol::handler_ptr(protocol::connection_ptr, const std::string& client_ip)> connect;
  /// MaxConnectionsPerIP: counts one more session from the address, or false when it is over.
  std::function<bool(const std::string& client_ip)> admit;
  /// The session from that address is gone.
  std::function<void(const std::string& client_ip)> release;
};

/// Every polling session of the server, and the timer that expires them.
class poll_sessions {
 public:
  /// Timers run on `ioc` (which must outlive the sessions' use of it).
  poll_sessions(boost::asio::io_context& ioc, poll_options opts, poll_hooks hooks);
  ~poll_sessions();
  poll_sessions(const poll_sessions&) = delete;
  poll_sessions& operator=(const poll_sessions&) = delete;

  /// Starts the expiry timer.
  void start();
  /// One POST /poll (or another method, refused): `done(status, json)` is called once, from any
  /// thread, maybe after a short wait for frames.
  void handle(bool post, std::string_view content_type, std::string body, const std::string& client_ip,
              std::function<void(int status, std::string json)> done);
  /// Shutdown, on the io_context's thread: the chat forgets every session, the timer stops.
  void close_all();

  struct impl;  ///< Defined in poll_sessions.cpp.

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace barertc::net
