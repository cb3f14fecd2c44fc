#pragma once
/// The one fan-out every broadcast goes through (public messages, presence, later reactions and
/// takebacks): the frame is encoded once by the caller and the same bytes go to each member the
/// relations do not leave out. Only the decision is per recipient, never the bytes.
#include <algorithm>
#include <string>

#include "actors/relations.hpp"
#include "protocol/message.hpp"

namespace barertc::actors {

/// Hands `bytes` (about or from `sender`) to every member of `members` (a map from username to
/// something `conn_of` turns into a connection) except those who muted `sender` or share a block
/// with them. With no relations about `sender` it is a bare loop.
template <class Members, class ConnOf>
void fan_out(const protocol::frame& bytes, const std::string& sender, const Members& members,
             const relations& rel, ConnOf&& conn_of) {
  auto skip = rel.skipped_for(sender);
  if (skip.empty()) {
    for (auto& [name, m] : members) conn_of(m)->send(bytes);
    return;
  }
  for (auto& [name, m] : members)
    if (!std::binary_search(skip.begin(), skip.end(), std::string_view(name))) conn_of(m)->send(bytes);
}

}  // namespace barertc::actors
