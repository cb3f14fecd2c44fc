#pragma once
/// The seam between the network and the chat: a connection as the chat sees it (bytes out,
/// close), and the chat as the network sees it (frames in, closed). Neither side knows the
/// other's types.
#include <cstdint>
#include <memory>
#include <string>

#include "protocol/message.hpp"

namespace barertc::protocol {

/// WebSocket close codes the chat asks for.
namespace close_code {
inline constexpr uint16_t going_away = 1001;
inline constexpr uint16_t invalid_payload = 1007;  ///< a text frame that is not UTF-8
inline constexpr uint16_t policy_violation = 1008;
inline constexpr uint16_t too_big = 1009;
inline constexpr uint16_t internal_error = 1011;
}  // namespace close_code

/// One client connection. Thread-safe: any actor may call it; calls never block.
class connection {
 public:
  virtual ~connection() = default;
  /// Queues a frame; a client whose queue is full is closed as too slow. A `state` frame (a whole
  /// who list) replaces an older state frame still waiting in the queue: only the newest matters.
  virtual void send(frame bytes, bool state = false) = 0;
  /// Queues the messages of a batch, in order, as if each were sent on its own (which is what a
  /// connection that does not share a batch's wire form does).
  virtual void send_batch(const batch& messages) {
    for (auto& part : messages->parts) send(part);
  }
  /// Closes the connection with a WebSocket close code and reason.
  virtual void close(uint16_t code, std::string reason) = 0;
  /// The client's address for log lines (the proxy's forwarded one with UseXForwardedFor).
  virtual std::string peer() const { return {}; }
};
using connection_ptr = std::shared_ptr<connection>;

/// What the network calls for each connection, from its I/O thread.
class connection_handler {
 public:
  virtual ~connection_handler() = default;
  /// One complete text frame.
  virtual void on_text(std::string text) = 0;
  /// One complete binary frame (the protocol has none); only its size is passed on.
  virtual void on_binary(size_t /*bytes*/) {}
  /// The socket is gone; no further calls follow.
  virtual void on_close() = 0;
  /// Like on_close, for a client that stopped polling (protocol.md B.8): the others are told
  /// "has timed out!" instead of "has exited the room!".
  virtual void on_timed_out() { on_close(); }
};
using handler_ptr = std::shared_ptr<connection_handler>;

}  // namespace barertc::protocol
