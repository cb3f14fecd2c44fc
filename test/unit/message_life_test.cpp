// Message life's plain parts: the echo buffer of a channel (actors/echo_buffer.hpp), the message
// filters (actors/message_filters.hpp) and their settings, and the echo frame.
#include <catch2/catch.hpp>

#include "actors/echo_buffer.hpp"
#include "actors/message_filters.hpp"
#include "protocol/codec.hpp"

using barertc::actors::echo_buffer;
using barertc::actors::message_filters;
using barertc::actors::relation;
using barertc::actors::relations;
namespace settings = barertc::settings;

namespace {

barertc::protocol::frame text(const std::string& s) { return barertc::protocol::shared_frame(s); }

std::vector<std::string> seen(const echo_buffer& b, const std::string& viewer, const relations& rel) {
  std::vector<std::string> out;
  for (auto& f : b.visible_to(viewer, rel)) out.push_back(*f);
  return out;
}

settings::message_filter filter(std::vector<std::string> phrases, bool censor, bool forward = true) {
  settings::message_filter f;
  f.enabled = true;
  f.public_channels = true;
  f.private_channels = false;
  f.keyword_phrases = std::move(phrases);
  f.censor_message = censor;
  f.forward_message = forward;
  return f;
}

}  // namespace

TEST_CASE("the echo buffer keeps the newest messages, oldest first", "[echo]") {
  echo_buffer b(3);
  relations rel;
  for (int i = 1; i <= 5; ++i) b.push(i, "ann", text("m" + std::to_string(i)));
  CHECK(seen(b, "ben", rel) == std::vector<std::string>{"m3", "m4", "m5"});
  SECTION("a takeback leaves it") {
    CHECK(b.erase(4));
    CHECK_FALSE(b.erase(4));
    CHECK_FALSE(b.erase(1));  // already gone from the buffer
    CHECK(seen(b, "ben", rel) == std::vector<std::string>{"m3", "m5"});
  }
  SECTION("a smaller size drops the oldest; 0 keeps nothing") {
    b.resize(1);
    CHECK(seen(b, "ben", rel) == std::vector<std::string>{"m5"});
    b.resize(0);
    b.push(9, "ann", text("m9"));
    CHECK(b.size() == 0);
  }
}

TEST_CASE("the echo leaves out senders the viewer muted and both sides of a block", "[echo]") {
  echo_buffer b(10);
  relations rel;
  b.push(1, "ann", text("from ann"));
  b.push(2, "ben", text("from ben"));
  b.push(3, "cat", text("from cat"));
  rel.apply({relation::mute, "viewer", "ann", true});
  rel.apply({relation::block, "cat", "viewer", true});
  rel.apply({relation::mute, "ben", "viewer", true});  // ben muting the viewer hides nothing of ben's
  CHECK(seen(b, "viewer", rel) == std::vector<std::string>{"from ben"});
  CHECK(seen(b, "other", rel).size() == 3);
  // Shared, not copied: the frames handed out are the buffer's own.
  CHECK(b.visible_to("other", rel)[0].get() == b.visible_to("x", rel)[0].get());
}

