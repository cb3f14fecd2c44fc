#pragma once
/// The one HTML allowlist for user content (issue 16; the reference's user-generated-content
/// policy): the HTML that Markdown rendering lets through is parsed with a real HTML parser
/// (gumbo, as a browser would parse it) and written out again with only the elements, attributes
/// and URL schemes listed in html_sanitizer.cpp. No sockets, no chat rules.
#include <string>
#include <string_view>

namespace barertc::protocol {

/// `html` reduced to the allowlist: allowed elements keep their allowed attributes; script-like
/// elements (script, style, iframe, svg, math, template, ...) go with their content; any other
/// element is unwrapped (its text stays). Links get target="_blank" rel="nofollow noopener".
/// Elements nested deeper than `max_depth` are unwrapped, so nesting cannot multiply a message.
std::string sanitize_html(std::string_view html, int max_depth);

/// Whether the allowlist keeps element `tag` (lower case) at all.
bool allowed_element(std::string_view tag);
/// Whether the allowlist keeps attribute `name` with `value` (as a browser decodes it) on `tag`.
bool allowed_attribute(std::string_view tag, std::string_view name, std::string_view value);

}  // namespace barertc::protocol
