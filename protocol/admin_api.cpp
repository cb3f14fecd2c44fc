// Request checks and replies of the website's JSON APIs (server.md D.3).
#include "protocol/admin_api.hpp"

#include <openssl/crypto.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

namespace barertc::protocol {
namespace {

api_reply reply(int status, bool ok, std::string_view error) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("OK");
  w.Bool(ok);
  if (!error.empty()) {
    w.Key("Error");
    w.String(error.data(), static_cast<rapidjson::SizeType>(error.size()));
  }
  w.EndObject();
  return {status, std::string(buf.GetString(), buf.GetSize()) + "\n"};
}

bool key_matches(const rapidjson::Value& given, const std::string& key) {
  if (key.empty() || !given.IsString() || given.GetStringLength() != key.size()) return false;
  return CRYPTO_memcmp(given.GetString(), key.data(), key.size()) == 0;
}

}  // namespace

api_reply api_ok() { return reply(200, true, {}); }
api_reply api_error(int status, std::string_view error) { return reply(status, false, error); }

std::variant<block_now_request, api_reply> parse_block_now(bool post, std::string_view content_type,
                                                           std::string_view body, const std::string& api_key) {
  if (!post) return api_error(400, "Only POST methods allowed");
  if (content_type != "application/json") return api_error(400, "Only application/json content-types allowed");
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject()) return api_error(400, "The request body is not a JSON object");
  auto key = d.FindMember("APIKey");
  if (key == d.MemberEnd() || !key_matches(key->value, api_key)) return api_error(401, "Authentication denied");
  auto names = d.FindMember("Usernames");
  if (names == d.MemberEnd() || !names->value.IsArray())
    return api_error(400, "'Usernames' must be an array of usernames");
  block_now_request r;
  for (auto& n : names->value.GetArray()) {
    if (!n.IsString()) return api_error(400, "'Usernames' must be an array of usernames");
    r.usernames.emplace_back(n.GetString(), n.GetStringLength());
  }
  return r;
}

}  // namespace barertc::protocol
