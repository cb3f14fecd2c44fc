#include "protocol/codec.hpp"

#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <cmath>
#include <ctime>
#include <limits>

namespace barertc::protocol {
namespace {

using value = rapidjson::Value;

/// Reads typed fields out of one JSON object and remembers the first type mismatch.
class reader {
 public:
  explicit reader(const value& obj) : obj_(obj) {}

  void str(const char* key, std::string& out) {
    if (auto* v = find(key)) {
      if (v->IsString())
        out.assign(v->GetString(), v->GetStringLength());
      else if (!v->IsNull())
        fail(key, "a string");
    }
  }
  void boolean(const char* key, bool& out) {
    if (auto* v = find(key)) {
      if (v->IsBool())
        out = v->GetBool();
      else if (!v->IsNull())
        fail(key, "true or false");
    }
  }
  template <class Int>
  void integer(const char* key, Int& out) {
    if (auto* v = find(key)) {
      if (v->IsInt64() && v->GetInt64() >= std::numeric_limits<Int>::min() &&
          v->GetInt64() <= std::numeric_limits<Int>::max())
        out = static_cast<Int>(v->GetInt64());
      else if (v->IsDouble() && std::isfinite(v->GetDouble()) &&
               v->GetDouble() == std::floor(v->GetDouble()) &&
               std::abs(v->GetDouble()) < 9e15 &&
               v->GetDouble() >= static_cast<double>(std::numeric_limits<Int>::min()) &&
               v->GetDouble() <= static_cast<double>(std::numeric_limits<Int>::max()))
        out = static_cast<Int>(v->GetDouble());
      else if (!v->IsNull())
        fail(key, "a whole number");
    }
  }
  void strings(const char* key, std::vector<std::string>& out) {
    if (auto* v = find(key)) {
      if (v->IsNull()) return;
      if (!v->IsArray()) return fail(key, "an array of strings");
      for (auto& item : v->GetArray()) {
        if (!item.IsString()) return fail(key, "an array of strings");
        out.emplace_back(item.GetString(), item.GetStringLength());
      }
    }
  }
  /// `bytes`: the browser sends an array of 0-255 integers; a base64 string is also accepted.
  void byte_array(const char* key, std::string& out) {
    if (auto* v = find(key)) {
      if (v->IsNull()) return;
      if (v->IsString()) return base64(*v, key, out);
      if (!v->IsArray()) return fail(key, "an array of bytes");
      out.reserve(v->Size());
      for (auto& item : v->GetArray()) {
        if (!item.IsInt() || item.GetInt() < 0 || item.GetInt() > 255)
          return fail(key, "an array of bytes");
        out.push_back(static_cast<char>(item.GetInt()));
      }
    }
  }
  void rules(const char* key, std::map<std::string, bool>& out) {
    if (auto* v = find(key)) {
      if (v->IsNull()) return;
      if (!v->IsObject()) return fail(key, "an object");
      for (auto& m : v->GetObject()) {
        if (!m.value.IsBool()) return fail(key, "an object of true/false values");
        out[m.name.GetString()] = m.value.GetBool();
      }
    }
  }
  const value* find(const char* key) {
    auto it = obj_.FindMember(key);
    return it == obj_.MemberEnd() ? nullptr : &it->value;
  }
  void fail(const char* key, const char* expected) {
    if (error.empty()) error = std::string("field '") + key + "' must be " + expected;
  }

  std::string error;

 private:
  void base64(const value& v, const char* key, std::string& out) {
    static constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : std::string_view(v.GetString(), v.GetStringLength())) {
      if (c == '=' || c == '\n' || c == '\r') continue;
      auto pos = alphabet.find(static_cast<char>(c));
      if (pos == std::string_view::npos) return fail(key, "base64 or an array of bytes");
      acc = (acc << 6) | static_cast<uint32_t>(pos);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out.push_back(static_cast<char>((acc >> bits) & 0xFF));
      }
    }
  }

  const value& obj_;
};

