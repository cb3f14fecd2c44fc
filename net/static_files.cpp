#include "net/static_files.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "net/http_util.hpp"
#include "settings/defaults.hpp"

namespace barertc::net {
namespace {

struct file_info {
  int64_t size = 0;
  int64_t mtime = 0;     ///< seconds
  int64_t mtime_ns = 0;  ///< nanoseconds part
};

std::optional<file_info> regular_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return file_info{st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
}

/// Does If-None-Match list `etag` (or "*")? Weak and strong forms compare equal (RFC 9110 13.1.2).
bool etag_listed(std::string_view header, std::string_view etag) {
  if (header.find('*') != std::string_view::npos) return true;
  size_t pos = 0;
  while (pos < header.size()) {
    auto comma = header.find(',', pos);
    auto item = header.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.substr(0, 2) == "W/") item.remove_prefix(2);
    if (item == etag) return true;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

}  // namespace

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buf;
  buf << in.rdbuf();
  out = buf.str();
  return true;
}

std::string http_date(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
                months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::optional<int64_t> parse_http_date(std::string_view date) {
  std::string s(date.substr(0, 64));
  std::tm tm{};
  const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

bool accepts_gzip(std::string_view accept_encoding) {
  size_t pos = 0;
  while (pos < accept_encoding.size()) {
    auto comma = accept_encoding.find(',', pos);
    auto item = accept_encoding.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    auto semi = item.find(';');
    auto name = item.substr(0, semi);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name == "gzip" || name == "*") {
      if (semi == std::string_view::npos) return true;
      auto params = item.substr(semi + 1);
      auto q = params.find("q=");
      if (q == std::string_view::npos) return true;
      std::string value(params.substr(q + 2, 5));
      return std::strtod(value.c_str(), nullptr) > 0;  // "gzip;q=0" refuses it
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

std::optional<static_answer> serve_static(const std::string& file, std::string_view url_path,
                                          const static_request& req) {
  auto info = regular_file(file);
  if (!info) return std::nullopt;
  static_answer a;
  a.content_type = std::string(mime_type(file));
  a.cache_control = url_path.rfind("/assets/", 0) == 0
                        ? "public, max-age=31536000, immutable"  // Vite puts a content hash in these names
                        : "public, max-age=" + std::to_string(barertc::defaults::static_max_age_seconds);
  std::string path = file;
  auto gz = regular_file(file + ".gz");
  a.vary_encoding = gz.has_value();
  if (gz && accepts_gzip(req.accept_encoding)) {
    path = file + ".gz";
    info = gz;
    a.content_encoding = "gzip";
  }
  char tag[64];
  std::snprintf(tag, sizeof tag, "\"%llx-%llx%s\"", static_cast<unsigned long long>(info->size),
                static_cast<unsigned long long>(info->mtime * 1000000000LL + info->mtime_ns),
                a.content_encoding.empty() ? "" : "-gz");
  a.etag = tag;
  a.last_modified = http_date(info->mtime);
  // If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 13.2.2).
  bool current = false;
  if (!req.if_none_match.empty())
    current = etag_listed(req.if_none_match, a.etag);
  else if (auto since = parse_http_date(req.if_modified_since))
    current = info->mtime <= *since;
  if (current) {
    a.status = 304;
    return a;
  }
  if (!read_file(path, a.body)) return std::nullopt;
  return a;
}

}  // namespace barertc::net
