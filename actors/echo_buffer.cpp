#include "actors/echo_buffer.hpp"

#include <algorithm>

namespace barertc::actors {

void echo_buffer::push(int64_t msg_id, std::string sender, protocol::frame json) {
  if (capacity_ == 0) return;
  entries_.push_back({msg_id, std::move(sender), std::move(json)});
  while (entries_.size() > capacity_) entries_.pop_front();
}

bool echo_buffer::erase(int64_t msg_id) {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const entry& e) { return e.msg_id == msg_id; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

void echo_buffer::resize(size_t capacity) {
  capacity_ = capacity;
  while (entries_.size() > capacity_) entries_.pop_front();
}

std::vector<protocol::frame> echo_buffer::visible_to(const std::string& viewer, const relations& rel) const {
  std::vector<protocol::frame> out;
  out.reserve(entries_.size());
  for (auto& e : entries_)
    if (e.sender == viewer || (!rel.has(relation::mute, viewer, e.sender) && !rel.blocked(viewer, e.sender)))
      out.push_back(e.json);
  return out;
}

}  // namespace barertc::actors
