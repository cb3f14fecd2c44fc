#include "settings/settings.hpp"
#include "protocol/uuid.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <re2/re2.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace barertc::settings {
namespace {

/// Reads keys of one TOML table into typed fields, collecting a message per problem.
class table_reader {
 public:
  table_reader(const toml::table& tbl, std::string prefix, std::string source, errors& errs)
      : tbl_(tbl), prefix_(std::move(prefix)), source_(std::move(source)), errs_(errs) {}

  void str(const char* key, std::string& out) {
    if (auto* n = take(key)) {
      if (auto v = n->value_exact<std::string>())
        out = *v;
      else
        bad(*n, key, "a string");
    }
  }
  void boolean(const char* key, bool& out) {
    if (auto* n = take(key)) {
      if (auto v = n->value_exact<bool>())
        out = *v;
      else
        bad(*n, key, "true or false");
    }
  }
  template <class Int>
  void integer(const char* key, Int& out, int64_t min, int64_t max) {
    if (auto* n = take(key)) {
      auto v = n->value_exact<int64_t>();
      if (!v)
        bad(*n, key, "a whole number");
      else if (*v < min || *v > max)
        bad(*n, key, "between " + std::to_string(min) + " and " + std::to_string(max));
      else
        out = static_cast<Int>(*v);
    }
  }
  void number(const char* key, double& out, double min) {
    if (auto* n = take(key)) {
      std::optional<double> v = n->value_exact<double>();
      if (!v)
        if (auto i = n->value_exact<int64_t>()) v = static_cast<double>(*i);
      if (!v || !std::isfinite(*v) || *v < min)  // nan and inf would switch the limit off unnoticed
        bad(*n, key, "a number of at least " + std::to_string(static_cast<int>(min)));
      else
        out = *v;
    }
  }
  void strings(const char* key, std::vector<std::string>& out) {
    if (auto* n = take(key)) {
      auto* arr = n->as_array();
      std::vector<std::string> vals;
      if (arr)
        for (auto& item : *arr) {
          if (auto v = item.value_exact<std::string>())
            vals.push_back(*v);
          else
            arr = nullptr;
          if (!arr) break;
        }
      if (!arr)
        bad(*n, key, "an array of strings");
      else
        out = std::move(vals);
    }
  }
  /// Keys that are allowed but read elsewhere (or kept for the reference server's sections).
  void accept(const char* key) { seen_.insert(key); }

  /// Reports every key that no reader asked for.
  void unknown_keys_are(const char* what) {
    for (auto&& [k, v] : tbl_)
      if (!seen_.count(std::string(k.str())))
        errs_.problems.push_back(where(v) + "unknown " + what + " '" + prefix_ + std::string(k.str()) +
                                 "'");
  }

  std::string where(const toml::node& n) const {
    return source_ + ":" + std::to_string(n.source().begin.line) + ": ";
  }
  const toml::node* take(const char* key) {
    seen_.insert(key);
    return tbl_.get(key);
  }
  void bad(const toml::node& n, const std::string& key, const std::string& expected) {
    errs_.problems.push_back(where(n) + "'" + prefix_ + key + "' must be " + expected);
  }

