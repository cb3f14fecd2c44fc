#pragma once
/// The one fan-out every broadcast goes through (public messages, presence, later reactions and
/// takebacks): the frame is encoded once by the caller and the same bytes go to each member the
/// relations do not leave out. Only the decision is per recipient, never the bytes.
#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>
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

/// Lines gathered for one batch: each with the user it is from or about.
using batch_lines = std::vector<std::pair<std::string, protocol::frame>>;

/// The same rules for a batch of lines (a join storm's presence lines): each member gets, in one
/// hand-over, the lines the relations let through. Members no line is hidden from share one
/// batch; only those who muted or share a block with a line's user get a batch of their own.
template <class Members, class ConnOf>
void fan_out(const batch_lines& lines, const Members& members, const relations& rel, ConnOf&& conn_of) {
  std::unordered_map<const void*, std::vector<size_t>> hidden;  // member -> lines it must not get
  std::vector<protocol::frame> all;
  all.reserve(lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    all.push_back(lines[i].second);
    for (auto name : rel.skipped_for(lines[i].first))
      if (auto it = members.find(std::string(name)); it != members.end()) hidden[&it->second].push_back(i);
  }
  auto shared = protocol::shared_batch(std::move(all));
  for (auto& [name, m] : members) {
    auto h = hidden.find(&m);
    if (h == hidden.end()) {
      conn_of(m)->send_batch(shared);
      continue;
    }
    std::vector<protocol::frame> own;
    for (size_t i = 0, k = 0; i < lines.size(); ++i) {
      if (k < h->second.size() && h->second[k] == i) {
        ++k;
        continue;
      }
      own.push_back(lines[i].second);
    }
    if (!own.empty()) conn_of(m)->send_batch(protocol::shared_batch(std::move(own)));
  }
}

}  // namespace barertc::actors
