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
