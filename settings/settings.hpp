#pragma once
/// settings.toml: every tunable of the server, its default, and the loader that checks it.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "settings/defaults.hpp"

namespace barertc::settings {

/// Schema version written into new files.
inline constexpr int current_version = 17;

/// One `[[PublicChannels]]` entry.
struct channel {
  std::string id;
  std::string name;
  std::string icon;  ///< Font Awesome classes, e.g. "fa fa-gavel".
  std::vector<std::string> welcome_messages;  ///< Markdown, sent on login as ChatServer notices.
  bool vip = false;            ///< Only VIPs and operators receive it.
  bool permit_photos = false;  ///< Image sharing allowed here.
  int echo_messages_on_join = 0;  ///< Recent messages replayed to users who join.
};

/// `[JWT]`: sign-in through the host website.
struct jwt {
  bool enabled = false;
  bool strict = true;
  std::string secret_key;
  std::string landing_page_url;
  int leeway_seconds = 10;  ///< Clock skew allowed when checking exp, nbf and iat.
  bool require_exp = false;  ///< Refuse tokens without `exp` (new files are written with true).
  int max_token_bytes = barertc::defaults::max_token_bytes;  ///< Longer tokens are refused unverified.
};

/// `[TURN]`: ICE servers handed to the page.
struct turn {
  std::vector<std::string> urls{"stun:stun.l.google.com:19302"};
  std::string username;
  std::string credential;
};

/// `[VIP]`: naming and visibility of VIP members.
struct vip {
  std::string name = "VIP";
  std::string branding = "<em>VIP Members</em>";
  std::string icon = "fa fa-circle";
  bool mutually_secret = false;
};

/// `[Server]`: our additions: threads and limits (docs/configuration.md explains each).
struct server {
  std::string address = ":9000";
  int worker_threads = 0;  ///< CAF scheduler threads; 0 = one per core.
  int io_threads = barertc::defaults::io_threads;      ///< Network threads (I/O lanes); 2 measured best on a 2-core machine.
  int64_t max_message_bytes = barertc::defaults::max_message_bytes;  ///< Largest inbound WebSocket message.
  int max_text_length = barertc::defaults::max_text_length;                    ///< Longest chat text, in characters.
  int max_username_length = barertc::defaults::max_username_length;                  ///< Longest username, in characters.
  int send_queue_limit = barertc::defaults::send_queue_limit;                   ///< Frames queued per connection before "too slow".
  int64_t send_queue_bytes = barertc::defaults::send_queue_bytes;    ///< Bytes queued per connection before "too slow".
  int ping_interval = barertc::defaults::ping_interval;                        ///< Seconds between server pings.
  int login_timeout = barertc::defaults::login_timeout;                        ///< Seconds allowed between connecting and login.
  double rate_limit = barertc::defaults::rate_limit;                        ///< Messages per second per session; 0 = off.
  int rate_burst = barertc::defaults::rate_burst;                           ///< Token bucket size.
  int max_connections_per_ip = 0;                ///< Open WebSockets per client address; 0 = unlimited.
  int idle_timeout = barertc::defaults::idle_timeout;                         ///< Seconds of silence before a WebSocket ping; as long again closes.
  int64_t max_header_bytes = barertc::defaults::max_header_bytes;          ///< Largest HTTP request header block (else 431).
  int64_t max_body_bytes = barertc::defaults::max_body_bytes;          ///< Largest HTTP request body (else 413).
  int who_list_delay_ms = barertc::defaults::who_list_delay_ms;  ///< Who-list pushes are coalesced over this many milliseconds.
  int max_blocklist = barertc::defaults::max_blocklist;    ///< Names one blocklist / video-invite may carry (a longer one is refused).
  bool compression = barertc::defaults::compression;       ///< permessage-deflate for clients that offer it.
  int64_t max_image_bytes = barertc::defaults::max_image_bytes;    ///< Largest shared image (decoded bytes).
  int64_t max_image_pixels = barertc::defaults::max_image_pixels;  ///< Largest width x height an image may declare.
  int image_workers = barertc::defaults::image_workers;            ///< Threads that decode shared images.
  int max_image_jobs = barertc::defaults::max_image_jobs;          ///< Images being processed or waiting, at most.
  int poll_timeout = barertc::defaults::poll_timeout;              ///< Seconds a polling session may go without polling.
  int poll_queue_limit = barertc::defaults::poll_queue_limit;      ///< Frames waiting for a polling session's next poll.
  double shutdown_timeout = barertc::defaults::shutdown_timeout_seconds;  ///< Stop signal to exit, at most.
  std::string log_format = "text";  ///< "text" or "json" (one object per line).
};

/// `[Cluster]`: several server processes acting as one chat room through Redis pub/sub
/// (docs/architecture.md, "Clustering"). Off by default: one process is the whole room.
struct cluster {
  bool enabled = false;
  std::string redis_url = "redis://127.0.0.1:6379/0";  ///< redis://[[user]:password@]host[:port][/db]
  std::string node_name;  ///< This process's name among the nodes; the host name when empty.
  std::string key_prefix = "barertc:";  ///< Prefix of every Redis key and pub/sub channel used.
};

/// A RedisURL taken apart.
struct redis_endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string username;
  std::string password;
};

/// Parses redis://[[user]:password@]host[:port][/db]; an error sentence when it is not one.
std::variant<redis_endpoint, std::string> parse_redis_url(const std::string& url);

