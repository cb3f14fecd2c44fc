#include <catch2/catch.hpp>

#include <cstdio>
#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "settings/settings.hpp"

using namespace barertc::settings;

namespace {
std::vector<std::string> problems(std::string_view text) {
  auto r = parse(text, "settings.toml");
  REQUIRE(std::holds_alternative<errors>(r));
  return std::get<errors>(r).problems;
}
bool mentions(const std::vector<std::string>& ps, std::string_view what) {
  for (auto& p : ps)
    if (p.find(what) != std::string::npos) return true;
  return false;
}
const char* minimal = "[[PublicChannels]]\nID = \"lobby\"\nName = \"Lobby\"\n";
/// Settings from `text` plus one channel; the text must be valid.
settings parsed(const std::string& text) {
  auto r = parse(text + minimal, "x");
  REQUIRE(std::holds_alternative<settings>(r));
  return std::get<settings>(std::move(r));
}
}  // namespace

TEST_CASE("the defaults file parses back to the defaults", "[settings]") {
  auto d = defaults();
  auto r = parse(to_toml(d), "defaults");
  REQUIRE(std::holds_alternative<settings>(r));
  auto& s = std::get<settings>(r);
  CHECK(s.version == current_version);
  CHECK(s.title == "BareRTC");
  CHECK(s.admin_api_key == d.admin_api_key);
  CHECK(s.admin_api_key.size() == 36);
  REQUIRE(s.public_channels.size() == 2);
  CHECK(s.public_channels[0].id == "lobby");
  CHECK(s.public_channels[0].icon == "fa fa-gavel");
  CHECK(s.public_channels[0].welcome_messages == d.public_channels[0].welcome_messages);
  CHECK(s.public_channels[0].echo_messages_on_join == 10);
  CHECK(s.server.address == ":9000");
  CHECK(s.server.io_threads == 2);
  CHECK(s.server.worker_threads == 0);
  CHECK(s.turn.urls == d.turn.urls);
}

TEST_CASE("load_or_create writes the defaults when the file is missing", "[settings]") {
  auto dir = std::filesystem::temp_directory_path() / ("barertc-settings-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "settings.toml").string();
  std::filesystem::remove(path);
  bool created = false;
  auto r = load_or_create(path, &created);
  CHECK(created);
  REQUIRE(std::holds_alternative<settings>(r));
  CHECK(std::filesystem::exists(path));
  auto again = load_or_create(path, &created);
  CHECK_FALSE(created);
  CHECK(std::get<settings>(again).admin_api_key == std::get<settings>(r).admin_api_key);
  std::filesystem::remove_all(dir);
}

TEST_CASE("keys are read with their types, and both names of the read limit work", "[settings]") {
  auto s = parsed("Title = \"My Chat\"\nPermitNSFW = true\nWebSocketReadLimit = 2048\n"
                  "[Server]\nWorkerThreads = 3\nIOThreads = 3\nRateLimit = 2.5\n");
  CHECK(s.title == "My Chat");
  CHECK(s.permit_nsfw);
  CHECK(s.server.max_message_bytes == 2048);
  CHECK(s.server.worker_threads == 3);
  CHECK(s.server.io_threads == 3);
  CHECK(s.server.rate_limit == 2.5);
  CHECK(s.public_channels[0].name == "Lobby");
}

TEST_CASE("syntax errors name the line", "[settings]") {
  auto ps = problems("Title = \"x\"\nBroken = [\n");
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].rfind("settings.toml:", 0) == 0);
}

TEST_CASE("wrong types name the key and line", "[settings]") {
  auto ps = problems(std::string("\n\nTitle = 7\n") + minimal);
  CHECK(mentions(ps, "settings.toml:3: 'Title' must be a string"));
  ps = problems(std::string("[Server]\nIOThreads = \"two\"\n") + minimal);
  CHECK(mentions(ps, "settings.toml:2: 'Server.IOThreads' must be a whole number"));
  ps = problems(std::string("[Server]\nIOThreads = 0\n") + minimal);
  CHECK(mentions(ps, "'Server.IOThreads' must be between 1 and 256"));
  ps = problems(std::string("CORSHosts = [1, 2]\n") + minimal);
  CHECK(mentions(ps, "'CORSHosts' must be an array of strings"));
  ps = problems(std::string("JWT = 5\n") + minimal);
  CHECK(mentions(ps, "'JWT' must be a table"));
}

