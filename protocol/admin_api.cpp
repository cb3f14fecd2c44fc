// Request checks and replies of the website's JSON APIs (server.md D.3).
#include "protocol/admin_api.hpp"

#include <openssl/crypto.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <functional>

namespace barertc::protocol {
namespace {

using pretty_t = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

api_reply reply(int status, bool ok, std::string_view error, const std::function<void(pretty_t&)>& extra = {}) {
  rapidjson::StringBuffer buf;
  pretty_t w(buf);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("OK");
  w.Bool(ok);
  if (!error.empty()) {
    w.Key("Error");
    w.String(error.data(), static_cast<rapidjson::SizeType>(error.size()));
  }
  if (extra) extra(w);
  w.EndObject();
  return {status, std::string(buf.GetString(), buf.GetSize()) + "\n"};
}

bool key_matches(const rapidjson::Value& given, const std::string& key) {
  if (key.empty() || !given.IsString() || given.GetStringLength() != key.size()) return false;
  return CRYPTO_memcmp(given.GetString(), key.data(), key.size()) == 0;
}

/// Reads the fields of one request object; the first problem becomes a 400 naming the field.
class fields {
 public:
  explicit fields(const rapidjson::Value& obj) : obj_(obj) {}
  std::string error;

  void str(const char* key, std::string& out, bool required = true) {
    auto it = obj_.FindMember(key);
    if (it == obj_.MemberEnd() || it->value.IsNull()) {
      if (required) fail(std::string("'") + key + "' is missing");
      return;
    }
    if (!it->value.IsString()) return fail(std::string("'") + key + "' must be a string");
    out.assign(it->value.GetString(), it->value.GetStringLength());
    if (required && out.empty()) fail(std::string("'") + key + "' must not be empty");
  }
  void names(const char* key, std::vector<std::string>& out, bool required = true) {
    auto it = obj_.FindMember(key);
    if (it == obj_.MemberEnd() || it->value.IsNull()) {
      if (required) fail(std::string("'") + key + "' must be an array of usernames");
      return;
    }
    if (!it->value.IsArray()) return fail(std::string("'") + key + "' must be an array of usernames");
    for (auto& n : it->value.GetArray()) {
      if (!n.IsString()) return fail(std::string("'") + key + "' must be an array of usernames");
      out.emplace_back(n.GetString(), n.GetStringLength());
    }
  }
  void integer(const char* key, int64_t& out, int64_t min) {
    auto it = obj_.FindMember(key);
    if (it == obj_.MemberEnd() || it->value.IsNull()) return;
    if (!it->value.IsInt64() || it->value.GetInt64() < min)
      return fail(std::string("'") + key + "' must be a whole number of at least " + std::to_string(min));
    out = it->value.GetInt64();
  }
  void boolean(const char* key, bool& out) {
    auto it = obj_.FindMember(key);
    if (it == obj_.MemberEnd() || it->value.IsNull()) return;
    if (!it->value.IsBool()) return fail(std::string("'") + key + "' must be true or false");
    out = it->value.GetBool();
  }

