#pragma once
/// The one fan-out every broadcast goes through (public messages, presence, later reactions and
/// takebacks): the frame is encoded once by the caller and the same bytes go to each member the
/// relations do not leave out. Only the decision is per recipient, never the bytes.
#include <algorithm>
#include <string>
#include <vector>

#include "actors/relations.hpp"
#include "protocol/message.hpp"

namespace barertc::actors {

/// Hands `bytes` (about or from `sender`) to every member of `members` (a map from username to
/// something `conn_of` turns into a connection) except those who muted `sender` or share a block
/// with them. The few names to skip are looked up once; the loop then compares addresses, and
/// with none of them among the members it is a bare loop.
template <class Members, class ConnOf>
void fan_out(const protocol::frame& bytes, const std::string& sender, const Members& members,
             const relations& rel, ConnOf&& conn_of) {
  std::vector<const void*> skip;
  for (auto name : rel.skipped_for(sender))
    if (auto it = members.find(std::string(name)); it != members.end()) skip.push_back(&it->second);
  if (skip.empty()) {
    for (auto& [name, m] : members) conn_of(m)->send(bytes);
    return;
  }
  std::sort(skip.begin(), skip.end());
  for (auto& [name, m] : members)
    if (!std::binary_search(skip.begin(), skip.end(), static_cast<const void*>(&m))) conn_of(m)->send(bytes);
}

}  // namespace barertc::actors
