#include "net/poll_queue.hpp"

#include "protocol/metrics.hpp"

namespace barertc::net {

bool poll_queue::push(protocol::frame f, bool state) {
  if (state && pending_state_) {
    for (auto& q : frames_)
      if (q == pending_state_) {
        bytes_ = bytes_ - q->size() + f->size();
        q = f;
        pending_state_ = std::move(f);
        protocol::metrics().frames_superseded.fetch_add(1, std::memory_order_relaxed);
        return true;
      }
  }
  if (frames_.size() >= max_frames_ || bytes_ + f->size() > max_bytes_) return false;
  bytes_ += f->size();
  if (state) pending_state_ = f;
  frames_.push_back(std::move(f));
  protocol::raise_max(protocol::metrics().queue_high_water, frames_.size());
  return true;
}

std::vector<protocol::frame> poll_queue::take() {
  std::vector<protocol::frame> out(std::make_move_iterator(frames_.begin()), std::make_move_iterator(frames_.end()));
  frames_.clear();
  bytes_ = 0;
  pending_state_ = nullptr;
  return out;
}

}  // namespace barertc::net
