#include "net/ws_frame.hpp"

#include <cstring>

#include "settings/defaults.hpp"

namespace barertc::net {

bool ws_parser::fail(ws_event& ev, uint16_t code, const char* why) {
  ev.type = ws_event::kind::error;
  ev.code = code;
  ev.payload = why;
  return true;
}

namespace {

/// Appends `n` bytes of `src` to `out`, XORed with `mask` starting at byte `phase` of it, through
/// a small buffer (no zero-filling of `out` first; a photo's frame is tens of megabytes).
void unmask_append(std::string& out, const char* src, size_t n, const uint8_t mask[4], size_t phase) {
  uint8_t rot[8];
  for (int i = 0; i < 8; ++i) rot[i] = mask[(phase + i) & 3];
  uint64_t mask8;
  std::memcpy(&mask8, rot, 8);
  char buf[4096];
  while (n > 0) {
    size_t k = n < sizeof buf ? n : sizeof buf;  // a multiple of 8 but for the last piece
    size_t i = 0;
    for (; i + 8 <= k; i += 8) {
      uint64_t w;
      std::memcpy(&w, src + i, 8);
      w ^= mask8;
      std::memcpy(buf + i, &w, 8);
    }
    for (; i < k; ++i) buf[i] = static_cast<char>(src[i] ^ rot[i & 7]);
    out.append(buf, k);
    src += k;
    n -= k;
  }
}

}  // namespace

void ws_parser::stream(const char* data, size_t n) {
  unmask_append(message_, data, n, stream_mask_, stream_done_);
  stream_done_ += n;
  stream_left_ -= n;
}

const char* ws_parser::open_frame(uint8_t op, bool rsv1) {
  if (op == opcode::continuation) return message_op_ ? nullptr : "continuation without a message";
  if (message_op_) return "new message inside a fragmented one";
  message_op_ = op;
  compressed_ = rsv1;
  return nullptr;
}

bool ws_parser::end_of_frame(bool fin, ws_event& ev) {
  if (!fin) return false;  // more fragments of the same message
  // A compressed message is checked once inflated (net/deflate.hpp), by the caller.
  if (message_op_ == opcode::text && !compressed_ && !valid_utf8(message_))
    return fail(ev, 1007, "text frame is not valid UTF-8");
  ev.type = message_op_ == opcode::text ? ws_event::kind::text : ws_event::kind::binary;
  ev.compressed = compressed_;
  compressed_ = false;
  ev.payload = std::move(message_);
  message_.clear();
  message_op_ = 0;
  return true;
}

bool ws_parser::next(ws_event& ev) {
  for (;;) {
  size_t avail = in_.size() - pos_;
  if (avail < 2) return false;
  auto* p = reinterpret_cast<const uint8_t*>(in_.data() + pos_);
  bool fin = p[0] & 0x80;
  uint8_t rsv = p[0] & 0x70;
  uint8_t op = p[0] & 0x0F;
  bool masked = p[1] & 0x80;
  uint64_t len = p[1] & 0x7F;
  size_t header = 2;
  if (len == 126) {
    header = 4;
    if (avail < header) return false;
    len = (uint64_t(p[2]) << 8) | p[3];
    if (len < 126) return fail(ev, 1002, "frame length not in its shortest form");  // RFC 6455 5.2
  } else if (len == 127) {
    header = 10;
    if (avail < header) return false;
    len = 0;
    for (int i = 2; i < 10; ++i) len = (len << 8) | p[i];
    if (len >> 63) return fail(ev, 1002, "invalid frame length");
    if (len < 65536) return fail(ev, 1002, "frame length not in its shortest form");  // RFC 6455 5.2
  }
  bool rsv1 = rsv & 0x40;  // permessage-deflate: set on the first frame of a compressed message
  if ((rsv & 0x30) || (rsv1 && !deflate_)) return fail(ev, 1002, "reserved bits set (no extension was negotiated)");
  if (rsv1 && ((op & 0x8) || op == opcode::continuation))
    return fail(ev, 1002, "compressed bit on a control or continuation frame");
  if (masked != from_client_)
    return fail(ev, 1002, from_client_ ? "client frames must be masked" : "server frames must not be masked");
  bool control = op & 0x8;
  if (control && (!fin || len > 125)) return fail(ev, 1002, "invalid control frame");
  if (!control && op != opcode::continuation && op != opcode::text && op != opcode::binary)
    return fail(ev, 1002, "unknown opcode");
  if (!control && message_.size() + len > max_) return fail(ev, 1009, "message too big");
  if (masked) header += 4;  // mask key
  if (avail < header) return false;
  static constexpr uint8_t no_mask[4] = {0, 0, 0, 0};
  const uint8_t* mask = masked ? p + header - 4 : no_mask;
  if (avail < header + len) {
    if (control || len <= barertc::defaults::ws_stream_min_bytes) return false;
    // A big data frame: its message is sized once and the payload streams in (feed).
    if (auto why = open_frame(op, rsv1)) return fail(ev, 1002, why);
    message_.reserve(message_.size() + len);
    std::memcpy(stream_mask_, mask, 4);
    stream_done_ = 0;
    stream_left_ = len;
    stream_fin_ = fin;
    pos_ += header;
    size_t have = in_.size() - pos_;
    stream(in_.data() + pos_, have);
    pos_ += have;
    return false;
  }
  const char* payload = in_.data() + pos_ + header;
  pos_ += header + len;
  auto unmask_into = [&](std::string& out) { unmask_append(out, payload, len, mask, 0); };

  if (control) {
    std::string body;
    unmask_into(body);
    if (op == opcode::ping) {
      ev.type = ws_event::kind::ping;
      ev.payload = std::move(body);
    } else if (op == opcode::pong) {
      ev.type = ws_event::kind::pong;
      ev.payload = std::move(body);
    } else if (op == opcode::close) {
      if (body.size() == 1) return fail(ev, 1002, "invalid close frame");
      ev.type = ws_event::kind::close;
      ev.code = body.size() >= 2 ? uint16_t((uint8_t(body[0]) << 8) | uint8_t(body[1])) : 1005;
      ev.payload = body.size() > 2 ? body.substr(2) : std::string();
      // RFC 6455 7.4: codes that must not be sent (1005, 1006, unregistered ones) are a protocol
      // error, not something to echo back; 5.5.1: the reason must be UTF-8.
      if (body.size() >= 2 && !valid_close_code(ev.code)) return fail(ev, 1002, "invalid close code");
      if (!valid_utf8(ev.payload)) return fail(ev, 1007, "close reason is not valid UTF-8");
    } else {
      return fail(ev, 1002, "unknown control opcode");
    }
    return true;
  }
  if (auto why = open_frame(op, rsv1)) return fail(ev, 1002, why);
  unmask_into(message_);
  if (end_of_frame(fin, ev)) return true;
  }
}

bool valid_close_code(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;  // libraries (3000s) and applications (4000s)
  switch (code) {
    case 1000: case 1001: case 1002: case 1003: case 1007: case 1008: case 1009: case 1010: case 1011:
    case 1012: case 1013: case 1014:  // the IANA registry's additions
      return true;
    default:
      return false;  // 0-999, 1004-1006, 1015, other 1016-2999, 5000 and up
  }
}

bool valid_utf8(std::string_view s) {
  auto* p = reinterpret_cast<const uint8_t*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    // Skip ASCII eight bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    uint8_t c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // past U+10FFFF
    } else {
      return false;
    }
    if (i + len > n) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k < len; ++k)
      if ((p[i + k] & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

size_t frame_header(uint8_t op, uint64_t size, std::array<uint8_t, 10>& out, bool compressed) {
  out[0] = static_cast<uint8_t>(0x80 | (compressed ? 0x40 : 0) | op);
  if (size < 126) {
    out[1] = static_cast<uint8_t>(size);
    return 2;
  }
  if (size < 65536) {
    out[1] = 126;
    out[2] = static_cast<uint8_t>(size >> 8);
    out[3] = static_cast<uint8_t>(size);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<uint8_t>(size >> (56 - 8 * i));
  return 10;
}

std::string make_frame(uint8_t op, std::string_view payload) {
  std::array<uint8_t, 10> h{};
  auto n = frame_header(op, payload.size(), h);
  std::string out(reinterpret_cast<const char*>(h.data()), n);
  out.append(payload);
  return out;
}

std::string close_payload(uint16_t code, std::string_view reason) {
  std::string out;
  out += static_cast<char>(code >> 8);
  out += static_cast<char>(code & 0xFF);
  out.append(reason.substr(0, 123));
  return out;
}

}  // namespace barertc::net
