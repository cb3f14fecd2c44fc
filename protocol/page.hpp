#pragma once
/// The chat page's answer to GET/POST /: the settings and the visitor's verified token, injected
/// into the built index.html, or a refusal (403, or 302 to the landing page).
#include <cstdint>
#include <string>
#include <string_view>

#include "settings/settings.hpp"

namespace barertc::protocol {

/// What the HTTP layer should send.
struct page_response {
  int status = 200;
  std::string location;  ///< For 302.
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
};

/// Builds the page for a visitor who brought `token` (may be empty). `index_html` is the built page
/// (or a placeholder); the configuration goes in as `window.BareRTC = {...}` before `</head>`.
page_response chat_page(const settings::settings& cfg, std::string_view token, const std::string& index_html,
                        int64_t now_unix);

/// The configuration object the page reads (JSON). Secrets (SecretKey, AdminAPIKey) never appear.
std::string page_config_json(const settings::settings& cfg, std::string_view token, bool valid,
                             const std::string& claims_json, const std::string& error);

}  // namespace barertc::protocol