TEST_CASE("an echo frame joins encoded messages into one array", "[echo]") {
  auto f = barertc::protocol::encode_echo({text(R"({"a":1})"), text(R"({"b":2})")});
  CHECK(*f == R"({"action":"echo","messages":[{"a":1},{"b":2}]})");
  CHECK(*barertc::protocol::encode_echo({}) == R"({"action":"echo","messages":[]})");
  CHECK(barertc::protocol::rfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(barertc::protocol::rfc3339(1796670245) == "2026-12-07T19:04:05Z");
}

TEST_CASE("a censoring filter stars every match in the text, never in markup", "[filters]") {
  message_filters fs({filter({R"(\bdarn\b)", "heck"}, true)});
  std::string html = R"(<p>darn it, <a href="https://darn.example/heck">darn heck</a> &amp; darnit</p>)";
  auto* hit = fs.apply(html, false);
  REQUIRE(hit);
  CHECK(html == R"(<p>**** it, <a href="https://darn.example/heck">**** ****</a> &amp; darnit</p>)");
  // One asterisk per character, not per byte.
  message_filters utf({filter({"café"}, true)});
  std::string accented = "<p>un café noir</p>";
  REQUIRE(utf.apply(accented, false));
  CHECK(accented == "<p>un **** noir</p>");
}

TEST_CASE("filters apply to their kind of channel, in order, and only when enabled", "[filters]") {
  auto pub = filter({"spam"}, false, false);
  auto dm = filter({"spam"}, true);
  dm.public_channels = false;
  dm.private_channels = true;
  auto off = filter({"eggs"}, true);
  off.enabled = false;
  message_filters fs({pub, dm, off});
  std::string a = "<p>spam</p>";
  auto* hit = fs.apply(a, false);
  REQUIRE(hit);
  CHECK_FALSE(hit->forward_message);
  CHECK(a == "<p>spam</p>");  // not a censoring filter
  std::string b = "<p>spam</p>";
  hit = fs.apply(b, true);
  REQUIRE(hit);
  CHECK(hit->censor_message);
  CHECK(b == "<p>****</p>");
  std::string c = "<p>eggs</p>";
  CHECK(fs.apply(c, false) == nullptr);
  CHECK(message_filters().apply(c, false) == nullptr);
}

TEST_CASE("[[MessageFilters]] are read, written back, and a bad expression names its line", "[filters][settings]") {
  const char* channel = "[[PublicChannels]]\nID = \"lobby\"\nName = \"Lobby\"\n";
  std::string ok = std::string(channel) +
                   "[[MessageFilters]]\nEnabled = true\nPublicChannels = true\nKeywordPhrases = ['\\bx+\\b']\n"
                   "CensorMessage = true\nForwardMessage = false\nReportMessage = true\nChatServerResponse = \"No.\"\n";
  auto r = settings::parse(ok, "settings.toml");
  REQUIRE(std::holds_alternative<settings::settings>(r));
  auto& s = std::get<settings::settings>(r);
  REQUIRE(s.message_filters.size() == 1);
  auto& f = s.message_filters[0];
  CHECK((f.enabled && f.public_channels && !f.private_channels && f.censor_message && !f.forward_message &&
         f.report_message));
  CHECK(f.keyword_phrases == std::vector<std::string>{R"(\bx+\b)"});
  CHECK(f.chat_server_response == "No.");
  auto again = settings::parse(settings::to_toml(s), "settings.toml");
  REQUIRE(std::holds_alternative<settings::settings>(again));
  CHECK(std::get<settings::settings>(again).message_filters[0].keyword_phrases == f.keyword_phrases);

  std::string bad = std::string(channel) + "\n[[MessageFilters]]\nEnabled = true\nKeywordPhrases = ['fine', '(unclosed']\n";
  auto e = settings::parse(bad, "settings.toml");
  REQUIRE(std::holds_alternative<settings::errors>(e));
  auto& ps = std::get<settings::errors>(e).problems;
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].rfind("settings.toml:7:", 0) == 0);
  CHECK(ps[0].find("MessageFilters[0].KeywordPhrases[1]") != std::string::npos);
  CHECK(ps[0].find("missing )") != std::string::npos);
  auto typo = settings::parse(std::string(channel) + "[[MessageFilters]]\nKeywords = ['x']\n", "settings.toml");
  REQUIRE(std::holds_alternative<settings::errors>(typo));
}

TEST_CASE("the image settings are read, range-checked and written", "[settings]") {
  const char* channel = "[[PublicChannels]]\nID = \"lobby\"\nName = \"Lobby\"\n";
  auto r = settings::parse(std::string("[Server]\nMaxImageBytes = 2097152\nImageWorkers = 2\nMaxImageJobs = 4\n"
                                       "MaxImagePixels = 1000000\n") + channel, "x");
  REQUIRE(std::holds_alternative<settings::settings>(r));
  auto& s = std::get<settings::settings>(r);
  CHECK((s.server.max_image_bytes == 2097152 && s.server.image_workers == 2 && s.server.max_image_jobs == 4 &&
         s.server.max_image_pixels == 1000000));
  auto text = settings::to_toml(s);
  for (auto key : {"MaxImageBytes = 2097152", "ImageWorkers = 2", "MaxImageJobs = 4", "MaxImagePixels = 1000000"})
    CHECK(text.find(key) != std::string::npos);
  CHECK(std::holds_alternative<settings::errors>(settings::parse(std::string("[Server]\nImageWorkers = 0\n") + channel, "x")));
}
