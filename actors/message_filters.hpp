#pragma once
/// `[[MessageFilters]]` (server.md A.4, G.6): keyword phrases (RE2, the syntax of Go's regexp)
/// run over a rendered message. Plain C++, no CAF: the user actor runs it for public messages and
/// the directory for DMs (where it knows whether the other party is an operator).
#include <memory>
#include <string>
#include <vector>

#include "settings/settings.hpp"

namespace re2 {
class RE2;
}

namespace barertc::actors {

class message_filters {
 public:
  message_filters();
  /// Compiles the enabled filters' phrases (the loader has already checked that they compile).
  explicit message_filters(const std::vector<settings::message_filter>& filters);
  ~message_filters();
  message_filters(message_filters&&) noexcept;
  message_filters& operator=(message_filters&&) noexcept;

  /// The first enabled filter for this kind of channel with a phrase that matches `html`, or
  /// null. When that filter censors, every match of its phrases becomes asterisks (one per
  /// character), in the text only: tags and character references are never touched, so a
  /// censored message is still the same markup.
  const settings::message_filter* apply(std::string& html, bool dm) const;

  bool empty() const { return compiled_.empty(); }

 private:
  struct compiled {
    settings::message_filter cfg;
    std::vector<std::unique_ptr<re2::RE2>> phrases;
  };
  std::vector<compiled> compiled_;
};

}  // namespace barertc::actors
