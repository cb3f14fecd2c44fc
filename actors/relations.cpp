// The relations between users (protocol.md B.5-B.7): kept in both directions.
#include "actors/relations.hpp"

#include <algorithm>

namespace barertc::actors {
namespace {
const std::set<std::string> none;

int at(relation k) { return static_cast<int>(k); }
}  // namespace

bool relations::apply(const relation_change& c) {
  if (c.from == c.to || c.from.empty() || c.to.empty()) return false;
  auto& out = out_[at(c.kind)];
  auto& in = in_[at(c.kind)];
  if (c.on) {
    if (!out[c.from].insert(c.to).second) return false;
    in[c.to].insert(c.from);
    ++edges_;
    return true;
  }
  auto o = out.find(c.from);
  if (o == out.end() || !o->second.erase(c.to)) return false;
  if (o->second.empty()) out.erase(o);
  auto i = in.find(c.to);
  i->second.erase(c.from);
  if (i->second.empty()) in.erase(i);
  --edges_;
  return true;
}

void relations::forget(const std::string& from) {
  for (int k = 0; k < relation_kinds; ++k) {
    auto o = out_[k].find(from);
    if (o == out_[k].end()) continue;
    for (auto& to : std::set<std::string>(o->second)) apply({static_cast<relation>(k), from, to, false});
  }
}

std::vector<relation_change> relations::unblock_all(const std::string& name) {
  std::vector<relation_change> gone;
  for (auto& to : targets(relation::block, name)) gone.push_back({relation::block, name, to, false});
  for (auto& from : setters(relation::block, name)) gone.push_back({relation::block, from, name, false});
  for (auto& c : gone) apply(c);
  return gone;
}

bool relations::has(relation kind, const std::string& from, const std::string& to) const {
  auto& t = targets(kind, from);
  return t.count(to) != 0;
}

bool relations::blocked(const std::string& a, const std::string& b) const {
  return has(relation::block, a, b) || has(relation::block, b, a);
}

const std::set<std::string>& relations::setters(relation kind, const std::string& to) const {
  auto i = in_[at(kind)].find(to);
  return i == in_[at(kind)].end() ? none : i->second;
}

const std::set<std::string>& relations::targets(relation kind, const std::string& from) const {
  auto o = out_[at(kind)].find(from);
  return o == out_[at(kind)].end() ? none : o->second;
}

std::vector<std::string_view> relations::skipped_for(const std::string& sender) const {
  std::vector<std::string_view> skip;
  if (empty()) return skip;
  for (auto* s : {&setters(relation::mute, sender), &setters(relation::block, sender),
                  &targets(relation::block, sender)})
    skip.insert(skip.end(), s->begin(), s->end());
  std::sort(skip.begin(), skip.end());
  skip.erase(std::unique(skip.begin(), skip.end()), skip.end());
  return skip;
}

bool relations::shapes_view_of(const std::string& recipient) const {
  if (empty()) return false;
  return !setters(relation::mute, recipient).empty() || !setters(relation::boot, recipient).empty() ||
         !setters(relation::invite, recipient).empty() || !setters(relation::block, recipient).empty() ||
         !targets(relation::block, recipient).empty();
}

}  // namespace barertc::actors
