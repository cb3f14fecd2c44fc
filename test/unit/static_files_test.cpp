#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "net/static_files.hpp"

using namespace barertc::net;

namespace {
struct web_dir {
  std::filesystem::path root =
      std::filesystem::temp_directory_path() / ("barertc-static-" + std::to_string(::getpid()));
  web_dir() {
    std::filesystem::create_directories(root / "assets");
    std::ofstream(root / "assets" / "app-1a2b.js") << "console.log('hi')";
    std::ofstream(root / "assets" / "app-1a2b.js.gz") << "GZ";
    std::ofstream(root / "logo.svg") << "<svg/>";
  }
  ~web_dir() { std::filesystem::remove_all(root); }
};
}  // namespace

TEST_CASE("static files carry validators and answer 304 when the client's copy is current", "[static]") {
  web_dir w;
  auto file = (w.root / "logo.svg").string();
  auto a = serve_static(file, "/static/logo.svg", {});
  REQUIRE(a);
  CHECK(a->status == 200);
  CHECK(a->body == "<svg/>");
  CHECK(a->content_type == "image/svg+xml");
  CHECK(a->cache_control == "public, max-age=300");
  CHECK(!a->etag.empty());
  CHECK_FALSE(a->vary_encoding);
  auto same = serve_static(file, "/static/logo.svg", {a->etag, "", ""});
  REQUIRE(same);
  CHECK(same->status == 304);
  CHECK(same->body.empty());
  CHECK(serve_static(file, "/static/logo.svg", {"\"other\", W/" + a->etag, "", ""})->status == 304);
  CHECK(serve_static(file, "/static/logo.svg", {"\"other\"", "", ""})->status == 200);
  CHECK(serve_static(file, "/static/logo.svg", {"", a->last_modified, ""})->status == 304);
  CHECK(serve_static(file, "/static/logo.svg", {"", "Mon, 01 Jan 2001 00:00:00 GMT", ""})->status == 200);
  CHECK(serve_static(file, "/static/logo.svg", {"", "not a date", ""})->status == 200);
  CHECK_FALSE(serve_static((w.root / "missing").string(), "/static/missing", {}));
  CHECK_FALSE(serve_static((w.root / "assets").string(), "/assets", {}));  // a directory
}

TEST_CASE("hashed assets are cached for a year and sent gzipped to clients that take it", "[static]") {
  web_dir w;
  auto file = (w.root / "assets" / "app-1a2b.js").string();
  auto plain = serve_static(file, "/assets/app-1a2b.js", {"", "", "br"});
  REQUIRE(plain);
  CHECK(plain->body == "console.log('hi')");
  CHECK(plain->content_encoding.empty());
  CHECK(plain->vary_encoding);
  CHECK(plain->cache_control == "public, max-age=31536000, immutable");
  auto gz = serve_static(file, "/assets/app-1a2b.js", {"", "", "gzip, deflate, br"});
  REQUIRE(gz);
  CHECK(gz->body == "GZ");
  CHECK(gz->content_encoding == "gzip");
  CHECK(gz->content_type == plain->content_type);
  CHECK(gz->etag != plain->etag);
  CHECK(serve_static(file, "/assets/app-1a2b.js", {"", "", "gzip;q=0, br"})->content_encoding.empty());
}

TEST_CASE("HTTP dates and Accept-Encoding", "[static]") {
  CHECK(http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
  CHECK_FALSE(parse_http_date("yesterday"));
  CHECK(accepts_gzip("gzip"));
  CHECK(accepts_gzip("deflate, gzip;q=0.5"));
  CHECK(accepts_gzip("*"));
  CHECK_FALSE(accepts_gzip(""));
  CHECK_FALSE(accepts_gzip("br, deflate"));
  CHECK_FALSE(accepts_gzip("gzip;q=0"));
}
