#pragma once
/// Username rules shared by login and the operator commands.
#include <string>
#include <string_view>
#include <variant>

namespace barertc::protocol {

/// Characters refused in usernames and statuses: each could start or break out of HTML markup.
inline constexpr std::string_view html_special = "<>&\"'`";

/// A username that passed the rules (index 0), or the reason it did not, fit to show the user
/// (index 1).
using name_check = std::variant<std::string, std::string>;

/// Trims the requested name; empty becomes "anonymous". Refuses control characters, a leading
/// `@`, `/` anywhere, the HTML-special characters `< > & " ' \``, and names longer than
/// `max_chars` characters (`[Server] MaxUsernameLength`).
name_check check_username(std::string_view requested, size_t max_chars);

/// Display text from a token claim (nickname, emoji, gender): control characters and `<`, `>`
/// dropped, at most `max_chars` characters. Clients show it as text; this keeps it tag-free anyway.
std::string display_text(std::string_view text, size_t max_chars);

/// Counts UTF-8 code points (the input is valid UTF-8: the JSON decoder checks it).
size_t utf8_length(std::string_view s);

/// Trims ASCII and Unicode-agnostic white space from both ends.
std::string_view trim(std::string_view s);

}  // namespace barertc::protocol