 private:
  const toml::table& tbl_;
  std::string prefix_;
  std::string source_;
  errors& errs_;
  std::set<std::string> seen_;
};

const toml::table* sub_table(table_reader& top, const char* key) {
  auto* n = top.take(key);
  if (!n) return nullptr;
  if (auto* t = n->as_table()) return t;
  top.bad(*n, key, "a table ([" + std::string(key) + "])");
  return nullptr;
}

void read_channels(table_reader& top, const std::string& source, errors& errs, settings& s) {
  auto* n = top.take("PublicChannels");
  if (!n) {
    errs.problems.push_back(source + ": no [[PublicChannels]]: at least one channel is needed");
    return;
  }
  auto* arr = n->as_array();
  if (arr && arr->empty()) {
    errs.problems.push_back(top.where(*n) + "'PublicChannels' is empty: at least one channel is needed");
    return;
  }
  if (!arr || !arr->is_array_of_tables()) return top.bad(*n, "PublicChannels", "an array of tables ([[PublicChannels]])");
  std::set<std::string> ids;
  for (size_t i = 0; i < arr->size(); ++i) {
    auto& tbl = *arr->get(i)->as_table();
    table_reader r(tbl, "PublicChannels[" + std::to_string(i) + "].", source, errs);
    channel c;
    r.str("ID", c.id);
    r.str("Name", c.name);
    r.str("Icon", c.icon);
    r.strings("WelcomeMessages", c.welcome_messages);
    r.boolean("VIP", c.vip);
    r.boolean("PermitPhotos", c.permit_photos);
    r.integer("EchoMessagesOnJoin", c.echo_messages_on_join, 0, 1000);
    r.unknown_keys_are("channel field");
    if (c.id.empty())
      errs.problems.push_back(r.where(tbl) + "'PublicChannels[" + std::to_string(i) + "].ID' is missing or empty");
    else if (c.id[0] == '@')
      errs.problems.push_back(r.where(tbl) + "'PublicChannels[" + std::to_string(i) + "].ID' may not start with @");
    else if (!ids.insert(c.id).second)
      errs.problems.push_back(r.where(tbl) + "duplicate channel ID '" + c.id + "' in 'PublicChannels[" +
                              std::to_string(i) + "]'");
    if (c.name.empty()) c.name = c.id;
    s.public_channels.push_back(std::move(c));
  }
}

/// Calls `read(table, prefix, reader)` for each table of the array of tables `key` ([[key]]).
template <class F>
void each_table(table_reader& top, const char* key, const std::string& source, errors& errs, F read) {
  auto* n = top.take(key);
  if (!n) return;
  auto* arr = n->as_array();
  if (!arr || !arr->is_array_of_tables())
    return top.bad(*n, key, std::string("an array of tables ([[") + key + "]])");
  for (size_t i = 0; i < arr->size(); ++i) {
    auto prefix = std::string(key) + "[" + std::to_string(i) + "].";
    auto& tbl = *arr->get(i)->as_table();
    table_reader r(tbl, prefix, source, errs);
    read(tbl, prefix, r);
  }
}

/// `[[MessageFilters]]`: each phrase must compile as an RE2 expression; a bad one is reported
/// with its line and RE2's reason.
void read_filters(table_reader& top, const std::string& source, errors& errs, settings& s) {
  each_table(top, "MessageFilters", source, errs, [&](const toml::table& tbl, const std::string& prefix, table_reader& r) {
    message_filter f;
    r.boolean("Enabled", f.enabled);
    r.boolean("PublicChannels", f.public_channels);
    r.boolean("PrivateChannels", f.private_channels);
    r.strings("KeywordPhrases", f.keyword_phrases);
    r.boolean("CensorMessage", f.censor_message);
    r.boolean("ForwardMessage", f.forward_message);
    r.boolean("ReportMessage", f.report_message);
    r.str("ChatServerResponse", f.chat_server_response);
    r.unknown_keys_are("key");
    if (auto* phrases = tbl.get("KeywordPhrases"); phrases && phrases->as_array()) {
      size_t k = 0;
      for (auto& item : *phrases->as_array()) {
        if (auto v = item.value_exact<std::string>()) {
          RE2::Options opt;
          opt.set_log_errors(false);
          RE2 re(*v, opt);
          if (!re.ok())
            errs.problems.push_back(r.where(item) + "'" + prefix + "KeywordPhrases[" + std::to_string(k) +
                                    "]' is not a valid regular expression: " + re.error());
        }
        ++k;
      }
    }
    s.message_filters.push_back(std::move(f));
  });
}

/// `[[WebhookURLs]]`: Name is `report` or `profile`; an enabled one needs an http(s) URL.
void read_webhooks(table_reader& top, const std::string& source, errors& errs, settings& s) {
  each_table(top, "WebhookURLs", source, errs, [&](const toml::table& tbl, const std::string& prefix, table_reader& r) {
    webhook w;
    r.str("Name", w.name);
    r.boolean("Enabled", w.enabled);
    r.str("URL", w.url);
    r.unknown_keys_are("key");
    auto where = r.where(tbl);
    if (w.name != "report" && w.name != "profile")
      errs.problems.push_back(where + "'" + prefix + "Name' must be \"report\" or \"profile\"");
    else if (w.enabled && w.url.rfind("http://", 0) != 0 && w.url.rfind("https://", 0) != 0)
      errs.problems.push_back(where + "'" + prefix + "URL' must be an http:// or https:// URL when Enabled");
    s.webhook_urls.push_back(std::move(w));
  });
}

}  // namespace

