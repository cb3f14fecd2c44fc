#include <catch2/catch.hpp>

#include "protocol/names.hpp"

using namespace barertc::protocol;

namespace {
constexpr size_t limit = 32;  // MaxUsernameLength's default
std::string accepted(std::string_view in) {
  auto r = check_username(in, limit);
  REQUIRE(r.index() == 0);
  return std::get<0>(r);
}
std::string refused(std::string_view in) {
  auto r = check_username(in, limit);
  REQUIRE(r.index() == 1);
  return std::string(std::get<1>(r));
}
}  // namespace

TEST_CASE("usernames are trimmed and empty becomes anonymous", "[names]") {
  CHECK(accepted("  alice  ") == "alice");
  CHECK(accepted("") == "anonymous");
  CHECK(accepted(" \t ") == "anonymous");
  CHECK(accepted("name with spaces") == "name with spaces");
  CHECK(accepted("ünïcödé 名前") == "ünïcödé 名前");
}

TEST_CASE("usernames over 32 characters, with controls, @ or / are refused", "[names]") {
  CHECK(accepted(std::string(32, 'x')).size() == 32);
  CHECK(refused(std::string(33, 'x')).find("too long") != std::string::npos);
  // 32 two-byte characters are fine: the limit counts characters, not bytes.
  std::string umlauts;
  for (int i = 0; i < 32; ++i) umlauts += "ü";
  CHECK(accepted(umlauts) == umlauts);
  CHECK(refused("@admin").find("@") != std::string::npos);
  CHECK(refused("a/b").find("slash") != std::string::npos);
  CHECK(refused("bell\x07").find("control") != std::string::npos);
  CHECK(refused("c1\xc2\x85x").find("control") != std::string::npos);
  CHECK(accepted("mid@dle") == "mid@dle");
}

#include "protocol/command.hpp"

TEST_CASE("operator command lines split like a shell", "[command]") {
  using V = std::vector<std::string>;
  CHECK(*split_command("/kick bob") == V{"/kick", "bob"});
  CHECK(*split_command("/kick \"user 2\"") == V{"/kick", "user 2"});
  CHECK(*split_command("/ban  'a b'  12 ") == V{"/ban", "a b", "12"});
  CHECK(*split_command("/kick user\\ 3") == V{"/kick", "user 3"});
  CHECK(*split_command("/kick \"say \\\"hi\\\"\"") == V{"/kick", "say \"hi\""});
  CHECK(*split_command("/kick \"\"") == V{"/kick", ""});
  CHECK_FALSE(split_command("/kick \"open"));
  CHECK(strip_at("@bob") == "bob");
  CHECK(strip_at("bob") == "bob");
}

TEST_CASE("usernames with HTML-special characters are refused and claim text loses tags", "[names]") {
  for (std::string_view bad : {"<script>", "a>b", "tom&jerry", "say\"hi", "o'brien", "back`tick",
                               "\"><img src=x onerror=alert(1)>"})
    CHECK(refused(bad).find("may not contain any of") != std::string::npos);
  CHECK(display_text("  Ally <3 ", 64) == "Ally 3");
  CHECK(display_text("<img src=x onerror=alert(1)>", 64) == "img src=x onerror=alert(1)");
  CHECK(display_text("bell\x07x", 64) == "bellx");
  CHECK(display_text("ünïcödé", 3) == "ünï");
}

TEST_CASE("the username length limit comes from the caller", "[names]") {
  auto r = check_username(std::string(21, 'x'), 20);
  REQUIRE(r.index() == 1);
  CHECK(std::get<1>(r) == "Your username is too long: use at most 20 characters.");
  CHECK(check_username(std::string(20, 'x'), 20).index() == 0);
}