/// One `[[MessageFilters]]` entry (server.md A.4, G.6). The patterns are RE2 expressions (the
/// syntax of Go's regexp, which the reference server uses); the loader checks that each compiles.
struct message_filter {
  bool enabled = false;
  bool public_channels = false;   ///< Applies to public channel messages.
  bool private_channels = false;  ///< Applies to DMs.
  std::vector<std::string> keyword_phrases;
  bool censor_message = false;    ///< Matches become asterisks.
  bool forward_message = false;   ///< false: only the sender sees the message.
  bool report_message = false;    ///< Report to the website (logged while no webhook is set up).
  std::string chat_server_response;  ///< HTML told to the sender when the filter matches.
};

/// One `[[WebhookURLs]]` entry (server.md A.4, E): `report` or `profile`.
struct webhook {
  std::string name;
  bool enabled = false;
  std::string url;
};

/// `[Strings]`: texts shown when a moderation rule stops an action (server.md A.4).
struct strings {
  std::string mod_rule_error_camera_always_nsfw =
      "A chat server moderation rule is currently in place which forces your camera to stay marked as Explicit. "
      "Please contact a chat moderator if you have any questions about this.";
  std::string mod_rule_error_no_broadcast =
      "A chat server moderation rule is currently in place which restricts your ability to share your webcam. "
      "Please contact a chat operator for more information.";
  std::string mod_rule_error_no_video =
      "A chat server moderation rule is currently in place which restricts your ability to watch webcams. "
      "Please contact a chat operator for more information.";
  std::string mod_rule_error_no_image =
      "A chat server moderation rule is currently in place which restricts your ability to share images. "
      "Please contact a chat operator for more information.";
};

/// `[DirectMessageHistory]` (server.md A.4): DMs kept in SQLite so a DM thread shows older
/// messages. Off by default: nothing is stored unless the operator turns it on.
struct direct_message_history {
  bool enabled = false;
  std::string sqlite_database = barertc::defaults::dm_history_database;  ///< Relative to the working directory.
  int retention_days = barertc::defaults::dm_history_retention_days;    ///< 0 keeps messages forever.
  /// HTML banner at the top of each DM thread (the reference's default text).
  std::string disclaimer_message =
      "<i class=\"fa fa-info-circle mr-1\"></i> <strong>Reminder:</strong> please conduct yourself honorably in "
      "Direct Messages.";
};

/// The whole settings.toml.
struct settings {
  int version = current_version;
  std::string title = "BareRTC";
  std::string branding = "BareRTC";
  std::string website_url = "https://www.example.com";
  std::vector<std::string> cors_hosts{"https://www.example.com"};
  bool permit_nsfw = false;
  bool use_x_forwarded_for = false;
  std::string admin_api_key;
  bool blockable_admins = false;
  int websocket_send_timeout = barertc::defaults::send_timeout_seconds;
  int max_image_width = 1280;
  int preview_image_width = 360;
  struct jwt jwt;
  std::vector<channel> public_channels;
  struct turn turn;
  struct vip vip;
  struct server server;
  std::vector<message_filter> message_filters;
  std::vector<webhook> webhook_urls;
  struct strings strings;
  struct direct_message_history direct_message_history;
  struct cluster cluster;
  /// The URL of the enabled webhook called `name`, or empty.
  std::string webhook_url(std::string_view name) const {
    for (auto& w : webhook_urls)
      if (w.enabled && w.name == name && !w.url.empty()) return w.url;
    return {};
  }
  /// Things worth an operator's attention that do not stop the server (`file:line: ...`): sections
  /// it does not act on yet, a strict JWT without a landing page. Not part of the file.
  std::vector<std::string> warnings;
};

/// The defaults written to a new settings.toml (with a fresh AdminAPIKey).
settings defaults();

/// Problems found in a settings file, each naming the file, line and key.
struct errors {
  std::vector<std::string> problems;
};

/// Parses TOML text; `source` names the file in messages.
std::variant<settings, errors> parse(std::string_view toml_text, const std::string& source);

/// Reads `path` (which must exist), applies the environment overrides (apply_environment) and
/// checks what the types alone cannot (check_semantics).
std::variant<settings, errors> load(const std::string& path);

/// Environment variables that override the file, so secrets need not sit in it:
/// BARERTC_JWT_SECRETKEY, BARERTC_ADMINAPIKEY, BARERTC_ADDRESS, BARERTC_TURN_CREDENTIAL.
/// Returns the names of those that were set (never their values).
std::vector<std::string> apply_environment(settings& s);

/// Problems only the whole file shows: an Address that cannot be listened on, JWT enabled without
/// a secret (errors); a strict JWT without a landing page (a warning in s.warnings).
void check_semantics(settings& s, const std::string& source, errors& errs);

/// Splits ":9000", "127.0.0.1:9000" or "[::1]:9000" into host and port; empty host = all
/// addresses. False when the port is missing or out of range or the host is not an IP literal.
bool split_address(const std::string& address, std::string& host, unsigned short& port);

/// Reads `path`; when the file does not exist, writes the defaults there first (mode 0600: it
/// holds the AdminAPIKey).
std::variant<settings, errors> load_or_create(const std::string& path, bool* created = nullptr);

/// Renders settings as a commented settings.toml.
std::string to_toml(const settings& s);

}  // namespace barertc::settings