void read_who(reader& r, who_entry& w) {
  r.str("username", w.username);
  r.str("nickname", w.nickname);
  r.str("status", w.status);
  r.integer("video", w.video);
  r.boolean("dnd", w.dnd);
  r.integer("loginAt", w.login_at);
  r.boolean("op", w.op);
  r.boolean("vip", w.vip);
  r.str("avatar", w.avatar);
  r.str("profileURL", w.profile_url);
  r.str("emoji", w.emoji);
  r.str("gender", w.gender);
}

void read_message(const value& obj, message& m, std::string& error, int depth) {
  reader r(obj);
  r.str("action", m.action);
  r.str("channel", m.channel);
  r.str("username", m.username);
  r.str("message", m.message);
  r.str("jwt", m.jwt);
  r.integer("video", m.video);
  r.str("status", m.status);
  r.boolean("dnd", m.dnd);
  r.integer("msgID", m.msg_id);
  r.str("openSecret", m.open_secret);
  r.byte_array("bytes", m.bytes);
  r.strings("usernames", m.usernames);
  r.str("timestamp", m.timestamp);
  r.str("reason", m.reason);
  r.str("comment", m.comment);
  r.rules("jwtRules", m.jwt_rules);
  r.str("candidate", m.candidate);
  r.str("description", m.description);
  if (r.find("videoActive") || r.find("nsfw")) m.legacy_video = true;
  r.boolean("videoActive", m.video_active);
  r.boolean("nsfw", m.nsfw);
  if (auto* list = r.find("whoList"); list && list->IsArray()) {
    for (auto& item : list->GetArray()) {
      if (!item.IsObject()) {
        r.fail("whoList", "an array of objects");
        break;
      }
      reader wr(item);
      read_who(wr, m.who_list.emplace_back());
      if (!wr.error.empty() && r.error.empty()) r.error = wr.error;
    }
  } else if (list && !list->IsNull()) {
    r.fail("whoList", "an array of objects");
  }
  if (auto* inner = r.find("messages"); inner && inner->IsArray() && depth < 2) {
    for (auto& item : inner->GetArray()) {
      if (!item.IsObject()) {
        r.fail("messages", "an array of objects");
        break;
      }
      read_message(item, m.messages.emplace_back(), r.error, depth + 1);
    }
  }
  if (error.empty()) error = r.error;
}

using writer_t = rapidjson::Writer<rapidjson::StringBuffer>;

