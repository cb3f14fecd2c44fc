// Tokens below were signed by PyJWT 2.6 (Debian python3-jwt), an implementation independent of ours,
// with the secret "test-secret" unless noted.
#include <catch2/catch.hpp>

#include <ctime>

#include "protocol/jwt.hpp"

using namespace barertc::protocol;

namespace {
// exp and nbf are checked against the system clock (by cpp-jwt), so tests use it too.
const int64_t now = std::time(nullptr);
const char* good =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsIm9wIjp0cnVlLCJpbWciOiIvdS9hLnBuZyIsInVybCI6Imh0dHBzOi8v"
    "c2l0ZS5leGFtcGxlL3UvYWxpY2UiLCJuaWNrIjoiQWxseSIsInZpcCI6dHJ1ZSwiZW1vamkiOiJcdWQ4M2VcdWRkOGEgZm94IiwiZ2VuZGVyIjoi"
    "ZiIsInJ1bGVzIjpbInJlZGNhbSIsIm5vdmlkZW8iXSwiaXNzIjoic2l0ZSIsImV4cCI6NDEwMjQ0NDgwMCwiaWF0IjoxNzAwMDAwMDAwfQ."
    "0QXI29lgz1ToNEqGlCF1WytqVtiJKPDGeipm7Gn-XgY";

std::string refused(std::string_view token, std::string_view secret = "test-secret") {
  auto r = verify_jwt(token, secret, 10, now);
  REQUIRE(std::holds_alternative<jwt_refusal>(r));
  return std::get<jwt_refusal>(r).reason;
}
}  // namespace

TEST_CASE("a valid HS256 token yields every claim", "[jwt]") {
  auto r = verify_jwt(good, "test-secret", 10, now);
  REQUIRE(std::holds_alternative<jwt_claims>(r));
  auto& c = std::get<jwt_claims>(r);
  CHECK(c.subject == "alice");
  CHECK(c.op);
  CHECK(c.vip);
  CHECK(c.img == "/u/a.png");
  CHECK(c.url == "https://site.example/u/alice");
  CHECK(c.nick == "Ally");
  CHECK(c.emoji == "\U0001F98A fox");
  CHECK(c.gender == "f");
  CHECK(c.issuer == "site");
  CHECK(c.rules == std::vector<std::string>{"redcam", "novideo"});
  CHECK(c.expires == 4102444800);
}

TEST_CASE("tokens are refused with a reason in plain words", "[jwt]") {
  CHECK(refused(good, "wrong-secret").find("signature") != std::string::npos);
  CHECK(refused("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6MTAwMDAwMDAwMH0."
                "pRt35pRojYgkWKCFTGi8HgMclM6Pwc4iDczPnMJahU8") == "the token has expired");
  CHECK(refused("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsIm5iZiI6NDEwMjQ0NDgwMH0."
                "_PLBQd0WRYG1uCdpPX3zYfY18ns05ZJTg2BqzlLuRVc")
            .find("not valid yet") != std::string::npos);
  CHECK(refused("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImlhdCI6NDEwMjQ0NDgwMH0."
                "z8fFtTisVMgSrP3KS6EUuzTwAVFXmspgOvL68-iyXt4")
            .find("issued in the future") != std::string::npos);
  CHECK(refused("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJvcCI6dHJ1ZSwiZXhwIjo0MTAyNDQ0ODAwfQ."
                "HiJh4toCWRg2MEt1XIpmDJZi_vfbrNaYaAaEf3zwcIc")
            .find("no subject") != std::string::npos);
  CHECK(refused("eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6NDEwMjQ0NDgwMH0."
                "VNbZB6tdzs1vW71V6Ikfsp11Q6oeEHeSKo18KJ5WOmOeVcEMFKYt5e96GFUDrhWAWILngHtG0deuzQdTR3Pzlw")
            .find("HS256") != std::string::npos);
  CHECK(refused("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6NDEwMjQ0NDgwMH0.")
            .find("HS256") != std::string::npos);
  CHECK(refused("not-a-token") == "the token is malformed");
  CHECK(refused("") == "no token was given");
  CHECK(refused("a.b.c") == "the token is malformed");
}

