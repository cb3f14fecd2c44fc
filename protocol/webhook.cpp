// Webhook bodies and the profile webhook's answer (server.md E).
#include "protocol/webhook.hpp"

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace barertc::protocol {
namespace {

using writer_t = rapidjson::Writer<rapidjson::StringBuffer>;

void put(writer_t& w, const char* key, std::string_view value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

}  // namespace

std::string report_body(std::string_view api_key, const report& r) {
  rapidjson::StringBuffer buf;
  writer_t w(buf);
  w.StartObject();
  put(w, "Action", "report");
  put(w, "APIKey", api_key);
  w.Key("Report");
  w.StartObject();
  put(w, "FromUsername", r.from_username);
  put(w, "AboutUsername", r.about_username);
  put(w, "Channel", r.channel);
  put(w, "Timestamp", r.timestamp);
  put(w, "Reason", r.reason);
  put(w, "Message", r.message);
  put(w, "Comment", r.comment);
  w.EndObject();
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string profile_body(std::string_view api_key, std::string_view username) {
  rapidjson::StringBuffer buf;
  writer_t w(buf);
  w.StartObject();
  put(w, "Action", "profile");
  put(w, "APIKey", api_key);
  put(w, "Username", username);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

api_reply profile_reply(std::string_view answer) {
  rapidjson::Document d;
  d.Parse(answer.data(), answer.size());
  if (d.HasParseError() || !d.IsObject()) return api_error(500, "The profile webhook did not answer with JSON");
  auto data = d.FindMember("Data");
  if (data == d.MemberEnd() || !data->value.IsObject())
    return api_error(500, "The profile webhook's answer has no 'Data' object");
  auto& v = data->value;
  auto ok = v.FindMember("OK");
  if (ok == v.MemberEnd() || !ok->value.IsBool()) return api_error(500, "The profile webhook's 'Data' has no 'OK'");
  auto fields = v.FindMember("ProfileFields");
  if (fields != v.MemberEnd() && !fields->value.IsArray() && !fields->value.IsNull())
    return api_error(500, "The profile webhook's 'ProfileFields' is not a list");
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  v.Accept(w);
  return {200, std::string(buf.GetString(), buf.GetSize()) + "\n"};
}

}  // namespace barertc::protocol
