#pragma once
/// Who muted, blocked, booted or invited whom: the per-recipient rules of protocol.md B.5-B.7.
/// Plain data keyed by username (not by connection), so the directory, each channel and a future
/// cluster bridge can each hold a copy and apply the same (kind, from, to, on) changes.
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace barertc::actors {

/// The kinds of relation one user sets towards another.
enum class relation : int { mute = 0, block = 1, boot = 2, invite = 3 };
inline constexpr int relation_kinds = 4;

/// One change, as it travels between actors.
struct relation_change {
  relation kind = relation::mute;
  std::string from;
  std::string to;
  bool on = true;
};

/// The relations in force. Both directions are indexed so every question is a lookup.
class relations {
 public:
  /// Applies one change; false when it changed nothing.
  bool apply(const relation_change& c);
  /// `from` left the room: the relations they set go (the page sends them again on its next
  /// sign-in); those others set towards `from` stay.
  void forget(const std::string& from);
  /// Removes every block to or from `name` (operators cannot be blocked unless BlockableAdmins).
  std::vector<relation_change> unblock_all(const std::string& name);

  bool has(relation kind, const std::string& from, const std::string& to) const;
  /// A block in either direction.
  bool blocked(const std::string& a, const std::string& b) const;
  /// Who set `kind` towards `to`.
  const std::set<std::string>& setters(relation kind, const std::string& to) const;
  /// Whom `from` set `kind` towards.
  const std::set<std::string>& targets(relation kind, const std::string& from) const;

  /// Recipients a broadcast about or from `sender` leaves out (they muted the sender, or a block
  /// stands between them), sorted; empty in the common case, which then costs one lookup.
  std::vector<std::string_view> skipped_for(const std::string& sender) const;
  /// Whether anyone's relation changes what `recipient` sees in the who list.
  bool shapes_view_of(const std::string& recipient) const;
  bool empty() const { return edges_ == 0; }

 private:
  using index = std::map<std::string, std::set<std::string>, std::less<>>;
  index out_[relation_kinds];  ///< from -> to
  index in_[relation_kinds];   ///< to -> from
  size_t edges_ = 0;
};

}  // namespace barertc::actors