TEST_CASE("a token without a typ header is still read", "[jwt]") {
  auto r = verify_jwt("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6NDEwMjQ0NDgwMH0."
                      "1dU5aQR_h07TgHwhjvavjykyTBXDCpHfxKDfpE7iN-Y",
                      "test-secret", 10, now);
  CHECK(std::holds_alternative<jwt_claims>(r));
}

TEST_CASE("re-signed tokens keep the claims and verify with a fresh expiry", "[jwt]") {
  auto c = std::get<jwt_claims>(verify_jwt(good, "test-secret", 10, now));
  auto fresh = resign_jwt(c, "test-secret", now, 300);
  auto again = verify_jwt(fresh, "test-secret", 0, now);
  REQUIRE(std::holds_alternative<jwt_claims>(again));
  auto& a = std::get<jwt_claims>(again);
  CHECK(a.subject == "alice");
  CHECK(a.rules == c.rules);
  CHECK(a.emoji == c.emoji);
  CHECK(a.expires == now + 300);
  auto stale = resign_jwt(c, "test-secret", now - 400, 300);
  CHECK(std::get<jwt_refusal>(verify_jwt(stale, "test-secret", 0, now)).reason == "the token has expired");
}

TEST_CASE("claim URLs: relative joined to the website, http(s) kept, other schemes dropped", "[jwt]") {
  CHECK(resolve_claim_url("/u/a.png", "https://www.example.com/") == "https://www.example.com/u/a.png");
  CHECK(resolve_claim_url("https://cdn.example/a.png", "https://x") == "https://cdn.example/a.png");
  CHECK(resolve_claim_url("HTTP://cdn.example/a.png", "https://x") == "HTTP://cdn.example/a.png");
  CHECK(resolve_claim_url("javascript:alert(1)", "https://x").empty());
  CHECK(resolve_claim_url("data:image/png;base64,xx", "https://x").empty());
  CHECK(resolve_claim_url("//evil.example/a.png", "https://x").empty());
  CHECK(resolve_claim_url("https://a.example/\"onerror=", "https://x").empty());
}

TEST_CASE("jwtRules map the rules claim", "[jwt]") {
  auto r = jwt_rules({"novideo", "redcam"});
  CHECK(r["IsNoVideoRule"]);
  CHECK(r["IsNoBroadcastRule"]);
  CHECK(r["IsRedCamRule"]);
  CHECK_FALSE(r["IsNoImageRule"]);
  CHECK_FALSE(r["IsNoDarkVideoRule"]);
}

TEST_CASE("tokens with non-ASCII bytes are malformed", "[jwt]") {
  // Found by test/fuzz/fuzz_jwt_page: cpp-jwt's base64 table was read out of bounds.
  CHECK(refused("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJldmUi\x9a\xb1.") == "the token is malformed");
}

TEST_CASE("[JWT] RequireExp refuses tokens without exp; MaxTokenBytes refuses long tokens unread", "[jwt]") {
  barertc::settings::jwt cfg;
  cfg.secret_key = "test-secret";
  auto no_exp = sign_jwt(R"({"sub":"alice"})", "test-secret");
  CHECK(std::holds_alternative<jwt_claims>(verify_jwt(no_exp, cfg, now)));  // old files: accepted
  cfg.require_exp = true;
  auto r = verify_jwt(no_exp, cfg, now);
  REQUIRE(std::holds_alternative<jwt_refusal>(r));
  CHECK(std::get<jwt_refusal>(r).reason == "the token has no expiry (exp) claim, which this server requires");
  CHECK(std::holds_alternative<jwt_claims>(verify_jwt(good, cfg, now)));
  cfg.max_token_bytes = 256;
  auto big = sign_jwt(R"({"sub":"alice","exp":4102444800,"pad":")" + std::string(300, 'x') + "\"}", "test-secret");
  auto too_long = verify_jwt(big, cfg, now);
  REQUIRE(std::holds_alternative<jwt_refusal>(too_long));
  CHECK(std::get<jwt_refusal>(too_long).reason.rfind("the token is too long (", 0) == 0);
  // Even garbage of that size is refused for its length, never handed to the decoder.
  CHECK(std::get<jwt_refusal>(verify_jwt(std::string(1000, '\xff'), cfg, now)).reason.find("too long") !=
        std::string::npos);
}