TEST_CASE("unknown channel fields, duplicate IDs and no channels are refused", "[settings]") {
  CHECK(mentions(problems(std::string(minimal) + "Colour = \"red\"\n"),
                 "settings.toml:4: unknown channel field 'PublicChannels[0].Colour'"));
  CHECK(mentions(problems(std::string(minimal) + minimal), "duplicate channel ID 'lobby'"));
  CHECK(mentions(problems("Title = \"x\"\n"), "at least one channel"));
  CHECK(mentions(problems("PublicChannels = []\n"), "at least one channel"));
  CHECK(mentions(problems("[[PublicChannels]]\nName = \"x\"\n"), "ID' is missing"));
  CHECK(mentions(problems("[[PublicChannels]]\nID = \"@x\"\n"), "may not start with @"));
}

TEST_CASE("unknown keys in our sections are refused; the reference's other sections are accepted", "[settings]") {
  CHECK(mentions(problems(std::string("[Server]\nWorkers = 4\n") + minimal), "unknown key 'Server.Workers'"));
  CHECK(mentions(problems(std::string("Titel = \"typo\"\n") + minimal), "unknown key 'Titel'"));
  auto r = parse(std::string("[[WebhookURLs]]\nName = \"report\"\nEnabled = false\n[Logging]\nEnabled = false\n") +
                     minimal,
                 "x");
  CHECK(std::holds_alternative<settings>(r));
}

TEST_CASE("control characters survive to_toml, and RateLimit must be finite", "[settings]") {
  // Found by test/fuzz/fuzz_settings: DEL was written raw, which TOML forbids.
  auto d = defaults();
  d.title = "a\x01b\x7f";
  auto r = parse(to_toml(d), "written");
  REQUIRE(std::holds_alternative<settings>(r));
  CHECK(std::get<settings>(r).title == d.title);
  CHECK(mentions(problems(std::string(minimal) + "[Server]\nRateLimit = nan\n"), "'Server.RateLimit'"));
  CHECK(mentions(problems(std::string(minimal) + "[Server]\nRateLimit = inf\n"), "'Server.RateLimit'"));
}

TEST_CASE("the limits of [Server] are read, written and range-checked", "[settings]") {
  auto s = parsed("[Server]\nIdleTimeout = 90\nMaxHeaderBytes = 8192\nMaxBodyBytes = 65536\n"
                  "MaxUsernameLength = 20\nMaxConnectionsPerIP = 5\nLoginTimeout = 10\nMaxBlocklist = 50\n");
  CHECK(s.server.idle_timeout == 90);
  CHECK(s.server.max_header_bytes == 8192);
  CHECK(s.server.max_body_bytes == 65536);
  CHECK(s.server.max_username_length == 20);
  CHECK(s.server.max_connections_per_ip == 5);
  CHECK(s.server.login_timeout == 10);
  CHECK(s.server.max_blocklist == 50);
  // What the server writes as its defaults file carries every one of them.
  auto text = to_toml(s);
  for (auto key : {"IdleTimeout = 90", "MaxHeaderBytes = 8192", "MaxBodyBytes = 65536", "MaxUsernameLength = 20",
                   "MaxBlocklist = 50"})
    CHECK(text.find(key) != std::string::npos);
  CHECK(mentions(problems(std::string("[Server]\nMaxUsernameLength = 0\n") + minimal), "MaxUsernameLength"));
  CHECK(mentions(problems(std::string("[Server]\nMaxBlocklist = 0\n") + minimal), "MaxBlocklist"));
  CHECK(mentions(problems(std::string("[Server]\nMaxHeaderBytes = \"big\"\n") + minimal), "MaxHeaderBytes"));
}

