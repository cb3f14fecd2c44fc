#include <catch2/catch.hpp>

#include "protocol/codec.hpp"

using namespace barertc::protocol;

namespace {
message decode_ok(std::string_view json) {
  auto r = decode(json);
  REQUIRE(std::holds_alternative<message>(r));
  return std::get<message>(r);
}
}  // namespace

TEST_CASE("every action round-trips through the codec", "[codec]") {
  message m;
  m.action = "message";
  m.channel = "lobby";
  m.username = "alice";
  m.message = "<p>hi</p>";
  m.msg_id = 1700000001;
  m.timestamp = "2026-11-24T10:00:00Z";
  CHECK(encode(m) ==
        R"({"action":"message","channel":"lobby","username":"alice","message":"<p>hi</p>","msgID":1700000001,"timestamp":"2026-11-24T10:00:00Z"})");

  for (auto action : {"login", "me", "who", "presence", "error", "disconnect", "ping", "open", "ring", "candidate",
                      "sdp", "watch", "unwatch", "boot", "unboot", "mute", "unmute", "block", "blocklist",
                      "video-invite", "cut", "report", "takeback", "react", "file", "echo"}) {
    message x;
    x.action = action;
    x.username = "bob";
    x.video = 1 | 2 | 256;
    x.status = "away";
    x.dnd = true;
    x.jwt = "a.b.c";
    x.open_secret = "abcdefghijklmnop";
    x.usernames = {"a", "b"};
    x.reason = "r";
    x.comment = "c";
    x.candidate = R"({"z":1,"a":"ü"})";
    x.description = R"({"type":"offer","sdp":"v=0\r\n"})";
    x.jwt_rules = {{"IsNoVideoRule", true}, {"IsRedCamRule", false}};
    x.bytes = std::string("\x00\xff\x10", 3);
    message inner;
    inner.action = "message";
    inner.message = "old";
    x.messages = {inner};
    who_entry w;
    w.username = "carol";
    w.video = 1;
    w.login_at = 42;
    w.op = true;
    w.avatar = "/u/c.png";
    x.who_list = {w};
    auto y = decode_ok(encode(x));
    CHECK(y.action == x.action);
    CHECK(y.username == x.username);
    CHECK(y.video == x.video);
    CHECK(y.status == x.status);
    CHECK(y.dnd == x.dnd);
    CHECK(y.jwt == x.jwt);
    CHECK(y.open_secret == x.open_secret);
    CHECK(y.usernames == x.usernames);
    CHECK(y.candidate == x.candidate);
    CHECK(y.description == x.description);
    CHECK(y.jwt_rules == x.jwt_rules);
    CHECK(y.bytes == x.bytes);
    REQUIRE(y.messages.size() == 1);
    CHECK(y.messages[0].message == "old");
    REQUIRE(y.who_list.size() == 1);
    CHECK(y.who_list[0].username == "carol");
    CHECK(y.who_list[0].op);
    CHECK(y.who_list[0].avatar == "/u/c.png");
    CHECK(encode(y) == encode(x));
  }
}

TEST_CASE("empty fields are left out, who entries keep their always-present fields", "[codec]") {
  message m;
  m.action = "ping";
  CHECK(encode(m) == R"({"action":"ping"})");
  who_entry w;
  w.username = "a";
  CHECK(encode_who_entry(w) == R"({"username":"a","status":"online","video":0,"loginAt":0,"op":false})");
  std::vector<std::string> entries{encode_who_entry(w)};
  CHECK(*encode_who_list(entries) == R"({"action":"who","whoList":[)" + entries[0] + "]}");
  std::vector<std::string> none;
  CHECK(*encode_who_list(none) == R"({"action":"who","whoList":[]})");
}

TEST_CASE("unknown fields are ignored and missing fields take defaults", "[codec]") {
  auto m = decode_ok(R"({"action":"me","future":{"x":[1,2]},"video":5})");
  CHECK(m.action == "me");
  CHECK(m.video == 5);
  CHECK(m.status.empty());
  CHECK_FALSE(m.legacy_video);
  auto old = decode_ok(R"({"action":"me","videoActive":true,"nsfw":true})");
  CHECK(old.legacy_video);
  CHECK(old.video_active);
  CHECK(old.nsfw);
  auto nulls = decode_ok(R"({"action":null,"username":null})");
  CHECK(nulls.action.empty());
}