settings defaults() {
  settings s;
  s.admin_api_key = protocol::random_uuid();  // a CSPRNG: the key guards the website's APIs
  s.jwt.require_exp = true;  // old files without the key keep accepting tokens without exp
  channel lobby;
  lobby.id = "lobby";
  lobby.name = "Lobby";
  lobby.icon = "fa fa-gavel";
  lobby.welcome_messages = {"Welcome to the chat server!",
                            "Please follow the basic rules:\n\n1. Have fun\n2. Be kind"};
  lobby.echo_messages_on_join = 10;
  channel offtopic;
  offtopic.id = "offtopic";
  offtopic.name = "Off Topic";
  offtopic.icon = "fa fa-comments";
  offtopic.welcome_messages = {"Welcome to the Off Topic channel!"};
  offtopic.permit_photos = true;
  s.public_channels = {lobby, offtopic};
  message_filter example;  // off, as in the reference: an example to copy
  example.public_channels = true;
  example.private_channels = true;
  example.keyword_phrases = {R"(\bswear words\b)", R"(\b(swearing|cursing)\b)", R"(suck my ([^\s]+))"};
  example.censor_message = true;
  example.forward_message = false;
  example.report_message = false;
  example.chat_server_response = "Watch your language.";
  s.message_filters = {example};
  return s;
}

