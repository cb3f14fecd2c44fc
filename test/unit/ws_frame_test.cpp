#include <catch2/catch.hpp>

#include <vector>

#include "client_frames.hpp"
#include "net/ws_frame.hpp"

using namespace barertc::net;

namespace {
/// A masked client frame, as a browser would send it.
std::string client_frame(uint8_t op, std::string_view payload, bool fin = true) {
  return barertc::test::masked_frame(static_cast<uint8_t>((fin ? 0x80 : 0) | op), payload);
}

std::vector<ws_event> parse(ws_parser& p, std::string_view bytes, size_t step = 0) {
  std::vector<ws_event> out;
  if (!step) step = bytes.size();
  for (size_t i = 0; i < bytes.size(); i += step)
    p.feed(bytes.data() + i, std::min(step, bytes.size() - i), [&](ws_event&& e) { out.push_back(std::move(e)); });
  return out;
}
}  // namespace

TEST_CASE("text frames of every length form, fed whole or byte by byte", "[ws]") {
  for (size_t len : {0, 5, 125, 126, 65535, 65536, 200000}) {
    std::string text(len, 'x');
    for (size_t step : {size_t(0), size_t(1), size_t(7)}) {
      if (step == 1 && len > 70000) continue;
      ws_parser p(1 << 20);
      auto evs = parse(p, client_frame(opcode::text, text) + client_frame(opcode::text, "next"), step);
      REQUIRE(evs.size() == 2);
      CHECK(evs[0].type == ws_event::kind::text);
      CHECK(evs[0].payload == text);
      CHECK(evs[1].payload == "next");
    }
  }
}

TEST_CASE("fragments are joined and control frames may come between them", "[ws]") {
  ws_parser p(1024);
  auto evs = parse(p, client_frame(opcode::text, "hel", false) + client_frame(opcode::ping, "p") +
                          client_frame(opcode::continuation, "lo", false) +
                          client_frame(opcode::continuation, "!", true));
  REQUIRE(evs.size() == 2);
  CHECK(evs[0].type == ws_event::kind::ping);
  CHECK(evs[0].payload == "p");
  CHECK(evs[1].type == ws_event::kind::text);
  CHECK(evs[1].payload == "hello!");
}

TEST_CASE("close frames carry code and reason; nothing is read after", "[ws]") {
  ws_parser p(1024);
  auto evs = parse(p, client_frame(opcode::close, close_payload(1001, "bye")) + client_frame(opcode::text, "late"));
  REQUIRE(evs.size() == 1);
  CHECK(evs[0].type == ws_event::kind::close);
  CHECK(evs[0].code == 1001);
  CHECK(evs[0].payload == "bye");
  CHECK(p.done());
}

TEST_CASE("protocol errors and oversized messages are reported with their close codes", "[ws]") {
  auto first_error = [](std::string bytes, size_t max = 1024) {
    ws_parser p(max);
    auto evs = parse(p, bytes);
    REQUIRE(!evs.empty());
    CHECK(evs.back().type == ws_event::kind::error);
    return evs.back().code;
  };
  CHECK(first_error(client_frame(opcode::text, std::string(2000, 'a'))) == 1009);
  CHECK(first_error(client_frame(opcode::text, "aa", false) + client_frame(opcode::continuation, std::string(1100, 'b'))) ==
        1009);
  std::string unmasked = "\x81\x02hi";
  CHECK(first_error(unmasked) == 1002);
  CHECK(first_error(client_frame(0x3, "x")) == 1002);                              // reserved opcode
  CHECK(first_error(client_frame(opcode::ping, std::string(126, 'p'))) == 1002);   // control too long
  CHECK(first_error(client_frame(opcode::continuation, "x")) == 1002);             // nothing to continue
  std::string rsv = client_frame(opcode::text, "x");
  rsv[0] = static_cast<char>(rsv[0] | 0x40);
  CHECK(first_error(rsv) == 1002);
}

TEST_CASE("server frame headers use the shortest length form", "[ws]") {
  std::array<uint8_t, 10> h{};
  CHECK(frame_header(opcode::text, 125, h) == 2);
  CHECK(h[0] == 0x81);
  CHECK(h[1] == 125);
  CHECK(frame_header(opcode::text, 126, h) == 4);
  CHECK((h[1] == 126 && h[2] == 0 && h[3] == 126));
  CHECK(frame_header(opcode::text, 70000, h) == 10);
  CHECK(h[1] == 127);
  CHECK(make_frame(opcode::pong, "ab") == std::string("\x8a\x02" "ab", 4));
}

TEST_CASE("text frames must be UTF-8, binary frames may hold anything", "[ws]") {
  for (std::string_view good : {"", "plain", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\xa6\x8a fox", "\xf4\x8f\xbf\xbf",
                                "\xed\x9f\xbf"}) {
    CHECK(valid_utf8(good));
    ws_parser p(1024);
    auto evs = parse(p, client_frame(opcode::text, good));
    REQUIRE(evs.size() == 1);
    CHECK(evs[0].type == ws_event::kind::text);
  }
  for (std::string_view bad : {"\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc3",
                               "abc\x80", "\xf0\x9f\xa6", "\xf8\x88\x80\x80\x80"}) {
    CHECK_FALSE(valid_utf8(bad));
    ws_parser p(1024);
    auto evs = parse(p, client_frame(opcode::text, bad));
    REQUIRE(evs.size() == 1);
    CHECK(evs[0].type == ws_event::kind::error);
    CHECK(evs[0].code == 1007);
    ws_parser b(1024);
    CHECK(parse(b, client_frame(opcode::binary, bad))[0].type == ws_event::kind::binary);
  }
  // A character split across fragments is fine once the message is whole.
  ws_parser p(1024);
  auto evs = parse(p, client_frame(opcode::text, "\xe2\x82", false) + client_frame(opcode::continuation, "\xac"));
  REQUIRE(evs.size() == 1);
  CHECK(evs[0].payload == "\xe2\x82\xac");
}

