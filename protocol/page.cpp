#include "protocol/page.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocol/jwt.hpp"
#include "protocol/markdown.hpp"

namespace barertc::protocol {
namespace {

using writer_t = rapidjson::Writer<rapidjson::StringBuffer>;

void str(writer_t& w, const char* key, const std::string& v) {
  w.Key(key);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
void strings(writer_t& w, const char* key, const std::vector<std::string>& vs) {
  w.Key(key);
  w.StartArray();
  for (auto& v : vs) w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  w.EndArray();
}
void boolean(writer_t& w, const char* key, bool b) {
  w.Key(key);
  w.Bool(b);
}

page_response refuse(const settings::settings& cfg, const std::string& why) {
  page_response r;
  if (!cfg.jwt.landing_page_url.empty()) {
    r.status = 302;
    r.location = cfg.jwt.landing_page_url;
    r.body = "Redirecting to " + escape_html(cfg.jwt.landing_page_url);
    return r;
  }
  r.status = 403;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "Authentication denied" + (why.empty() ? std::string() : ": " + why) + "\n";
  return r;
}

}  // namespace

std::string page_config_json(const settings::settings& cfg, std::string_view token, bool valid,
                             const std::string& claims_json, const std::string& error) {
  rapidjson::StringBuffer buf;
  writer_t w(buf);
  w.StartObject();
  str(w, "Title", cfg.title);
  str(w, "Branding", cfg.branding);
  str(w, "WebsiteURL", cfg.website_url);
  boolean(w, "PermitNSFW", cfg.permit_nsfw);
  w.Key("PublicChannels");
  w.StartArray();
  for (auto& c : cfg.public_channels) {
    w.StartObject();
    str(w, "ID", c.id);
    str(w, "Name", c.name);
    if (!c.icon.empty()) str(w, "Icon", c.icon);
    boolean(w, "VIP", c.vip);
    boolean(w, "PermitPhotos", c.permit_photos);
    w.EndObject();
  }
  w.EndArray();
  w.Key("TURN");
  w.StartObject();
  strings(w, "URLs", cfg.turn.urls);
  str(w, "Username", cfg.turn.username);
  str(w, "Credential", cfg.turn.credential);
  w.EndObject();
  w.Key("VIP");
  w.StartObject();
  str(w, "Name", cfg.vip.name);
  str(w, "Branding", cfg.vip.branding);
  str(w, "Icon", cfg.vip.icon);
  boolean(w, "MutuallySecret", cfg.vip.mutually_secret);
  w.EndObject();
  // Which webhooks are on (server.md E): the Report button and the profile card's details follow
  // them. Their URLs stay on the server.
  w.Key("WebhookURLs");
  w.StartArray();
  for (auto& h : cfg.webhook_urls) {
    w.StartObject();
    str(w, "Name", h.name);
    boolean(w, "Enabled", !cfg.webhook_url(h.name).empty());
    w.EndObject();
  }
  w.EndArray();
  // DM history (server.md A.4): whether DM threads load older messages, and the disclaimer banner.
  w.Key("DirectMessageHistory");
  w.StartObject();
  boolean(w, "Enabled", cfg.direct_message_history.enabled);
  str(w, "DisclaimerMessage", cfg.direct_message_history.enabled ? cfg.direct_message_history.disclaimer_message : "");
  w.EndObject();
  w.Key("JWT");
  w.StartObject();
  boolean(w, "Enabled", cfg.jwt.enabled);
  boolean(w, "Strict", cfg.jwt.strict);
  w.Key("Token");
  w.String(token.data(), static_cast<rapidjson::SizeType>(token.size()));
  boolean(w, "Valid", valid);
  w.Key("Claims");
  if (claims_json.empty())
    w.StartObject(), w.EndObject();
  else
    w.RawValue(claims_json.data(), claims_json.size(), rapidjson::kObjectType);
  if (!error.empty()) str(w, "Error", error);
  w.EndObject();
  w.EndObject();
  std::string json(buf.GetString(), buf.GetSize());
  // Safe inside <script>: no "</script>" or "<!--" can close or confuse the element.
  std::string out;
  out.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    if (json[i] == '<') {
      out += "\\u003c";
    } else {
      out += json[i];
    }
  }
  return out;
}

page_response chat_page(const settings::settings& cfg, std::string_view token, const std::string& index_html,
                        int64_t now_unix) {
  bool valid = false;
  std::string claims_json, error;
  if (cfg.jwt.enabled) {
    if (!token.empty()) {
      auto verified = verify_jwt(token, cfg.jwt, now_unix);
      if (auto* c = std::get_if<jwt_claims>(&verified)) {
        valid = true;
        claims_json = c->payload_json;
      } else {
        error = std::get<jwt_refusal>(verified).reason;
        if (error == "the token is malformed") {
          page_response r;
          r.status = 403;
          r.content_type = "text/plain; charset=utf-8";
          r.body = "Error parsing your JWT token: " + error + "\n";
          return r;
        }
      }
    }
    if (cfg.jwt.strict && !valid) return refuse(cfg, error);
  }
  page_response r;
  r.body = index_html;
  // The tab shows the configured Title from the first paint, not the built page's placeholder.
  if (auto open = r.body.find("<title>"); open != std::string::npos)
    if (auto close = r.body.find("</title>", open); close != std::string::npos)
      r.body.replace(open + 7, close - open - 7, escape_html(cfg.title));
  auto script = "<script>window.BareRTC = " +
                page_config_json(cfg, valid ? token : std::string_view{}, valid, claims_json, error) +
                ";</script>";
  if (auto head = r.body.find("</head>"); head != std::string::npos)
    r.body.insert(head, script);
  else
    r.body.insert(0, script);
  return r;
}

}  // namespace barertc::protocol