std::variant<settings, errors> parse(std::string_view text, const std::string& source) {
  errors errs;
  toml::table doc;
  try {
    doc = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    errs.problems.push_back(source + ":" + std::to_string(e.source().begin.line) + ": " +
                            std::string(e.description()));
    return errs;
  }
  settings s;
  table_reader top(doc, "", source, errs);
  top.integer("Version", s.version, 0, 1000);
  top.str("Title", s.title);
  top.str("Branding", s.branding);
  top.str("WebsiteURL", s.website_url);
  top.strings("CORSHosts", s.cors_hosts);
  top.boolean("PermitNSFW", s.permit_nsfw);
  top.boolean("UseXForwardedFor", s.use_x_forwarded_for);
  top.str("AdminAPIKey", s.admin_api_key);
  top.boolean("BlockableAdmins", s.blockable_admins);
  top.integer("WebSocketReadLimit", s.server.max_message_bytes, 1024, int64_t(1) << 32);
  top.integer("WebSocketSendTimeout", s.websocket_send_timeout, 1, 3600);
  top.integer("MaxImageWidth", s.max_image_width, 16, 100000);
  top.integer("PreviewImageWidth", s.preview_image_width, 16, 100000);
  if (auto* t = sub_table(top, "JWT")) {
    table_reader r(*t, "JWT.", source, errs);
    r.boolean("Enabled", s.jwt.enabled);
    r.boolean("Strict", s.jwt.strict);
    r.str("SecretKey", s.jwt.secret_key);
    r.str("LandingPageURL", s.jwt.landing_page_url);
    r.integer("LeewaySeconds", s.jwt.leeway_seconds, 0, 3600);
    r.boolean("RequireExp", s.jwt.require_exp);
    r.integer("MaxTokenBytes", s.jwt.max_token_bytes, 256, 1 << 20);
    r.unknown_keys_are("key");
  }
  if (auto* t = sub_table(top, "TURN")) {
    table_reader r(*t, "TURN.", source, errs);
    r.strings("URLs", s.turn.urls);
    r.str("Username", s.turn.username);
    r.str("Credential", s.turn.credential);
    r.unknown_keys_are("key");
  }
  if (auto* t = sub_table(top, "VIP")) {
    table_reader r(*t, "VIP.", source, errs);
    r.str("Name", s.vip.name);
    r.str("Branding", s.vip.branding);
    r.str("Icon", s.vip.icon);
    r.boolean("MutuallySecret", s.vip.mutually_secret);
    r.unknown_keys_are("key");
  }
  if (auto* t = sub_table(top, "Server")) {
    table_reader r(*t, "Server.", source, errs);
    auto& v = s.server;
    r.str("Address", v.address);
    r.integer("WorkerThreads", v.worker_threads, 0, 256);
    r.integer("IOThreads", v.io_threads, 1, 256);
    r.integer("MaxMessageBytes", v.max_message_bytes, 1024, int64_t(1) << 32);
    r.integer("MaxTextLength", v.max_text_length, 1, 1 << 24);
    r.integer("MaxUsernameLength", v.max_username_length, 1, 256);
    r.integer("SendQueueLimit", v.send_queue_limit, 1, 1 << 20);
    r.integer("SendQueueBytes", v.send_queue_bytes, 1024, int64_t(1) << 34);
    r.integer("PingInterval", v.ping_interval, 1, 3600);
    r.integer("LoginTimeout", v.login_timeout, 1, 3600);
    r.number("RateLimit", v.rate_limit, 0);
    r.integer("RateBurst", v.rate_burst, 1, 1 << 20);
    r.integer("MaxConnectionsPerIP", v.max_connections_per_ip, 0, 1 << 20);
    r.integer("IdleTimeout", v.idle_timeout, 1, 86400);
    r.integer("MaxHeaderBytes", v.max_header_bytes, 1024, int64_t(1) << 24);
    r.integer("MaxBodyBytes", v.max_body_bytes, 0, int64_t(1) << 32);
    r.integer("WhoListDelayMs", v.who_list_delay_ms, 0, 60000);
    r.integer("MaxBlocklist", v.max_blocklist, 1, 1 << 20);
    r.boolean("Compression", v.compression);
    r.integer("MaxImageBytes", v.max_image_bytes, 1024, int64_t(1) << 31);
    r.integer("MaxImagePixels", v.max_image_pixels, 1024, int64_t(1) << 32);
    r.integer("ImageWorkers", v.image_workers, 1, 64);
    r.integer("MaxImageJobs", v.max_image_jobs, 1, 1 << 16);
    r.integer("PollTimeout", v.poll_timeout, 1, 86400);
    r.integer("PollQueueLimit", v.poll_queue_limit, 1, 1 << 20);
    if (auto* n = t->get("ShutdownTimeout")) {
      r.number("ShutdownTimeout", v.shutdown_timeout, 0);
      if (v.shutdown_timeout < 0.1 || v.shutdown_timeout > 600)
        r.bad(*n, "ShutdownTimeout", "a number of seconds from 0.1 to 600");
    }
    r.str("LogFormat", v.log_format);
    if (v.log_format != "text" && v.log_format != "json")
      r.bad(*t->get("LogFormat"), "LogFormat", "\"text\" or \"json\"");
    r.unknown_keys_are("key");
  }
  if (auto* t = sub_table(top, "Cluster")) {
    table_reader r(*t, "Cluster.", source, errs);
    auto& c = s.cluster;
    r.boolean("Enabled", c.enabled);
    r.str("RedisURL", c.redis_url);
    r.str("NodeName", c.node_name);
    r.str("KeyPrefix", c.key_prefix);
    auto url = parse_redis_url(c.redis_url);
    if (auto* e = std::get_if<std::string>(&url); e && t->get("RedisURL"))
      r.bad(*t->get("RedisURL"), "RedisURL", "a Redis URL like \"redis://127.0.0.1:6379/0\" (" + *e + ")");
    if (c.node_name.size() > 64 || c.node_name.find_first_of(" \t\r\n:*?[]") != std::string::npos)
      r.bad(*t->get("NodeName"), "NodeName", "at most 64 characters without spaces, ':' or glob characters");
    if (c.key_prefix.size() > 64 || c.key_prefix.find_first_of(" \t\r\n*?[]") != std::string::npos)
      r.bad(*t->get("KeyPrefix"), "KeyPrefix", "at most 64 characters without spaces or glob characters");
    r.unknown_keys_are("key");
  }
  if (auto* t = sub_table(top, "Strings")) {
    table_reader r(*t, "Strings.", source, errs);
    r.str("ModRuleErrorCameraAlwaysNSFW", s.strings.mod_rule_error_camera_always_nsfw);
    r.str("ModRuleErrorNoBroadcast", s.strings.mod_rule_error_no_broadcast);
    r.str("ModRuleErrorNoVideo", s.strings.mod_rule_error_no_video);
    r.str("ModRuleErrorNoImage", s.strings.mod_rule_error_no_image);
    r.unknown_keys_are("key");
  }
  if (auto* t = sub_table(top, "DirectMessageHistory")) {
    table_reader r(*t, "DirectMessageHistory.", source, errs);
    auto& h = s.direct_message_history;
    r.boolean("Enabled", h.enabled);
    r.str("SQLiteDatabase", h.sqlite_database);
    r.integer("RetentionDays", h.retention_days, 0, 36500);
    r.str("DisclaimerMessage", h.disclaimer_message);
    r.unknown_keys_are("key");
    if (h.enabled && h.sqlite_database.empty())
      errs.problems.push_back(r.where(*t) + "'DirectMessageHistory.SQLiteDatabase' must name a file when Enabled");
  }
  read_channels(top, source, errs, s);
  read_filters(top, source, errs, s);
  read_webhooks(top, source, errs, s);
  // Sections of the reference server that this server does not act on yet: accepted, so a file
  // written for it loads, and reported, so nobody believes they are in force.
  for (auto* key : {"ModerationRule", "DMLinkSpamProtection", "Logging"})
    if (auto* n = top.take(key))
      s.warnings.push_back(top.where(*n) + "'" + key + "' is not used by this server yet; its settings have no effect");
  top.unknown_keys_are("key");
  if (!errs.problems.empty()) return errs;
  return s;
}

