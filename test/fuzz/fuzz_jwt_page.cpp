/// Fuzzes what a visitor controls on GET/POST /: the query string or form body (net/http_util
/// form_value, target_path, safe_file_path), the token in it (protocol/jwt verify_jwt with a fixed
/// key), and the page built from it (protocol/page chat_page). The configuration injected into
/// the page must never be able to close its <script> element.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>
#include <variant>

#include "net/http_util.hpp"
#include "protocol/jwt.hpp"
#include "protocol/page.hpp"

using namespace barertc;

namespace {

constexpr std::string_view secret = "fuzz-secret-key";
constexpr int64_t now = 1700000000;

settings::settings make_config(bool strict) {
  auto cfg = settings::defaults();
  cfg.jwt.enabled = true;
  cfg.jwt.strict = strict;
  cfg.jwt.secret_key = std::string(secret);
  cfg.jwt.leeway_seconds = 10;
  return cfg;
}

[[noreturn]] void fail(const char* why, const std::string& detail) {
  std::fprintf(stderr, "%s\n%s\n", why, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16 * 1024) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  static const auto strict = make_config(true);
  static const auto guests = make_config(false);
  static const std::string index = "<!DOCTYPE html><html><head><title>x</title></head><body></body></html>";

  // The input as a request target ("/path?query") and as a form body.
  auto path = net::target_path(input);
  if (path.size() > input.size() || input.substr(0, path.size()) != path) fail("target_path", std::string(input));
  if (auto file = net::safe_file_path("/srv/web", path)) {
    if (file->find("/../") != std::string::npos || file->find('\0') != std::string::npos)
      fail("safe_file_path escaped the web root", *file);
  }
  auto query = input.substr(std::min(input.size(), path.size() + 1));
  std::string token = net::form_value(query, "jwt");
  if (token.empty()) token = net::form_value(input, "jwt");
  if (token.empty()) token = std::string(input);  // the raw bytes as a token, too

  auto verified = protocol::verify_jwt(token, secret, 10, now);
  if (auto* c = std::get_if<protocol::jwt_claims>(&verified)) {
    if (c->subject.empty()) fail("accepted a token without sub", token);
    // A verified token is re-signed in pings; that must verify with the same key (exp and nbf are
    // checked against the system clock, so the re-signed one is dated now).
    const int64_t real_now = std::time(nullptr);
    auto resigned = protocol::resign_jwt(*c, secret, real_now, 300);
    auto again = protocol::verify_jwt(resigned, secret, 10, real_now);
    if (!std::holds_alternative<protocol::jwt_claims>(again))
      fail("re-signed token does not verify", std::get<protocol::jwt_refusal>(again).reason);
  } else if (std::get<protocol::jwt_refusal>(verified).reason.empty()) {
    fail("refusal without a reason", token);
  }

  for (auto* cfg : {&strict, &guests}) {
    auto page = protocol::chat_page(*cfg, token, index, now);
    if (page.status == 200) {
      auto start = page.body.find("<script>window.BareRTC = ");
      if (start == std::string::npos) fail("no config in the page", page.body);
      auto body_end = page.body.find("</script>", start);
      auto script_end = page.body.find(";</script>", start);
      if (body_end == std::string::npos || body_end != script_end + 1)
        fail("the injected config closes its <script> early", page.body);
      auto config = page.body.substr(start, script_end - start);
      if (config.find("<!--") != std::string::npos || config.find("</") != std::string::npos)
        fail("markup inside the injected config", page.body);
    } else if (page.status != 403 && page.status != 302) {
      fail("unexpected status", std::to_string(page.status));
    }
  }
  return 0;
}
