// The website's API requests (protocol/admin_api.*) and webhook bodies (protocol/webhook.*).
#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "protocol/admin_api.hpp"
#include "protocol/webhook.hpp"

using namespace barertc::protocol;

namespace {

const std::string key = "k-123";

api_request call(std::string_view path, std::string_view body) { return parse_api(path, true, "application/json", body, key); }

int status_of(const api_request& r) { return std::holds_alternative<api_reply>(r) ? std::get<api_reply>(r).status : 0; }

std::string error_of(const api_request& r) {
  rapidjson::Document d;
  d.Parse(std::get<api_reply>(r).body.c_str());
  return d["Error"].GetString();
}

}  // namespace

TEST_CASE("every API checks method, type, JSON and key before its fields", "[admin_api]") {
  CHECK(status_of(parse_api("/api/blocklist", false, "application/json", "{}", key)) == 400);
  CHECK(status_of(parse_api("/api/blocklist", true, "application/json; charset=utf-8", "{}", key)) == 400);
  CHECK(status_of(call("/api/blocklist", "[1]")) == 400);
  CHECK(status_of(call("/api/blocklist", R"({"APIKey":"k-12"})")) == 401);
  CHECK(status_of(parse_api("/api/shutdown", true, "application/json", R"({"APIKey":""})", "")) == 401);
  CHECK(status_of(call("/api/nope", "{}")) == 404);
  CHECK(std::holds_alternative<shutdown_request>(call("/api/shutdown", R"({"APIKey":"k-123"})")));
}

TEST_CASE("fields of the wrong type are named in the error", "[admin_api]") {
  auto r = call("/api/disconnect/now", R"({"APIKey":"k-123","Usernames":["a"],"Kick":"yes"})");
  CHECK(error_of(r) == "'Kick' must be true or false");
  CHECK(error_of(call("/api/amend-jwt", R"({"APIKey":"k-123","Username":5,"JWTToken":"t"})")) == "'Username' must be a string");
  CHECK(error_of(call("/api/blocklist", R"({"APIKey":"k-123","Username":"a","Blocklist":[1]})")) ==
        "'Blocklist' must be an array of usernames");
  CHECK(error_of(call("/api/authenticate", R"({"APIKey":"k-123","Claims":{"op":true}})")) == "Claims: 'sub' is missing");
  auto ok = call("/api/disconnect/now", R"({"APIKey":"k-123","Usernames":["a","b"],"Message":"bye","Kick":true})");
  REQUIRE(std::holds_alternative<disconnect_request>(ok));
  CHECK(std::get<disconnect_request>(ok).usernames.size() == 2);
  CHECK(std::get<disconnect_request>(ok).kick);
}

TEST_CASE("/api/profile takes a chat token instead of the key", "[admin_api]") {
  auto r = call("/api/profile", R"({"JWTToken":"t","Username":"bob"})");
  REQUIRE(std::holds_alternative<profile_request>(r));
  CHECK(std::get<profile_request>(r).username == "bob");
  CHECK(status_of(call("/api/profile", R"({"JWTToken":"t"})")) == 400);
}

TEST_CASE("authenticate keeps the claims and sets iat and exp", "[admin_api]") {
  rapidjson::Document d;
  d.Parse(authenticate_payload(R"({"sub":"bot","op":true,"exp":1})", 1000, 300).c_str());
  CHECK(d["sub"].GetString() == std::string("bot"));
  CHECK(d["op"].GetBool());
  CHECK(d["iat"].GetInt64() == 1000);
  CHECK(d["exp"].GetInt64() == 1300);
}

TEST_CASE("webhook bodies and the profile answer", "[webhook]") {
  report r{"ann", "bob", "lobby", "2026-01-01T00:00:00Z", "spam", "buy \"now\"", "c"};
  rapidjson::Document d;
  d.Parse(report_body(key, r).c_str());
  CHECK(d["Action"].GetString() == std::string("report"));
  CHECK(d["APIKey"].GetString() == key);
  CHECK(d["Report"]["Message"].GetString() == std::string("buy \"now\""));
  d.Parse(profile_body(key, "bob").c_str());
  CHECK(d["Username"].GetString() == std::string("bob"));
  auto good = profile_reply(R"({"StatusCode":200,"Data":{"OK":true,"Headline":"hi","ProfileFields":[]}})");
  CHECK(good.status == 200);
  d.Parse(good.body.c_str());
  CHECK(d["Headline"].GetString() == std::string("hi"));
  CHECK(profile_reply("not json").status == 500);
  CHECK(profile_reply(R"({"Data":{"Headline":"no OK"}})").status == 500);
}

TEST_CASE("the DM history APIs take a chat token; clear takes a token or the APIKey", "[admin_api]") {
  auto h = call("/api/message/history", R"({"JWTToken":"t","Username":"bob","BeforeID":42})");
  REQUIRE(std::holds_alternative<history_request>(h));
  CHECK(std::get<history_request>(h).before_id == 42);
  CHECK(std::get<history_request>(call("/api/message/history", R"({"JWTToken":"t","Username":"bob"})")).before_id == 0);
  CHECK(error_of(call("/api/message/history", R"({"JWTToken":"t","Username":"bob","BeforeID":1.5})")) ==
        "'BeforeID' must be a whole number of at least 0");
  auto u = call("/api/message/usernames", R"({"JWTToken":"t"})");
  REQUIRE(std::holds_alternative<usernames_request>(u));
  CHECK(std::get<usernames_request>(u).sort == "newest");
  CHECK(std::get<usernames_request>(u).page == 1);
  CHECK(std::get<usernames_request>(call("/api/message/usernames", R"({"JWTToken":"t","Sort":"z-a","Page":3})")).page == 3);
  CHECK(error_of(call("/api/message/usernames", R"({"JWTToken":"t","Sort":"AZ"})")) ==
        "'Sort' must be one of newest, oldest, a-z, z-a");
  auto own = call("/api/message/clear", R"({"JWTToken":"t"})");
  REQUIRE(std::holds_alternative<clear_request>(own));
  CHECK(std::get<clear_request>(own).username.empty());
  auto site = call("/api/message/clear", R"({"APIKey":"k-123","Username":"bob"})");
  REQUIRE(std::holds_alternative<clear_request>(site));
  CHECK(std::get<clear_request>(site).username == "bob");
  CHECK(status_of(call("/api/message/clear", R"({"APIKey":"nope","Username":"bob"})")) == 401);
}

TEST_CASE("the DM history replies have the reference's fields", "[admin_api]") {
  rapidjson::Document d;
  d.Parse(api_ok_history({{"bob", "<p>hi</p>", 7, "2026-12-01T10:00:00Z"}}, 3).body.c_str());
  CHECK(d["OK"].GetBool());
  CHECK(d["Remaining"].GetInt() == 3);
  auto& m = d["Messages"][0];
  CHECK(std::string(m["username"].GetString()) == "bob");
  CHECK(std::string(m["message"].GetString()) == "<p>hi</p>");
  CHECK(m["msgID"].GetInt64() == 7);
  CHECK(std::string(m["timestamp"].GetString()) == "2026-12-01T10:00:00Z");
  d.Parse(api_ok_history({}, 0).body.c_str());
  CHECK(d["Messages"].IsArray());
  d.Parse(api_ok_usernames({"a", "b"}, 11, 2).body.c_str());
  CHECK(d["Usernames"].Size() == 2);
  CHECK(d["Count"].GetInt() == 11);
  CHECK(d["Pages"].GetInt() == 2);
  d.Parse(api_ok_erased(5).body.c_str());
  CHECK(d["MessagesErased"].GetInt() == 5);
}
