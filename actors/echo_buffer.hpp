#pragma once
/// A channel's recent messages, replayed to users who join (`EchoMessagesOnJoin`, protocol.md
/// B.2 `echo`). Each entry is kept already encoded, timestamp included, so a join costs a few
/// relation look-ups and one concatenation. Plain C++, no CAF: the channel actor owns one.
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "actors/relations.hpp"
#include "protocol/message.hpp"

namespace barertc::actors {

class echo_buffer {
 public:
  explicit echo_buffer(size_t capacity = 0) : capacity_(capacity) {}

  /// Appends a message (`json`: the encoded message object with its timestamp); the oldest
  /// goes when the buffer is full. Nothing is kept when the capacity is 0.
  void push(int64_t msg_id, std::string sender, protocol::frame json);
  /// Takes a message out (takeback); false when it was not here.
  bool erase(int64_t msg_id);
  size_t capacity() const { return capacity_; }
  /// A new size (after a reload); the oldest entries go first.
  void resize(size_t capacity);

  /// The entries `viewer` may see, oldest first: senders the viewer muted, and both sides of a
  /// block, are left out.
  std::vector<protocol::frame> visible_to(const std::string& viewer, const relations& rel) const;

  size_t size() const { return entries_.size(); }

 private:
  struct entry {
    int64_t msg_id;
    std::string sender;
    protocol::frame json;
  };
  size_t capacity_;
  std::deque<entry> entries_;
};

}  // namespace barertc::actors