 private:
  void fail(std::string e) {
    if (error.empty()) error = std::move(e);
  }
  const rapidjson::Value& obj_;
};

template <class T>
api_request checked(fields& f, T&& request) {
  if (!f.error.empty()) return api_error(400, f.error);
  return std::forward<T>(request);
}

std::string compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace

api_reply api_ok() { return reply(200, true, {}); }
api_reply api_error(int status, std::string_view error) { return reply(status, false, error); }

api_reply api_ok_jwt(std::string_view token) {
  return reply(200, true, {}, [&](pretty_t& w) {
    w.Key("JWT");
    w.String(token.data(), static_cast<rapidjson::SizeType>(token.size()));
  });
}

api_reply api_ok_removed(int64_t removed) {
  return reply(200, true, {}, [&](pretty_t& w) {
    w.Key("Removed");
    w.Int64(removed);
  });
}

api_reply api_ok_history(const std::vector<history_entry>& messages, int64_t remaining) {
  return reply(200, true, {}, [&](pretty_t& w) {
    w.Key("Messages");
    w.StartArray();
    for (auto& m : messages) {
      w.StartObject();
      w.Key("username");
      w.String(m.username.data(), static_cast<rapidjson::SizeType>(m.username.size()));
      w.Key("message");
      w.String(m.message.data(), static_cast<rapidjson::SizeType>(m.message.size()));
      w.Key("msgID");
      w.Int64(m.msg_id);
      w.Key("timestamp");
      w.String(m.timestamp.data(), static_cast<rapidjson::SizeType>(m.timestamp.size()));
      w.EndObject();
    }
    w.EndArray();
    w.Key("Remaining");
    w.Int64(remaining);
  });
}

api_reply api_ok_usernames(const std::vector<std::string>& usernames, int64_t count, int64_t pages) {
  return reply(200, true, {}, [&](pretty_t& w) {
    w.Key("Usernames");
    w.StartArray();
    for (auto& u : usernames) w.String(u.data(), static_cast<rapidjson::SizeType>(u.size()));
    w.EndArray();
    w.Key("Count");
    w.Int64(count);
    w.Key("Pages");
    w.Int64(pages);
  });
}

api_reply api_ok_erased(int64_t erased) {
  return reply(200, true, {}, [&](pretty_t& w) {
    w.Key("MessagesErased");
    w.Int64(erased);
  });
}

api_request parse_api(std::string_view path, bool post, std::string_view content_type, std::string_view body,
                      const std::string& api_key) {
  static const char* known[] = {"/api/block/now", "/api/authenticate", "/api/amend-jwt", "/api/shutdown",
                                "/api/blocklist", "/api/disconnect/now", "/api/profile",
                                "/api/message/history", "/api/message/usernames", "/api/message/clear"};
  if (std::find(std::begin(known), std::end(known), path) == std::end(known)) return api_error(404, "Not found");
  if (!post) return api_error(400, "Only POST methods allowed");
  if (content_type != "application/json") return api_error(400, "Only application/json content-types allowed");
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject()) return api_error(400, "The request body is not a JSON object");
  fields f(d);
  if (path == "/api/profile") {
    profile_request r;
    f.str("JWTToken", r.token);
    f.str("Username", r.username);
    return checked(f, std::move(r));
  }
  if (path == "/api/message/history") {
    history_request r;
    f.str("JWTToken", r.token);
    f.str("Username", r.username);
    f.integer("BeforeID", r.before_id, 0);
    return checked(f, std::move(r));
  }
  if (path == "/api/message/usernames") {
    usernames_request r;
    f.str("JWTToken", r.token);
    f.str("Sort", r.sort, false);
    f.integer("Page", r.page, 1);
    if (r.sort.empty()) r.sort = "newest";
    if (f.error.empty() && r.sort != "newest" && r.sort != "oldest" && r.sort != "a-z" && r.sort != "z-a")
      return api_error(400, "'Sort' must be one of newest, oldest, a-z, z-a");
    return checked(f, std::move(r));
  }
  if (path == "/api/message/clear" && !d.HasMember("APIKey")) {
    clear_request r;  // the user's own, by their token
    f.str("JWTToken", r.token);
    return checked(f, std::move(r));
  }
  auto key = d.FindMember("APIKey");
  if (key == d.MemberEnd() || !key_matches(key->value, api_key)) return api_error(401, "Authentication denied");
  if (path == "/api/block/now") {
    block_now_request r;
    f.names("Usernames", r.usernames);
    return checked(f, std::move(r));
  }
  if (path == "/api/authenticate") {
    auto c = d.FindMember("Claims");
    if (c == d.MemberEnd() || !c->value.IsObject()) return api_error(400, "'Claims' must be an object");
    fields claims(c->value);
    std::string sub;
    claims.str("sub", sub);
    if (!claims.error.empty()) return api_error(400, "Claims: " + claims.error);
    return authenticate_request{compact(c->value)};
  }
  if (path == "/api/amend-jwt") {
    amend_request r;
    f.str("Username", r.username);
    f.str("JWTToken", r.token);
    return checked(f, std::move(r));
  }
  if (path == "/api/shutdown") return shutdown_request{};
  if (path == "/api/message/clear") {
    clear_request r;  // the website's, for any user
    f.str("Username", r.username);
    return checked(f, std::move(r));
  }
  if (path == "/api/blocklist") {
    blocklist_request r;
    f.str("Username", r.username);
    f.names("Blocklist", r.blocklist);
    return checked(f, std::move(r));
  }
  disconnect_request r;  // /api/disconnect/now
  f.names("Usernames", r.usernames);
  f.str("Message", r.message, false);
  f.boolean("Kick", r.kick);
  return checked(f, std::move(r));
}

std::string authenticate_payload(std::string_view claims_json, int64_t now_unix, int64_t lifetime_seconds) {
  rapidjson::Document d;
  d.Parse(claims_json.data(), claims_json.size());
  if (!d.IsObject()) d.SetObject();
  auto set = [&](const char* key, int64_t v) {
    if (auto it = d.FindMember(key); it != d.MemberEnd()) it->value.SetInt64(v);
    else d.AddMember(rapidjson::Value(key, d.GetAllocator()), rapidjson::Value(v), d.GetAllocator());
  };
  set("iat", now_unix);
  set("exp", now_unix + lifetime_seconds);
  return compact(d);
}

}  // namespace barertc::protocol
