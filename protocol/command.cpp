#include "protocol/command.hpp"

namespace barertc::protocol {

std::optional<std::vector<std::string>> split_command(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < line.size()) {
        cur += line[++i];
      } else {
        cur += c;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < line.size()) {
      cur += line[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (quote) return std::nullopt;
  if (in_word) out.push_back(std::move(cur));
  return out;
}

std::string strip_at(std::string_view name) {
  if (!name.empty() && name[0] == '@') name.remove_prefix(1);
  return std::string(name);
}

}  // namespace barertc::protocol