TEST_CASE("close codes that must not be on the wire get 1002, a reason that is not UTF-8 gets 1007", "[ws]") {
  auto close_event = [](std::string payload) {
    ws_parser p(1024);
    auto evs = parse(p, client_frame(opcode::close, payload));
    REQUIRE(evs.size() == 1);
    CHECK(p.done());
    return evs[0];
  };
  for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999}) {
    CHECK(valid_close_code(code));
    auto ev = close_event(close_payload(code, "ok"));
    CHECK(ev.type == ws_event::kind::close);
    CHECK(ev.code == code);
  }
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    CHECK_FALSE(valid_close_code(code));
    auto ev = close_event(close_payload(code, ""));
    CHECK(ev.type == ws_event::kind::error);
    CHECK(ev.code == 1002);
  }
  auto bad_reason = close_event(close_payload(1000, "\xff\xfe"));
  CHECK(bad_reason.type == ws_event::kind::error);
  CHECK(bad_reason.code == 1007);
  CHECK(close_event("").type == ws_event::kind::close);  // no code at all is allowed (seen as 1005)
}

TEST_CASE("length fields that are not in their shortest form are refused with 1002", "[ws]") {
  auto masked = [](std::string head, size_t n) {
    std::string out = head + std::string("\0\0\0\0", 4) + std::string(n, 'x');  // zero mask
    return out;
  };
  // 5 bytes announced in the 16-bit form, 200 bytes in the 64-bit form.
  std::string sixteen = std::string("\x81\xfe\x00\x05", 4);
  std::string sixty_four = std::string("\x81\xff\x00\x00\x00\x00\x00\x00\x00\xc8", 10);
  for (auto bytes : {masked(sixteen, 5), masked(sixty_four, 200)}) {
    for (size_t step : {size_t(0), size_t(1)}) {
      ws_parser p(1 << 20);
      auto evs = parse(p, bytes, step);
      REQUIRE(evs.size() == 1);
      CHECK(evs[0].type == ws_event::kind::error);
      CHECK(evs[0].code == 1002);
    }
  }
  // The shortest forms of the same boundaries are fine.
  ws_parser ok(1 << 20);
  auto evs = parse(ok, masked(std::string("\x81\xfe\x00\x7e", 4), 126));
  REQUIRE(evs.size() == 1);
  CHECK(evs[0].type == ws_event::kind::text);
}

TEST_CASE("big frames stream into their message: fed in odd pieces, fragmented, with pings between", "[ws]") {
  std::string big;
  for (size_t i = 0; i < 300001; ++i) big += static_cast<char>('a' + (i * 7 + i / 13) % 26);
  std::string part2 = big.substr(0, 99999);
  auto bytes = client_frame(opcode::text, big) + client_frame(opcode::text, big.substr(0, 70001), false) +
               client_frame(opcode::ping, "p") + client_frame(opcode::continuation, part2, false) +
               client_frame(opcode::continuation, "!", true) + client_frame(opcode::text, "after");
  for (size_t step : {size_t(0), size_t(1000), size_t(4093), size_t(65536), size_t(70007)}) {
    ws_parser p(1 << 20);
    auto evs = parse(p, bytes, step);
    REQUIRE(evs.size() == 4);
    CHECK(evs[0].type == ws_event::kind::text);
    CHECK(evs[0].payload == big);
    CHECK(evs[1].type == ws_event::kind::ping);
    CHECK(evs[2].payload == big.substr(0, 70001) + part2 + "!");
    CHECK(evs[3].payload == "after");
  }
}

TEST_CASE("a streamed frame is still checked: too big before any payload, not UTF-8 at its end", "[ws]") {
  std::string bad(100000, 'x');
  bad[99998] = '\xff';
  for (size_t step : {size_t(0), size_t(4096)}) {
    ws_parser p(1 << 20);
    auto evs = parse(p, client_frame(opcode::text, bad) + client_frame(opcode::text, "ignored"), step);
    REQUIRE(evs.size() == 1);
    CHECK(evs[0].type == ws_event::kind::error);
    CHECK(evs[0].code == 1007);
  }
  ws_parser small(80000);
  auto evs = parse(small, client_frame(opcode::text, std::string(100000, 'x')), 4096);
  REQUIRE(evs.size() == 1);
  CHECK(evs[0].code == 1009);
  // Binary frames may hold anything, streamed or not.
  std::string bin(100000, '\xff');
  ws_parser p(1 << 20);
  evs = parse(p, client_frame(opcode::binary, bin), 5000);
  REQUIRE(evs.size() == 1);
  CHECK(evs[0].type == ws_event::kind::binary);
  CHECK(evs[0].payload == bin);
}