void put(writer_t& w, const char* key, const std::string& s) {
  if (s.empty()) return;
  w.Key(key);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void put(writer_t& w, const char* key, bool b) {
  if (!b) return;
  w.Key(key);
  w.Bool(true);
}
void put_int(writer_t& w, const char* key, int64_t n, bool always = false) {
  if (n == 0 && !always) return;
  w.Key(key);
  w.Int64(n);
}

void write_who(writer_t& w, const who_entry& e) {
  w.StartObject();
  w.Key("username");
  w.String(e.username.data(), static_cast<rapidjson::SizeType>(e.username.size()));
  put(w, "nickname", e.nickname);
  w.Key("status");
  w.String(e.status.data(), static_cast<rapidjson::SizeType>(e.status.size()));
  put_int(w, "video", e.video, true);
  put(w, "dnd", e.dnd);
  put_int(w, "loginAt", e.login_at, true);
  w.Key("op");
  w.Bool(e.op);
  put(w, "vip", e.vip);
  put(w, "avatar", e.avatar);
  put(w, "profileURL", e.profile_url);
  put(w, "emoji", e.emoji);
  put(w, "gender", e.gender);
  // The first BareRTC clients read these booleans instead of `video`.
  put(w, "videoActive", (e.video & video::active) != 0);
  put(w, "nsfw", (e.video & video::active) != 0 && (e.video & video::nsfw) != 0);
  w.EndObject();
}

void write_message(writer_t& w, const message& m) {
  w.StartObject();
  put(w, "action", m.action);
  put(w, "channel", m.channel);
  put(w, "username", m.username);
  put(w, "message", m.message);
  put(w, "jwt", m.jwt);
  if (!m.who_list.empty() || m.action == "who") {
    w.Key("whoList");
    w.StartArray();
    for (auto& e : m.who_list) write_who(w, e);
    w.EndArray();
  }
  put_int(w, "video", m.video);
  put(w, "status", m.status);
  put(w, "dnd", m.dnd);
  put_int(w, "msgID", m.msg_id);
  put(w, "openSecret", m.open_secret);
  if (!m.bytes.empty()) {
    w.Key("bytes");
    w.StartArray();
    for (unsigned char c : m.bytes) w.Uint(c);
    w.EndArray();
  }
  if (!m.usernames.empty()) {
    w.Key("usernames");
    w.StartArray();
    for (auto& u : m.usernames) w.String(u.data(), static_cast<rapidjson::SizeType>(u.size()));
    w.EndArray();
  }
  put(w, "timestamp", m.timestamp);
  put(w, "reason", m.reason);
  put(w, "comment", m.comment);
  if (!m.messages.empty()) {
    w.Key("messages");
    w.StartArray();
    for (auto& inner : m.messages) write_message(w, inner);
    w.EndArray();
  }
  if (!m.jwt_rules.empty()) {
    w.Key("jwtRules");
    w.StartObject();
    for (auto& [k, v] : m.jwt_rules) {
      w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
      w.Bool(v);
    }
    w.EndObject();
  }
  put(w, "candidate", m.candidate);
  put(w, "description", m.description);
  put(w, "videoActive", m.video_active);
  put(w, "nsfw", m.nsfw);
  w.EndObject();
}

/// Byte offset of a `\uDC00`-`\uDFFF` escape that does not follow a high-surrogate escape, or
/// npos. RapidJSON 1.1.0 turns such a lone low surrogate into bytes that are not UTF-8, and a
/// browser that receives them in a text frame must close its WebSocket (RFC 6455 8.1): relayed,
/// one message would disconnect everyone who sees it (found by test/fuzz/fuzz_codec).
size_t lone_low_surrogate(std::string_view json) {
  auto hex4 = [&](size_t at) -> long {
    if (at + 4 > json.size()) return -1;
    long v = 0;
    for (size_t i = at; i < at + 4; ++i) {
      char c = static_cast<char>(std::tolower(static_cast<unsigned char>(json[i])));
      if (c >= '0' && c <= '9')
        v = v * 16 + (c - '0');
      else if (c >= 'a' && c <= 'f')
        v = v * 16 + (c - 'a' + 10);
      else
        return -1;
    }
    return v;
  };
  size_t after_high = std::string_view::npos;  // where an escape right after a high surrogate starts
  for (size_t i = json.find('\\'); i != std::string_view::npos && i + 1 < json.size();
       i = json.find('\\', i)) {
    long v = json[i + 1] == 'u' ? hex4(i + 2) : -1;
    if (v >= 0xDC00 && v <= 0xDFFF && i != after_high) return i;
    after_high = v >= 0xD800 && v <= 0xDBFF ? i + 6 : std::string_view::npos;
    i += v >= 0 ? 6 : 2;
  }
  return std::string_view::npos;
}

}  // namespace

namespace {

/// SAX events into a Document, except the elements of the top-level `bytes` array, which become
/// the raw bytes at once: a photo sent as the browser's array of integers is millions of numbers,
/// and a DOM value for each cost several times the image work itself. Anything but integers
/// 0-255 in it stops the parse (the caller then decodes the usual way, for the usual error).
struct bytes_sieve {
  rapidjson::Document& doc;
  std::string& bytes;
  int depth = 0;          // object nesting
  bool next_is_bytes = false;
  bool in_bytes = false;
  bool seen = false;

