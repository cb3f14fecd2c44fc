// Per-recipient who lists, grouped by what each recipient sees (protocol.md B.6).
#include "actors/who_list.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>

#include "protocol/codec.hpp"

namespace barertc::actors {

namespace video = protocol::video;

void listed::encode(bool mutually_secret) {
  for_vips = protocol::encode_who_entry(who);
  auto plain = seen_by(who, false, false, false, false, mutually_secret);
  bool same = plain.video == who.video && plain.vip == who.vip;
  for_others = same ? std::string() : protocol::encode_who_entry(plain);
}

protocol::who_entry seen_by(const protocol::who_entry& user, bool viewer_vip, bool viewer_op,
                            bool muted_or_booted_viewer, bool invited_viewer, bool mutually_secret) {
  protocol::who_entry e = user;
  if (muted_or_booted_viewer) {
    if (viewer_op)
      e.video &= ~video::mutual_open;
    else
      e.video = 0;
  } else if (invited_viewer) {
    e.video |= video::invited;
  }
  if ((user.video & video::vip_only) && !viewer_vip && !invited_viewer) e.video = 0;
  if (mutually_secret && !viewer_vip) e.vip = false;
  return e;
}

namespace {

struct tie {
  bool hide = false;
  bool off = false;
  bool invited = false;
};

/// The entries that differ for `r` from the shared view, keyed by roster index; empty when none.
std::map<size_t, std::string> overrides_for(const listed& r, const std::vector<const listed*>& roster,
                                            const relations& rel, bool mutually_secret) {
  const auto& name = r.who.username;
  std::map<std::string_view, tie> ties;
  for (auto& u : rel.setters(relation::mute, name)) ties[u].off = true;
  for (auto& u : rel.setters(relation::boot, name)) ties[u].off = true;
  for (auto& u : rel.setters(relation::invite, name)) ties[u].invited = true;
  for (auto& u : rel.setters(relation::block, name)) ties[u].hide = true;
  for (auto& u : rel.targets(relation::block, name)) ties[u].hide = true;
  std::map<size_t, std::string> out;
  bool vip = r.who.vip;
  for (auto& [uname, t] : ties) {
    auto it = std::lower_bound(roster.begin(), roster.end(), uname,
                               [](const listed* l, std::string_view n) { return l->who.username < n; });
    if (it == roster.end() || (*it)->who.username != uname || (*it)->hidden() || *it == &r) continue;
    size_t i = static_cast<size_t>(it - roster.begin());
    if (t.hide) {
      out[i] = std::string();  // left out
      continue;
    }
    auto e = seen_by((*it)->who, vip, r.who.op, t.off, t.invited, mutually_secret);
    auto encoded = protocol::encode_who_entry(e);
    if (encoded != (*it)->view_for(vip)) out[i] = std::move(encoded);
  }
  return out;
}

protocol::frame encode_view(const std::vector<const listed*>& roster, bool vip,
                            const std::map<size_t, std::string>& overrides) {
  std::vector<std::reference_wrapper<const std::string>> entries;
  entries.reserve(roster.size());
  for (size_t i = 0; i < roster.size(); ++i) {
    if (roster[i]->hidden()) continue;
    auto o = overrides.find(i);
    if (o == overrides.end())
      entries.emplace_back(roster[i]->view_for(vip));
    else if (!o->second.empty())
      entries.emplace_back(o->second);
  }
  return protocol::encode_who_list(entries);
}

/// Whether VIPs and the others see different lists at all.
bool any_views_differ(const std::vector<const listed*>& roster) {
  return std::any_of(roster.begin(), roster.end(), [](const listed* l) { return !l->hidden() && !l->for_others.empty(); });
}

}  // namespace

std::array<protocol::frame, 2> shared_who_lists(const std::vector<const listed*>& roster) {
  auto others = encode_view(roster, false, {});
  return {others, any_views_differ(roster) ? encode_view(roster, true, {}) : others};
}

protocol::frame who_list_for(const std::vector<const listed*>& roster, size_t recipient, const relations& rel,
                             bool mutually_secret) {
  const listed& r = *roster[recipient];
  std::map<size_t, std::string> overrides;
  if (rel.shapes_view_of(r.who.username)) overrides = overrides_for(r, roster, rel, mutually_secret);
  return encode_view(roster, r.who.vip && any_views_differ(roster), overrides);
}

std::vector<who_audience> build_who_lists(const std::vector<const listed*>& roster, const relations& rel,
                                          bool mutually_secret, const std::vector<char>& receives) {
  std::vector<who_audience> out;
  // Index 0 / 1: the shared views for non-VIPs and VIPs (the same frame when nobody differs).
  bool views_differ = any_views_differ(roster);
  std::map<std::string, size_t> variants;  // what a recipient sees -> its audience
  size_t shared[2] = {SIZE_MAX, SIZE_MAX};
  for (size_t i = 0; i < roster.size(); ++i) {
    if (!receives.empty() && !receives[i]) continue;
    const listed& r = *roster[i];
    bool vip = views_differ && r.who.vip;
    std::map<size_t, std::string> overrides;
    if (rel.shapes_view_of(r.who.username)) overrides = overrides_for(r, roster, rel, mutually_secret);
    if (overrides.empty()) {
      auto& s = shared[vip];
      if (s == SIZE_MAX) {
        s = out.size();
        out.push_back({encode_view(roster, vip, {}), {}});
      }
      out[s].recipients.push_back(i);
      continue;
    }
    std::string key(1, vip ? 'V' : 'O');
    for (auto& [u, e] : overrides) {
      key += std::to_string(u);
      key += e.empty() ? "-" : e;
      key += '\n';
    }
    auto [it, fresh] = variants.emplace(std::move(key), out.size());
    if (fresh) out.push_back({encode_view(roster, vip, overrides), {}});
    out[it->second].recipients.push_back(i);
  }
  return out;
}

}  // namespace barertc::actors
