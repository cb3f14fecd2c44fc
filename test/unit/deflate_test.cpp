// permessage-deflate (RFC 7692): the handshake answer, compressing and inflating one message, and
// the frame parser's RSV1 handling (net/deflate.hpp, net/ws_frame.hpp).
#include <catch2/catch.hpp>

#include <vector>

#include "client_frames.hpp"
#include "net/deflate.hpp"
#include "net/ws_frame.hpp"

using namespace barertc::net;

namespace {

const char* accepted = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

using barertc::test::masked_frame;
std::string masked(uint8_t first_byte, std::string_view payload) { return masked_frame(first_byte, payload); }

std::vector<ws_event> parse(ws_parser& p, std::string_view bytes) {
  std::vector<ws_event> out;
  p.feed(bytes.data(), bytes.size(), [&](ws_event&& e) { out.push_back(std::move(e)); });
  return out;
}

}  // namespace

TEST_CASE("the handshake takes what browsers and libraries offer, and declines the rest", "[deflate]") {
  CHECK(negotiate_deflate("permessage-deflate; client_max_window_bits") == accepted);  // Chrome, Firefox
  CHECK(negotiate_deflate("permessage-deflate") == accepted);
  CHECK(negotiate_deflate("permessage-deflate; client_max_window_bits=10; server_no_context_takeover") == accepted);
  CHECK(negotiate_deflate("x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=15") == accepted);
  CHECK(negotiate_deflate("Permessage-Deflate; Client_Max_Window_Bits") == accepted);
  CHECK(negotiate_deflate("") == "");
  CHECK(negotiate_deflate("x-webkit-deflate-frame") == "");
  // One compressed copy for everyone: a smaller server window cannot be honoured.
  CHECK(negotiate_deflate("permessage-deflate; server_max_window_bits=10") == "");
  CHECK(negotiate_deflate("permessage-deflate; client_max_window_bits=99") == "");
  CHECK(negotiate_deflate("permessage-deflate; server_no_context_takeover=1") == "");
  CHECK(negotiate_deflate("permessage-deflate; unknown_parameter") == "");
  // A declined offer followed by an acceptable one (the fallback a client may list).
  CHECK(negotiate_deflate("permessage-deflate; server_max_window_bits=9, permessage-deflate") == accepted);
}

TEST_CASE("a message compresses without its sync tail and inflates back", "[deflate]") {
  std::string json = R"({"action":"who","whoList":[)";
  for (int i = 0; i < 500; ++i) json += R"({"username":"user)" + std::to_string(i) + R"(","status":"online","video":0},)";
  json += "]}";
  auto packed = deflate_message(json, 6);
  REQUIRE(!packed.empty());
  CHECK(packed.size() * 5 < json.size());
  CHECK(packed.compare(packed.size() - 4, 4, std::string_view("\0\0\xff\xff", 4)) != 0);
  std::string back;
  CHECK(inflate_message(packed, json.size(), back) == inflate_status::ok);
  CHECK(back == json);
  // The same bytes every time: the compressor keeps no context between messages.
  CHECK(deflate_message(json, 6) == packed);
  CHECK(inflate_message(deflate_message("", 6), 10, back) == inflate_status::ok);
  CHECK(back.empty());
}

TEST_CASE("inflating stops at the limit (a deflate bomb) and refuses garbage", "[deflate]") {
  auto bomb = deflate_message(std::string(20 << 20, 'x'), 9);
  CHECK(bomb.size() < 64 << 10);
  std::string out;
  CHECK(inflate_message(bomb, 1 << 20, out) == inflate_status::too_big);
  CHECK(out.size() <= 1 << 20);
  CHECK(inflate_message(std::string("\xff\xff\xff\xff garbage"), 1 << 20, out) == inflate_status::corrupt);
}

TEST_CASE("the parser marks compressed messages only once the extension is on", "[deflate][ws]") {
  auto packed = deflate_message(R"({"action":"ping","padding":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})", 6);
  SECTION("negotiated: RSV1 on the first frame marks the message, not the fragments") {
    ws_parser p(1 << 20);
    p.accept_deflate();
    auto half = packed.size() / 2;
    auto evs = parse(p, masked(0x40 | 0x01, packed.substr(0, half)) + masked(0x89, "hi") +
                            masked(0x80 | 0x00, packed.substr(half)));
    REQUIRE(evs.size() == 2);
    CHECK(evs[0].type == ws_event::kind::ping);
    CHECK(evs[1].type == ws_event::kind::text);
    CHECK(evs[1].compressed);
    CHECK(evs[1].payload == packed);  // not UTF-8: checked by the caller once inflated
    auto plain = parse(p, masked(0x81, "plain"));
    REQUIRE(plain.size() == 1);
    CHECK_FALSE(plain[0].compressed);
  }
  SECTION("RSV1 on a continuation or control frame, RSV2/RSV3, or without the extension: 1002") {
    auto error_of = [&](std::string bytes, bool negotiated) {
      ws_parser p(1 << 20);
      if (negotiated) p.accept_deflate();
      auto evs = parse(p, bytes);
      REQUIRE(!evs.empty());
      CHECK(evs.back().type == ws_event::kind::error);
      return evs.back().code;
    };
    CHECK(error_of(masked(0xC1, packed), false) == 1002);
    CHECK(error_of(masked(0x01, "a") + masked(0xC0, "b"), true) == 1002);
    CHECK(error_of(masked(0xC9, ""), true) == 1002);
    CHECK(error_of(masked(0xA1, "x"), true) == 1002);
    CHECK(error_of(masked(0x91, "x"), true) == 1002);
  }
  SECTION("server frames carry RSV1 when compressed") {
    std::array<uint8_t, 10> h{};
    frame_header(opcode::text, 5, h, true);
    CHECK(h[0] == 0xC1);
    frame_header(opcode::text, 5, h);
    CHECK(h[0] == 0x81);
  }
}