TEST_CASE("the polling transport's keys are read, written and range-checked", "[settings]") {
  CHECK(defaults().server.poll_timeout == 60);  // protocol.md B.8
  CHECK(defaults().server.poll_queue_limit == 512);
  auto s = parsed("[Server]\nPollTimeout = 5\nPollQueueLimit = 100\n");
  CHECK(s.server.poll_timeout == 5);
  CHECK(s.server.poll_queue_limit == 100);
  auto text = to_toml(s);
  CHECK(text.find("PollTimeout = 5") != std::string::npos);
  CHECK(text.find("PollQueueLimit = 100") != std::string::npos);
  CHECK(mentions(problems(std::string("[Server]\nPollTimeout = 0\n") + minimal), "PollTimeout"));
  CHECK(mentions(problems(std::string("[Server]\nPollQueueLimit = 0\n") + minimal), "PollQueueLimit"));
}

namespace {
/// Writes `text` to a fresh file and loads it the way the server does (environment, semantics).
std::variant<settings, errors> load_text(const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / ("barertc-ops-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << text << minimal;
  auto r = load(path.string());
  std::filesystem::remove(path);
  return r;
}
}  // namespace

TEST_CASE("new files require exp and are written 0600; old files without the keys keep working", "[settings]") {
  CHECK(defaults().jwt.require_exp);
  CHECK(to_toml(defaults()).find("RequireExp = true") != std::string::npos);
  CHECK_FALSE(parsed("[JWT]\nEnabled = false\n").jwt.require_exp);
  CHECK(parsed("").server.shutdown_timeout == 2.5);
  CHECK(parsed("[Server]\nShutdownTimeout = 4\n").server.shutdown_timeout == 4);
  CHECK(mentions(problems(std::string("[Server]\nShutdownTimeout = 0\n") + minimal), "ShutdownTimeout"));
  CHECK(mentions(problems(std::string("[Server]\nLogFormat = \"xml\"\n") + minimal), "LogFormat"));
  CHECK(mentions(problems(std::string("[JWT]\nMaxTokenBytes = 10\n") + minimal), "MaxTokenBytes"));
  auto path = std::filesystem::temp_directory_path() / ("barertc-mode-" + std::to_string(::getpid()) + ".toml");
  std::filesystem::remove(path);
  REQUIRE(std::holds_alternative<settings>(load_or_create(path.string())));
  auto perms = std::filesystem::status(path).permissions();
  CHECK((perms & std::filesystem::perms::all) == (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  std::filesystem::remove(path);
}

TEST_CASE("sections the server does not act on are warnings with their line", "[settings]") {
  auto s = parsed("[Logging]\nEnabled = true\n\n[[WebhookURLs]]\nName = \"report\"\n");
  REQUIRE(s.warnings.size() == 1);
  CHECK(mentions(s.warnings, "x:1: 'Logging' is not used by this server yet"));
}

TEST_CASE("[[WebhookURLs]] are read, checked, and written back", "[settings]") {
  auto s = parsed("[[WebhookURLs]]\nName = \"report\"\nEnabled = true\nURL = \"http://127.0.0.1:1/r\"\n"
                  "[[WebhookURLs]]\nName = \"profile\"\nEnabled = false\nURL = \"http://x/p\"\n");
  CHECK(s.webhook_url("report") == "http://127.0.0.1:1/r");
  CHECK(s.webhook_url("profile").empty());  // not enabled
  auto again = parse(to_toml(s), "written");
  REQUIRE(std::holds_alternative<settings>(again));
  CHECK(std::get<settings>(again).webhook_url("report") == "http://127.0.0.1:1/r");
  CHECK(mentions(problems(std::string(minimal) + "[[WebhookURLs]]\nName = \"reports\"\n"), "must be \"report\" or"));
  CHECK(mentions(problems(std::string(minimal) + "[[WebhookURLs]]\nName = \"report\"\nEnabled = true\nURL = \"ftp://x\"\n"),
                 "http:// or https://"));
}

TEST_CASE("[DirectMessageHistory] is off by default, read, checked, and written back", "[settings]") {
  auto off = parsed("");
  CHECK_FALSE(off.direct_message_history.enabled);
  CHECK(off.direct_message_history.sqlite_database == "database.sqlite");
  CHECK(off.direct_message_history.retention_days == 90);
  CHECK(off.direct_message_history.disclaimer_message.find("Reminder:") != std::string::npos);
  CHECK_FALSE(defaults().direct_message_history.enabled);
  auto s = parsed("[DirectMessageHistory]\nEnabled = true\nSQLiteDatabase = \"/var/lib/chat/dm.sqlite\"\n"
                  "RetentionDays = 0\nDisclaimerMessage = \"<b>Careful</b>\"\n");
  CHECK(s.direct_message_history.enabled);
  CHECK(s.direct_message_history.sqlite_database == "/var/lib/chat/dm.sqlite");
  CHECK(s.direct_message_history.retention_days == 0);
  CHECK(s.warnings.empty());
  auto again = parse(to_toml(s), "written");
  REQUIRE(std::holds_alternative<settings>(again));
  CHECK(std::get<settings>(again).direct_message_history.disclaimer_message == "<b>Careful</b>");
  CHECK(std::get<settings>(again).direct_message_history.sqlite_database == "/var/lib/chat/dm.sqlite");
  auto bad = [](const char* body) { return problems(std::string(minimal) + "[DirectMessageHistory]\n" + body); };
  CHECK(mentions(bad("RetentionDays = -1\n"), "'DirectMessageHistory.RetentionDays' must be between 0 and 36500"));
  CHECK(mentions(bad("Enabled = \"yes\"\n"), "'DirectMessageHistory.Enabled' must be true or false"));
  CHECK(mentions(bad("Enabled = true\nSQLiteDatabase = \"\"\n"), "must name a file when Enabled"));
  CHECK(mentions(bad("Retention = 5\n"), "unknown key 'DirectMessageHistory.Retention'"));
}

TEST_CASE("a new AdminAPIKey is a random version 4 UUID", "[settings]") {
  auto a = defaults().admin_api_key, b = defaults().admin_api_key;
  CHECK(a != b);
  REQUIRE(a.size() == 36);
  CHECK(a[14] == '4');
  CHECK(std::string("89ab").find(a[19]) != std::string::npos);
}

TEST_CASE("load checks the address and the JWT secret, and warns of a strict JWT without a landing page",
          "[settings]") {
  auto bad = load_text("[Server]\nAddress = \"localhost:99999\"\n");
  REQUIRE(std::holds_alternative<errors>(bad));
  CHECK(mentions(std::get<errors>(bad).problems, "'Server.Address' = \"localhost:99999\" is not an address"));
  auto no_secret = load_text("[JWT]\nEnabled = true\nLandingPageURL = \"https://x\"\n");
  REQUIRE(std::holds_alternative<errors>(no_secret));
  CHECK(mentions(std::get<errors>(no_secret).problems, "'JWT.SecretKey' is empty"));
  auto strict = load_text("[JWT]\nEnabled = true\nSecretKey = \"k\"\n");
  REQUIRE(std::holds_alternative<settings>(strict));
  CHECK(mentions(std::get<settings>(strict).warnings, "strict JWT without 'JWT.LandingPageURL'"));
  for (auto [addr, ok] : std::vector<std::pair<std::string, bool>>{
           {":9000", true}, {"127.0.0.1:0", true}, {"[::1]:80", true}, {"9000", false}, {"host:80", false},
           {":65536", false}, {":", false}, {"1.2.3.4:+80", false}}) {
    std::string host;
    unsigned short port = 0;
    CHECK(split_address(addr, host, port) == ok);
  }
}

TEST_CASE("secrets and the address can come from the environment", "[settings]") {
  ::setenv("BARERTC_JWT_SECRETKEY", "from-env", 1);
  ::setenv("BARERTC_ADMINAPIKEY", "key-from-env", 1);
  ::setenv("BARERTC_ADDRESS", "127.0.0.1:9999", 1);
  auto r = load_text("AdminAPIKey = \"in-file\"\n[JWT]\nEnabled = true\nLandingPageURL = \"https://x\"\n");
  ::unsetenv("BARERTC_JWT_SECRETKEY");
  ::unsetenv("BARERTC_ADMINAPIKEY");
  ::unsetenv("BARERTC_ADDRESS");
  REQUIRE(std::holds_alternative<settings>(r));
  auto& s = std::get<settings>(r);
  CHECK(s.jwt.secret_key == "from-env");
  CHECK(s.admin_api_key == "key-from-env");
  CHECK(s.server.address == "127.0.0.1:9999");
}
