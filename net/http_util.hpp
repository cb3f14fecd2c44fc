#pragma once
/// Small HTTP helpers with no Beast in them: content types, safe paths, client addresses, pages.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace barertc::net {

/// Content-Type for a file name, by its extension.
std::string_view mime_type(std::string_view path);

/// Maps a URL path under web_root to a file path; nullopt for "..", NUL or other escapes.
std::optional<std::string> safe_file_path(const std::string& web_root, std::string_view url_path);

/// The client's address: the socket's, or with use_forwarded the first address of
/// X-Real-IP / X-Forwarded-For.
std::string client_ip(const std::string& socket_ip, bool use_forwarded, std::string_view x_real_ip,
                      std::string_view x_forwarded_for);

/// The Access-Control-Allow-Origin value for an Origin, or empty when it is not allowed.
std::string cors_origin(const std::vector<std::string>& allowed, std::string_view origin);

/// The page served at / when web/dist has not been built.
std::string not_built_page(const std::string& title);

/// The /about page.
std::string about_page(const std::string& title, const std::string& website_url, const std::string& host);

/// The value of `key` in a query string or an application/x-www-form-urlencoded body, decoded.
std::string form_value(std::string_view encoded, std::string_view key);

/// The path part of a request target (without query string).
std::string_view target_path(std::string_view target);

}  // namespace barertc::net