TEST_CASE("bytes accept an array of integers or base64", "[codec]") {
  CHECK(decode_ok(R"({"bytes":[104,105]})").bytes == "hi");
  CHECK(decode_ok(R"({"bytes":"aGk="})").bytes == "hi");
  CHECK(std::holds_alternative<decode_error>(decode(R"({"bytes":[300]})")));
}

TEST_CASE("bad JSON and wrong types are reported in plain words", "[codec]") {
  auto err = [](std::string_view json) {
    auto r = decode(json);
    REQUIRE(std::holds_alternative<decode_error>(r));
    return std::get<decode_error>(r).text;
  };
  CHECK(err("{nope").find("Invalid JSON") == 0);
  CHECK(err("[]") == "Invalid message: expected a JSON object");
  CHECK(err(R"({"a":1} x)").find("Invalid JSON") == 0);
  CHECK(err(R"({"video":"1"})") == "Invalid message: field 'video' must be a whole number");
  CHECK(err(R"({"dnd":1})") == "Invalid message: field 'dnd' must be true or false");
  CHECK(err(R"({"usernames":[1]})") == "Invalid message: field 'usernames' must be an array of strings");
  CHECK(err("{\"message\":\"\xff\"}").find("Invalid JSON") == 0);  // invalid UTF-8
  // Deep nesting does not exhaust the stack (iterative parser).
  std::string deep = R"({"x":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  CHECK(std::holds_alternative<message>(decode(deep)));
}

TEST_CASE("whole numbers written as doubles must fit the field", "[codec]") {
  // Found by test/fuzz/fuzz_codec: 3e9 was cast to int (undefined behaviour).
  CHECK(std::holds_alternative<decode_error>(decode(R"({"video":3000000000.0})")));
  CHECK(decode_ok(R"({"video":3.0,"msgID":-12.0})").video == 3);
  CHECK(decode_ok(R"({"msgID":3000000000.0})").msg_id == 3000000000);
}

TEST_CASE("a lone low surrogate escape is refused, pairs are kept", "[codec]") {
  // Found by test/fuzz/fuzz_codec: RapidJSON decoded \udd23 to bytes that are not UTF-8, which a
  // browser receiving the relayed frame must treat as fatal.
  CHECK(std::holds_alternative<decode_error>(decode(R"({"message":"a\udd23b"})")));
  CHECK(std::holds_alternative<decode_error>(decode(R"({"message":"\ud83d\ud83d\ude00"})")));
  CHECK(decode_ok(R"({"message":"\ud83d\ude00 \\udd23 \u00e9"})").message == "\xF0\x9F\x98\x80 \\udd23 \xC3\xA9");
}

TEST_CASE("a photo-sized bytes array decodes as a small one does, errors included", "[codec]") {
  std::string bytes;
  for (int i = 0; i < 100000; ++i) bytes.push_back(static_cast<char>(i * 7 % 256));
  std::string array;
  for (unsigned char c : bytes) array += (array.empty() ? "" : ",") + std::to_string(c);
  auto frame = [&](std::string arr, std::string extra = "") {
    return R"({"action":"file","channel":"offtopic","message":"a.png","bytes":[)" + arr + "]" + extra + "}";
  };
  auto ok = decode(frame(array, R"(,"messages":[{"action":"message","bytes":[1,2,3]}],"msgID":7)"));
  REQUIRE(std::holds_alternative<message>(ok));
  auto& m = std::get<message>(ok);
  CHECK(m.action == "file");
  CHECK(m.message == "a.png");
  CHECK(m.msg_id == 7);
  CHECK(m.bytes == bytes);
  REQUIRE(m.messages.size() == 1);
  CHECK(m.messages[0].bytes == std::string("\x01\x02\x03"));
  // The errors a small frame gets, word for word.
  for (auto bad : {array + ",256", array + ",-1", array + ",1.5", array + ",\"x\"", array + ",[1]"}) {
    auto err = decode(frame(bad));
    REQUIRE(std::holds_alternative<decode_error>(err));
    CHECK(std::get<decode_error>(err).text == "Invalid message: field 'bytes' must be an array of bytes");
  }
  auto broken = decode(frame(array).substr(0, 200000));
  REQUIRE(std::holds_alternative<decode_error>(broken));
  CHECK(std::get<decode_error>(broken).text.rfind("Invalid JSON: ", 0) == 0);
  auto twice = decode(frame(array, R"(,"bytes":[9])"));
  CHECK(std::holds_alternative<message>(twice));  // the usual way: the first `bytes` wins
}
