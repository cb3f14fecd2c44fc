// Webcam access (protocol.md B.7) and the WebRTC signalling routes between two users.
#include "actors/refusals.hpp"
#include "actors/roster.hpp"
#include "protocol/codec.hpp"

namespace barertc::actors {
namespace {

std::string random_secret(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> letter(0, 25);
  std::string s(16, 'a');
  for (auto& c : s) c = static_cast<char>('a' + letter(rng));
  return s;
}

/// Why `viewer` may not open `target`'s camera, or empty when they may.
std::string refusal_to_open(const relations& rel, const listed& viewer, const listed& target) {
  namespace video = protocol::video;
  const auto& v = viewer.who;
  const auto& t = target.who;
  bool invited = rel.has(relation::invite, t.username, v.username);
  if (!(t.video & video::active)) return refusal::open_not_enabled;
  if ((t.video & video::mutual_required) && !(v.video & video::active) && !invited)
    return refusal::open_mutual(t.username);
  if ((t.video & video::vip_only) && !v.vip && !v.op && !invited) return refusal::open_no_permission;
  bool shut_out = rel.has(relation::mute, t.username, v.username) || rel.has(relation::boot, t.username, v.username) ||
                  rel.blocked(t.username, v.username);
  if (shut_out && !v.op) return refusal::open_no_permission;
  return {};
}

}  // namespace

void open_camera(dir_ptr self, online& viewer, const std::string& target) {
  auto& st = self->state;
  auto t = st.users.find(target);
  // In a cluster the broadcaster may be on another node: the same checks, and the ring goes there.
  const remote_user* far = t == st.users.end() ? remote_of(self, target) : nullptr;
  const listed* broadcaster = far ? static_cast<const listed*>(far) : t != st.users.end() ? &t->second : nullptr;
  auto refuse = [&](const std::string& why) { notice(viewer, refusal::open_prefix + why); };
  if (!broadcaster || broadcaster->hidden()) return refuse(refusal::open_offline(target));
  if (auto why = refusal_to_open(st.rel, viewer, *broadcaster); !why.empty()) return refuse(why);
  const auto& name = viewer.who.username;
  if (viewer.who.op) {
    if (st.rel.has(relation::boot, target, name))
      notice(viewer, refusal::open_note_booted(target));
    else if (st.rel.has(relation::mute, target, name))
      notice(viewer, refusal::open_note_muted(target));
  }
  auto secret = random_secret(st.rng);
  protocol::message ring;
  ring.action = "ring";
  ring.username = name;
  ring.open_secret = secret;
  if (far) cluster_deliver(self, *far, protocol::encode_frame(ring));
  else send_to(t->second, ring);
  protocol::message open;
  open.action = "open";
  open.username = target;
  open.open_secret = secret;
  send_to(viewer, open);
}

// candidate, sdp, watch, unwatch: forwarded with the sender's name. An `sdp` for someone offline
// is answered with a notice; the others (trickled candidates, watch/unwatch after the peer left)
// are dropped quietly, as is anything between two users a block separates.
void relay_signal(dir_ptr self, online& from, const std::string& target, const protocol::message& msg) {
  auto& st = self->state;
  auto t = st.users.find(target);
  if (t == st.users.end())
    if (auto* far = remote_of(self, target)) {
      // The same bytes the peer would get here, once through Redis to the peer's node.
      if (!st.rel.blocked(from.who.username, target)) cluster_deliver(self, *far, protocol::encode_frame(msg));
      return;
    }
  if (t == st.users.end()) {
    if (msg.action == "sdp")
      notice(from, "Could not reach " + refusal::esc(target) + ": they appear to be offline.");
    return;
  }
  if (st.rel.blocked(from.who.username, target)) return;  // blocks with operators exist only when BlockableAdmins
  send_to(t->second, msg);
}

}  // namespace barertc::actors
