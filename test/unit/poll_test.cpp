// The polling transport's pure parts: session ids (protocol/uuid.hpp), request and response bodies
// (protocol/poll.*) and the bounded queue (net/poll_queue.*).
#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <set>

#include "net/poll_queue.hpp"
#include "protocol/codec.hpp"
#include "protocol/poll.hpp"
#include "protocol/uuid.hpp"

using namespace barertc;

namespace {

protocol::frame text_frame(const std::string& s) { return std::make_shared<const protocol::frame_bytes>(s); }

}  // namespace

TEST_CASE("session ids are random version 4 UUIDs", "[poll]") {
  std::array<uint8_t, 16> ff{};
  ff.fill(0xff);
  CHECK(protocol::uuid_v4(ff) == "ffffffff-ffff-4fff-bfff-ffffffffffff");
  CHECK(protocol::uuid_v4({}) == "00000000-0000-4000-8000-000000000000");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto id = protocol::random_uuid();
    CHECK(protocol::is_uuid(id));
    CHECK(id[14] == '4');
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    seen.insert(id);
  }
  CHECK(seen.size() == 100);
  CHECK_FALSE(protocol::is_uuid(""));
  CHECK_FALSE(protocol::is_uuid("00000000-0000-4000-8000-00000000000g"));
  CHECK_FALSE(protocol::is_uuid("00000000-0000-4000-8000+000000000000"));
}

TEST_CASE("a poll request is read with clear refusals", "[poll]") {
  auto ok = [](std::string_view body) { return std::get<protocol::poll_request>(protocol::parse_poll_request(body)); };
  auto refused = [](std::string_view body) {
    auto r = protocol::parse_poll_request(body);
    REQUIRE(std::holds_alternative<protocol::poll_refusal>(r));
    return std::get<protocol::poll_refusal>(r).text;
  };
  auto first = ok(R"({"msg":{"action":"login","username":"alice","dnd":true}})");
  CHECK(first.username.empty());
  CHECK(first.session_id.empty());
  CHECK(first.action == "login");
  CHECK(first.msg == R"({"action":"login","username":"alice","dnd":true})");
  auto later = ok(R"({"username":"alice","session_id":"abc","msg":{"action":"ping"}})");
  CHECK(later.username == "alice");
  CHECK(later.session_id == "abc");
  CHECK(later.action == "ping");
  auto bare = ok(R"({"username":"alice","session_id":"abc"})");
  CHECK(bare.msg.empty());
  CHECK(refused("{nope").rfind("Invalid JSON", 0) == 0);
  CHECK(refused("[]").find("object") != std::string::npos);
  CHECK(refused(R"({"username":1})") == "'username' must be a string");
  CHECK(refused(R"({"session_id":[]})") == "'session_id' must be a string");
  CHECK(refused(R"({"msg":"login"})").find("'msg'") != std::string::npos);
  CHECK(refused(R"({"msg":{"action":7}})").find("msg.action") != std::string::npos);
  CHECK(refused("{\"username\":\"\xff\"}").rfind("Invalid JSON", 0) == 0);
}

TEST_CASE("a poll response carries the queued messages as they are", "[poll]") {
  auto body = protocol::encode_poll_response("al\"ice", "id-1", {text_frame(R"({"action":"ping"})"),
                                                                 text_frame(R"({"action":"me","username":"x"})")});
  rapidjson::Document d;
  d.Parse(body.c_str());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(std::string(d["username"].GetString()) == "al\"ice");
  CHECK(std::string(d["session_id"].GetString()) == "id-1");
  REQUIRE(d["messages"].Size() == 2);
  CHECK(std::string(d["messages"][1]["action"].GetString()) == "me");
  CHECK(protocol::encode_poll_response("", "", {}) == R"({"username":"","session_id":"","messages":[]})");
}

TEST_CASE("the name a session was given is read from its me frames", "[poll]") {
  protocol::message me;
  me.action = "me";
  me.username = "bob 2";
  CHECK(protocol::me_username(protocol::encode(me)) == "bob 2");
  protocol::message other;
  other.action = "message";
  other.username = "eve";
  CHECK_FALSE(protocol::me_username(protocol::encode(other)));
  CHECK_FALSE(protocol::me_username(R"({"action":"me")"));
}

TEST_CASE("the poll queue is bounded and keeps one who list", "[poll]") {
  net::poll_queue q(3, 1000);
  CHECK(q.push(text_frame("a"), false));
  CHECK(q.push(text_frame("who1"), true));
  CHECK(q.push(text_frame("who2-longer"), true));  // replaces who1 where it stands
  CHECK(q.size() == 2);
  CHECK(q.bytes() == 1 + 11);
  CHECK(q.push(text_frame("b"), false));
  CHECK_FALSE(q.push(text_frame("c"), false));  // full by frames
  CHECK(q.size() == 3);
  auto taken = q.take();
  REQUIRE(taken.size() == 3);
  CHECK(*taken[0] == "a");
  CHECK(*taken[1] == "who2-longer");
  CHECK(*taken[2] == "b");
  CHECK(q.empty());
  CHECK(q.bytes() == 0);
  // A who list taken is not replaced: the next one is queued anew.
  CHECK(q.push(text_frame("who3"), true));
  CHECK(q.size() == 1);

  net::poll_queue small(100, 10);
  CHECK(small.push(text_frame("12345"), false));
  CHECK_FALSE(small.push(text_frame("123456"), false));  // full by bytes
  CHECK(small.push(text_frame("12345"), false));
}