  bool value() { return next_is_bytes = false, true; }
  bool Null() { return !in_bytes && value() && doc.Null(); }
  bool Bool(bool b) { return !in_bytes && value() && doc.Bool(b); }
  bool Int(int i) { return !in_bytes && value() && doc.Int(i); }
  bool Uint(unsigned u) {
    if (in_bytes) {
      if (u > 255) return false;
      bytes.push_back(static_cast<char>(u));
      return true;
    }
    return value() && doc.Uint(u);
  }
  bool Int64(int64_t i) { return !in_bytes && value() && doc.Int64(i); }
  bool Uint64(uint64_t u) { return !in_bytes && value() && doc.Uint64(u); }
  bool Double(double d) { return !in_bytes && value() && doc.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) { return !in_bytes && value() && doc.RawNumber(s, n, copy); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return !in_bytes && value() && doc.String(s, n, copy); }
  bool StartObject() { return !in_bytes && value() && (++depth, doc.StartObject()); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) {
    next_is_bytes = depth == 1 && std::string_view(s, n) == "bytes";
    if (next_is_bytes && seen) return false;  // a second `bytes`: the usual way decides
    return doc.Key(s, n, copy);
  }
  bool EndObject(rapidjson::SizeType n) { return --depth, doc.EndObject(n); }
  bool StartArray() {
    if (in_bytes) return false;
    if (next_is_bytes) in_bytes = seen = true;
    next_is_bytes = false;
    return doc.StartArray();
  }
  bool EndArray(rapidjson::SizeType n) {
    if (in_bytes) return in_bytes = false, doc.EndArray(0);
    return doc.EndArray(n);
  }
};

constexpr unsigned parse_flags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
constexpr size_t sieve_above = 64 << 10;  // smaller frames are not worth a second code path

}  // namespace

std::variant<message, decode_error> decode(std::string_view json) {
  if (json.size() > sieve_above) {
    std::string raw;
    rapidjson::Document doc;
    bool parsed = false;
    auto generate = [&](rapidjson::Document& d) {
      rapidjson::MemoryStream ms(json.data(), json.size());
      rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
      rapidjson::Reader reader;
      bytes_sieve sieve{d, raw};
      return parsed = !reader.Parse<parse_flags>(is, sieve).IsError();
    };
    doc.Populate(generate);
    if (parsed && doc.IsObject() && lone_low_surrogate(json) == std::string_view::npos) {
      message m;
      std::string error;
      read_message(doc, m, error, 0);
      if (error.empty()) {
        if (!raw.empty()) m.bytes = std::move(raw);
        return m;
      }
    }
    // Any doubt: the usual parse below finds the error and says it the usual way.
  }
  if (auto at = lone_low_surrogate(json); at != std::string_view::npos)
    return decode_error{"Invalid JSON: lone surrogate in a \\u escape (at byte " + std::to_string(at) + ")"};
  rapidjson::Document doc;
  doc.Parse<parse_flags>(json.data(), json.size());
  if (doc.HasParseError())
    return decode_error{std::string("Invalid JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) +
                        " (at byte " + std::to_string(doc.GetErrorOffset()) + ")"};
  if (!doc.IsObject()) return decode_error{"Invalid message: expected a JSON object"};
  message m;
  std::string error;
  read_message(doc, m, error, 0);
  if (!error.empty()) return decode_error{"Invalid message: " + error};
  return m;
}

std::string encode(const message& msg) {
  rapidjson::StringBuffer buf;
  writer_t w(buf);
  write_message(w, msg);
  return {buf.GetString(), buf.GetSize()};
}

frame encode_frame(const message& msg) { return shared_frame(encode(msg)); }

std::string encode_who_entry(const who_entry& entry) {
  rapidjson::StringBuffer buf;
  writer_t w(buf);
  write_who(w, entry);
  return {buf.GetString(), buf.GetSize()};
}

std::string encode_statistics(const std::vector<std::string>& usernames, int blue_cameras,
                              int red_cameras) {
  rapidjson::StringBuffer buf;
  writer_t w(buf);
  w.StartObject();
  w.Key("UserCount");
  w.Int(static_cast<int>(usernames.size()));
  w.Key("Usernames");
  w.StartArray();
  for (auto& u : usernames) w.String(u.data(), static_cast<rapidjson::SizeType>(u.size()));
  w.EndArray();
  w.Key("Cameras");
  w.StartObject();
  w.Key("Blue");
  w.Int(blue_cameras);
  w.Key("Red");
  w.Int(red_cameras);
  w.EndObject();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string rfc3339(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

message chat_server(std::string html, std::string channel) {
  message m;
  m.action = "error";
  m.username = "ChatServer";
  m.message = std::move(html);
  m.channel = std::move(channel);
  return m;
}

}  // namespace barertc::protocol
