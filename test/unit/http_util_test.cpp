#include <catch2/catch.hpp>

#include "net/http_util.hpp"
#include "net/server.hpp"

using namespace barertc::net;

TEST_CASE("static paths cannot escape the web root", "[http]") {
  CHECK(safe_file_path("web/dist", "/static/app.css") == std::optional<std::string>("web/dist/static/app.css"));
  CHECK_FALSE(safe_file_path("web/dist", "/static/../settings.toml"));
  CHECK_FALSE(safe_file_path("web/dist", "/static/./x"));
  CHECK_FALSE(safe_file_path("web/dist", "/static/"));
  CHECK_FALSE(safe_file_path("web/dist", "static/x"));
  CHECK_FALSE(safe_file_path("web/dist", std::string_view("/static/a\0b", 11)));
}

TEST_CASE("client address honours X-Real-IP and the first X-Forwarded-For only when enabled", "[http]") {
  CHECK(client_ip("10.0.0.1", false, "1.2.3.4", "5.6.7.8") == "10.0.0.1");
  CHECK(client_ip("10.0.0.1", true, "1.2.3.4", "5.6.7.8") == "1.2.3.4");
  CHECK(client_ip("10.0.0.1", true, "", " 5.6.7.8 , 9.9.9.9") == "5.6.7.8");
  CHECK(client_ip("10.0.0.1", true, "", "") == "10.0.0.1");
}

TEST_CASE("CORS echoes only allowed origins", "[http]") {
  std::vector<std::string> allowed{"https://www.example.com"};
  CHECK(cors_origin(allowed, "https://www.example.com") == "https://www.example.com");
  CHECK(cors_origin(allowed, "https://evil.example").empty());
  CHECK(cors_origin(allowed, "").empty());
}

TEST_CASE("listen addresses parse like Go's", "[http]") {
  std::string host;
  unsigned short port = 0;
  CHECK(parse_address(":9000", host, port));
  CHECK((host.empty() && port == 9000));
  CHECK(parse_address("127.0.0.1:0", host, port));
  CHECK((host == "127.0.0.1" && port == 0));
  CHECK(parse_address("[::1]:8080", host, port));
  CHECK((host == "::1" && port == 8080));
  CHECK_FALSE(parse_address("9000", host, port));
  CHECK_FALSE(parse_address(":99999", host, port));
  CHECK_FALSE(parse_address(":12x", host, port));
}
