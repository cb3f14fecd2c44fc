#pragma once
/// GitHub-flavoured Markdown to HTML that is safe to insert into another user's page.
#include <string>
#include <string_view>

namespace barertc::protocol {

/// Renders user or operator Markdown (GitHub-flavoured: autolinks, strikethrough, tables) and
/// sanitises the HTML against the one allowlist (html_sanitizer.hpp): inline HTML such as <b> or
/// <sup> survives, script-capable elements, attributes and URL schemes do not, nesting is capped,
/// and every link opens in a new tab with rel="nofollow noopener".
std::string render_markdown(std::string_view text);

/// Escapes text for use inside HTML (for names and other plain values in server notices).
std::string escape_html(std::string_view text);

}  // namespace barertc::protocol
