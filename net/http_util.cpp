#include "net/http_util.hpp"

#include "protocol/markdown.hpp"

namespace barertc::net {

std::string_view mime_type(std::string_view path) {
  auto dot = path.rfind('.');
  auto ext = dot == std::string_view::npos ? std::string_view{} : path.substr(dot + 1);
  if (ext == "html" || ext == "htm") return "text/html; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "application/javascript; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json";
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "gif") return "image/gif";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "ico") return "image/x-icon";
  if (ext == "webp") return "image/webp";
  if (ext == "mp3") return "audio/mpeg";
  if (ext == "ogg") return "audio/ogg";
  if (ext == "woff") return "font/woff";
  if (ext == "woff2") return "font/woff2";
  if (ext == "ttf") return "font/ttf";
  if (ext == "txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::optional<std::string> safe_file_path(const std::string& web_root, std::string_view url_path) {
  if (url_path.empty() || url_path[0] != '/') return std::nullopt;
  if (url_path.find('\0') != std::string_view::npos || url_path.find('\\') != std::string_view::npos)
    return std::nullopt;
  size_t start = 1;
  while (start <= url_path.size()) {
    auto end = url_path.find('/', start);
    auto seg = url_path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (seg == ".." || seg == ".") return std::nullopt;
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (url_path.back() == '/') return std::nullopt;
  return web_root + std::string(url_path);
}

static std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string client_ip(const std::string& socket_ip, bool use_forwarded, std::string_view x_real_ip,
                      std::string_view x_forwarded_for) {
  if (!use_forwarded) return socket_ip;
  if (auto real = trim_spaces(x_real_ip); !real.empty()) return std::string(real);
  if (auto first = trim_spaces(x_forwarded_for.substr(0, x_forwarded_for.find(','))); !first.empty())
    return std::string(first);
  return socket_ip;
}

std::string cors_origin(const std::vector<std::string>& allowed, std::string_view origin) {
  if (origin.empty()) return {};
  for (auto& a : allowed)
    if (a == "*" || a == origin) return std::string(origin);
  return {};
}

std::string not_built_page(const std::string& title) {
  auto t = protocol::escape_html(title);
  return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + t +
         "</title></head><body><h1>" + t +
         "</h1><p>The web client is not built. Run <code>scripts/build-web.sh</code> (or "
         "<code>scripts/start.sh</code>, which builds it) and reload this page.</p>"
         "<p>The chat's WebSocket endpoint is <code>/ws</code>.</p></body></html>";
}

std::string about_page(const std::string& title, const std::string& website_url, const std::string& host) {
  auto t = protocol::escape_html(title);
  auto w = protocol::escape_html(website_url);
  return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
         "content=\"width=device-width, initial-scale=1\"><title>About " +
         t + "</title></head><body><h1>About " + t + "</h1>" +
         "<p>" + t + " is a webcam chat room for <a href=\"" + w + "\">" + w +
         "</a>, served from " + protocol::escape_html(host) +
         ".</p><h2>Features</h2><ul><li>Public channels and direct messages.</li>"
         "<li>Share your webcam; open the cameras of several people at once.</li>"
         "<li>Messages are not stored: they are delivered as they arrive.</li></ul>"
         "<h2>Privacy</h2><p>Video flows peer to peer between browsers: the people you connect "
         "with may learn your IP address, and anyone can record what their screen shows.</p>"
         "<h2>Webcam troubleshooting</h2><p>Allow the page to use your camera and microphone in "
         "your browser's site settings, and close other programs that use the camera.</p>"
         "<p><a href=\"/\">Back to the chat</a></p></body></html>";
}

static std::string url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string form_value(std::string_view encoded, std::string_view key) {
  while (!encoded.empty()) {
    auto amp = encoded.find('&');
    auto pair = encoded.substr(0, amp);
    auto eq = pair.find('=');
    if (url_decode(pair.substr(0, eq)) == key)
      return eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    encoded.remove_prefix(amp + 1);
  }
  return {};
}

std::string_view target_path(std::string_view target) { return target.substr(0, target.find('?')); }

}  // namespace barertc::net
