// Request and response bodies of the polling transport (protocol.md B.8).
#include "protocol/poll.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace barertc::protocol {
namespace {

constexpr unsigned parse_flags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

/// Reads an optional string member; false (with `why`) when it is there but not a string.
bool optional_string(const rapidjson::Value& obj, const char* key, std::string& out, std::string& why) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) return true;
  if (!it->value.IsString()) {
    why = std::string("'") + key + "' must be a string";
    return false;
  }
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

void write_string(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

std::variant<poll_request, poll_refusal> parse_poll_request(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<parse_flags>(body.data(), body.size());
  if (doc.HasParseError())
    return poll_refusal{std::string("Invalid JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) +
                        " (at byte " + std::to_string(doc.GetErrorOffset()) + ")"};
  if (!doc.IsObject())
    return poll_refusal{"The body must be a JSON object: {\"username\", \"session_id\", \"msg\"}"};
  poll_request req;
  std::string why;
  if (!optional_string(doc, "username", req.username, why) || !optional_string(doc, "session_id", req.session_id, why))
    return poll_refusal{why};
  const rapidjson::Value& root = doc;
  auto msg = root.FindMember("msg");
  if (msg != root.MemberEnd() && !msg->value.IsNull()) {
    if (!msg->value.IsObject()) return poll_refusal{"'msg' must be a Message object"};
    std::string action_why;
    if (!optional_string(msg->value, "action", req.action, action_why))
      return poll_refusal{"'msg.action' must be a string"};
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    msg->value.Accept(w);
    req.msg.assign(buf.GetString(), buf.GetSize());
  }
  return req;
}

std::string encode_poll_response(std::string_view username, std::string_view session_id,
                                 const std::vector<frame>& messages) {
  rapidjson::StringBuffer head;
  rapidjson::Writer<rapidjson::StringBuffer> w(head);
  w.StartObject();
  w.Key("username");
  write_string(w, username);
  w.Key("session_id");
  write_string(w, session_id);
  w.Key("messages");
  w.StartArray();
  w.EndArray();
  w.EndObject();
  // The frames are JSON already: spliced into the array rather than parsed and written again.
  std::string_view shell(head.GetString(), head.GetSize());
  size_t size = shell.size();
  for (auto& m : messages) size += m->size() + 1;
  std::string out;
  out.reserve(size);
  out.append(shell.substr(0, shell.size() - 2));  // up to and including '['
  bool first = true;
  for (auto& m : messages) {
    if (!first) out += ',';
    first = false;
    out += *m;
  }
  out += "]}";
  return out;
}

std::optional<std::string> me_username(std::string_view frame_json) {
  // The encoder writes `action` first; anything else is not a `me` and costs no parse.
  constexpr std::string_view prefix = R"({"action":"me")";
  if (frame_json.substr(0, prefix.size()) != prefix) return std::nullopt;
  rapidjson::Document doc;
  doc.Parse<parse_flags>(frame_json.data(), frame_json.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  std::string name, why;
  if (!optional_string(doc, "username", name, why)) return std::nullopt;
  return name;
}

}  // namespace barertc::protocol
