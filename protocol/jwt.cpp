#include "protocol/jwt.hpp"

#include <jwt/jwt.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

namespace barertc::protocol {
namespace {

std::string base64url(std::string_view in) {
  static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += table[(n >> s) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t n = uint8_t(in[i]) << 16;
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
  } else if (i + 2 == in.size()) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    for (int s : {18, 12, 6}) out += table[(n >> s) & 63];
  }
  return out;
}

std::string_view reason_for(const std::error_code& ec) {
  if (ec == jwt::VerificationErrc::TokenExpired) return "the token has expired";
  if (ec == jwt::VerificationErrc::ImmatureSignature) return "the token is not valid yet (nbf)";
  if (ec == jwt::VerificationErrc::InvalidAlgorithm || ec == jwt::AlgorithmErrc::NoneAlgorithmUsed)
    return "the token is not signed with HS256";
  if (ec == jwt::VerificationErrc::InvalidSignature || ec == jwt::AlgorithmErrc::VerificationErr)
    return "the token's signature does not match (signed with another key?)";
  if (ec == jwt::VerificationErrc::TypeConversionError) return "the token's claims have the wrong types";
  if (ec == jwt::VerificationErrc::InvalidIAT) return "the token's issue time (iat) is not valid";
  return "the token is malformed";
}

template <class T>
T claim(const jwt::jwt_payload& p, const char* name, T fallback) {
  if (!p.has_claim(name)) return fallback;
  const auto& j = p.create_json_obj()[name];
  if constexpr (std::is_same_v<T, bool>) {
    return j.is_boolean() ? j.template get<bool>() : fallback;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return j.is_string() ? j.template get<std::string>() : fallback;
  } else {
    return j.is_number() ? j.template get<T>() : fallback;
  }
}

}  // namespace

std::variant<jwt_claims, jwt_refusal> verify_jwt(std::string_view token, std::string_view secret,
                                                 int leeway_seconds, int64_t now_unix) {
  if (token.empty()) return jwt_refusal{"no token was given"};
  if (secret.empty()) return jwt_refusal{"the server has no JWT secret key configured"};
  // cpp-jwt's base64 decoder indexes its table with a plain (signed) char, so a byte >= 0x80 reads
  // before the table (found by test/fuzz/fuzz_jwt_page). A token is ASCII; refuse others here.
  for (unsigned char ch : token)
    if (ch >= 0x80) return jwt_refusal{"the token is malformed"};
  // cpp-jwt does not read a header without a type; refuse "none" before it reaches the library.
  std::error_code ec;
  jwt::jwt_object obj;
  try {
    obj = jwt::decode(jwt::string_view(token.data(), token.size()), jwt::params::algorithms({"HS256"}), ec,
                      jwt::params::secret(jwt::string_view(secret.data(), secret.size())),
                      jwt::params::leeway(static_cast<uint32_t>(std::max(0, leeway_seconds))),
                      jwt::params::verify(true));
  } catch (const std::exception&) {
    return jwt_refusal{"the token is malformed"};
  }
  if (ec) return jwt_refusal{std::string(reason_for(ec))};
  if (obj.header().algo() != jwt::algorithm::HS256) return jwt_refusal{"the token is not signed with HS256"};
  const auto& p = obj.payload();
  jwt_claims c;
  try {
    auto json = p.create_json_obj();
    if (json.contains("iat")) {
      if (!json["iat"].is_number()) return jwt_refusal{"the token's issue time (iat) is not valid"};
      if (json["iat"].get<int64_t>() > now_unix + leeway_seconds)
        return jwt_refusal{"the token was issued in the future (iat); check the clocks"};
    }
    if (json.contains("exp") && !json["exp"].is_number()) return jwt_refusal{"the token's expiry (exp) is not valid"};
    c.subject = claim<std::string>(p, "sub", "");
    c.issuer = claim<std::string>(p, "iss", "");
    c.op = claim<bool>(p, "op", false);
    c.vip = claim<bool>(p, "vip", false);
    c.img = claim<std::string>(p, "img", "");
    c.url = claim<std::string>(p, "url", "");
    c.nick = claim<std::string>(p, "nick", "");
    c.emoji = claim<std::string>(p, "emoji", "");
    c.gender = claim<std::string>(p, "gender", "");
    c.expires = claim<int64_t>(p, "exp", 0);
    if (json.contains("rules") && json["rules"].is_array())
      for (auto& r : json["rules"])
        if (r.is_string()) c.rules.push_back(r.get<std::string>());
    c.payload_json = json.dump();
  } catch (const std::exception&) {
    return jwt_refusal{"the token's claims have the wrong types"};
  }
  if (c.subject.empty()) return jwt_refusal{"the token has no subject (sub) claim"};
  return c;
}

std::variant<jwt_claims, jwt_refusal> verify_jwt(std::string_view token, const settings::jwt& cfg, int64_t now_unix) {
  // Before any decoding: a huge token costs base64 and JSON work for nothing.
  if (token.size() > static_cast<size_t>(cfg.max_token_bytes))
    return jwt_refusal{"the token is too long (" + std::to_string(token.size()) + " bytes; the limit is " +
                       std::to_string(cfg.max_token_bytes) + ")"};
  auto verified = verify_jwt(token, cfg.secret_key, cfg.leeway_seconds, now_unix);
  if (auto* c = std::get_if<jwt_claims>(&verified); c && cfg.require_exp && c->expires == 0)
    return jwt_refusal{"the token has no expiry (exp) claim, which this server requires"};
  return verified;
}

std::string sign_jwt(std::string_view payload_json, std::string_view secret) {
  auto signing_input = base64url(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url(payload_json);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac, &len);
  return signing_input + "." + base64url(std::string_view(reinterpret_cast<char*>(mac), len));
}

std::string resign_jwt(const jwt_claims& claims, std::string_view secret, int64_t now_unix, int64_t lifetime) {
  auto json = nlohmann::json::parse(claims.payload_json, nullptr, false);
  if (!json.is_object()) json = nlohmann::json::object();
  json["exp"] = now_unix + lifetime;
  json["iat"] = now_unix;
  json["nbf"] = now_unix;
  return sign_jwt(json.dump(), secret);
}

std::map<std::string, bool> jwt_rules(const std::vector<std::string>& rules) {
  auto has = [&](std::string_view r) { return std::find(rules.begin(), rules.end(), r) != rules.end(); };
  return {{"IsNoVideoRule", has("novideo")},
          {"IsNoImageRule", has("noimage")},
          {"IsNoBroadcastRule", has("nobroadcast") || has("novideo")},
          {"IsRedCamRule", has("redcam")},
          {"IsNoDarkVideoRule", has("nodvd")}};
}

std::string resolve_claim_url(std::string_view url, std::string_view website_url) {
  if (url.empty()) return {};
  // Nothing that could leave an attribute or hide a scheme: no spaces, controls, quotes, angle
  // brackets or backslashes (browsers read `/\host` as `//host`).
  for (char ch : url)
    if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7F || ch == '"' || ch == '\'' || ch == '<' ||
        ch == '>' || ch == '\\' || ch == '`')
      return {};
  if (url[0] == '/' && (url.size() < 2 || url[1] != '/')) {
    while (!website_url.empty() && website_url.back() == '/') website_url.remove_suffix(1);
    return std::string(website_url) + std::string(url);
  }
  auto lower = std::string(url.substr(0, 8));
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (lower.rfind("https://", 0) == 0 || lower.rfind("http://", 0) == 0) return std::string(url);
  return {};
}

}  // namespace barertc::protocol
