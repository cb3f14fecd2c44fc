#pragma once
/// WebSocket framing (RFC 6455) for the server side, with no sockets: an incremental parser of
/// client frames and the header of server frames. Testable and fuzzable alone.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace barertc::net {

/// WebSocket opcodes.
namespace opcode {
inline constexpr uint8_t continuation = 0x0;
inline constexpr uint8_t text = 0x1;
inline constexpr uint8_t binary = 0x2;
inline constexpr uint8_t close = 0x8;
inline constexpr uint8_t ping = 0x9;
inline constexpr uint8_t pong = 0xA;
}  // namespace opcode

/// One complete thing the client sent.
struct ws_event {
  enum class kind { text, binary, ping, pong, close, error } type;
  std::string payload;   ///< message or control payload (close: the reason text)
  uint16_t code = 0;     ///< close: the client's code; error: the code to close with (1002, 1007, 1009)
  bool compressed = false;  ///< text/binary: permessage-deflate payload, to be inflated (and UTF-8 checked)
};

/// Parses frames incrementally: masked client frames (the server's side), or with
/// `from_client = false` unmasked server frames (the load generator's side). After a close or an
/// error it ignores further input.
class ws_parser {
 public:
  explicit ws_parser(size_t max_message_bytes, bool from_client = true)
      : max_(max_message_bytes), from_client_(from_client) {}

  /// Consumes bytes; calls on_event(ws_event&&) for each complete message or control frame.
  template <class F>
  void feed(const char* data, size_t n, F&& on_event) {
    if (done_) return;
    ws_event ev;
    // The rest of a big frame's payload goes straight into the message, unmasked on the way.
    while (n > 0 && stream_left_ > 0) {
      size_t k = n < stream_left_ ? n : stream_left_;
      stream(data, k);
      data += k;
      n -= k;
      if (stream_left_ == 0 && end_of_frame(stream_fin_, ev)) {
        if (ev.type == ws_event::kind::error) done_ = true;
        on_event(std::move(ev));
        if (done_) return;
        ev = ws_event{};
      }
    }
    in_.append(data, n);
    while (!done_ && next(ev)) {
      if (ev.type == ws_event::kind::close || ev.type == ws_event::kind::error) done_ = true;
      on_event(std::move(ev));
      ev = ws_event{};
    }
    if (pos_ > 0 && (pos_ == in_.size() || pos_ > 65536)) {
      in_.erase(0, pos_);
      pos_ = 0;
    }
    // An idle connection keeps no buffer from its largest message (an image can be megabytes).
    if (in_.empty() && in_.capacity() > 4096) std::string().swap(in_);
  }

  /// True once a close or an error was reported.
  bool done() const { return done_; }

  /// permessage-deflate was negotiated: RSV1 marks a compressed message (RFC 7692 6.1).
  void accept_deflate() { deflate_ = true; }

 private:
  bool next(ws_event& ev);
  bool fail(ws_event& ev, uint16_t code, const char* why);
  /// A data frame starts or continues the message; the reason when that breaks the protocol.
  const char* open_frame(uint8_t op, bool rsv1);
  /// Unmasks the next `n` bytes of the streamed frame's payload onto the message.
  void stream(const char* data, size_t n);
  /// A data frame's payload is all in the message: true with `ev` set when that ends the message
  /// (or is an error), false when more fragments follow.
  bool end_of_frame(bool fin, ws_event& ev);

  size_t max_;
  bool from_client_;
  std::string in_;
  size_t pos_ = 0;
  std::string message_;       // fragments of the current data message
  uint8_t message_op_ = 0;    // text or binary while a fragmented message is open
  bool deflate_ = false;      // permessage-deflate negotiated
  bool compressed_ = false;   // the open message is compressed
  bool done_ = false;
  // A data frame bigger than a read (a photo) is not gathered in `in_` and then copied: once its
  // header is in, the message is sized for it and its payload streams in.
  size_t stream_left_ = 0;    // payload bytes of the streamed frame still to come
  size_t stream_done_ = 0;    // payload bytes of it already in (the mask's phase)
  uint8_t stream_mask_[4] = {0, 0, 0, 0};
  bool stream_fin_ = false;
};

/// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view s);

/// True when a client may send `code` in a close frame (RFC 6455 7.4 and the IANA registry).
bool valid_close_code(uint16_t code);

/// Writes the header of an unmasked server frame into `out`; returns its length (2, 4 or 10).
/// `compressed` sets RSV1 (a permessage-deflate message).
size_t frame_header(uint8_t op, uint64_t payload_size, std::array<uint8_t, 10>& out, bool compressed = false);

/// A complete server frame (header + payload), for control frames.
std::string make_frame(uint8_t op, std::string_view payload);

/// The payload of a close frame: code in network order, then the reason (at most 123 bytes).
std::string close_payload(uint16_t code, std::string_view reason);

}  // namespace barertc::net
