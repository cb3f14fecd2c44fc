#pragma once
/// Who lists built for each recipient (protocol.md B.6) without building one per user: everyone
/// whom no relation touches shares one frame (one for VIPs and one for the rest, when those
/// differ); a recipient whose relations change what they see gets a variant, shared with every
/// other recipient who sees exactly the same.
#include <array>
#include <string>
#include <vector>

#include "actors/relations.hpp"
#include "protocol/message.hpp"

namespace barertc::actors {

/// One user in the roster as the who list shows them, encoded once per change.
struct listed {
  protocol::who_entry who;
  std::string for_vips;    ///< The entry as VIPs see it.
  std::string for_others;  ///< As everyone else sees it; empty when that is the same.
  /// Re-encodes both views after `who` changed.
  void encode(bool mutually_secret);
  const std::string& view_for(bool vip) const { return vip || for_others.empty() ? for_vips : for_others; }
  bool hidden() const { return who.status == "hidden"; }
};

/// How `user` appears to a viewer (B.6): a broadcaster who muted or booted the viewer shows no
/// camera (to an operator only MutualOpen is cleared), an invitation sets Invited, a VIP-only
/// camera is off for non-VIPs who were not invited, and `vip` is hidden from non-VIPs when
/// `mutually_secret`.
protocol::who_entry seen_by(const protocol::who_entry& user, bool viewer_vip, bool viewer_op,
                            bool muted_or_booted_viewer, bool invited_viewer, bool mutually_secret);

/// One who-list frame and the recipients (indexes into the roster) it goes to.
struct who_audience {
  protocol::frame bytes;
  std::vector<size_t> recipients;
};

/// The lists a recipient whom no relation touches sees: [0] everyone else's view, [1] VIPs'
/// (the same frame when nobody's entry differs for VIPs, so it is built and compressed once).
std::array<protocol::frame, 2> shared_who_lists(const std::vector<const listed*>& roster);

/// The list one recipient (an index into `roster`) sees: exactly what build_who_lists would send
/// them, built alone (a user's first list at login).
protocol::frame who_list_for(const std::vector<const listed*>& roster, size_t recipient, const relations& rel,
                             bool mutually_secret);

/// The who lists for everyone in `roster` (every logged-in user, sorted by name; hidden ones
/// receive lists but are not listed). With `receives` (one flag per roster entry), only the
/// flagged get lists: in a cluster, this node's users and not the other nodes'.
std::vector<who_audience> build_who_lists(const std::vector<const listed*>& roster, const relations& rel,
                                          bool mutually_secret, const std::vector<char>& receives = {});

}  // namespace barertc::actors