std::variant<settings, errors> load_or_create(const std::string& path, bool* created) {
  if (created) *created = false;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    // Created 0600 before anything is written: the file holds the AdminAPIKey.
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return errors{{path + ": cannot write the default settings file"}};
    ::close(fd);
    std::ofstream out(path);
    out << to_toml(defaults());
    if (!out) return errors{{path + ": cannot write the default settings file"}};
    if (created) *created = true;
  }
  return load(path);
}

std::variant<settings, errors> load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return errors{{path + ": cannot read the settings file"}};
  std::stringstream buf;
  buf << in.rdbuf();
  auto parsed = parse(buf.str(), path);
  auto* s = std::get_if<settings>(&parsed);
  if (!s) return parsed;
  apply_environment(*s);
  errors errs;
  check_semantics(*s, path, errs);
  if (!errs.problems.empty()) return errs;
  return parsed;
}

std::vector<std::string> apply_environment(settings& s) {
  std::vector<std::string> used;
  auto take = [&](const char* name, std::string& field) {
    if (const char* v = std::getenv(name); v && *v) {
      field = v;
      used.emplace_back(name);
    }
  };
  take("BARERTC_JWT_SECRETKEY", s.jwt.secret_key);
  take("BARERTC_ADMINAPIKEY", s.admin_api_key);
  take("BARERTC_ADDRESS", s.server.address);
  take("BARERTC_TURN_CREDENTIAL", s.turn.credential);
  return used;
}

bool split_address(const std::string& address, std::string& host, unsigned short& port) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto digits = address.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) return false;
  auto p = std::stoul(digits);
  if (p > 65535) return false;
  port = static_cast<unsigned short>(p);
  unsigned char buf[16];
  return host.empty() || inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::variant<redis_endpoint, std::string> parse_redis_url(const std::string& url) {
  redis_endpoint e;
  const std::string scheme = "redis://";
  if (url.rfind(scheme, 0) != 0) return std::string("it must start with redis://");
  auto rest = url.substr(scheme.size());
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) {
    auto db = rest.substr(slash + 1);
    if (!db.empty()) {
      if (db.size() > 5 || db.find_first_not_of("0123456789") != std::string::npos)
        return std::string("the database after the '/' must be a number");
      e.db = std::stoi(db);
    }
  }
  if (auto at = authority.rfind('@'); at != std::string::npos) {
    auto cred = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = cred.find(':');
    if (colon == std::string::npos) {
      e.password = cred;
    } else {
      e.username = cred.substr(0, colon);
      e.password = cred.substr(colon + 1);
    }
  }
  std::string host = authority;
  if (auto colon = authority.rfind(':'); colon != std::string::npos && authority.find(']') == std::string::npos) {
    host = authority.substr(0, colon);
    auto digits = authority.substr(colon + 1);
    if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(digits) == 0 || std::stoul(digits) > 65535)
      return std::string("the port must be a number from 1 to 65535");
    e.port = std::stoi(digits);
  }
  if (host.empty()) return std::string("it names no host");
  e.host = host;
  return e;
}

void check_semantics(settings& s, const std::string& source, errors& errs) {
  std::string host;
  unsigned short port = 0;
  if (!split_address(s.server.address, host, port))
    errs.problems.push_back(source + ": 'Server.Address' = \"" + s.server.address +
                            "\" is not an address to listen on (expected :PORT, IP:PORT or [IPv6]:PORT)");
  if (s.jwt.enabled && s.jwt.secret_key.empty())
    errs.problems.push_back(source + ": 'JWT.Enabled' is true but 'JWT.SecretKey' is empty (set it, or "
                                     "BARERTC_JWT_SECRETKEY in the environment)");
  if (s.jwt.enabled && s.jwt.strict && s.jwt.landing_page_url.empty())
    s.warnings.push_back(source + ": warning: strict JWT without 'JWT.LandingPageURL': visitors without a valid "
                                  "token get a bare 403 page");
}

