#pragma once
/// The outbound queue of one polling session (protocol.md B.8): what the chat sent since the
/// client last polled. No sockets, no locks (the session guards it).
#include <cstddef>
#include <deque>
#include <vector>

#include "protocol/message.hpp"

namespace barertc::net {

/// Bounded by frames and by bytes; a newer who list (a `state` frame) replaces the one still
/// waiting, as on a WebSocket, so a quiet client's queue holds one list, not one per change.
class poll_queue {
 public:
  poll_queue(size_t max_frames, size_t max_bytes) : max_frames_(max_frames), max_bytes_(max_bytes) {}
  /// Appends a frame; false (and nothing queued) when it does not fit: the session is full.
  bool push(protocol::frame f, bool state);
  /// Everything queued, oldest first; the queue is then empty.
  std::vector<protocol::frame> take();
  size_t size() const { return frames_.size(); }
  size_t bytes() const { return bytes_; }
  bool empty() const { return frames_.empty(); }

 private:
  size_t max_frames_;
  size_t max_bytes_;
  std::deque<protocol::frame> frames_;
  size_t bytes_ = 0;
  protocol::frame pending_state_;  ///< The queued who list a newer one replaces.
};

}  // namespace barertc::net
