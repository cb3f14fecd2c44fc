#pragma once
/// Static files of the built page (/assets/*, /static/*) with validators and precompressed
/// variants: what to answer, without Beast, so it can be tested alone.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace barertc::net {

/// The answer for one static file request.
struct static_answer {
  int status = 200;  ///< 200, or 304 when the client's copy is current (body empty)
  std::string body;
  std::string content_type;
  std::string content_encoding;  ///< "gzip" when the precompressed file is sent
  std::string etag;
  std::string last_modified;     ///< HTTP date
  std::string cache_control;
  bool vary_encoding = false;    ///< a .gz variant exists: caches must key on Accept-Encoding
};

/// The request headers that matter for it.
struct static_request {
  std::string_view if_none_match;
  std::string_view if_modified_since;
  std::string_view accept_encoding;
};

/// Answers for `file` (already mapped safely under the web root) served at `url_path`; nullopt when
/// it is not a readable regular file. Hashed names under /assets/ are cached for a year; others
/// are revalidated after a few minutes. `file.gz` is sent instead when the client takes gzip.
std::optional<static_answer> serve_static(const std::string& file, std::string_view url_path,
                                          const static_request& req);

/// Reads a whole file; false when it cannot be read.
bool read_file(const std::string& path, std::string& out);

/// RFC 9110 date ("Sun, 06 Nov 1994 08:49:37 GMT") of a Unix time.
std::string http_date(int64_t unix_seconds);

/// Parses an RFC 9110 date; nullopt when it is not one.
std::optional<int64_t> parse_http_date(std::string_view date);

/// True when Accept-Encoding allows gzip (and does not give it q=0).
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace barertc::net
