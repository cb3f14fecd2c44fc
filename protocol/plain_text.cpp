#include "protocol/plain_text.hpp"

#include <array>
#include <utility>

namespace barertc::protocol {

std::string plain_text(std::string_view html) {
  static constexpr std::array<std::pair<std::string_view, char>, 6> entities{
      {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&#x27;", '\''}}};
  std::string out;
  out.reserve(html.size());
  for (size_t i = 0; i < html.size(); ++i) {
    char c = html[i];
    if (c == '<') {
      auto end = html.find('>', i);
      if (end == std::string_view::npos) break;
      if (html.substr(i, 3) == "<br" || html.substr(i, 3) == "<p>") out += ' ';
      i = end;
      continue;
    }
    if (c == '&') {
      bool matched = false;
      for (auto& [name, ch] : entities)
        if (html.substr(i, name.size()) == name) {
          out += ch;
          i += name.size() - 1;
          matched = true;
          break;
        }
      if (matched) continue;
    }
    out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
  }
  return out;
}

}  // namespace barertc::protocol