namespace {

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {  // TOML forbids raw controls
          char esc[8];
          std::snprintf(esc, sizeof esc, "\\u%04x", c);
          out += esc;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string quote_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + quote(items[i]);
  return out + "]";
}

const char* yes(bool b) { return b ? "true" : "false"; }

}  // namespace

std::string to_toml(const settings& s) {
  std::ostringstream o;
  o << "# BareRTC settings. docs/configuration.md explains every key.\n"
    << "Version = " << s.version << "\n"
    << "Title = " << quote(s.title) << "\n"
    << "Branding = " << quote(s.branding) << "\n"
    << "WebsiteURL = " << quote(s.website_url) << "\n"
    << "CORSHosts = " << quote_list(s.cors_hosts) << "\n"
    << "PermitNSFW = " << yes(s.permit_nsfw) << "\n"
    << "UseXForwardedFor = " << yes(s.use_x_forwarded_for) << "\n"
    << "AdminAPIKey = " << quote(s.admin_api_key) << "\n"
    << "BlockableAdmins = " << yes(s.blockable_admins) << "\n"
    << "WebSocketSendTimeout = " << s.websocket_send_timeout << "\n"
    << "MaxImageWidth = " << s.max_image_width << "\n"
    << "PreviewImageWidth = " << s.preview_image_width << "\n\n"
    << "[Server]\n"
    << "Address = " << quote(s.server.address) << "\n"
    << "WorkerThreads = " << s.server.worker_threads << "  # CAF scheduler threads; 0 = one per core\n"
    << "IOThreads = " << s.server.io_threads << "  # network threads\n"
    << "MaxMessageBytes = " << s.server.max_message_bytes << "\n"
    << "MaxTextLength = " << s.server.max_text_length << "\n"
    << "MaxUsernameLength = " << s.server.max_username_length << "\n"
    << "SendQueueLimit = " << s.server.send_queue_limit << "\n"
    << "SendQueueBytes = " << s.server.send_queue_bytes << "\n"
    << "PingInterval = " << s.server.ping_interval << "\n"
    << "LoginTimeout = " << s.server.login_timeout << "\n"
    << "RateLimit = " << s.server.rate_limit << "\n"
    << "RateBurst = " << s.server.rate_burst << "\n"
    << "MaxConnectionsPerIP = " << s.server.max_connections_per_ip << "  # open WebSockets per address; 0 = unlimited\n"
    << "IdleTimeout = " << s.server.idle_timeout << "  # seconds of silence before a ping; as long again closes\n"
    << "MaxHeaderBytes = " << s.server.max_header_bytes << "  # HTTP request headers (else 431)\n"
    << "MaxBodyBytes = " << s.server.max_body_bytes << "  # HTTP request body (else 413)\n"
    << "WhoListDelayMs = " << s.server.who_list_delay_ms << "\n"
    << "MaxBlocklist = " << s.server.max_blocklist << "  # names in one blocklist or video-invite\n"
    << "Compression = " << yes(s.server.compression) << "  # permessage-deflate, compressed once per broadcast\n"
    << "MaxImageBytes = " << s.server.max_image_bytes << "  # largest shared image\n"
    << "MaxImagePixels = " << s.server.max_image_pixels << "  # width x height; more is refused unread\n"
    << "ImageWorkers = " << s.server.image_workers << "  # threads decoding shared images\n"
    << "MaxImageJobs = " << s.server.max_image_jobs << "  # images in flight; more are refused as busy\n"
    << "PollTimeout = " << s.server.poll_timeout << "  # seconds a polling client (POST /poll) may go without polling\n"
    << "PollQueueLimit = " << s.server.poll_queue_limit << "  # messages waiting for a polling client; more drops it\n"
    << "ShutdownTimeout = " << s.server.shutdown_timeout << "  # seconds from a stop signal to exit\n"
    << "LogFormat = " << quote(s.server.log_format) << "  # \"text\" or \"json\"\n\n"
    << "[JWT]\n"
    << "Enabled = " << yes(s.jwt.enabled) << "\n"
    << "Strict = " << yes(s.jwt.strict) << "\n"
    << "SecretKey = " << quote(s.jwt.secret_key) << "\n"
    << "LandingPageURL = " << quote(s.jwt.landing_page_url) << "\n"
    << "LeewaySeconds = " << s.jwt.leeway_seconds << "  # clock skew allowed on exp/nbf/iat\n"
    << "RequireExp = " << yes(s.jwt.require_exp) << "  # refuse tokens without an expiry\n"
    << "MaxTokenBytes = " << s.jwt.max_token_bytes << "  # longer tokens are refused unverified\n\n"
    << "[TURN]\n"
    << "URLs = " << quote_list(s.turn.urls) << "\n"
    << "Username = " << quote(s.turn.username) << "\n"
    << "Credential = " << quote(s.turn.credential) << "\n\n"
    << "[VIP]\n"
    << "Name = " << quote(s.vip.name) << "\n"
    << "Branding = " << quote(s.vip.branding) << "\n"
    << "Icon = " << quote(s.vip.icon) << "\n"
    << "MutuallySecret = " << yes(s.vip.mutually_secret) << "\n\n"
    << "[Cluster]  # several processes as one room through Redis (docs/architecture.md)\n"
    << "Enabled = " << yes(s.cluster.enabled) << "\n"
    << "RedisURL = " << quote(s.cluster.redis_url) << "\n"
    << "NodeName = " << quote(s.cluster.node_name) << "  # this process among the nodes; the host name when empty\n"
    << "KeyPrefix = " << quote(s.cluster.key_prefix) << "  # of every Redis key and channel\n";
  for (auto& c : s.public_channels) {
    o << "\n[[PublicChannels]]\n"
      << "ID = " << quote(c.id) << "\n"
      << "Name = " << quote(c.name) << "\n";
    if (!c.icon.empty()) o << "Icon = " << quote(c.icon) << "\n";
    o << "WelcomeMessages = " << quote_list(c.welcome_messages) << "\n"
      << "VIP = " << yes(c.vip) << "\n"
      << "PermitPhotos = " << yes(c.permit_photos) << "\n"
      << "EchoMessagesOnJoin = " << c.echo_messages_on_join << "\n";
  }
  for (auto& f : s.message_filters) {
    o << "\n[[MessageFilters]]  # RE2 (Go regexp) syntax; docs/configuration.md\n"
      << "Enabled = " << yes(f.enabled) << "\n"
      << "PublicChannels = " << yes(f.public_channels) << "\n"
      << "PrivateChannels = " << yes(f.private_channels) << "\n"
      << "KeywordPhrases = " << quote_list(f.keyword_phrases) << "\n"
      << "CensorMessage = " << yes(f.censor_message) << "\n"
      << "ForwardMessage = " << yes(f.forward_message) << "\n"
      << "ReportMessage = " << yes(f.report_message) << "\n"
      << "ChatServerResponse = " << quote(f.chat_server_response) << "\n";
  }
  for (auto& w : s.webhook_urls)
    o << "\n[[WebhookURLs]]  # report or profile: POSTs to your website (docs/configuration.md)\n"
      << "Name = " << quote(w.name) << "\n"
      << "Enabled = " << yes(w.enabled) << "\n"
      << "URL = " << quote(w.url) << "\n";
  o << "\n[DirectMessageHistory]  # DMs kept in SQLite for the page's history; off by default\n"
    << "Enabled = " << yes(s.direct_message_history.enabled) << "\n"
    << "SQLiteDatabase = " << quote(s.direct_message_history.sqlite_database) << "\n"
    << "RetentionDays = " << s.direct_message_history.retention_days << "  # 0 keeps messages forever\n"
    << "DisclaimerMessage = " << quote(s.direct_message_history.disclaimer_message) << "\n";
  o << "\n[Strings]\n"
    << "ModRuleErrorCameraAlwaysNSFW = " << quote(s.strings.mod_rule_error_camera_always_nsfw) << "\n"
    << "ModRuleErrorNoBroadcast = " << quote(s.strings.mod_rule_error_no_broadcast) << "\n"
    << "ModRuleErrorNoVideo = " << quote(s.strings.mod_rule_error_no_video) << "\n"
    << "ModRuleErrorNoImage = " << quote(s.strings.mod_rule_error_no_image) << "\n";
  return o.str();
}

}  // namespace barertc::settings
