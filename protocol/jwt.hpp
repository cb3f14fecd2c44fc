#pragma once
/// HS256 JSON Web Tokens from the host website: verification, claims, and re-signing.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "settings/settings.hpp"

namespace barertc::protocol {

/// The claims BareRTC reads from a verified token (server.md D.2).
struct jwt_claims {
  std::string subject;  ///< `sub`: the chat username.
  std::string issuer;   ///< `iss`, recorded for logs.
  bool op = false;
  bool vip = false;
  std::string img;     ///< avatar URL as in the token
  std::string url;     ///< profile URL as in the token
  std::string nick;
  std::string emoji;
  std::string gender;
  std::vector<std::string> rules;  ///< redcam, nobroadcast, novideo, noimage, nodvd
  int64_t expires = 0;             ///< `exp`, 0 when absent
  std::string payload_json;        ///< The whole payload, for re-signing with the same claims.
};

/// Why a token was refused, in plain words ("the token has expired").
struct jwt_refusal {
  std::string reason;
};

/// Verifies an HS256 token: signature, alg (only HS256; `none` refused), exp/nbf (against the
/// system clock) and iat (against now_unix) with `leeway_seconds`, and a non-empty `sub`.
std::variant<jwt_claims, jwt_refusal> verify_jwt(std::string_view token, std::string_view secret,
                                                 int leeway_seconds, int64_t now_unix);

/// The same, with what `[JWT]` asks besides: MaxTokenBytes (a longer token is refused before it is
/// decoded) and RequireExp (a token without `exp` is refused).
std::variant<jwt_claims, jwt_refusal> verify_jwt(std::string_view token, const settings::jwt& cfg, int64_t now_unix);

/// Signs `claims` again with the same payload and a new expiry (`now + lifetime`).
std::string resign_jwt(const jwt_claims& claims, std::string_view secret, int64_t now_unix,
                       int64_t lifetime_seconds);

/// Signs a payload (a JSON object) as HS256; used for re-signing and by tests.
std::string sign_jwt(std::string_view payload_json, std::string_view secret);

/// The `jwtRules` object sent in pings: IsNoVideoRule, IsNoImageRule, IsNoBroadcastRule,
/// IsRedCamRule, IsNoDarkVideoRule.
std::map<std::string, bool> jwt_rules(const std::vector<std::string>& rules);

/// Joins a relative (`/...`) URL to website_url; keeps http(s) URLs; drops anything else.
std::string resolve_claim_url(std::string_view url, std::string_view website_url);

}  // namespace barertc::protocol
