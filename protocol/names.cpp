#include "protocol/names.hpp"

namespace barertc::protocol {

size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string_view trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

name_check check_username(std::string_view requested, size_t max_chars) {
  auto refuse = [](std::string reason) { return name_check(std::in_place_index<1>, std::move(reason)); };
  auto name = trim(requested);
  if (name.empty()) return name_check(std::in_place_index<0>, "anonymous");
  if (utf8_length(name) > max_chars)
    return refuse("Your username is too long: use at most " + std::to_string(max_chars) + " characters.");
  if (name.front() == '@') return refuse("Your username may not start with @.");
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    // C0 controls, DEL, and C1 controls (encoded as 0xC2 0x80-0x9F).
    bool control = c < 0x20 || c == 0x7F ||
                   (c == 0xC2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) < 0xA0);
    if (control) return refuse("Your username may not contain control characters.");
    if (c == '/') return refuse("Your username may not contain a slash (/).");
    if (html_special.find(static_cast<char>(c)) != std::string_view::npos)
      return refuse("Your username may not contain any of < > & \" ' `.");
  }
  return name_check(std::in_place_index<0>, std::string(name));
}

std::string display_text(std::string_view text, size_t max_chars) {
  text = trim(text);
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F || c == '<' || c == '>') continue;
    if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xA0) {
      ++i;  // a C1 control
      continue;
    }
    if ((c & 0xC0) != 0x80 && ++chars > max_chars) break;
    out += static_cast<char>(c);
  }
  return out;
}

}  // namespace barertc::protocol
